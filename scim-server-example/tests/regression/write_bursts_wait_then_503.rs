//! Found by the review of issue 15 (backpressure): behind a database whose write lock
//! another process held, every write request waited its turn for one of the bridge's
//! write slots for 10 s, however many there were, and was then answered `503 Service
//! Unavailable`: a burst from the identity provider held memory and connections for the
//! whole wait, and the client learned nothing it could act on but "the service is down".
//!
//! Now the line of writers waiting for a slot is bounded (`MAX_WAITING_WRITES`): one more
//! is answered at once `429 Too Many Requests` with `Retry-After` (RFC 6585 §4, RFC 9110
//! §10.2.3), which Entra ID and Okta honour by pausing and retrying; the writers in line
//! are written once the lock is released.

use std::sync::mpsc;
use std::time::Duration;

use serde_json::json;

use crate::common::store::{db_path, send};
use crate::common::Bridge;
use crate::USER;

/// Write slots at the store (`onepassword::MAX_QUEUED_WRITES`).
const SLOTS: usize = 8;
/// Writers that may wait for a slot (`onepassword::MAX_WAITING_WRITES`).
const LINE: usize = 64;
/// Writers sent past the slots and the line.
const EXTRA: usize = 6;

#[test]
fn writes_past_the_waiting_line_get_429_with_retry_after_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    // The slow write: another process holds the database's write lock.
    let mut conn = rusqlite::Connection::open(db_path(dir.path())).unwrap();
    let lock = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let writers: Vec<_> = (0..SLOTS + LINE + EXTRA)
        .map(|i| {
            let (url, tx) = (b.url.clone(), tx.clone());
            std::thread::spawn(move || {
                let r = send(
                    &url,
                    "POST",
                    "/scim/v2/Users",
                    Some(&json!({"schemas": [USER], "userName": format!("w{i}@example.com")})),
                    Duration::from_secs(120),
                );
                tx.send(r).unwrap();
            })
        })
        .collect();
    // While the lock is held no write can finish: the first answers are the refusals,
    // exactly as many as came past the slots and the line, each at once with when to
    // come back.
    let refused: Vec<_> = (0..EXTRA)
        .map(|_| rx.recv_timeout(Duration::from_secs(60)).unwrap())
        .collect();
    for r in &refused {
        assert_eq!(r.status, 429, "{r:?}");
        assert_eq!(r.retry_after.as_deref(), Some("5"), "{r:?}");
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap_or("")
                .contains("already waiting"),
            "{r:?}"
        );
    }
    lock.rollback().unwrap();
    drop(conn);
    for w in writers {
        w.join().unwrap();
    }
    let written: Vec<_> = rx.try_iter().collect();
    assert_eq!(written.len(), SLOTS + LINE);
    assert!(written.iter().all(|r| r.status == 201), "{written:?}");
    let (status, list) = b.call("GET", "/scim/v2/Users?count=0", None);
    assert_eq!(status, 200);
    assert_eq!(list["totalResults"], SLOTS + LINE);
}
