//! Found by the review of the PostgreSQL mode: the bridge set no `statement_timeout` on
//! its sessions, so a statement stuck behind a lock another session held (an
//! administrator's open transaction, a stuck job) waited for ever, holding its pooled
//! connection (and the write lock) until the pool was exhausted and `/health` said the
//! store was down.
//!
//! Now each session of the bridge has a `statement_timeout` (`--database-statement-timeout`,
//! 30 s by default) unless the database sets one: the stuck statement is cancelled and
//! answered 503 (retry later), reads go on meanwhile, and writes work again once the lock
//! is released.

use std::sync::mpsc;

use serde_json::json;

use crate::common::postgres::server;
use crate::common::{patch, Bridge};
use crate::USER;

#[test]
fn a_statement_stuck_behind_an_outside_lock_is_cut_off_with_503() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bridge.log");
    let bridge = Bridge::start_logging(
        &dir.path().join("data"),
        &["--database-url", &url, "--database-statement-timeout", "1"],
        std::fs::File::create(&log).unwrap().into(),
    );
    let (status, user) = bridge.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "held@example.com"})),
    );
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    // An outside session holds the user's row locked in an open transaction.
    let (locked, release) = (mpsc::channel(), mpsc::channel::<()>());
    let holder = std::thread::spawn({
        let (url, id) = (url.clone(), id.clone());
        let locked = locked.0;
        move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut tx = c.transaction().unwrap();
            tx.execute(
                "UPDATE resources SET data = data WHERE resource_type = 'User' AND id = $1",
                &[&id],
            )
            .unwrap();
            locked.send(()).unwrap();
            let _ = release.1.recv();
            tx.rollback().unwrap();
        }
    });
    locked.1.recv().unwrap();
    let rename = patch(json!([{"op": "replace", "path": "displayName", "value": "Renamed"}]));
    let path = format!("/scim/v2/Users/{id}");
    let (write, reads) = std::thread::scope(|s| {
        let write = s.spawn(|| bridge.call("PATCH", &path, Some(&rename)));
        // Reads are not blocked by the row lock, nor by the stuck write.
        let reads: Vec<u16> = (0..5).map(|_| bridge.call("GET", &path, None).0).collect();
        (write.join().unwrap(), reads)
    });
    let (status, body) = write;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or("")
            .contains("retry later"),
        "{body}"
    );
    assert!(reads.iter().all(|s| *s == 200), "{reads:?}");
    // The cancelled write gave its connection and the write lock back.
    let (status, h) = bridge.call("GET", "/health", None);
    assert_eq!(status, 200, "{h}");
    release.0.send(()).unwrap();
    holder.join().unwrap();
    let (status, body) = bridge.call("PATCH", &path, Some(&rename));
    assert!(status == 200 || status == 204, "{status} {body}");
    // The log says what happened in words that fit a cancelled statement.
    let text = std::fs::read_to_string(&log).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("57014"))
        .unwrap_or_else(|| panic!("no log line for the cancelled statement: {text}"));
    assert!(
        line.contains("statement cancelled by its timeout"),
        "the busy log line does not say what happened: {line}"
    );
}
