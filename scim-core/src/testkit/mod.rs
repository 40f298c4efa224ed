//! A test kit for any [`Provisioner`] (feature `testkit`): the recorded identity-provider
//! sessions and the checks of a store's duties (uniqueness, `If-Match`/412, membership,
//! concurrency), run in process against your own store, so that a store that misses one
//! fails your CI rather than Entra ID's or Okta's next sync.
//!
//! ```
//! use std::sync::Arc;
//! use scim2_core::provisioner::{InMemoryProvisioner, Provisioner};
//! use scim2_core::testkit::check_provisioner;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // In your tests: `#[tokio::test] async fn my_store_passes_the_kit()`.
//! let report = check_provisioner(|| Arc::new(InMemoryProvisioner::new()) as Arc<dyn Provisioner>)
//!     .await
//!     .unwrap(); // a `Failure` names the check, the step and what differed
//! assert!(report.requests() > 0);
//! # });
//! ```
//!
//! The kit calls [`ScimService::handle`] in process: it opens no socket and starts no
//! runtime, so the caller's runtime (`#[tokio::test]`, or any executor) runs it. Each
//! check gets a fresh, empty store from the factory. [`TestKit`] picks the checks, the
//! service configuration and the schemas; [`replay()`] and [`SESSIONS`] replay the
//! sessions against any other [`Endpoint`], e.g. a server over HTTP.

mod checks;
mod replay;
mod sessions;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::patch::Compat;
use crate::provisioner::Provisioner;
use crate::schema::SchemaRegistry;
use crate::service::{Authenticator, ScimService, ServiceConfig};

pub use replay::{
    check_error_shape, replay, Answer, Endpoint, Exchange, SendError, ServiceEndpoint,
};
pub use sessions::{Session, SESSIONS};

/// Which rules a store follows, for the steps of a recorded session marked `only`.
///
/// `#[non_exhaustive]`: a target may be added in a minor release.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// A store with no rules beyond the [`Provisioner`] duties (the in-memory store, and
    /// yours): steps marked `"only": "library"` run, `"only": "bridge"` are skipped.
    #[default]
    Library,
    /// The example 1Password bridge's store (built-in groups everyone is in, account
    /// states, a bearer token): steps marked `"only": "bridge"` run, `"only": "library"`
    /// are skipped.
    Bridge,
}

impl Target {
    /// The name fixtures use in `only`: `library` or `bridge`.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Library => "library",
            Target::Bridge => "bridge",
        }
    }

    /// The target a fixture's `only` names, if it is one.
    pub fn parse(name: &str) -> Option<Target> {
        match name {
            "library" => Some(Target::Library),
            "bridge" => Some(Target::Bridge),
            _ => None,
        }
    }
}

/// A check that failed: which check, at which step, and what differed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// The check, e.g. `uniqueness` or `session entra.json (compat entra)`.
    pub check: String,
    /// The step of the check, as named in the session or the check.
    pub step: String,
    /// What differed: the request, the answer and what was wanted.
    pub detail: String,
}

impl Failure {
    /// A failure of `check` at `step`.
    pub fn new(
        check: impl Into<String>,
        step: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Failure {
            check: check.into(),
            step: step.into(),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "check `{}` failed", self.check)?;
        if !self.step.is_empty() {
            write!(f, " at step `{}`", self.step)?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl std::error::Error for Failure {}

/// A check that passed, and how many requests it sent.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Passed {
    /// The check's name, as a [`Failure`] would give it.
    pub check: String,
    /// How many requests it sent to the service.
    pub requests: usize,
}

/// The checks that passed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Report {
    /// Each check that passed, in the order run.
    pub passed: Vec<Passed>,
}

impl Report {
    /// How many requests the checks sent in all.
    pub fn requests(&self) -> usize {
        self.passed.iter().map(|p| p.requests).sum()
    }

    /// Adds the checks of `other`.
    fn extend(&mut self, other: Report) {
        self.passed.extend(other.passed);
    }

    /// A report of the one check `check`.
    fn one(check: impl Into<String>, requests: usize) -> Report {
        Report {
            passed: vec![Passed {
                check: check.into(),
                requests,
            }],
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.passed {
            writeln!(f, "passed: {} ({} requests)", p.check, p.requests)?;
        }
        Ok(())
    }
}

/// Runs every check of the kit ([`TestKit::run`]) on stores from `factory`, with the
/// default configuration and the standard schemas.
pub async fn check_provisioner<F>(factory: F) -> Result<Report, Failure>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    TestKit::new(factory).run().await
}

/// The test kit: checks of a store's duties, each on a fresh store from the factory,
/// through a [`ScimService`] in process.
///
/// The service is built with the configuration given ([`TestKit::with_config`]), except
/// what the checks' requests assume: base path `/scim/v2`, served at root too, handed
/// whole paths (no mount path), no `Host` required, no public URL, group PATCHes
/// answered 204 (as Entra ID's documented exchange records), and, for each session, the
/// compatibility toggles it is replayed under. So the configuration your application
/// mounts its service with can be passed as it is.
///
/// ```
/// use std::sync::Arc;
/// use scim2_core::provisioner::Provisioner;
/// use scim2_core::service::ServiceConfig;
/// use scim2_core::testkit::TestKit;
/// # use scim2_core::provisioner::InMemoryProvisioner as MyStore;
/// # fn my_registry() -> scim2_core::schema::SchemaRegistry {
/// #     scim2_core::schema::SchemaRegistry::standard()
/// # }
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// // In your tests: `#[tokio::test] async fn my_store_passes_the_scim_test_kit()`.
/// // A fresh, empty store for each check.
/// let kit = TestKit::new(|| Arc::new(MyStore::new()) as Arc<dyn Provisioner>)
///     .with_config(ServiceConfig::default()) // your limits and toggles
///     .with_registry(my_registry()); // your schemas, if you extend them
/// let report = kit.run().await.unwrap(); // or `?`: a `Failure` is an Error
/// println!("{report}");
/// # });
/// ```
pub struct TestKit<F> {
    factory: F,
    config: ServiceConfig,
    registry: SchemaRegistry,
    target: Target,
    auth: Option<(Arc<dyn Authenticator>, String)>,
    concurrency: usize,
}

impl<F> fmt::Debug for TestKit<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKit")
            .field("config", &self.config)
            .field("target", &self.target)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl<F> TestKit<F>
where
    F: Fn() -> Arc<dyn Provisioner>,
{
    /// A kit over stores from `factory`, which must give a fresh, empty store each call,
    /// with the default configuration, the standard schemas and [`Target::Library`].
    pub fn new(factory: F) -> Self {
        TestKit {
            factory,
            config: ServiceConfig::default(),
            registry: SchemaRegistry::standard(),
            target: Target::Library,
            auth: None,
            concurrency: 16,
        }
    }

    /// Returns this kit building its services with `config` (its `compat` is the one the
    /// sessions are replayed under besides each client's own profile; where the service
    /// answers is the kit's own, see [`TestKit`]).
    #[must_use]
    pub fn with_config(mut self, config: ServiceConfig) -> Self {
        self.config = config;
        self
    }

    /// Returns this kit building its services with `registry`.
    #[must_use]
    pub fn with_registry(mut self, registry: SchemaRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// Returns this kit choosing the session steps marked `only` for `target`.
    #[must_use]
    pub fn with_target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Returns this kit authenticating requests with `auth`, sending
    /// `Authorization: <authorization>` with every request that sets none (steps that
    /// check a wrong credential set their own).
    #[must_use]
    pub fn with_authenticator(
        mut self,
        auth: Arc<dyn Authenticator>,
        authorization: impl Into<String>,
    ) -> Self {
        self.auth = Some((auth, authorization.into()));
        self
    }

    /// Returns this kit sending `n` (at least 2) requests at once in the concurrency
    /// check. Default 16.
    #[must_use]
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(2);
        self
    }

    /// Runs every check: [`sessions`](TestKit::sessions),
    /// [`uniqueness`](TestKit::uniqueness), [`preconditions`](TestKit::preconditions),
    /// [`membership`](TestKit::membership), [`concurrency`](TestKit::concurrency) and
    /// [`paging`](TestKit::paging). Stops at the first failure.
    pub async fn run(&self) -> Result<Report, Failure> {
        let mut report = self.sessions().await?;
        report.extend(self.uniqueness().await?);
        report.extend(self.preconditions().await?);
        report.extend(self.membership().await?);
        report.extend(self.concurrency().await?);
        report.extend(self.paging().await?);
        Ok(report)
    }

    /// Replays every recorded session ([`SESSIONS`]) under the configuration's
    /// compatibility toggles, then under the client's own profile, each on a fresh store.
    ///
    /// A configuration narrower than a client's profile (`Compat::strict()`, or one
    /// client's profile) fails the sessions of the clients it does not accept: replay the
    /// ones you serve with [`session`](TestKit::session) instead, e.g. those of
    /// [`SESSIONS`] whose `profile` is `"okta"`.
    pub async fn sessions(&self) -> Result<Report, Failure> {
        let mut report = Report::default();
        for session in SESSIONS {
            report.extend(self.session(session).await?);
        }
        Ok(report)
    }

    /// Replays one recorded session as [`sessions`](TestKit::sessions) does.
    pub async fn session(&self, session: &Session) -> Result<Report, Failure> {
        let fixture = session.parse()?;
        let own = Compat::profile(session.profile).ok_or_else(|| {
            Failure::new(
                session.name,
                "",
                format!("unknown profile {}", session.profile),
            )
        })?;
        let mut report = Report::default();
        for (label, compat) in [("configured", self.config.compat), (session.profile, own)] {
            let check = format!("session {} (compat {label})", session.name);
            let service = self.service(compat);
            let mut endpoint = ServiceEndpoint::new(&service).with_target(self.target);
            if let Some((_, authorization)) = &self.auth {
                endpoint = endpoint.with_authorization(authorization.clone());
            }
            let sent = Box::pin(replay(&mut endpoint, &check, &fixture)).await?;
            if sent == 0 {
                return Err(Failure::new(check, "", "no step applies to this target"));
            }
            report.extend(Report::one(check, sent));
        }
        Ok(report)
    }

    /// A service over a fresh store, with `compat`.
    fn service(&self, compat: Compat) -> ScimService {
        self.service_over((self.factory)(), compat)
    }

    /// A service over `store`, with `compat`.
    fn service_over(&self, store: Arc<dyn Provisioner>, compat: Compat) -> ScimService {
        let mut config = self.config.clone().with_compat(compat);
        config.base_paths = vec!["/scim/v2".to_owned()];
        // The sessions send whole paths, some at root (a tenant URL without /scim/v2).
        config.mount_path = None;
        config.serve_root = true;
        config.public_url = None;
        config.require_host = false;
        config.patch_no_content = vec!["Group".to_owned()];
        let mut service = ScimService::new(store)
            .with_registry(self.registry.clone())
            .with_config(config);
        if let Some((auth, _)) = &self.auth {
            service = service.with_authenticator(auth.clone());
        }
        service
    }

    /// A client of a service over a fresh store, for the check `check`; it may also call
    /// the store directly, as the service would.
    fn client(&self, check: &'static str) -> checks::Client {
        let authorization = self.auth.as_ref().map(|(_, a)| a.clone());
        let store = (self.factory)();
        let service = self.service_over(store.clone(), self.config.compat);
        let auth = self.auth.as_ref().map(|(a, _)| a.clone());
        checks::Client::new(service, check, authorization).with_store(store, auth)
    }
}

/// Awaits every future of `futures` together (polling each in turn, in the caller's
/// task) and returns their outputs in order.
async fn join_all<T>(futures: Vec<Pin<Box<dyn Future<Output = T> + '_>>>) -> Vec<T> {
    let mut pending: Vec<Option<Pin<Box<dyn Future<Output = T> + '_>>>> =
        futures.into_iter().map(Some).collect();
    let mut done: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx: &mut Context<'_>| {
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(fut) = slot {
                if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                    *out = Some(v);
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    done.into_iter().flatten().collect()
}
