//! Group commit: batches form while a write runs, a failed write leaves the rest of its
//! batch, deferred writes wait for `make_durable` (or the idle commit), and every write
//! is visible to the read connections once `write` returns.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use serde_json::json;

use crate::store::sqlite::SqliteStore;
use crate::store::{Row, Store, StoreError, Tx};

fn store() -> (tempfile::TempDir, Arc<SqliteStore>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Arc::new(SqliteStore::open(&dir.path().join("bridge.db")).expect("open"));
    (dir, store)
}

fn row(id: &str) -> Row {
    Row {
        id: id.to_owned(),
        data: json!({"id": id, "userName": id}),
        unique_key: Some(id.to_owned()),
        external_id: None,
    }
}

fn insert(tx: &mut dyn Tx, id: &str) -> Result<(), StoreError> {
    tx.insert("User", &row(id))
}

/// Whether a read connection sees the user `id`.
fn visible(store: &SqliteStore, id: &str) -> bool {
    store.read(|tx| tx.exists("User", id)).expect("a read")
}

/// Polls until `cond` holds (at most 10 s).
fn until(cond: impl Fn() -> bool) -> bool {
    for _ in 0..1000 {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Starts a write of `id` that holds the writer until the returned sender sends (or is
/// dropped); returns once it holds it.
fn held_write(
    store: &Arc<SqliteStore>,
    id: &'static str,
) -> (
    mpsc::Sender<()>,
    std::thread::JoinHandle<Result<(), StoreError>>,
) {
    let (holding_tx, holding_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let store = store.clone();
    let thread = std::thread::spawn(move || {
        store.write(|tx| {
            insert(tx, id)?;
            let _ = holding_tx.send(());
            let _ = go_rx.recv();
            Ok(())
        })
    });
    holding_rx.recv().expect("the writer is held");
    (go_tx, thread)
}

/// Writes that queue behind a running one are committed with it, once: one fsync.
#[test]
fn writes_queued_behind_one_commit_together() {
    let (_dir, store) = store();
    let before = store.writer.commits();
    let (go, first) = held_write(&store, "first");
    let queued: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|id| {
            let store = store.clone();
            std::thread::spawn(move || store.write(|tx| insert(tx, id)))
        })
        .collect();
    assert!(
        until(|| store
            .writer
            .queued
            .load(std::sync::atomic::Ordering::SeqCst)
            == 3),
        "three writes queue"
    );
    assert!(
        !visible(&store, "first"),
        "nothing is visible before its commit"
    );
    go.send(()).expect("released");
    first.join().expect("joined").expect("written");
    for t in queued {
        t.join().expect("joined").expect("written");
    }
    // Each write returned only once durable, hence visible to the readers.
    for id in ["first", "a", "b", "c"] {
        assert!(visible(&store, id), "{id}");
    }
    assert_eq!(
        store.writer.commits() - before,
        1,
        "four writes, one commit"
    );
}

/// A write that fails in a batch is undone alone; the others in the batch are kept.
#[test]
fn a_failed_write_leaves_the_rest_of_its_batch() {
    let (_dir, store) = store();
    let (go, first) = held_write(&store, "kept-1");
    let failing = {
        let store = store.clone();
        std::thread::spawn(move || {
            store.write(|tx| {
                insert(tx, "undone")?;
                Err::<(), _>(StoreError::Other("refused after writing".into()))
            })
        })
    };
    assert!(until(|| store
        .writer
        .queued
        .load(std::sync::atomic::Ordering::SeqCst)
        == 1));
    let last = {
        let store = store.clone();
        std::thread::spawn(move || {
            // Queued after the failing one (whichever of the two runs first, each keeps
            // its own result).
            store.write(|tx| insert(tx, "kept-2"))
        })
    };
    drop(go);
    first.join().expect("joined").expect("written");
    assert!(failing.join().expect("joined").is_err());
    last.join().expect("joined").expect("written");
    assert!(visible(&store, "kept-1"));
    assert!(visible(&store, "kept-2"));
    assert!(!visible(&store, "undone"));
}

/// A duplicate key refused inside a batch fails that write only.
#[test]
fn a_constraint_violation_fails_only_its_write() {
    let (_dir, store) = store();
    store.write(|tx| insert(tx, "taken")).expect("written");
    let (go, first) = held_write(&store, "other");
    let duplicate = {
        let store = store.clone();
        std::thread::spawn(move || store.write(|tx| insert(tx, "taken")))
    };
    assert!(until(|| store
        .writer
        .queued
        .load(std::sync::atomic::Ordering::SeqCst)
        == 1));
    drop(go);
    first.join().expect("joined").expect("written");
    assert!(duplicate.join().expect("joined").is_err());
    assert!(visible(&store, "other"));
}

/// Deferred writes are not visible (not committed) until `make_durable`, and then are,
/// in one commit however many there were.
#[test]
fn deferred_writes_commit_once_when_made_durable() {
    let (_dir, store) = store();
    let before = store.writer.commits();
    let mut owed = crate::store::Owed::default();
    for i in 0..100 {
        let ((), o) = store
            .write_deferred(|tx| insert(tx, &format!("bulk-{i}")))
            .expect("written");
        owed.add(o);
    }
    assert!(!owed.is_empty());
    assert!(!visible(&store, "bulk-0"), "not committed yet");
    store.make_durable(owed).expect("durable");
    assert!(visible(&store, "bulk-0"));
    assert!(visible(&store, "bulk-99"));
    assert_eq!(store.writer.commits() - before, 1);
    // Nothing more is owed: making it durable again changes nothing.
    store.make_durable(owed).expect("still durable");
    assert_eq!(store.writer.commits() - before, 1);
}

/// A write that does not defer commits the deferred writes before it with its own.
#[test]
fn a_plain_write_commits_deferred_writes_before_it() {
    let (_dir, store) = store();
    store
        .write_deferred(|tx| insert(tx, "deferred"))
        .expect("written");
    store.write(|tx| insert(tx, "plain")).expect("written");
    assert!(visible(&store, "deferred"));
    assert!(visible(&store, "plain"));
}

/// Deferred writes nobody makes durable (the Bulk request's client went) are committed
/// once idle.
#[test]
fn abandoned_deferred_writes_are_committed_when_idle() {
    let (_dir, store) = store();
    store
        .write_deferred(|tx| insert(tx, "abandoned"))
        .expect("written");
    assert!(until(|| visible(&store, "abandoned")));
}

/// Deferred writes still open when the store closes are committed, not lost.
#[test]
fn deferred_writes_open_at_close_are_committed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bridge.db");
    {
        let store = SqliteStore::open(&path).expect("open");
        store
            .write_deferred(|tx| insert(tx, "at-close"))
            .expect("written");
    }
    let store = SqliteStore::open(&path).expect("reopen");
    assert!(visible(&store, "at-close"));
}

/// A plain write beside a stream of deferred writes (a Bulk request) does not wait for
/// the stream to end: the next deferred write commits the batch for it.
#[test]
fn a_write_beside_deferred_writes_waits_for_one_of_them_only() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (_dir, store) = store();
    let (written, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let stream = {
        let (store, written, done) = (store.clone(), written.clone(), done.clone());
        std::thread::spawn(move || {
            // Fewer than a full batch: nothing but a waiter commits it before the end.
            for i in 0..900 {
                store
                    .write_deferred(|tx| insert(tx, &format!("stream-{i}")))
                    .expect("written");
                written.fetch_add(1, Ordering::SeqCst);
            }
            done.store(true, Ordering::SeqCst);
        })
    };
    assert!(until(|| written.load(Ordering::SeqCst) >= 10));
    store.write(|tx| insert(tx, "beside")).expect("written");
    let stream_ended_first = done.load(Ordering::SeqCst);
    assert!(visible(&store, "beside"));
    stream.join().expect("joined");
    assert!(!stream_ended_first, "the write waited for the whole stream");
}

/// A write that changes nothing but found a deferred write (a duplicate refused, say)
/// answers only once that write is durable.
#[test]
fn a_write_that_changed_nothing_waits_for_what_it_found() {
    let (_dir, store) = store();
    store
        .write_deferred(|tx| insert(tx, "found"))
        .expect("written");
    let duplicate = store.write(|tx| insert(tx, "found"));
    assert!(duplicate.is_err());
    assert!(visible(&store, "found"), "refused on a row not yet durable");
}

/// Found by review: a panic in a write closure poisoned the writer and left its batch
/// unsettled, so every later write failed or waited for ever. It is now undone as a
/// failure, and the writer goes on.
#[test]
fn a_panicking_write_is_undone_and_the_writer_goes_on() {
    let (_dir, store) = store();
    let panicked = store.write(|tx| -> Result<(), StoreError> {
        insert(tx, "half")?;
        panic!("a bug in the rules");
    });
    assert!(panicked.is_err());
    assert!(!visible(&store, "half"));
    store
        .write(|tx| insert(tx, "after"))
        .expect("the writer goes on");
    assert!(visible(&store, "after"));
}
