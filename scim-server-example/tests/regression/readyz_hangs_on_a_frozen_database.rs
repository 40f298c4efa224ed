//! Found by the attack review of `/readyz`: with the database server frozen (stopped
//! with SIGSTOP: a paused VM, or a network that drops packets silently), the probe's
//! store check waited for an answer that never came, and so did every probe behind it;
//! the bridge answered `200 ok` once the server resumed, and never `503`.
//!
//! Now a check that has not answered within two seconds counts as `unavailable`, and
//! the next probe waits for that same check again instead of starting another.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::postgres::PgServer;
use crate::common::{eventually, request, Bridge};

/// `/readyz` of `bridge`, waiting at most 20 s: its status.
fn readyz(bridge: &Bridge) -> u16 {
    request(
        &format!("{}/readyz", bridge.url),
        "GET",
        None,
        &[],
        Duration::from_secs(20),
        &[],
    )
    .0
}

/// Sends `signal` to the server's postmaster and every backend it started.
fn signal_server(pg: &PgServer, signal: &str) {
    let pid_file = std::fs::read_to_string(pg.dir().join("data/postmaster.pid"))
        .expect("the server's pid file");
    let pid = pid_file.lines().next().expect("a pid").trim().to_owned();
    // Children first, so that none is started by a postmaster not yet stopped.
    let _ = Command::new("pkill")
        .args([&format!("-{signal}"), "-P", &pid])
        .status();
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status();
}

/// Resumes the server when dropped, so that a failed assertion leaves nothing frozen.
struct Thaw<'a>(&'a PgServer);

impl Drop for Thaw<'_> {
    fn drop(&mut self) {
        signal_server(self.0, "CONT");
    }
}

#[test]
fn readyz_says_unavailable_while_the_database_is_frozen() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(
        &dir.path().join("data"),
        &["--database-url", &pg.database()],
    );
    assert_eq!(readyz(&bridge), 200);

    signal_server(&pg, "STOP");
    let thaw = Thaw(&pg);
    // Past the reuse of the last verdict, each probe answers (within the client's 20 s)
    // and says so; several in a row, the later ones waiting for the same stuck check.
    std::thread::sleep(Duration::from_millis(1100));
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(readyz(&bridge), 503, "a probe while the database is frozen");
        eprintln!("503 after {:?}", started.elapsed());
        std::thread::sleep(Duration::from_millis(1100));
    }

    drop(thaw);
    assert!(
        eventually(30, || readyz(&bridge) == 200),
        "/readyz did not come back after the database resumed"
    );
}
