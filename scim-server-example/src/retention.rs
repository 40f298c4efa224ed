//! Audit-trail retention: the bridge deletes records older than
//! `--audit-retention-days` itself, at start and then hourly, in small transactions so
//! that requests never wait long behind it (docs/operations.md, "Audit trail").

use std::sync::Arc;
use std::time::Duration;

use crate::onepassword::audit::now_nanos;
use crate::store::{Store, StoreError};

/// How often old records are looked for.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Nanoseconds in a day.
const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;
/// The most records one transaction deletes.
const PRUNE_BATCH: u64 = 5_000;

/// Deletes every record older than `days` from `store`, a batch per transaction; how
/// many it deleted.
pub(crate) fn prune<S: Store>(store: &S, days: u32) -> Result<u64, StoreError> {
    // Saturating: a retention longer than the instants an i64 holds (about 106,000
    // days) keeps everything, never wraps round to delete everything.
    let before = now_nanos().saturating_sub(i64::from(days).saturating_mul(NANOS_PER_DAY));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onepassword::audit::{self, Action, Actor, Entry};
    use crate::store::sqlite::SqliteStore;

    /// Regression: a retention past what an i64 of nanoseconds holds wrapped round and
    /// deleted every record.
    #[test]
    fn a_huge_retention_keeps_everything() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = SqliteStore::open(&dir.path().join("bridge.db")).expect("a store");
        let entry = Entry::on(Action::UserInvited, "User", &serde_json::json!({"id": "u"}));
        store
            .write(|tx| audit::record(tx, &Actor::cli(), [entry]))
            .expect("recorded");
        for days in [u32::MAX, 106_752, 1] {
            assert_eq!(prune(&store, days).expect("pruned"), 0, "{days} days");
        }
        assert_eq!(
            prune(&store, 0).expect("pruned"),
            1,
            "0 days: older than now"
        );
    }
}
