//! The 1Password account model (DESIGN.md §6) as a SCIM [`Provisioner`] over a [`Store`].
//!
//! - Users are people, `userName` their email (unique, case-insensitively; optionally
//!   limited to allowed domains). `emails` derives from `userName` when absent.
//! - Account states: new users are *invited* (`active: true`, and they can be put in
//!   groups at once); a person accepting the invitation makes them *pending*; the
//!   confirmation watcher ([`crate::watcher`]) makes them *active*. `active: false`
//!   suspends; `active: true` restores the state from before the suspension. The state
//!   is shown in the read-only schema [`EXTENSION`] (published in `/Schemas`), returned
//!   on request (`attributes=urn:…:1password:2.0:User:state`), and counted in `/health`.
//! - Built-in groups (Owners, Administrators, Team Members, Security, Provision Managers)
//!   exist from the start and cannot be deleted or renamed; everyone is implicitly in
//!   Team Members. Groups created over SCIM are managed groups. Removing a member never
//!   suspends them.
//! - The last Owner can be neither suspended nor deleted.

mod rules;

use std::sync::Arc;

use async_trait::async_trait;
use scim_core::patch::PatchRequest;
use scim_core::provisioner::{
    ListPage, ListQuery, PatchInput, Provisioner, ProvisionerError, RequestContext,
};
use scim_core::schema::{AttributeDef, Mutability, Returned, Schema, SchemaRegistry};
use scim_core::ScimError;
use serde_json::Value;

use crate::store::{AccountState, Store, StoreError};

pub use rules::{accept_invitation, confirm_pending, state_counts};

/// The extension schema holding a user's account state.
pub const EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:1password:2.0:User";

/// The built-in groups: (id, display name). Their ids are stable across installations.
pub const BUILTIN_GROUPS: [(&str, &str); 5] = [
    ("owners", "Owners"),
    ("administrators", "Administrators"),
    ("team-members", "Team Members"),
    ("security", "Security"),
    ("provision-managers", "Provision Managers"),
];

/// The id of the Owners group.
pub const OWNERS: &str = "owners";
/// The id of the Team Members group, whose membership is implicit.
pub const TEAM_MEMBERS: &str = "team-members";

/// A rule or store failure inside a transaction.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A protocol error for the client.
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// A storage failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RuleError> for ProvisionerError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::Scim(e) => ProvisionerError::Scim(e),
            RuleError::Store(StoreError::Duplicate(_)) => {
                ScimError::uniqueness("a resource with this userName or displayName already exists")
                    .into()
            }
            RuleError::Store(StoreError::Unavailable(d)) => ProvisionerError::Unavailable(d),
            RuleError::Store(e @ StoreError::Other(_)) => ProvisionerError::internal(e),
        }
    }
}

/// Account policy.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// When not empty, `userName` must be an email in one of these domains.
    pub allowed_domains: Vec<String>,
}

/// The schema registry of the bridge: the standard one plus [`EXTENSION`].
pub fn registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    let ro = Mutability::ReadOnly;
    let ext = Schema::new(
        EXTENSION,
        "OnePasswordUser",
        "The person's 1Password account state",
        vec![
            AttributeDef::string("state")
                .mutability(ro)
                .returned(Returned::Request)
                .case_exact()
                .canonical(&["invited", "pending", "active", "suspended"])
                .describe(
                    "invited, pending (accepted, awaiting confirmation), active or suspended",
                ),
            AttributeDef::date_time("stateChangedAt")
                .mutability(ro)
                .returned(Returned::Request)
                .describe("When the state last changed"),
        ],
    );
    // Published in /Schemas, and attached to users by the bridge, but not declared a
    // schemaExtension of User: it is server data no client writes, and its attributes
    // are returned only on request (`attributes=urn:…:1password:2.0:User:state`), so
    // identity providers and generic SCIM clients never meet it unasked.
    registry.add_schema(ext);
    registry
}

/// The 1Password provisioner.
pub struct OnePassword<S: Store> {
    store: Arc<S>,
    policy: Arc<Policy>,
    registry: Arc<SchemaRegistry>,
}

impl<S: Store> std::fmt::Debug for OnePassword<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnePassword")
            .field("policy", &self.policy)
            .finish()
    }
}

impl<S: Store> OnePassword<S> {
    /// A provisioner over `store`, creating the built-in groups if they are missing.
    pub fn new(store: Arc<S>, policy: Policy) -> Result<Self, ProvisionerError> {
        store.write(rules::ensure_builtin_groups)?;
        Ok(OnePassword {
            store,
            policy: Arc::new(policy),
            registry: Arc::new(registry()),
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// Runs `f` on a blocking thread (SQLite is synchronous).
    async fn blocking<T, F>(&self, f: F) -> Result<T, ProvisionerError>
    where
        T: Send + 'static,
        F: FnOnce(&S, &Policy, &SchemaRegistry) -> Result<T, RuleError> + Send + 'static,
    {
        let (store, policy, registry) = (
            self.store.clone(),
            self.policy.clone(),
            self.registry.clone(),
        );
        tokio::task::spawn_blocking(move || f(&store, &policy, &registry))
            .await
            .map_err(ProvisionerError::internal)?
            .map_err(ProvisionerError::from)
    }
}

#[async_trait]
impl<S: Store> Provisioner for OnePassword<S> {
    async fn create(
        &self,
        _ctx: &RequestContext,
        rt: &str,
        resource: Value,
    ) -> Result<Value, ProvisionerError> {
        let rt = rt.to_owned();
        self.blocking(move |store, policy, _| {
            store.write(|tx| rules::create(tx, policy, &rt, resource))
        })
        .await
    }

    async fn get(
        &self,
        _ctx: &RequestContext,
        rt: &str,
        id: &str,
    ) -> Result<Value, ProvisionerError> {
        let (rt, id) = (rt.to_owned(), id.to_owned());
        self.blocking(move |store, _, _| store.read(|tx| rules::get(tx, &rt, &id)))
            .await
    }

    async fn replace(
        &self,
        _ctx: &RequestContext,
        rt: &str,
        id: &str,
        resource: Value,
        expected: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let (rt, id, expected) = (rt.to_owned(), id.to_owned(), expected.map(str::to_owned));
        self.blocking(move |store, policy, _| {
            store.write(|tx| {
                let old = rules::get(tx, &rt, &id)?;
                scim_core::meta::check_version(&old, expected.as_deref())?;
                rules::update(tx, policy, &rt, &id, &old, resource)
            })
        })
        .await
    }

    async fn delete(
        &self,
        _ctx: &RequestContext,
        rt: &str,
        id: &str,
        expected: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        let (rt, id, expected) = (rt.to_owned(), id.to_owned(), expected.map(str::to_owned));
        self.blocking(move |store, _, _| {
            store.write(|tx| rules::delete(tx, &rt, &id, expected.as_deref()))
        })
        .await
    }

    async fn list(
        &self,
        _ctx: &RequestContext,
        rt: &str,
        query: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        // An indexed lookup (what Entra ID sends on every cycle) reads a row or two: run
        // it in place rather than paying a hop to the blocking pool.
        if query.equality_lookup().is_some() {
            return self
                .store
                .read(|tx| rules::list(tx, rt, query))
                .map_err(ProvisionerError::from);
        }
        let (rt, query) = (rt.to_owned(), query.clone());
        self.blocking(move |store, _, _| store.read(|tx| rules::list(tx, &rt, &query)))
            .await
    }

    /// PATCH inside one transaction: read, apply, check the account rules, write.
    async fn patch(
        &self,
        _ctx: &RequestContext,
        rt: &str,
        id: &str,
        input: &PatchInput<'_>,
        expected: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let (rt, id, expected) = (rt.to_owned(), id.to_owned(), expected.map(str::to_owned));
        let (request, compat): (PatchRequest, _) = (input.request.clone(), *input.compat);
        let full_result = input.full_result;
        self.blocking(move |store, policy, registry| {
            let schema = registry
                .resource_schema(&rt)
                .ok_or_else(|| ScimError::not_found(format!("no resource type {rt}")))?;
            store.write(|tx| {
                if let Some(done) =
                    rules::patch_members(tx, &rt, &id, &request, expected.as_deref(), full_result)?
                {
                    return Ok(done);
                }
                let old = rules::get(tx, &rt, &id)?;
                let input = PatchInput {
                    request: &request,
                    schema: &schema,
                    compat: &compat,
                    full_result,
                };
                let next = scim_core::provisioner::patched(&old, &input, expected.as_deref())?;
                rules::update(tx, policy, &rt, &id, &old, next)
            })
        })
        .await
    }
}

/// Whether `state` counts as a usable (not suspended) account.
pub fn is_enabled(state: AccountState) -> bool {
    state != AccountState::Suspended
}
