//! What `/health` reports: one entry per component (store, confirmation watcher, SCIM
//! server), each with a state and timestamps, plus the version. The status page (`/app`)
//! shows the same report, gathered by the same function ([`Health::gather`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::onepassword::audit::instant_text;
use crate::onepassword::{state_counts, DeprovisionLimit, RuleError};
use crate::store::{Selection, Store, Tx};

/// The last authenticated SCIM request: what the identity provider last did, never its
/// query or body (a filter names people).
#[derive(Clone, Debug)]
pub struct LastRequest {
    /// The method.
    pub method: String,
    /// The path, without the query (the caller cuts it as it does in the log).
    pub path: String,
    /// The response's status code.
    pub status: u16,
    /// When it was answered (RFC 3339).
    pub at: String,
}

/// The confirmation watcher's latest news.
#[derive(Clone, Debug, Default)]
pub struct WatcherReport {
    /// When it last ran.
    pub last_run_at: Option<String>,
    /// When it runs next.
    pub next_run_at: Option<String>,
    /// How many accounts the last run confirmed.
    pub last_confirmed: usize,
    /// How many it confirmed since start.
    pub total_confirmed: u64,
    /// The last run's error, if it failed.
    pub last_error: Option<String>,
    /// Whether another replica runs the watcher (this one stands by to take over).
    pub standby: bool,
}

/// What `/health` and `/metrics` read from the store, in one read transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Accounts by state.
    pub accounts: HashMap<&'static str, u64>,
    /// Groups, the built-in ones included.
    pub groups: u64,
    /// How many changes the deprovisioning guard holds, and when the oldest was held.
    pub held: (u64, Option<i64>),
}

impl Counts {
    /// Reads the counts in `tx`.
    pub fn read(tx: &mut dyn Tx) -> Result<Self, RuleError> {
        Ok(Counts {
            accounts: state_counts(tx)?,
            groups: tx.count("Group", &Selection::all())?,
            held: tx.held_summary()?,
        })
    }
}

/// Shared health state.
#[derive(Debug)]
pub struct Health {
    started_at: String,
    interval_seconds: u64,
    tls: bool,
    requests: AtomicU64,
    watcher: Mutex<WatcherReport>,
    last_scim: Mutex<Option<LastRequest>>,
    /// The deprovisioning guard's setting, if it is on.
    deprovisioning: Option<DeprovisionLimit>,
}

impl Health {
    /// Health for a bridge starting now.
    pub fn new(interval_seconds: u64, tls: bool) -> Self {
        Health {
            started_at: scim2_core::meta::now(),
            interval_seconds,
            tls,
            requests: AtomicU64::new(0),
            watcher: Mutex::new(WatcherReport::default()),
            last_scim: Mutex::new(None),
            deprovisioning: None,
        }
    }

    /// The same health, reporting the deprovisioning guard set to `guard`.
    pub fn with_deprovisioning(mut self, guard: Option<DeprovisionLimit>) -> Self {
        self.deprovisioning = guard;
        self
    }

    /// Records an authenticated SCIM request as the last one: its method, its path
    /// (the query is never kept) and its status.
    pub fn scim_request(&self, method: &str, path: &str, status: u16) {
        if let Ok(mut last) = self.last_scim.lock() {
            *last = Some(LastRequest {
                method: method.to_owned(),
                path: path.to_owned(),
                status,
                at: scim2_core::meta::now(),
            });
        }
    }

    /// The report of a bridge serving `store`: the store is checked and read
    /// ([`Counts::read`]) on the blocking pool, then [`Health::report`]. Both `/health`
    /// and the status page call this.
    pub async fn gather<S: Store>(&self, store: &Arc<S>) -> Value {
        let reader = store.clone();
        let read = tokio::task::spawn_blocking(move || {
            reader.check().map_err(|e| e.to_string())?;
            reader
                .read(Counts::read)
                .map_err(|e| e.to_string())
                .map(|c| (serde_json::to_value(c.accounts).unwrap_or_default(), c.held))
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let held = read.as_ref().ok().map(|(_, held)| *held);
        self.report(store.engine(), read.map(|(counts, _)| counts), held)
    }

    /// Counts a request.
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a watcher run.
    pub fn watcher_ran(&self, result: Result<usize, String>, next_run_at: String) {
        if let Ok(mut w) = self.watcher.lock() {
            w.last_run_at = Some(scim2_core::meta::now());
            w.next_run_at = Some(next_run_at);
            w.standby = false;
            match result {
                Ok(n) => {
                    w.last_confirmed = n;
                    w.total_confirmed += n as u64;
                    w.last_error = None;
                }
                Err(e) => w.last_error = Some(e),
            }
        }
    }

    /// Records that another replica runs the watcher; this one looks again at
    /// `next_run_at`.
    pub fn watcher_standing_by(&self, next_run_at: String) {
        if let Ok(mut w) = self.watcher.lock() {
            w.standby = true;
            w.next_run_at = Some(next_run_at);
            w.last_error = None;
        }
    }

    /// The `/health` body, given the store's engine (`sqlite`, `postgresql`), its
    /// account counts or why it cannot be read (a text that names no host), and what the
    /// deprovisioning guard holds (how many, since when), if that could be read.
    pub fn report(
        &self,
        engine: &str,
        store: Result<Value, String>,
        held: Option<(u64, Option<i64>)>,
    ) -> Value {
        let w = self.watcher.lock().map(|w| w.clone()).unwrap_or_default();
        let last = self.last_scim.lock().ok().and_then(|l| l.clone());
        let store_ok = store.is_ok();
        let watcher_state = match (&w.last_run_at, &w.last_error) {
            _ if w.standby => "standby",
            (None, _) => "starting",
            (Some(_), Some(_)) => "failing",
            (Some(_), None) => "running",
        };
        let healthy = store_ok && watcher_state != "failing";
        let mut store_entry = json!({
            "state": if store_ok { "up" } else { "down" },
            "engine": engine,
            "checkedAt": scim2_core::meta::now(),
        });
        match store {
            Ok(accounts) => store_entry["accounts"] = accounts,
            Err(e) => store_entry["detail"] = Value::from(e),
        }
        let mut report = json!({
            "status": if healthy { "healthy" } else { "degraded" },
            "version": env!("CARGO_PKG_VERSION"),
            "components": {
                "store": store_entry,
                "confirmationWatcher": {
                    "state": watcher_state,
                    "intervalSeconds": self.interval_seconds,
                    "lastRunAt": w.last_run_at,
                    "nextRunAt": w.next_run_at,
                    "lastConfirmed": w.last_confirmed,
                    "totalConfirmed": w.total_confirmed,
                    "lastError": w.last_error,
                },
                "scimServer": {
                    "state": "serving",
                    "startedAt": self.started_at,
                    "requests": self.requests.load(Ordering::Relaxed),
                    "tls": self.tls,
                    "lastRequest": last.map(|l| json!({
                        "method": l.method,
                        "path": l.path,
                        "status": l.status,
                        "at": l.at,
                    })),
                }
            }
        });
        if let Some(entry) = self.deprovisioning_entry(held) {
            report["components"]["deprovisioning"] = entry;
        }
        report
    }

    /// The deprovisioning guard's entry: shown when the guard is on, or when changes are
    /// held (the guard turned off since still leaves them for an operator). `state` is
    /// `watching`, or `holding` (something is held: an operator must release or discard
    /// it).
    fn deprovisioning_entry(&self, held: Option<(u64, Option<i64>)>) -> Option<Value> {
        let (count, oldest) = held.unwrap_or((0, None));
        if self.deprovisioning.is_none() && count == 0 {
            return None;
        }
        let state = if count > 0 { "holding" } else { "watching" };
        Some(json!({
            "state": state,
            "limit": self.deprovisioning.map(|g| g.limit),
            "windowSeconds": self.deprovisioning.map(|g| g.window.as_secs()),
            "held": held.map(|(n, _)| n),
            "oldestAt": oldest.map(instant_text),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_last_scim_request_is_reported() {
        let h = Health::new(60, false);
        assert!(
            h.report("sqlite", Ok(json!({})), None)["components"]["scimServer"]["lastRequest"]
                .is_null()
        );
        h.scim_request("GET", "/scim/v2/Users", 200);
        h.scim_request("POST", "/scim/v2/Users", 201);
        let r = h.report("sqlite", Ok(json!({})), None);
        let last = &r["components"]["scimServer"]["lastRequest"];
        assert_eq!(last["method"], "POST");
        assert_eq!(last["path"], "/scim/v2/Users");
        assert_eq!(last["status"], 201);
        assert!(
            last["at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{last}"
        );
    }

    #[test]
    fn the_guard_is_reported_when_on_or_holding() {
        let off = Health::new(60, false);
        assert!(
            off.report("sqlite", Ok(json!({})), Some((0, None)))["components"]
                .get("deprovisioning")
                .is_none()
        );
        let left = off.report("sqlite", Ok(json!({})), Some((2, Some(0))));
        // The guard turned off with changes still held: an operator must still act.
        assert_eq!(left["components"]["deprovisioning"]["state"], "holding");
        assert_eq!(left["components"]["deprovisioning"]["held"], 2);
        assert!(left["components"]["deprovisioning"]["limit"].is_null());
        let on = Health::new(60, false).with_deprovisioning(Some(DeprovisionLimit {
            limit: 10,
            window: Duration::from_secs(600),
        }));
        let watching = on.report("sqlite", Ok(json!({})), Some((0, None)));
        let d = &watching["components"]["deprovisioning"];
        assert_eq!(
            (
                d["state"].as_str(),
                d["limit"].as_u64(),
                d["windowSeconds"].as_u64()
            ),
            (Some("watching"), Some(10), Some(600))
        );
        let holding = on.report("sqlite", Ok(json!({})), Some((3, Some(1_000_000_000))));
        let d = &holding["components"]["deprovisioning"];
        assert_eq!(d["state"], "holding");
        assert_eq!(d["oldestAt"], "1970-01-01T00:00:01.000Z");
        assert_eq!(
            holding["status"], "healthy",
            "a hold is the guard working, not a fault"
        );
    }
}
