//! Attack: every write request waited for the store's one writer on a blocking thread of
//! its own, with no bound: behind one slow write, 600 concurrent POSTs made 515 threads
//! and exhausted tokio's blocking pool, so a plain `GET /Users/{id}` waited 18.87 s for a
//! thread. Write requests now wait for one of a few slots asynchronously, holding no
//! thread, in a waiting line of bounded length (past it, or after the busy timeout, 429
//! with `Retry-After`: see `write_bursts_wait_then_503`), and reads never wait on it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::common::store::{db_path, send};
use crate::common::Bridge;
use crate::USER;

/// Concurrent writes sent behind the slow one.
const WRITES: usize = 150;

/// The bridge's thread count, from `/proc/<pid>/status`.
fn threads(pid: u32) -> usize {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

#[test]
fn queued_writes_hold_no_threads_and_reads_go_past_them() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let pid = b.child.id();
    let (status, u) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "reader@example.com"})),
    );
    assert_eq!(status, 201, "{u}");
    let id = u["id"].as_str().unwrap().to_owned();

    // The slow write: another process holds the database's write lock.
    let mut conn = rusqlite::Connection::open(db_path(dir.path())).unwrap();
    let lock = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let finished = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITES)
        .map(|i| {
            let (url, finished) = (b.url.clone(), finished.clone());
            std::thread::spawn(move || {
                let r = send(
                    &url,
                    "POST",
                    "/scim/v2/Users",
                    Some(&json!({"schemas": [USER], "userName": format!("w{i}@example.com")})),
                    Duration::from_secs(600),
                );
                // Those refused at once (429, past the waiting line) did not wait.
                if r.status != 429 {
                    finished.fetch_add(1, Ordering::SeqCst);
                }
                r
            })
        })
        .collect();
    // Sampled while the writes arrive and queue (a bounded number of samples).
    let mut most = 0;
    for _ in 0..60 {
        most = most.max(threads(pid));
        std::thread::sleep(Duration::from_millis(50));
    }
    let r = send(
        &b.url,
        "GET",
        &format!("/scim/v2/Users/{id}"),
        None,
        Duration::from_secs(600),
    );
    let writes_done_before_read = finished.load(Ordering::SeqCst);
    most = most.max(threads(pid));
    assert_eq!(r.status, 200, "{:?}", r.body);
    lock.rollback().unwrap();
    for w in writers {
        let r = w.join().unwrap();
        // Past the waiting line, 429 at once (RFC 6585 §4), never a timeout.
        assert!(r.status == 201 || r.status == 429, "{r:?}");
        if r.status == 429 {
            assert!(r.retry_after.is_some(), "{r:?}");
        }
    }
    assert_eq!(
        writes_done_before_read, 0,
        "the read waited for queued writes"
    );
    assert!(most < 64, "{most} threads for {WRITES} queued writes");
    let (status, _) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
    assert_eq!(status, 200);
}
