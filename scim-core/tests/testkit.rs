//! The test kit on the in-memory store (it passes every check) and on deliberately broken
//! stores (each is caught, by the check and at the step that should catch it): the kit
//! has teeth.

use std::sync::Arc;

use async_trait::async_trait;
use scim2_core::provisioner::{
    InMemoryProvisioner, ListPage, ListQuery, Provisioner, ProvisionerError, RequestContext,
};
use scim2_core::service::ServiceConfig;
use scim2_core::testkit::{check_provisioner, Failure, TestKit};
use scim2_core::ScimError;
use serde_json::Value;

/// A fresh in-memory store.
fn memory() -> Arc<dyn Provisioner> {
    Arc::new(InMemoryProvisioner::new())
}

#[tokio::test]
async fn the_in_memory_store_passes_every_check() {
    let report = check_provisioner(memory).await.unwrap();
    print!("{report}");
    let names: Vec<&str> = report.passed.iter().map(|p| p.check.as_str()).collect();
    for check in ["uniqueness", "If-Match/412", "membership", "concurrency"] {
        assert!(names.contains(&check), "{check} did not run: {names:?}");
    }
    // Every session, under the configured toggles and under its client's own profile.
    let sessions = names.iter().filter(|n| n.starts_with("session ")).count();
    assert_eq!(sessions, 2 * scim2_core::testkit::SESSIONS.len());
}

#[tokio::test]
async fn the_in_memory_store_passes_under_a_strict_configuration() {
    let config = ServiceConfig::default().with_compat(scim2_core::patch::Compat::strict());
    let kit = TestKit::new(memory).with_config(config);
    kit.uniqueness().await.unwrap();
    kit.preconditions().await.unwrap();
    kit.membership().await.unwrap();
    kit.concurrency().await.unwrap();
}

/// The configuration an application mounts its service with (a mount path, nothing at
/// root, another base path) does not change what the kit sends: it can be passed as it is.
#[tokio::test]
async fn the_kit_takes_a_mounted_applications_configuration_as_it_is() {
    let config = ServiceConfig::default()
        .with_base_paths(["/api/scim"])
        .with_mount_path("/api/scim")
        .with_serve_root(false)
        .with_max_body_bytes(64 * 1024);
    let report = TestKit::new(memory).with_config(config).run().await;
    report.unwrap_or_else(|failure| panic!("{failure}"));
}

/// Asserts that `result` is a failure of `check` at `step`.
fn caught<T: std::fmt::Debug>(result: Result<T, Failure>, check: &str, step: &str) {
    let failure = result.expect_err("the kit caught the broken store");
    assert_eq!(
        (failure.check.as_str(), failure.step.as_str()),
        (check, step),
        "{failure}"
    );
    // The message names the check and the step, for a test's `unwrap()`.
    let message = failure.to_string();
    assert!(
        message.contains(check) && message.contains(step),
        "{message}"
    );
}

/// Which duty a [`Broken`] store skips.
#[derive(Clone, Copy, PartialEq)]
enum Skip {
    /// `replace` does not check `userName` uniqueness (`create` still does).
    UniquenessOnReplace,
    /// `delete` ignores the expected version.
    VersionOnDelete,
    /// `replace` ignores the expected version, and reads yield, so that concurrent
    /// read-modify-writes interleave and overwrite each other.
    VersionOnReplace,
    /// `get` answers a User without its computed `groups`.
    GroupsOnGet,
}

/// The in-memory store with one duty skipped.
struct Broken {
    store: InMemoryProvisioner,
    skip: Skip,
}

impl Broken {
    fn store(skip: Skip) -> impl Fn() -> Arc<dyn Provisioner> {
        move || {
            let store = match skip {
                // No userName rule inside: `create` checks it here instead.
                Skip::UniquenessOnReplace => InMemoryProvisioner::new().unique("User", "none"),
                _ => InMemoryProvisioner::new(),
            };
            Arc::new(Broken { store, skip }) as Arc<dyn Provisioner>
        }
    }
}

#[async_trait]
impl Provisioner for Broken {
    async fn create(
        &self,
        c: &RequestContext,
        t: &str,
        r: Value,
    ) -> Result<Value, ProvisionerError> {
        if self.skip == Skip::UniquenessOnReplace && t == "User" {
            let name = |v: &Value| v["userName"].as_str().map(str::to_lowercase);
            let all = self.store.list(c, t, &ListQuery::default()).await?;
            if all.resources.iter().any(|u| name(u) == name(&r)) {
                return Err(ScimError::uniqueness("userName is taken").into());
            }
        }
        self.store.create(c, t, r).await
    }
    async fn get(&self, c: &RequestContext, t: &str, id: &str) -> Result<Value, ProvisionerError> {
        let mut v = self.store.get(c, t, id).await;
        match (self.skip, &mut v) {
            (Skip::VersionOnReplace, _) => tokio::task::yield_now().await,
            (Skip::GroupsOnGet, Ok(Value::Object(user))) if t == "User" => {
                user.remove("groups");
            }
            _ => {}
        }
        v
    }
    async fn replace(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        r: Value,
        v: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let v = if self.skip == Skip::VersionOnReplace {
            None
        } else {
            v
        };
        self.store.replace(c, t, id, r, v).await
    }
    async fn delete(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        v: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        let v = if self.skip == Skip::VersionOnDelete {
            None
        } else {
            v
        };
        self.store.delete(c, t, id, v).await
    }
    async fn list(
        &self,
        c: &RequestContext,
        t: &str,
        q: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        self.store.list(c, t, q).await
    }
}

#[tokio::test]
async fn a_replace_without_the_uniqueness_check_is_caught() {
    let kit = TestKit::new(Broken::store(Skip::UniquenessOnReplace));
    caught(
        kit.uniqueness().await,
        "uniqueness",
        "PUT bob with ann's userName",
    );
    // The whole kit stops earlier: Okta's recorded CRUD test renames a user onto
    // another's name with a PUT.
    let failure = check_provisioner(Broken::store(Skip::UniquenessOnReplace))
        .await
        .unwrap_err();
    assert!(
        failure.check.starts_with("session okta-crud-test.json"),
        "{failure}"
    );
}

#[tokio::test]
async fn a_delete_that_ignores_if_match_is_caught() {
    let kit = TestKit::new(Broken::store(Skip::VersionOnDelete));
    caught(
        kit.preconditions().await,
        "If-Match/412",
        "DELETE with a stale If-Match",
    );
}

#[tokio::test]
async fn lost_concurrent_updates_are_caught() {
    let kit = TestKit::new(Broken::store(Skip::VersionOnReplace));
    caught(
        kit.concurrency().await,
        "concurrency",
        "every member was added (no update lost)",
    );
}

#[tokio::test]
async fn a_user_read_without_its_groups_is_caught() {
    let kit = TestKit::new(Broken::store(Skip::GroupsOnGet));
    caught(
        kit.membership().await,
        "membership",
        "ann's groups lists the group",
    );
}
