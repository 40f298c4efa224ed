//! Audit-trail retention: the bridge deletes records older than
//! `--audit-retention-days` itself, at start and then hourly, in small transactions so
//! that requests never wait long behind it (docs/operations.md, "Audit trail").

use std::sync::Arc;
use std::time::Duration;

use crate::onepassword::audit::now_nanos;
use crate::store::{Store, StoreError};

/// How often old records are looked for.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// The most records one transaction deletes.
const PRUNE_BATCH: u64 = 5_000;

/// Deletes every record older than `days` from `store`, a batch per transaction; how
/// many it deleted.
pub(crate) fn prune<S: Store>(store: &S, days: u32) -> Result<u64, StoreError> {
    let before = now_nanos().saturating_sub(i64::from(days) * 86_400 * 1_000_000_000);
    let mut total = 0;
    loop {
        let n = store.write(|tx| tx.prune_audit(before, PRUNE_BATCH))?;
        total += n;
        if n < PRUNE_BATCH {
            return Ok(total);
        }
    }
}

/// Prunes now and every [`PRUNE_EVERY`], until the task is dropped; `days` 0 keeps
/// every record.
pub(crate) async fn run<S: Store>(store: Arc<S>, days: u32) {
    if days == 0 {
        return;
    }
    let mut ticker = tokio::time::interval(PRUNE_EVERY);
    loop {
        ticker.tick().await;
        let store = store.clone();
        match tokio::task::spawn_blocking(move || prune(&*store, days)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(deleted = n, days, "old audit records deleted"),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "old audit records could not be deleted; trying again in an hour")
            }
            Err(e) => tracing::warn!(error = %e, "the audit retention task failed"),
        }
    }
}
