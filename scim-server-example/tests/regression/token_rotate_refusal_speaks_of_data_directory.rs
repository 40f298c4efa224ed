//! Found by the review of the PostgreSQL mode: `token rotate --database-url`, refused
//! because the bridges on that database take a supplied token (SCIM_BRIDGE_TOKEN or
//! --token-file), said the token "is not managed in the data directory" and told the
//! operator to start a bridge without them to manage it "in the data directory" again: in
//! PostgreSQL mode there is no data directory; the token lives in the database.
//!
//! Now the refusal speaks of the database.

use std::process::Command;

use crate::common::postgres::server;
use crate::common::{binary, Bridge};

#[test]
fn the_refusal_in_postgresql_mode_speaks_of_the_database() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    // A replica started with the test's supplied token records that in the database.
    let bridge = Bridge::start(&dir.path().join("data"), &["--database-url", &url]);
    let out = Command::new(binary())
        .args(["token", "rotate", "--database-url", &url])
        .env_remove("SCIM_BRIDGE_TOKEN")
        .output()
        .unwrap();
    drop(bridge);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("not managed in the database"), "{stderr}");
    assert!(!stderr.contains("data directory"), "{stderr}");
}
