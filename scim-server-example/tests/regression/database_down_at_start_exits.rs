//! Found by the review of the PostgreSQL mode: a bridge started while its database could
//! not be reached (a replica rebooted before the database server, or both started at
//! once) printed an error and exited, and stayed down until restarted by hand.
//!
//! Now a serving bridge waits for the database, with a log line each attempt (that names
//! no password), and starts serving once it is up.

use std::io::Read;

use crate::common::postgres::PgServer;
use crate::common::{eventually, Bridge};

#[test]
fn a_bridge_started_before_its_database_waits_for_it_and_then_serves() {
    let Some(pg) = PgServer::start() else { return };
    let name = pg.database_name();
    let url = pg
        .url(&name)
        .replace("postgres@", "postgres:not-the-password@");
    pg.pg_ctl_stop();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bridge.log");
    let bridge = std::thread::scope(|s| {
        s.spawn(|| {
            // Starts the database once the bridge says it waits for it (never, if the
            // bridge exited instead: then starting it changes nothing).
            let waiting = eventually(30, || {
                let mut text = String::new();
                let _ = std::fs::File::open(&log).and_then(|mut f| f.read_to_string(&mut text));
                text.contains("waiting for the database")
            });
            pg.pg_ctl_start();
            waiting
        });
        Bridge::start_logging(
            &dir.path().join("data"),
            &["--database-url", &url],
            std::fs::File::create(&log).unwrap().into(),
        )
    });
    let (status, h) = bridge.call("GET", "/health", None);
    assert_eq!(status, 200, "{h}");
    let (status, v) = bridge.call("GET", "/scim/v2/Users", None);
    assert_eq!(status, 200, "{v}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("waiting for the database"), "{text}");
    assert!(
        !text.contains("not-the-password"),
        "the log shows the password: {text}"
    );
}
