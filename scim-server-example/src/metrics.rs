//! What `GET /metrics` exposes, in the Prometheus text exposition format (version
//! 0.0.4), through the Prometheus project's `prometheus-client` crate: requests by
//! method, resource and status, their durations, accounts by state, groups, the
//! confirmation watcher, authentication failures, storage failures, held deprovisioning
//! and the build. Every metric is listed, with its type and labels, in
//! docs/operations.md ("Metrics").
//!
//! Labels take values from fixed sets only ([`resource_of`], [`method_of`], HTTP status
//! codes, the four account states, the storage-failure kinds): never an id, a userName,
//! an email or a raw path, so a scrape stays the same size however many people are
//! provisioned or whatever paths a client sends.
//!
//! One [`Metrics`] is made at start and shared (an `Arc`) by whoever records: the HTTP
//! server (requests, authentication failures, the scrape), the provisioner (storage
//! failures, through the observer [`Metrics::store_error_observer`] it is handed), and
//! the confirmation watcher. There is no process-wide registry: a test or an embedder
//! can run two bridges in one process without their numbers mixing.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::onepassword::StoreErrorObserver;
use crate::store::{AccountState, StoreError};

/// The `Content-Type` of a scrape: the Prometheus text format, version 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The upper bounds of the request-duration histogram's buckets, in seconds: from a
/// cached `/ping` (well under 5 ms) to a write that waited its whole turn for the store
/// (`WRITE_SLOT_WAIT`, 10 s) and a PostgreSQL statement cut off at its timeout (30 s).
const DURATION_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The labels of `scim_bridge_requests_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    resource: &'static str,
    status: u16,
}

/// The labels of `scim_bridge_request_duration_seconds`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    resource: &'static str,
}

/// The label of `scim_bridge_accounts`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

/// The label of `scim_bridge_store_errors_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// The label of `scim_bridge_build_info`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// The bridge's metrics, recorded as things happen and encoded at each scrape.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram>,
    accounts: Family<StateLabels, Gauge>,
    groups: Gauge,
    confirmations: Counter,
    watcher_last_run: Gauge<f64, AtomicU64>,
    auth_failures: Counter,
    store_errors: Family<KindLabels, Counter>,
    deprovisioning_held: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics(..)")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric registered, counters at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("scim_bridge");
        let requests = Family::<RequestLabels, Counter>::default();
        // Registered without `_total`: the encoder appends it to counters.
        registry.register(
            "requests",
            "HTTP requests answered, by method, resource (a fixed set, never an id) and status",
            requests.clone(),
        );
        let durations = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(DURATION_BUCKETS)) as fn() -> Histogram,
        );
        registry.register(
            "request_duration_seconds",
            "Time from a request's head to its answer, by method and resource",
            durations.clone(),
        );
        let accounts = Family::<StateLabels, Gauge>::default();
        registry.register(
            "accounts",
            "Accounts by state (invited, pending, active, suspended), read from the store at scrape time",
            accounts.clone(),
        );
        let groups = Gauge::default();
        registry.register(
            "groups",
            "Groups, the five built-in ones included, read from the store at scrape time",
            groups.clone(),
        );
        let confirmations = Counter::default();
        registry.register(
            "confirmations",
            "Accounts the confirmation watcher of this process confirmed (pending to active)",
            confirmations.clone(),
        );
        let watcher_last_run = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "confirmation_watcher_last_run_timestamp_seconds",
            "Unix time of this process's last successful confirmation watcher run (0 until one; a replica standing by stays at 0)",
            watcher_last_run.clone(),
        );
        let auth_failures = Counter::default();
        registry.register(
            "auth_failures",
            "Requests refused 401 or 403 by the token check (SCIM, /health, /metrics)",
            auth_failures.clone(),
        );
        let store_errors = Family::<KindLabels, Counter>::default();
        registry.register(
            "store_errors",
            "Storage failures met by requests, the watcher and scrapes, by kind (unavailable, busy, corrupt, unrepresentable, superseded, other)",
            store_errors.clone(),
        );
        let deprovisioning_held = Gauge::default();
        registry.register(
            "deprovisioning_held",
            "Suspensions and deletions held by the deprovisioning guard, awaiting an operator",
            deprovisioning_held.clone(),
        );
        let build = Family::<BuildLabels, Gauge>::default();
        build
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register(
            "build_info",
            "Always 1; its label is the bridge's version",
            build,
        );
        Metrics {
            registry,
            requests,
            durations,
            accounts,
            groups,
            confirmations,
            watcher_last_run,
            auth_failures,
            store_errors,
            deprovisioning_held,
        }
    }

    /// Records an answered request: `path` and `method` are reduced to their bounded
    /// labels here, so no caller can put an id in a label.
    pub fn request(&self, method: &http::Method, path: &str, status: u16, seconds: f64) {
        let (method, resource) = (method_of(method), resource_of(path));
        self.requests
            .get_or_create(&RequestLabels {
                method,
                resource,
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { method, resource })
            .observe(seconds);
    }

    /// Records a request refused by the token check (401 or 403).
    pub fn auth_failure(&self) {
        self.auth_failures.inc();
    }

    /// Records a storage failure (a uniqueness conflict is the client's, not counted).
    pub fn store_error(&self, e: &StoreError) {
        if let Some(kind) = store_error_kind(e) {
            self.store_errors.get_or_create(&KindLabels { kind }).inc();
        }
    }

    /// The observer the provisioner calls with each storage failure it turns into an
    /// error for the client.
    pub fn store_error_observer(self: &Arc<Self>) -> StoreErrorObserver {
        let me = self.clone();
        Arc::new(move |e: &StoreError| me.store_error(e))
    }

    /// Records a successful confirmation watcher run that confirmed `confirmed`
    /// accounts, now.
    pub fn watcher_ran(&self, confirmed: usize) {
        self.confirmations.inc_by(confirmed as u64);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        self.watcher_last_run.set(now);
    }

    /// Sets the account counts by state and the group count, as read from the store.
    pub fn set_store_counts(&self, accounts: &HashMap<&'static str, u64>, groups: u64) {
        for state in AccountState::ALL {
            let n = accounts.get(state.as_str()).copied().unwrap_or(0);
            self.accounts
                .get_or_create(&StateLabels {
                    state: state.as_str(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        self.groups.set(i64::try_from(groups).unwrap_or(i64::MAX));
    }

    /// Sets how many suspensions and deletions the deprovisioning guard holds (read from
    /// the store at each scrape: every replica sees what any of them held).
    pub fn set_deprovisioning_held(&self, held: u64) {
        self.deprovisioning_held
            .set(i64::try_from(held).unwrap_or(i64::MAX));
    }

    /// The scrape: every metric in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }
}

/// The `kind` label of a storage failure; `None` for a duplicate key, which is the
/// client's conflict (409), not a failure of the store.
fn store_error_kind(e: &StoreError) -> Option<&'static str> {
    Some(match e {
        StoreError::Duplicate(_) => return None,
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Busy(_) => "busy",
        StoreError::Corrupt { .. } => "corrupt",
        StoreError::Unrepresentable(_) => "unrepresentable",
        StoreError::Superseded(_) => "superseded",
        StoreError::Other(_) => "other",
    })
}

/// The `method` label: the methods SCIM and the probes use, else `other` (a client may
/// send any token as a method).
pub fn method_of(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The SCIM endpoints (RFC 7644 §3.2), as the `resource` label spells them.
const SCIM_RESOURCES: [&str; 8] = [
    "Users",
    "Groups",
    "Bulk",
    "Schemas",
    "ServiceProviderConfig",
    "ResourceTypes",
    "Me",
    ".search",
];

/// The `resource` label of a request path: the SCIM endpoint under `/scim/v2` or
/// `/scim` (its first segment, so `/Users/{id}` and `/Users/.search` are `Users`; a
/// search at the root is `.search`), one of the bridge's own paths, or `other`.
pub fn resource_of(path: &str) -> &'static str {
    match path {
        "/health" => return "health",
        "/metrics" => return "metrics",
        "/audit" => return "audit",
        "/readyz" => return "readyz",
        "/livez" => return "livez",
        "/ping" => return "ping",
        "/" | "/app" => return "app",
        _ if path.starts_with("/app/") => return "app",
        _ => {}
    }
    let rest = path
        .strip_prefix("/scim/v2/")
        .or_else(|| path.strip_prefix("/scim/"));
    let Some(rest) = rest else {
        return "other";
    };
    let first = rest.split('/').next().unwrap_or("");
    SCIM_RESOURCES
        .iter()
        .find(|r| r.eq_ignore_ascii_case(first))
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_a_bounded_set_of_resources() {
        for (path, resource) in [
            ("/scim/v2/Users", "Users"),
            (
                "/scim/v2/Users/2819c223-7f76-453a-919d-413861904646",
                "Users",
            ),
            ("/scim/v2/users/.search", "Users"),
            ("/scim/Groups/g1", "Groups"),
            ("/scim/v2/Bulk", "Bulk"),
            (
                "/scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
                "Schemas",
            ),
            ("/scim/v2/ServiceProviderConfig", "ServiceProviderConfig"),
            ("/scim/v2/ResourceTypes/User", "ResourceTypes"),
            ("/scim/v2/Me", "Me"),
            ("/scim/v2/.search", ".search"),
            ("/health", "health"),
            ("/metrics", "metrics"),
            ("/audit", "audit"),
            ("/readyz", "readyz"),
            ("/livez", "livez"),
            ("/ping", "ping"),
            ("/app", "app"),
            ("/app/sign-in", "app"),
            ("/", "app"),
            ("/scim/v2/alice@example.com", "other"),
            ("/alice@example.com", "other"),
            ("/scim/v2", "other"),
            ("/scim/v2/", "other"),
            ("/healthz", "other"),
        ] {
            assert_eq!(resource_of(path), resource, "{path}");
        }
    }

    #[test]
    fn unknown_methods_are_other() {
        assert_eq!(method_of(&http::Method::PATCH), "PATCH");
        let odd = http::Method::from_bytes(b"ALICE-EXAMPLE-COM").unwrap();
        assert_eq!(method_of(&odd), "other");
    }

    #[test]
    fn a_scrape_names_every_metric_and_no_raw_path() {
        let m = Arc::new(Metrics::new());
        let id_path = "/scim/v2/Users/alice@example.com";
        m.request(&http::Method::GET, id_path, 404, 0.002);
        m.request(&http::Method::POST, "/scim/v2/Users", 201, 0.02);
        m.request(&http::Method::POST, "/scim/v2/Users", 201, 0.03);
        m.auth_failure();
        m.store_error(&StoreError::Busy("locked".into()));
        m.store_error(&StoreError::Duplicate("userName".into()));
        (m.store_error_observer())(&StoreError::Unavailable("disk full".into()));
        m.watcher_ran(3);
        let counts = HashMap::from([("active", 2), ("invited", 1)]);
        m.set_store_counts(&counts, 5);
        m.set_deprovisioning_held(4);
        let text = m.encode();
        for line in [
            r#"scim_bridge_requests_total{method="GET",resource="Users",status="404"} 1"#,
            r#"scim_bridge_requests_total{method="POST",resource="Users",status="201"} 2"#,
            r#"scim_bridge_request_duration_seconds_count{method="POST",resource="Users"} 2"#,
            r#"scim_bridge_request_duration_seconds_bucket{method="POST",resource="Users",le="0.025"} 1"#,
            r#"scim_bridge_accounts{state="active"} 2"#,
            r#"scim_bridge_accounts{state="invited"} 1"#,
            r#"scim_bridge_accounts{state="pending"} 0"#,
            r#"scim_bridge_accounts{state="suspended"} 0"#,
            "scim_bridge_groups 5",
            "scim_bridge_confirmations_total 3",
            "scim_bridge_auth_failures_total 1",
            r#"scim_bridge_store_errors_total{kind="busy"} 1"#,
            r#"scim_bridge_store_errors_total{kind="unavailable"} 1"#,
            "scim_bridge_deprovisioning_held 4",
            &format!(
                r#"scim_bridge_build_info{{version="{}"}} 1"#,
                env!("CARGO_PKG_VERSION")
            ),
            "# TYPE scim_bridge_requests_total counter",
            "# TYPE scim_bridge_request_duration_seconds histogram",
            "# TYPE scim_bridge_confirmation_watcher_last_run_timestamp_seconds gauge",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        assert!(!text.contains("alice"), "{text}");
        assert!(!text.contains("duplicate"), "{text}");
        let last_run = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("scim_bridge_confirmation_watcher_last_run_timestamp_seconds ")
            })
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap();
        assert!(last_run > 1.7e9, "{last_run}");
    }

    #[test]
    fn every_store_error_kind_is_one_of_the_documented_six() {
        let kinds: Vec<_> = [
            StoreError::Unavailable(String::new()),
            StoreError::Busy(String::new()),
            StoreError::Corrupt {
                resource_type: "User".into(),
                id: "x".into(),
                detail: String::new(),
            },
            StoreError::Unrepresentable(String::new()),
            StoreError::Superseded(String::new()),
            StoreError::Other(String::new()),
        ]
        .iter()
        .map(|e| store_error_kind(e).unwrap())
        .collect();
        assert_eq!(
            kinds,
            [
                "unavailable",
                "busy",
                "corrupt",
                "unrepresentable",
                "superseded",
                "other"
            ]
        );
    }
}
