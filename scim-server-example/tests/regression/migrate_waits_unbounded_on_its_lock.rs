//! Found by the review of the PostgreSQL mode: opening the database (`migrate`, and every
//! bridge starting) waited without bound for the schema migration lock: a session left
//! holding it (a bridge hung half-way through a migration) made `scim-bridge migrate` hang
//! with no word of why.
//!
//! Now the wait is bounded (20 s), and the refusal says that another bridge holds the
//! migration lock.

use std::process::Command;

use crate::common::binary;
use crate::common::postgres::server;

/// The bridge's advisory lock space and its migration lock (src/store/postgres).
const LOCK_SPACE: i32 = 0x5C1B_0001;
/// The migration lock's key in [`LOCK_SPACE`].
const MIGRATION_LOCK: i32 = 1;

#[test]
fn migrate_gives_up_on_a_held_migration_lock_with_a_clear_message() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let mut holder = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    holder
        .execute(
            "SELECT pg_advisory_lock($1, $2)",
            &[&LOCK_SPACE, &MIGRATION_LOCK],
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    drop(crate::common::Bridge::start(&data, &[]));
    let mut child = Command::new(binary())
        .arg("migrate")
        .arg("--from-data-dir")
        .arg(&data)
        .args(["--to-database-url", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: it ends by itself (a hang is caught here, killed after two minutes).
    let ended = crate::common::eventually(120, || child.try_wait().unwrap().is_some());
    if !ended {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(ended, "migrate still waits for the lock");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("migrating this database's schema") && stderr.contains("migration lock"),
        "{stderr}"
    );
}
