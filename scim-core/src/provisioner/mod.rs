//! The `Provisioner` trait: what an embedding service implements over its storage.
//!
//! [`ScimService`](crate::service::ScimService) does the protocol work — routing,
//! parsing, validation, `id` and `meta` stamping, projection, ETags, errors — and calls a
//! `Provisioner` only to store and find resources. One implementation serves every
//! resource type (`"User"`, `"Group"`, your own), named by `resource_type`.
//!
//! The service validates and stamps; the store keeps, finds and enforces what only it can
//! check atomically. Everything a store must do is listed on [`Provisioner`]; the
//! membership helpers ([`member_ids`], [`groups_of`], [`group_ref`], [`set_groups`],
//! [`remove_member`]) do the `groups` bookkeeping over JSON, and [`InMemoryProvisioner`]
//! does all of it.

mod membership;
mod memory;
mod query;

pub use membership::{group_ref, groups_of, member_ids, remove_member, set_groups};
pub use memory::InMemoryProvisioner;
pub use query::{EqualityLookup, ListPage, ListQuery, SortOrder};

use async_trait::async_trait;
use http::StatusCode;
use serde_json::Value;

use crate::error::ScimError;
use crate::patch::{apply, Compat, PatchRequest};
use crate::schema::ResourceSchema;

/// Who is calling, as the service's [`Authenticator`](crate::service::Authenticator)
/// established it.
///
/// `#[non_exhaustive]`: build one with [`Principal::new`] and the `with_*` methods.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// The authenticated subject (a client or token name).
    pub subject: String,
    /// A tenant, for services that keep several apart.
    pub tenant: Option<String>,
    /// The resource `/Me` stands for (RFC 7644 §3.11), if any: (resource type, id).
    pub me: Option<(String, String)>,
}

impl Principal {
    /// The caller `subject`, with no tenant and no `/Me`.
    pub fn new(subject: impl Into<String>) -> Self {
        Principal {
            subject: subject.into(),
            tenant: None,
            me: None,
        }
    }

    /// Returns this principal with its tenant set to `tenant`.
    #[must_use]
    pub fn with_tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Returns this principal with `/Me` standing for the resource `id` of `resource_type`.
    #[must_use]
    pub fn with_me(mut self, resource_type: impl Into<String>, id: impl Into<String>) -> Self {
        self.me = Some((resource_type.into(), id.into()));
        self
    }
}

/// What a provisioner knows about the request it serves.
///
/// `#[non_exhaustive]`: build one with [`RequestContext::new`] (or `default()`) and the
/// `with_*` methods.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RequestContext {
    /// The authenticated caller, if authentication is on.
    pub principal: Option<Principal>,
    /// An id for this request, for logs.
    pub request_id: String,
    /// Set on each operation of a Bulk request (RFC 7644 §3.7): an id that the operations
    /// of one Bulk request share and no other request has. A provisioner may then defer
    /// making an operation's write durable (commit several together) until
    /// [`Provisioner::bulk_finished`], which the service calls with the same id before it
    /// answers the Bulk request.
    pub bulk: Option<u64>,
}

impl RequestContext {
    /// The context of the request `request_id`, with no principal.
    pub fn new(request_id: impl Into<String>) -> Self {
        RequestContext {
            principal: None,
            request_id: request_id.into(),
            bulk: None,
        }
    }

    /// Returns this context with `principal` as the authenticated caller.
    #[must_use]
    pub fn with_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    /// Returns this context with its request id set to `request_id`.
    #[must_use]
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = request_id.into();
        self
    }

    /// Returns this context marked as an operation of the Bulk request `bulk` (see
    /// [`RequestContext::bulk`]).
    #[must_use]
    pub fn with_bulk(mut self, bulk: u64) -> Self {
        self.bulk = Some(bulk);
        self
    }
}

/// A provisioner's failure: a protocol error for the client, or an internal one.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionerError {
    /// A SCIM error returned to the client as it is (404, 409, 412, 400 …).
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// A store failure. Logged; the client sees a 500 without detail.
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store cannot serve now (disk full, read-only, down): 503 with `Retry-After`.
    /// The detail is shown to the client: keep store internals (paths, SQL) out of it.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Too much work is under way to admit this request now: 429 with `Retry-After`
    /// (RFC 6585 §4; Entra ID and Okta honour it and retry). The detail is shown to the
    /// client.
    #[error("busy: {detail}")]
    Busy {
        /// What is busy and what to do, for the client.
        detail: String,
        /// How long the client should wait before retrying.
        retry_after: std::time::Duration,
    },
}

impl ProvisionerError {
    /// Wraps any store error as internal.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ProvisionerError::Internal(e.into())
    }
}

/// 404 for a resource that does not exist.
pub fn not_found(resource_type: &str, id: &str) -> ProvisionerError {
    ScimError::not_found(format!("{resource_type} {id} not found")).into()
}

/// 412 for a version that does not match (RFC 7644 §3.14).
pub fn precondition_failed(expected: &str, actual: &str) -> ProvisionerError {
    ScimError::precondition_failed(expected, actual).into()
}

/// What the default [`Provisioner::patch`] needs besides the id: the request, the
/// schema to apply it under, and the compatibility toggles.
///
/// `#[non_exhaustive]`: build one with [`PatchInput::new`] and the `with_*` methods.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct PatchInput<'a> {
    /// The PATCH request.
    pub request: &'a PatchRequest,
    /// The resource type's schema.
    pub schema: &'a ResourceSchema<'a>,
    /// The identity-provider toggles.
    pub compat: &'a Compat,
    /// Whether the caller needs the whole resource back. When false (the service answers
    /// 204, RFC 7644 §3.5.2), a provisioner may return it without its large multi-valued
    /// attributes, e.g. a group without `members`; `meta.version` must be current.
    pub full_result: bool,
}

impl<'a> PatchInput<'a> {
    /// `request` applied under `schema` and `compat`, the whole resource wanted back.
    pub const fn new(
        request: &'a PatchRequest,
        schema: &'a ResourceSchema<'a>,
        compat: &'a Compat,
    ) -> Self {
        PatchInput {
            request,
            schema,
            compat,
            full_result: true,
        }
    }

    /// Returns this input with whether the caller needs the whole resource back set to `full`.
    #[must_use]
    pub const fn with_full_result(mut self, full: bool) -> Self {
        self.full_result = full;
        self
    }
}

/// The next state of `current` under a PATCH: checks `expected` (412), applies the
/// engine, and updates `meta`. What every `patch` implementation does with the resource
/// it read, whatever its locking.
pub fn patched(
    current: &Value,
    input: &PatchInput<'_>,
    expected: Option<&str>,
) -> Result<Value, ScimError> {
    crate::meta::check_version(current, expected)?;
    let mut next = apply(input.schema, current, input.request, input.compat)?;
    crate::meta::stamp_update_for(input.schema, &mut next, current);
    Ok(next)
}

/// How often a read-modify-write (the default `patch`, the service's PUT) is tried when
/// another writer got in between its read and its write (only when the client sent no
/// `If-Match`); see `docs/limits.md`.
pub const CONFLICT_RETRIES: usize = 64;

/// What a read-modify-write does with the result of its write: `Some` to answer with,
/// `None` to start over.
///
/// It starts over when the write lost a race (412) that the client did not ask for (no
/// `If-Match`: RFC 7644 §3.14, the last writer wins) and fewer than
/// [`CONFLICT_RETRIES`] attempts were made, counting the attempt in `attempt` and
/// letting other tasks run first. After the last attempt such a conflict is answered
/// [`ProvisionerError::Busy`] (429 with `Retry-After`), never 412: RFC 7644 §3.14 keeps
/// 412 for a precondition the client set. With `If-Match`, a 412 is passed on as it is.
pub(crate) async fn retry_on_conflict<T>(
    result: Result<T, ProvisionerError>,
    expected_version: Option<&str>,
    attempt: &mut usize,
) -> Option<Result<T, ProvisionerError>> {
    let conflict = matches!(&result, Err(ProvisionerError::Scim(e))
        if e.status() == StatusCode::PRECONDITION_FAILED);
    if !conflict || expected_version.is_some() {
        return Some(result);
    }
    if *attempt >= CONFLICT_RETRIES {
        return Some(Err(ProvisionerError::Busy {
            detail: format!(
                "the resource kept changing while this request was applied ({CONFLICT_RETRIES} attempts); retry later"
            ),
            retry_after: std::time::Duration::from_secs(1),
        }));
    }
    *attempt += 1;
    tokio_free_yield().await;
    None
}

/// Storage for SCIM resources: what an embedding service implements.
///
/// `resource_type` is a registered resource type's name (`"User"`, `"Group"`, yours);
/// resources are `serde_json::Value` objects in their canonical form. One implementation
/// serves every type.
///
/// # What the service does
///
/// Routing, parsing, validation against the schema (a store receives resources already
/// checked, readOnly input ignored, Entra's string booleans coerced), `id` (from
/// [`new_id`](Provisioner::new_id)) and `meta` (`resourceType`, `created`,
/// `lastModified`, `version`) stamping, PATCH (the default [`patch`](Provisioner::patch)),
/// projection, `meta.location`, ETags and `If-Match`/`If-None-Match` on reads, Bulk,
/// discovery and error bodies.
///
/// # What a store must do
///
/// A store that skips one answers clients wrongly: a 200 where a 409 or 412 is due, a
/// group still listing a deleted user. [`InMemoryProvisioner`] does all of them.
///
/// 1. **Keep what it is given.** `create` and `replace` store the resource as received
///    (its `id` and `meta` already set) and return it as stored. A store that changes a
///    resource on its own (see 6) updates its `meta` with
///    [`meta::stamp_update`](crate::meta::stamp_update), so its version changes.
/// 2. **Ids.** `create` refuses an id it already holds with [`ScimError::uniqueness`]
///    (409); `new_id`, if overridden, returns ids unique within the type and never
///    reused. `get`, `replace`, `delete` and `patch` of an id it does not hold answer
///    [`not_found`] (404).
/// 3. **Uniqueness** (409). `userName` is unique among Users, compared
///    case-insensitively (RFC 7643 §4.1.1), and so is any attribute the store declares
///    unique (group `displayName`, commonly). `create`, `replace` and `patch` refuse a
///    value another resource of the type holds (not the resource itself) with
///    [`ScimError::uniqueness`]. The default `patch` writes through `replace`, so a
///    `replace` that does not check lets a PATCH take a taken name.
/// 4. **Versions** (412). `replace` and `delete` receive the version the caller expects
///    (the client's `If-Match`, or the version the service read for a PUT or the default
///    `patch`): when given and not the stored `meta.version`, refuse with
///    [`precondition_failed`] ([`meta::check_version`](crate::meta::check_version) does
///    the comparison). `delete` must check it too: a DELETE with a stale `If-Match` is
///    412, not 204. This is also what makes PUT and the default `patch` lose no
///    concurrent update: they retry on 412.
/// 5. **A User's `groups`** (RFC 7643 §4.1.2) is read-only and follows Group
///    membership: every User a store returns (from `create`, `get`, `replace`, `patch`
///    and `list`) carries in `groups` one entry ([`group_ref`]) per group whose
///    `members` hold it, and no `groups` attribute when there is none ([`groups_of`] and
///    [`set_groups`] compute and set it). Compute it; never answer with the value a
///    resource arrived with (a replace carries the old one over).
/// 6. **Deleted members leave their groups.** `delete` removes the id from the
///    `members` of every group that holds it, in the same transaction, updating each
///    such group's `meta` ([`remove_member`] does both for a group).
/// 7. **Listing** (RFC 7644 §3.4.2). `list` returns resources of `resource_type` only,
///    those matching `query.filter` (evaluate it with [`ListQuery::matches`] on the
///    resources as returned, `groups` included, or translate [`ListQuery::filter`];
///    [`ListQuery::equality_lookup`] finds the `attr eq "value"` filters an index
///    answers), sorted by `sort_by`/`sort_order` when given, `total_results` counting
///    every match, the page starting at `start_index` (1-based) and holding at most
///    `count` resources (none when `count` is 0). [`ListQuery::page`] does all of this
///    in memory and [`ListQuery::slice`] pages an already sorted list.
/// 8. **Atomicity.** Methods are called concurrently: each check and the write it
///    guards (uniqueness, version, membership) happen under one lock or transaction.
/// 9. **Passwords.** The service never returns `password`; a store keeps a salted hash
///    of it or nothing, never the cleartext.
/// 10. **Errors.** Protocol errors are [`ProvisionerError::Scim`] (sent as they are);
///     store failures [`ProvisionerError::Internal`] (logged, a bare 500),
///     [`ProvisionerError::Unavailable`] (503) or [`ProvisionerError::Busy`] (429).
/// 11. **An overridden `patch`** builds the next state with [`patched`] (which checks
///     the expected version, applies the engine and updates `meta`) and then does what
///     `replace` does (3, 5, 8).
///
/// The crate's front page shows a store over a `HashMap` that does all of this.
#[async_trait]
pub trait Provisioner: Send + Sync {
    /// A new resource id. The default is a random UUID.
    fn new_id(&self, _resource_type: &str) -> String {
        uuid::Uuid::new_v4().to_string()
    }

    /// Stores a new resource (its `id` and `meta` already set) and returns it as stored.
    /// Refuses a duplicate of a unique attribute with [`ScimError::uniqueness`].
    async fn create(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        resource: Value,
    ) -> Result<Value, ProvisionerError>;

    /// The resource with this id, or [`not_found`].
    async fn get(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
    ) -> Result<Value, ProvisionerError>;

    /// Replaces the resource with this id by `resource` (`meta` already updated), if the
    /// stored version equals `expected_version` (when given; else [`precondition_failed`]).
    async fn replace(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        resource: Value,
        expected_version: Option<&str>,
    ) -> Result<Value, ProvisionerError>;

    /// Deletes the resource with this id (checking `expected_version` when given).
    async fn delete(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        expected_version: Option<&str>,
    ) -> Result<(), ProvisionerError>;

    /// One page of the resources matching `query`. A simple store can hand all its
    /// resources of the type to [`ListQuery::page`]; a serious one pushes
    /// [`ListQuery::equality_lookup`] down to an index.
    async fn list(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        query: &ListQuery,
    ) -> Result<ListPage, ProvisionerError>;

    /// Called once after every operation of a Bulk request (RFC 7644 §3.7) has run, with
    /// the context the operations had ([`RequestContext::bulk`] set), before the service
    /// answers: a provisioner that deferred making those operations' writes durable (to
    /// commit many at once) makes them durable here. An error here answers the whole Bulk
    /// request with it, since none of its results may then be relied on. The default has
    /// nothing to do: each write was durable when its method returned.
    async fn bulk_finished(&self, ctx: &RequestContext) -> Result<(), ProvisionerError> {
        let _ = ctx;
        Ok(())
    }

    /// Applies a PATCH to the resource with this id and returns the result.
    ///
    /// The default reads the resource, applies the PATCH engine, and replaces it with the
    /// version it read, retrying if another writer got in between (unless the client
    /// asked for a specific version). Override it to patch in place, e.g. to add one
    /// member to a 100,000-member group without rewriting the group.
    async fn patch(
        &self,
        ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        input: &PatchInput<'_>,
        expected_version: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let mut attempt = 0;
        loop {
            let current = self.get(ctx, resource_type, id).await?;
            let next = patched(&current, input, expected_version)?;
            let version = crate::meta::version_of(&current).map(str::to_owned);
            let result = self
                .replace(ctx, resource_type, id, next, version.as_deref())
                .await;
            if let Some(done) = retry_on_conflict(result, expected_version, &mut attempt).await {
                return done;
            }
        }
    }
}

/// Lets other tasks run between retries without depending on an async runtime.
async fn tokio_free_yield() {
    struct YieldOnce(bool);
    impl std::future::Future for YieldOnce {
        type Output = ();
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<()> {
            if self.0 {
                std::task::Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    }
    YieldOnce(false).await
}
