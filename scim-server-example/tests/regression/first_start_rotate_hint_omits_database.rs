//! Found by the review of the PostgreSQL mode: the first bridge on a new database printed
//! "Rotate it with `scim-bridge token rotate`", which in PostgreSQL mode looks for a data
//! directory and fails: the token lives in the database.
//!
//! Now, in PostgreSQL mode, the line names `--database-url` (or the environment
//! variable); in SQLite mode it is as before.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::postgres::server;
use crate::common::{binary, Bridge};

/// What a bridge started with `args` and no supplied token prints before it listens.
fn first_start(data: &std::path::Path, args: &[&str]) -> String {
    let mut child = Command::new(binary())
        .args(Bridge::args(data, args))
        .env_remove("SCIM_BRIDGE_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    for line in BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
    {
        let done = line.starts_with("scim-bridge listening on ");
        printed.push_str(&line);
        printed.push('\n');
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    printed
}

/// The line telling how to rotate the token.
fn rotate_line(printed: &str) -> &str {
    printed
        .lines()
        .find(|l| l.contains("Rotate it with"))
        .unwrap_or_else(|| panic!("no rotation hint in {printed}"))
}

#[test]
fn the_first_start_on_postgresql_tells_to_rotate_with_the_database_url() {
    let Some(pg) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let printed = first_start(
        &dir.path().join("data"),
        &["--database-url", &pg.database()],
    );
    let line = rotate_line(&printed);
    assert!(
        line.contains("`scim-bridge token rotate --database-url …`")
            && line.contains("SCIM_BRIDGE_DATABASE_URL"),
        "{line}"
    );
}

#[test]
fn the_first_start_on_sqlite_tells_to_rotate_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let printed = first_start(&dir.path().join("data"), &[]);
    let line = rotate_line(&printed);
    assert!(line.contains("`scim-bridge token rotate`"), "{line}");
    assert!(!line.contains("database"), "{line}");
}
