//! What `/health` reports: one entry per component (store, confirmation watcher, SCIM
//! server), each with a state and timestamps, plus the version.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::{json, Value};

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

/// Shared health state.
#[derive(Debug)]
pub struct Health {
    started_at: String,
    interval_seconds: u64,
    tls: bool,
    requests: AtomicU64,
    watcher: Mutex<WatcherReport>,
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
        }
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

    /// The `/health` body, given the store's engine (`sqlite`, `postgresql`), and its
    /// account counts or why it cannot be read (a text that names no host).
    pub fn report(&self, engine: &str, store: Result<Value, String>) -> Value {
        let w = self.watcher.lock().map(|w| w.clone()).unwrap_or_default();
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
        json!({
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
                }
            }
        })
    }
}
