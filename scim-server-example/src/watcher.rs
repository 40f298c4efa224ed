//! The confirmation watcher: a background task that, on a fixed interval, confirms every
//! person who accepted their invitation (pending → active). State lives in the store, so
//! a restart strands nobody, and the first run happens at start-up, needing no request.
//! Of several replicas on one database, only the one the store names leader
//! ([`Store::lead`]) runs it; the others stand by and ask again each interval, so one
//! takes over within an interval or two when the leader dies.

use std::sync::Arc;
use std::time::Duration;

use crate::health::Health;
use crate::metrics::Metrics;
use crate::onepassword::audit::Actor;
use crate::onepassword::{confirm_pending, OnePassword, RuleError, CONFIRM_BATCH};
use crate::store::Store;

/// How soon a failed run (the database unreachable) is tried again, at most the interval:
/// once the database is back, people are confirmed and `/health` is healthy again within
/// this, not a whole interval later.
const RETRY: Duration = Duration::from_secs(5);

/// Runs forever (until the task is aborted at shutdown): at start, then `interval` after
/// each run ends ([`RETRY`] after a failed one).
pub async fn run<S: Store>(
    provisioner: Arc<OnePassword<S>>,
    health: Arc<Health>,
    metrics: Arc<Metrics>,
    interval: Duration,
) {
    let retry = RETRY.min(interval);
    let mut delay = Duration::ZERO;
    loop {
        tokio::time::sleep(delay).await;
        delay = interval;
        let store = provisioner.store().clone();
        let leads = {
            let (store, metrics) = (store.clone(), metrics.clone());
            tokio::task::spawn_blocking(move || {
                store.lead().inspect_err(|e| metrics.store_error(e))
            })
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        };
        match leads {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("confirmation watcher: another replica runs it");
                health.watcher_standing_by(next_run_at(interval));
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "confirmation watcher cannot tell whether it leads; will retry");
                delay = retry;
                health.watcher_ran(Err(e), next_run_at(delay));
                continue;
            }
        }
        // One short transaction per batch: writes from clients interleave.
        let counted = metrics.clone();
        let result = tokio::task::spawn_blocking(move || {
            let run = || {
                let mut confirmed = Vec::new();
                loop {
                    let batch = store.write(|tx| confirm_pending(tx, &Actor::watcher()))?;
                    let done = (batch.len() as u64) < CONFIRM_BATCH;
                    confirmed.extend(batch);
                    // Between batches, whether this replica still leads (which also
                    // records its heartbeat, so a long run is not taken for a hung
                    // leader): one that lost the lead stops here.
                    if done || !store.lead()? {
                        return Ok::<_, RuleError>(confirmed);
                    }
                }
            };
            run().inspect_err(|e| {
                if let RuleError::Store(e) = e {
                    counted.store_error(e);
                }
            })
        })
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
        if result.is_err() {
            delay = retry;
        }
        let next = next_run_at(delay);
        match &result {
            Ok(ids) if !ids.is_empty() => tracing::info!(
                confirmed = ids.len(),
                "confirmation watcher confirmed accounts"
            ),
            Ok(_) => tracing::debug!("confirmation watcher: nobody pending"),
            Err(e) => tracing::error!(error = %e, "confirmation watcher failed; will retry"),
        }
        if let Ok(ids) = &result {
            metrics.watcher_ran(ids.len());
        }
        health.watcher_ran(result.map(|ids| ids.len()), next);
    }
}

/// When the watcher runs next (xsd:dateTime), `interval` from now.
fn next_run_at(interval: Duration) -> String {
    let next = time::OffsetDateTime::now_utc() + interval;
    next.replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
