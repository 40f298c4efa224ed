//! Found by the attack review of the test kit: it passed stores that break a duty of
//! `Provisioner`, and failed a correct one.
//!
//! - A store whose `replace` ignores the expected version passed every check: the
//!   service compares a client's `If-Match` itself before it writes, and the concurrency
//!   check only interleaves requests where the store awaits, so a store whose calls
//!   finish without yielding (a `HashMap` under a lock, a synchronous database call) never
//!   showed it. In a server such a store loses concurrent updates (duties 4 and 8). The
//!   kit now calls the store's `replace` with a stale version itself.
//! - A store whose `list` left out a user's `groups` passed (duty 5): the filter on
//!   `groups.value` matched, and no check looked at the listed users.
//! - A correct store whose ids hold a `+` failed the membership check: the kit put the
//!   id in a query string unescaped, where `+` reads as a space.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use scim2_core::provisioner::{
    InMemoryProvisioner, ListPage, ListQuery, Provisioner, ProvisionerError, RequestContext,
};
use scim2_core::testkit::TestKit;
use serde_json::Value;

/// What a [`Store`] does differently from the in-memory store.
#[derive(Clone, Copy, PartialEq)]
enum Quirk {
    /// `replace` ignores the expected version (and never yields).
    IgnoresVersion,
    /// `list` answers users without `groups`.
    ListsWithoutGroups,
    /// Ids like `u+1` (a correct store).
    PlusIds,
}

struct Store {
    inner: InMemoryProvisioner,
    quirk: Quirk,
    next: AtomicU64,
}

fn stores(quirk: Quirk) -> impl Fn() -> Arc<dyn Provisioner> {
    move || {
        Arc::new(Store {
            inner: InMemoryProvisioner::new(),
            quirk,
            next: AtomicU64::new(1),
        }) as Arc<dyn Provisioner>
    }
}

#[async_trait]
impl Provisioner for Store {
    fn new_id(&self, resource_type: &str) -> String {
        match self.quirk {
            Quirk::PlusIds => format!("u+{}", self.next.fetch_add(1, Ordering::Relaxed)),
            _ => self.inner.new_id(resource_type),
        }
    }
    async fn create(
        &self,
        c: &RequestContext,
        t: &str,
        r: Value,
    ) -> Result<Value, ProvisionerError> {
        self.inner.create(c, t, r).await
    }
    async fn get(&self, c: &RequestContext, t: &str, id: &str) -> Result<Value, ProvisionerError> {
        self.inner.get(c, t, id).await
    }
    async fn replace(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        r: Value,
        v: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let v = if self.quirk == Quirk::IgnoresVersion {
            None
        } else {
            v
        };
        self.inner.replace(c, t, id, r, v).await
    }
    async fn delete(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        v: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        self.inner.delete(c, t, id, v).await
    }
    async fn list(
        &self,
        c: &RequestContext,
        t: &str,
        q: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        let mut page = self.inner.list(c, t, q).await?;
        if self.quirk == Quirk::ListsWithoutGroups {
            for r in &mut page.resources {
                if let Some(o) = r.as_object_mut() {
                    o.remove("groups");
                }
            }
        }
        Ok(page)
    }
}

#[tokio::test]
async fn a_replace_that_ignores_the_expected_version_is_caught() {
    let failure = TestKit::new(stores(Quirk::IgnoresVersion))
        .run()
        .await
        .unwrap_err();
    assert_eq!(
        (failure.check.as_str(), failure.step.as_str()),
        (
            "If-Match/412",
            "the store's replace refuses a stale expected version"
        ),
        "{failure}"
    );
    assert!(failure.detail.contains("precondition_failed"), "{failure}");
}

#[tokio::test]
async fn a_list_without_groups_is_caught() {
    let failure = TestKit::new(stores(Quirk::ListsWithoutGroups))
        .membership()
        .await
        .unwrap_err();
    assert_eq!(
        failure.step, "the users a list returns carry their groups",
        "{failure}"
    );
}

#[tokio::test]
async fn ids_with_a_plus_pass_the_membership_check() {
    TestKit::new(stores(Quirk::PlusIds))
        .membership()
        .await
        .unwrap();
}
