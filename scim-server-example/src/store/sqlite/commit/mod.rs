//! Group commit on SQLite's one writer connection: the write path of
//! [`super::SqliteStore`].
//!
//! Write transactions that arrive while another is running or committing queue for the
//! connection. Each then runs in a savepoint of one open SQLite transaction (the
//! *batch*), and the last one in the queue commits it: one `COMMIT`, one fsync of the WAL
//! under `synchronous=FULL`, makes the whole batch durable. No caller returns before the
//! commit that holds its transaction is durable; when that commit fails, every write of
//! the batch fails. A transaction that fails rolls back to its own savepoint and leaves
//! the rest of the batch as it was, so each request keeps its own all-or-nothing result.
//! Every answer waits for the batch it ran in, when that batch holds writes: even a
//! write that changed nothing (a duplicate found, a member already there) may rest on
//! writes of the batch not yet durable.
//!
//! The operations of a Bulk request (RFC 7644 §3.7) may defer instead
//! ([`Writer::write`] with `defer`): their writes join the batch and return at once, and
//! [`Writer::make_durable`] commits before the Bulk response is sent, so a Bulk request
//! of 1,000 creates is one commit. A deferring write commits the batch when another
//! write waits for it, so no request waits for a whole Bulk request that runs beside
//! it. A batch that deferred writes left open (the client
//! went before its Bulk request finished) is committed by [`Writer::flush_idle`] once
//! nothing has joined it for [`IDLE_COMMIT`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::classify;
use super::tx::SqliteTx;
use crate::store::{Owed, StoreError, Tx};

/// The most writes one batch holds before it is committed whoever waits.
const MAX_BATCH: usize = 1_000;

/// How long a batch holding deferred writes stays open with nothing joining it before
/// [`Writer::flush_idle`] commits it.
pub(super) const IDLE_COMMIT: Duration = Duration::from_millis(50);

/// How many failed commits are remembered, for the callers still to learn of theirs.
const FAILURES_KEPT: usize = 64;

/// The writer connection and the batches committed on it.
pub(super) struct Writer {
    /// The connection and the batch open on it.
    state: Mutex<State>,
    /// How many callers wait for `state`: the holder commits when none does.
    queued: AtomicUsize,
    /// Which batches are settled (committed or failed).
    settled: Mutex<Settled>,
    /// Signalled each time a batch settles.
    settled_changed: Condvar,
    /// How many batches have been committed (each one fsync).
    commits: AtomicU64,
}

/// What the holder of the writer lock works on.
pub(super) struct State {
    /// The one writer connection.
    pub(super) conn: Connection,
    /// The transaction open on it, if any.
    batch: Option<Batch>,
    /// The number the next batch gets (from 1).
    next: u64,
}

/// An open SQLite transaction holding the writes of one or more requests.
struct Batch {
    /// Its number: batches open and settle in this order.
    epoch: u64,
    /// How many writes it holds.
    writes: usize,
    /// When the last write joined it.
    touched: Instant,
    /// How many callers wait for it to be committed.
    waiters: usize,
}

/// The batches that are settled.
struct Settled {
    /// Every batch numbered up to this one is committed or has failed.
    upto: u64,
    /// The most recent batches that failed to commit, with why.
    failed: VecDeque<(u64, String)>,
    /// The last of the failed batches no longer in `failed`: a range reaching back to it
    /// may hold a failure forgotten, and counts as failed.
    forgotten: u64,
}

impl Settled {
    /// Why a batch numbered in `first..=last` failed, if one did (or may have).
    fn failure(&self, first: u64, last: u64) -> Option<&str> {
        if first <= self.forgotten {
            return Some("an earlier commit failed");
        }
        self.failed
            .iter()
            .find(|(epoch, _)| (first..=last).contains(epoch))
            .map(|(_, why)| why.as_str())
    }
}

impl Writer {
    /// The writer over `conn`, with no batch open.
    pub(super) fn new(conn: Connection) -> Self {
        Writer {
            state: Mutex::new(State {
                conn,
                batch: None,
                next: 1,
            }),
            queued: AtomicUsize::new(0),
            settled: Mutex::new(Settled {
                upto: 0,
                failed: VecDeque::new(),
                forgotten: 0,
            }),
            settled_changed: Condvar::new(),
            commits: AtomicU64::new(0),
        }
    }

    /// How many batches have been committed so far.
    #[cfg(test)]
    pub(super) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Takes the writer lock, counted as queued while waiting for it.
    fn lock(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let state = self.state.lock();
        self.queued.fetch_sub(1, Ordering::SeqCst);
        state.map_err(|_| StoreError::Other("store lock poisoned".into()))
    }

    /// The connection alone, for work outside the batches (migrations, statistics): an
    /// open batch is committed first.
    pub(super) fn exclusive(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        let mut state = self.lock()?;
        self.commit(&mut state)?;
        Ok(state)
    }

    /// Runs `f` as one write transaction in the current batch (opening one if none is
    /// open) and returns its result with the batch's number. Without `defer`, returns
    /// once the batch is durable; with it, at once: the caller then owes
    /// [`Writer::make_durable`] before it reports the write as done.
    pub(super) fn write<T, E: From<StoreError>>(
        &self,
        defer: bool,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<(T, u64), E> {
        let mut state = self.lock()?;
        let epoch = self.open(&mut state)?;
        let before = state.conn.total_changes();
        let out = in_savepoint(&state.conn, f);
        let wrote = out.is_ok() && state.conn.total_changes() != before;
        if state.conn.is_autocommit() {
            // SQLite rolled the whole transaction back (it does on some I/O errors and a
            // full disk): every write of the batch is lost.
            state.batch = None;
            let why = "the database rolled back a transaction after an error".to_owned();
            self.settle(epoch, Some(why.clone()));
            out?;
            return Err(StoreError::Unavailable(why).into());
        }
        let Some(batch) = state.batch.as_mut() else {
            return Err(StoreError::Other("the write batch closed under its writer".into()).into());
        };
        if wrote {
            batch.writes += 1;
            batch.touched = Instant::now();
        }
        // Whatever this write found (a conflict, a duplicate, nothing to change) may rest
        // on writes of the batch not yet durable: its answer waits for them too.
        let rests_on_batch = batch.writes > 0;
        let last = self.queued.load(Ordering::SeqCst) == 0;
        // The last in the queue commits; a deferring write as soon as someone waits for
        // the batch (else that one would wait for whole Bulk requests beside it).
        let commit = if defer { batch.waiters > 0 } else { last };
        if commit || batch.writes >= MAX_BATCH {
            let committed = self.commit(&mut state);
            drop(state);
            if rests_on_batch {
                committed?;
            }
            return out.map(|value| (value, epoch));
        }
        if defer || !rests_on_batch {
            return out.map(|value| (value, epoch));
        }
        // Someone queued behind this write commits the batch.
        batch.waiters += 1;
        drop(state);
        self.wait(epoch, epoch)?;
        out.map(|value| (value, epoch))
    }

    /// Makes the writes `owed` names durable: commits their batch if it is still open,
    /// and fails if a batch holding any of them failed to commit.
    pub(super) fn make_durable(&self, owed: Owed) -> Result<(), StoreError> {
        let Some((first, last)) = owed.range() else {
            return Ok(());
        };
        let mut state = self.lock()?;
        // Committed also when it is newer but others wait for it: this call took the
        // lock as queued, and whoever saw it queued left the commit to it.
        if state
            .batch
            .as_ref()
            .is_some_and(|b| b.epoch <= last || b.waiters > 0)
        {
            self.commit(&mut state)?;
        }
        drop(state);
        self.wait(first, last)
    }

    /// Commits the open batch if deferred writes left it idle for [`IDLE_COMMIT`].
    pub(super) fn flush_idle(&self) {
        let Ok(mut state) = self.state.try_lock() else {
            return;
        };
        if state
            .batch
            .as_ref()
            .is_some_and(|b| b.touched.elapsed() >= IDLE_COMMIT)
        {
            if let Err(e) = self.commit(&mut state) {
                tracing::error!(error = %e, "committing deferred writes failed");
            }
        }
    }

    /// Opens a batch if none is open; its number.
    fn open(&self, state: &mut State) -> Result<u64, StoreError> {
        if let Some(batch) = &state.batch {
            return Ok(batch.epoch);
        }
        state
            .conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(classify)?;
        let epoch = state.next;
        state.next += 1;
        state.batch = Some(Batch {
            epoch,
            writes: 0,
            touched: Instant::now(),
            waiters: 0,
        });
        Ok(epoch)
    }

    /// Ends the open batch, if any: commits its writes (rolls back an empty one), then
    /// settles it.
    fn commit(&self, state: &mut State) -> Result<(), StoreError> {
        let Some(batch) = state.batch.take() else {
            return Ok(());
        };
        let sql = if batch.writes == 0 {
            "ROLLBACK"
        } else {
            "COMMIT"
        };
        let done = state.conn.execute_batch(sql).map_err(classify);
        if done.is_ok() && batch.writes > 0 {
            self.commits.fetch_add(1, Ordering::Relaxed);
        }
        if done.is_err() && !state.conn.is_autocommit() {
            // Still open after a failed COMMIT: nothing of it may stay.
            let _ = state.conn.execute_batch("ROLLBACK");
        }
        self.settle(batch.epoch, done.as_ref().err().map(ToString::to_string));
        done
    }

    /// Records that batch `epoch` committed (`failure` none) or failed, and wakes its
    /// waiters.
    fn settle(&self, epoch: u64, failure: Option<String>) {
        let mut settled = self.settled.lock().unwrap_or_else(PoisonError::into_inner);
        settled.upto = settled.upto.max(epoch);
        if let Some(why) = failure {
            tracing::error!(batch = epoch, error = %why, "a group commit failed; its writes are refused");
            if settled.failed.len() == FAILURES_KEPT {
                if let Some((oldest, _)) = settled.failed.pop_front() {
                    settled.forgotten = oldest;
                }
            }
            settled.failed.push_back((epoch, why));
        }
        drop(settled);
        self.settled_changed.notify_all();
    }

    /// Waits until every batch up to `last` has settled; fails if one numbered from
    /// `first` failed.
    fn wait(&self, first: u64, last: u64) -> Result<(), StoreError> {
        let mut settled = self.settled.lock().unwrap_or_else(PoisonError::into_inner);
        while settled.upto < last {
            settled = self
                .settled_changed
                .wait(settled)
                .unwrap_or_else(PoisonError::into_inner);
        }
        match settled.failure(first, last) {
            Some(why) => Err(StoreError::Unavailable(format!(
                "the write could not be made durable: {why}"
            ))),
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    /// Deferred writes still open are committed rather than dropped with the connection.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        if let Some(batch) = state.batch.take() {
            if batch.writes > 0 {
                if let Err(e) = state.conn.execute_batch("COMMIT") {
                    tracing::error!(error = %e, "committing deferred writes at close failed");
                }
            }
        }
    }
}

/// Runs `f` in a savepoint of the open transaction: released if `f` succeeds, rolled
/// back to (undoing everything `f` wrote, and nothing else) if it fails.
fn in_savepoint<T, E: From<StoreError>>(
    conn: &Connection,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
) -> Result<T, E> {
    run(conn, "SAVEPOINT request")?;
    // A panic in the rules is undone like a failure: left to unwind, it would poison
    // the writer with a batch nobody settles, and every later write would fail or wait.
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        f(&mut SqliteTx { tx: conn })
    }))
    .unwrap_or_else(|_| Err(StoreError::Other("a write panicked; it was undone".into()).into()));
    if conn.is_autocommit() {
        // The transaction is gone (SQLite rolled it back): so is the savepoint.
        return out;
    }
    let undo = || run(conn, "ROLLBACK TO request").and_then(|()| run(conn, "RELEASE request"));
    if out.is_err() {
        undo()?;
        return out;
    }
    if let Err(e) = run(conn, "RELEASE request") {
        // Undone rather than left to the next write's savepoint.
        let _ = undo();
        return Err(e.into());
    }
    out
}

/// Runs one statement without parameters, prepared once per connection.
fn run(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)
        .and_then(|mut stmt| stmt.execute([]))
        .map(drop)
        .map_err(classify)
}

#[cfg(test)]
mod tests;
