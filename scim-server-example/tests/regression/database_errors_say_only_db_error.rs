//! Found by the attack review of the PostgreSQL mode: every error the server reported
//! (with an SQLSTATE) reached the operator as "store error: db error": the client
//! library's error text names only the kind, and the server's message (`relation
//! "resources" already exists`, `password authentication failed …`) is its cause, which
//! was dropped. A bridge pointed at a database another application already uses could
//! not say why it refused to start.
//!
//! Now the server's SQLSTATE and message are kept (in logs, start-up errors and the
//! authenticated `/health`; clients still get the generic text).

use std::process::Command;

use crate::common;
use crate::common::postgres::server;

/// Starts the bridge on `url`; whether it succeeded and what it printed.
fn start(dir: &std::path::Path, url: &str) -> (bool, String) {
    let out = Command::new(common::binary())
        .args(["--listen", "127.0.0.1:0", "--database-url", url])
        .arg("--data-dir")
        .arg(dir)
        .env(
            "SCIM_BRIDGE_TOKEN",
            "tok-abcdefghijklmnopqrstuvwxyz0123456789AB",
        )
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

#[test]
fn a_database_holding_another_applications_table_says_which() {
    let Some(pg) = server() else { return };
    let name = pg.database_name();
    let url = pg.url(&name);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute("CREATE TABLE resources (x integer)")
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (ok, text) = start(dir.path(), &url);
    assert!(!ok, "{text}");
    assert!(
        text.contains(r#"relation "resources" already exists"#),
        "says why: {text}"
    );
}
