//! Found by the attack review of the PostgreSQL mode: a statement the server cancelled
//! (`statement_timeout` set on the database or role by its administrator, or a query
//! cancelled by hand, SQLSTATE 57014) was an internal error, answered 500, though the
//! request was sound and retrying it later succeeds.
//!
//! Now a cancelled statement (and a serialization failure, 40001) is "busy": 503 with a
//! detail asking to retry, as a write lock waited for too long already was.

use std::sync::mpsc;

use serde_json::json;

use crate::common::postgres::server;
use crate::common::Bridge;
use crate::USER;

#[test]
fn a_cancelled_statement_is_503_not_500() {
    let Some(pg) = server() else { return };
    let name = pg.database_name();
    let url = pg.url(&name);
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(dir.path(), &["--database-url", &url]);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {name} SET statement_timeout = '200ms'"
        ))
        .unwrap();
    // The pool's connections predate the setting: new ones take it.
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .unwrap();
    // Every statement on `resources` waits behind this lock until it is cancelled.
    let (locked, release) = (mpsc::channel(), mpsc::channel::<()>());
    let holder = std::thread::spawn({
        let url = url.clone();
        let locked = locked.0;
        move || {
            let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            let mut tx = c.transaction().unwrap();
            tx.batch_execute("LOCK TABLE resources IN ACCESS EXCLUSIVE MODE")
                .unwrap();
            locked.send(()).unwrap();
            let _ = release.1.recv();
            tx.rollback().unwrap();
        }
    });
    locked.1.recv().unwrap();
    let new_user = json!({"schemas": [USER], "userName": "late@example.com"});
    let answers = [
        bridge.call("GET", "/scim/v2/Users?count=1", None),
        bridge.call("POST", "/scim/v2/Users", Some(&new_user)),
    ];
    release.0.send(()).unwrap();
    holder.join().unwrap();
    for (status, body) in answers {
        assert_eq!(status, 503, "{body}");
        assert!(
            body["detail"]
                .as_str()
                .unwrap_or("")
                .contains("retry later"),
            "{body}"
        );
    }
}
