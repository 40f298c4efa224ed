//! The 1Password account model (docs/operations.md, "Account states and invitations") as
//! a SCIM [`Provisioner`](scim2_core::provisioner::Provisioner) over a [`Store`].
//!
//! - Users are people, `userName` their email (unique, case-insensitively; optionally
//!   limited to allowed domains). `emails` derives from `userName` when absent.
//! - Account states: new users are *invited* (`active: true`, and they can be put in
//!   groups at once); a person accepting the invitation makes them *pending*; the
//!   confirmation watcher (a background task of the bridge) makes them *active*. `active: false`
//!   suspends; `active: true` restores the state from before the suspension. The state
//!   is shown in the read-only schema [`EXTENSION`] (published in `/Schemas`), returned
//!   on request (`attributes=urn:…:1password:2.0:User:state`), and counted in `/health`.
//! - Built-in groups (Owners, Administrators, Team Members, Security, Provision Managers)
//!   exist from the start and cannot be deleted or renamed; everyone is implicitly in
//!   Team Members. Groups created over SCIM are managed groups. Removing a member never
//!   suspends them.
//! - The last Owner can be neither suspended nor deleted, nor removed from Owners.
//! - Group membership is acyclic: no group is its own member, directly or not.
//! - A `password` is accepted and never stored; client data under the [`EXTENSION`]
//!   namespace, in any casing, is never stored (the state is the server's).
//! - Lists that no index answers are admitted a few at a time and bounded in what they
//!   hold, in resources ([`ScanLimits`]) and in bytes
//!   ([`OnePassword::with_max_held_bytes`]); a sorted scan holds only each match's sort
//!   key and id, and reads the page's resources once sorted; the PATCH engine never runs inside a write transaction.

pub mod audit;
mod durability;
mod guard;
mod kind;
mod provisioner;
mod rules;
mod turns;

use std::sync::Arc;
use std::time::Duration;

use scim2_core::provisioner::ProvisionerError;
use scim2_core::schema::{AttributeDef, Mutability, Returned, Schema, SchemaRegistry};
use scim2_core::ScimError;

use crate::store::{AccountState, Store, StoreError};

pub use guard::{settle, DeprovisionLimit, Outcome, Settled};
pub use kind::Kind;
pub use rules::{accept_invitation, confirm_pending, state_counts, CONFIRM_BATCH};

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
            RuleError::Store(StoreError::Unavailable(d)) => {
                // The engine's text names files, statements or servers: logged, never sent.
                tracing::warn!(detail = %d, "the database is unavailable");
                ProvisionerError::Unavailable(
                    "the database is unavailable (unreachable, full or read-only); retry later"
                        .into(),
                )
            }
            RuleError::Store(StoreError::Busy(d)) => {
                tracing::warn!(detail = %d,
                    "the database was busy (a lock waited for too long, a statement cancelled by its timeout, or a transaction to retry)");
                ProvisionerError::Unavailable(
                    "the database is busy with another process; retry later".into(),
                )
            }
            RuleError::Store(StoreError::Unrepresentable(d)) => {
                tracing::info!(detail = %d, "a value the database cannot hold was refused");
                ScimError::invalid_value(
                    "a value is one the database cannot store: it contains U+0000, or is too long",
                )
                .into()
            }
            // RFC 9110 §15.6.4: the service, not the request, is the problem; the
            // detail (which names no host) says why, for the operator reading the IdP's log.
            RuleError::Store(StoreError::Superseded(d)) => ProvisionerError::Unavailable(d),
            RuleError::Store(e @ (StoreError::Other(_) | StoreError::Corrupt { .. })) => {
                ProvisionerError::internal(e)
            }
        }
    }
}

/// Bounds on list requests that may read every row of a type: filters without an index
/// equality (`eq` on `id`, `userName`/`displayName`, `externalId` or `emails.value`),
/// `sortBy` on another attribute than `userName`/`displayName`, searches across
/// resource types, unbounded pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanLimits {
    /// How many such requests may run at once; past it they are refused with 429 and
    /// `Retry-After`. Default [`ScanLimits::DEFAULT_CONCURRENT`].
    pub max_concurrent: usize,
    /// The most resources one request may hold in memory (every match's sort key, to sort
    /// them; or the requested page); past it, 400 `tooMany`. Default
    /// [`ScanLimits::DEFAULT_HELD`]. The bytes held are bounded too
    /// ([`OnePassword::with_max_held_bytes`]).
    pub max_held: usize,
}

impl ScanLimits {
    /// The default for [`ScanLimits::max_concurrent`].
    pub const DEFAULT_CONCURRENT: usize = 2;
    /// The default for [`ScanLimits::max_held`].
    pub const DEFAULT_HELD: usize = 5_000;
    /// How long a client refused for too many scans is told to wait.
    const RETRY_AFTER: Duration = Duration::from_secs(2);
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_concurrent: Self::DEFAULT_CONCURRENT,
            max_held: Self::DEFAULT_HELD,
        }
    }
}

/// The default for [`OnePassword::with_max_held_bytes`]: 64 MiB of JSON per full scan.
pub const DEFAULT_HELD_BYTES: usize = 64 << 20;

/// How many write requests may be at the store at once (one writing, the others waiting
/// for SQLite's single writer on a blocking thread each). Further writes wait for a slot
/// without holding a thread, so a slow write queues writers in memory, not threads, and
/// reads still find threads.
pub const MAX_QUEUED_WRITES: usize = 8;

/// How many write requests may wait for one of the [`MAX_QUEUED_WRITES`] slots at once.
/// One more is answered `429 Too Many Requests` at once, with `Retry-After`
/// [`WRITE_LINE_FULL_RETRY`] (RFC 6585 §4): a burst past this is refused in
/// microseconds instead of each request waiting [`WRITE_SLOT_WAIT`] in memory.
pub const MAX_WAITING_WRITES: usize = 64;

/// How long a write request waits for one of the [`MAX_QUEUED_WRITES`] slots before it is
/// answered `429 Too Many Requests` with `Retry-After` [`WRITE_SLOT_RETRY`] (the store's
/// busy timeout).
pub const WRITE_SLOT_WAIT: Duration = Duration::from_secs(10);

/// The `Retry-After` of a write that waited [`WRITE_SLOT_WAIT`] for a slot in vain: the
/// writes ahead of it have been stuck as long (another process holding the database's
/// write lock, a slow disk), so the client is asked to stay away as long as it waited.
pub const WRITE_SLOT_RETRY: Duration = WRITE_SLOT_WAIT;

/// The `Retry-After` of a write refused because [`MAX_WAITING_WRITES`] already wait: the
/// line drains at the store's pace, so that within about half a [`WRITE_SLOT_WAIT`] it
/// has room again or its writers have been answered.
pub const WRITE_LINE_FULL_RETRY: Duration = Duration::from_secs(5);

/// Told of every storage failure a request meets, as it is turned into an error for the
/// client (`scim-bridge` counts them by kind for `/metrics`).
pub type StoreErrorObserver = Arc<dyn Fn(&StoreError) + Send + Sync>;

/// How often a PATCH without If-Match reads, applies and tries to write again when
/// another writer changed the resource in between; then 429 with `Retry-After`.
const PATCH_ATTEMPTS: usize = 16;

/// Account policy: build it with `Policy::default()` and the `with_*` methods.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Policy {
    /// When not empty, `userName` must be an email in one of these domains.
    pub allowed_domains: Vec<String>,
    /// When set, suspensions and deletions past the limit are held (the deprovisioning
    /// guard).
    pub deprovisioning: Option<DeprovisionLimit>,
}

impl Policy {
    /// The same policy with `userName` limited to emails in `domains` (none: any).
    pub fn with_allowed_domains(mut self, domains: impl IntoIterator<Item = String>) -> Self {
        self.allowed_domains = domains.into_iter().collect();
        self
    }

    /// The same policy with the deprovisioning guard set to `guard` (`None`: off).
    pub fn with_deprovisioning(mut self, guard: Option<DeprovisionLimit>) -> Self {
        self.deprovisioning = guard;
        self
    }
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
    /// The bounds on full scans.
    scan_limits: ScanLimits,
    /// The most bytes of JSON one full scan may hold (see
    /// [`OnePassword::with_max_held_bytes`]).
    max_held_bytes: usize,
    /// One permit per full scan allowed to run.
    scans: Arc<tokio::sync::Semaphore>,
    /// One permit per write request at the store ([`MAX_QUEUED_WRITES`]).
    writes: Arc<tokio::sync::Semaphore>,
    /// One permit per write request at the store or waiting for a slot there
    /// ([`MAX_QUEUED_WRITES`] + [`MAX_WAITING_WRITES`]).
    write_line: Arc<tokio::sync::Semaphore>,
    /// Told of each storage failure a request meets, if anyone listens.
    store_errors: Option<StoreErrorObserver>,
    /// The writes of unfinished Bulk requests, committed together when each finishes.
    bulks: durability::Bulks,
    /// PATCHes of one resource take turns.
    turns: turns::Turns,
}

impl<S: Store> std::fmt::Debug for OnePassword<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnePassword")
            .field("policy", &self.policy)
            .field("scan_limits", &self.scan_limits)
            .field("max_held_bytes", &self.max_held_bytes)
            .finish()
    }
}

impl<S: Store> OnePassword<S> {
    /// A provisioner over `store`, creating the built-in groups if they are missing, with
    /// the default [`ScanLimits`].
    pub fn new(store: Arc<S>, policy: Policy) -> Result<Self, ProvisionerError> {
        store.write(rules::ensure_builtin_groups)?;
        Ok(OnePassword {
            store,
            policy: Arc::new(policy),
            registry: Arc::new(registry()),
            scan_limits: ScanLimits::default(),
            max_held_bytes: 0,
            scans: Arc::new(tokio::sync::Semaphore::new(0)),
            writes: Arc::new(tokio::sync::Semaphore::new(MAX_QUEUED_WRITES)),
            write_line: Arc::new(tokio::sync::Semaphore::new(
                MAX_QUEUED_WRITES + MAX_WAITING_WRITES,
            )),
            store_errors: None,
            bulks: durability::Bulks::default(),
            turns: turns::Turns::default(),
        }
        .with_scan_limits(ScanLimits::default())
        .with_max_held_bytes(DEFAULT_HELD_BYTES))
    }

    /// The same provisioner with other bounds on full scans (each at least 1).
    pub fn with_scan_limits(mut self, limits: ScanLimits) -> Self {
        self.scan_limits = ScanLimits {
            max_concurrent: limits
                .max_concurrent
                .clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            max_held: limits.max_held.max(1),
        };
        self.scans = Arc::new(tokio::sync::Semaphore::new(self.scan_limits.max_concurrent));
        self
    }

    /// The same provisioner with another bound (at least 1) on the bytes of JSON one full
    /// scan may hold: to sort, every match's sort key (the `sortBy` attribute and the id);
    /// otherwise, and once sorted, the requested page's resources. Past it, 400 `tooMany`
    /// asking to narrow the filter, drop `sortBy` or ask for a smaller page. Default
    /// [`DEFAULT_HELD_BYTES`].
    pub fn with_max_held_bytes(mut self, bytes: usize) -> Self {
        self.max_held_bytes = bytes.max(1);
        self
    }

    /// The same provisioner, telling `observer` of every storage failure a request meets
    /// (called where the failure becomes the client's error: 503, 500, or 400 for a
    /// value the store cannot hold; once per failed request).
    pub fn with_store_error_observer(mut self, observer: StoreErrorObserver) -> Self {
        self.store_errors = Some(observer);
        self
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
            .map_err(|e| {
                if let (RuleError::Store(e), Some(observe)) = (&e, &self.store_errors) {
                    observe(e);
                }
                ProvisionerError::from(e)
            })
    }

    /// Runs `f`, a write, on a blocking thread once one of the [`MAX_QUEUED_WRITES`] slots
    /// is free; waits for one asynchronously, at most [`WRITE_SLOT_WAIT`], then 429. When
    /// [`MAX_WAITING_WRITES`] already wait, 429 at once: a saturated bridge tells the
    /// client when to come back (RFC 6585 §4, RFC 9110 §10.2.3) rather than making it
    /// time out.
    async fn writing<T, F>(&self, f: F) -> Result<T, ProvisionerError>
    where
        T: Send + 'static,
        F: FnOnce(&S, &Policy, &SchemaRegistry) -> Result<T, RuleError> + Send + 'static,
    {
        let Ok(in_line) = self.write_line.clone().try_acquire_owned() else {
            tracing::warn!(
                waiting = MAX_WAITING_WRITES,
                "a write was refused: too many writes are waiting for the database"
            );
            return Err(ProvisionerError::Busy {
                detail: format!(
                    "{MAX_WAITING_WRITES} writes are already waiting for the database; retry later"
                ),
                retry_after: WRITE_LINE_FULL_RETRY,
            });
        };
        let permit = match tokio::time::timeout(
            WRITE_SLOT_WAIT,
            self.writes.clone().acquire_owned(),
        )
        .await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(closed)) => return Err(ProvisionerError::internal(closed)),
            Err(_) => {
                tracing::warn!(
                    waited = ?WRITE_SLOT_WAIT,
                    "a write waited too long behind other writes"
                );
                return Err(ProvisionerError::Busy {
                    detail: "too many writes are waiting for the database; retry later".into(),
                    retry_after: WRITE_SLOT_RETRY,
                });
            }
        };
        self.blocking(move |store, policy, registry| {
            // Held until the write ends, even if the client has gone.
            let _permits = (permit, in_line);
            f(store, policy, registry)
        })
        .await
    }
}

/// Whether `state` counts as a usable (not suspended) account.
pub fn is_enabled(state: AccountState) -> bool {
    state != AccountState::Suspended
}
