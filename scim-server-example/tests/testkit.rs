//! scim2-core's test kit on the bridge's real stores, in process: the 1Password
//! provisioner over SQLite in a temporary directory and over PostgreSQL (a throwaway
//! server, `tests/common/postgres.rs`), with the bridge's schemas, each check on a fresh
//! database. The kit runs the steps marked `"only": "bridge"` (the
//! built-in Team Members group every user is in, account states) in place of the
//! library's; its uniqueness, `If-Match`/412, membership and concurrency checks are the
//! same as for any store.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use scim2_core::provisioner::{Principal, Provisioner};
use scim2_core::service::{AuthError, Authenticator, ServiceConfig};
use scim2_core::testkit::{Target, TestKit};
use scim_server_example::onepassword::{self, OnePassword, Policy};
use scim_server_example::store::postgres::PgStore;
use scim_server_example::store::sqlite::SqliteStore;
use scim_server_example::store::Store;

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

/// The 1Password provisioner over `store`, as the bridge builds it.
fn provisioner<S: Store + 'static>(store: S) -> Arc<dyn Provisioner> {
    Arc::new(OnePassword::new(Arc::new(store), Policy::default()).expect("an account"))
}

/// The kit over the fresh stores `factory` makes, configured as the bridge is.
fn kit<F: Fn() -> Arc<dyn Provisioner>>(factory: F) -> TestKit<F> {
    TestKit::new(factory)
        .with_target(Target::Bridge)
        .with_registry(onepassword::registry())
        .with_config(ServiceConfig::default().with_cursor_pagination(true))
        .with_authenticator(Arc::new(Bearer), format!("Bearer {TOKEN}"))
}

/// Runs the kit and checks that every check ran and passed.
async fn passes_every_check<F: Fn() -> Arc<dyn Provisioner>>(kit: TestKit<F>) {
    let report = kit.run().await.unwrap();
    print!("{report}");
    let names: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    for check in [
        "uniqueness",
        "If-Match/412",
        "membership",
        "concurrency",
        "paging",
    ] {
        assert!(names.contains(&check), "{check} did not run: {names:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_store_passes_every_check() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    passes_every_check(kit(|| {
        let db = dir
            .path()
            .join(format!("bridge-{}.db", n.fetch_add(1, Ordering::SeqCst)));
        provisioner(SqliteStore::open(&db).expect("a store"))
    }))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bridge_store_on_postgresql_passes_every_check() {
    let Some(pg) = common::postgres::server() else {
        return;
    };
    // A new database per check. The synchronous PostgreSQL client runs a runtime of its
    // own, which may not start on an async worker: open the store off it.
    passes_every_check(kit(|| {
        tokio::task::block_in_place(|| provisioner(PgStore::open(&pg.database()).expect("a store")))
    }))
    .await;
}
