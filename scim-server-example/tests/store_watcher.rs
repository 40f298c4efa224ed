//! The confirmation watcher confirms pending accounts in short batches (one write
//! transaction each, so client writes interleave), and still confirms every one of them
//! in one run, however many there are.

mod common;

use std::time::Duration;

use common::store::{initialise, seed_users, send, start_with_env};

#[test]
fn every_pending_account_is_confirmed_across_batches() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    seed_users(dir.path(), "pend-", 700, 0);
    let conn = rusqlite::Connection::open(common::store::db_path(dir.path())).unwrap();
    conn.execute(
        "UPDATE accounts SET state = 'pending' WHERE user_id LIKE 'pend-%'",
        [],
    )
    .unwrap();
    drop(conn);
    // The watcher's first run is at start-up.
    let b = start_with_env(dir.path(), &[], std::process::Stdio::null());
    let mut last = serde_json::Value::Null;
    let all_active = common::eventually(60, || {
        let r = send(&b.url, "GET", "/health", None, Duration::from_secs(30));
        last = r.body;
        last["components"]["store"]["accounts"]["active"] == 700
    });
    assert!(all_active, "{last}");
    assert_eq!(last["components"]["store"]["accounts"]["pending"], 0);
    assert_eq!(
        last["components"]["confirmationWatcher"]["lastConfirmed"],
        700
    );
}
