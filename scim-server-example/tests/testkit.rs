//! scim2-core's test kit on the bridge's real store, in process: the 1Password
//! provisioner over SQLite in a temporary directory, with the bridge's schemas, each
//! check on a fresh database. The kit runs the steps marked `"only": "bridge"` (the
//! built-in Team Members group every user is in, account states) in place of the
//! library's; its uniqueness, `If-Match`/412, membership and concurrency checks are the
//! same as for any store.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use scim2_core::provisioner::{Principal, Provisioner};
use scim2_core::service::{AuthError, Authenticator};
use scim2_core::testkit::{Target, TestKit};
use scim_server_example::onepassword::{self, OnePassword, Policy};
use scim_server_example::store::sqlite::SqliteStore;

/// The token the test authenticator accepts.
const TOKEN: &str = "testkit-token-0123456789abcdef";

/// A bearer check standing in for the bridge's own (which lives in its HTTP layer, and
/// which tests/sessions.rs drives over HTTP): the recorded sessions' wrong-token steps
/// need a 401 with a challenge.
struct Bearer;

#[async_trait]
impl Authenticator for Bearer {
    async fn authenticate(
        &self,
        req: &http::request::Parts,
    ) -> Result<Option<Principal>, AuthError> {
        let header = req.headers.get(http::header::AUTHORIZATION);
        match header.and_then(|v| v.to_str().ok()) {
            Some(v) if v == format!("Bearer {TOKEN}") => Ok(Some(Principal::new("test"))),
            _ => Err(AuthError::bearer("a valid bearer token is required")),
        }
    }
}

/// The kit over fresh bridge stores, each a new database under `dir`, configured as the
/// bridge is.
fn kit(dir: &tempfile::TempDir) -> TestKit<impl Fn() -> Arc<dyn Provisioner> + '_> {
    let n = AtomicUsize::new(0);
    let factory = move || {
        let db = dir
            .path()
            .join(format!("bridge-{}.db", n.fetch_add(1, Ordering::SeqCst)));
        let store = Arc::new(SqliteStore::open(&db).expect("a store"));
        let provisioner = OnePassword::new(store, Policy::default()).expect("an account");
        Arc::new(provisioner) as Arc<dyn Provisioner>
    };
    TestKit::new(factory)
        .with_target(Target::Bridge)
        .with_registry(onepassword::registry())
        .with_authenticator(Arc::new(Bearer), format!("Bearer {TOKEN}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_store_passes_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let report = kit(&dir).run().await.unwrap();
    print!("{report}");
    let names: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    for check in ["uniqueness", "If-Match/412", "membership", "concurrency"] {
        assert!(names.contains(&check), "{check} did not run: {names:?}");
    }
}
