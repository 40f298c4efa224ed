//! `scim-bridge audit | head -1` panicked ("failed printing to stdout: Broken pipe",
//! exit 101, a backtrace) once the reader had gone. Now the output simply ends.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::{binary, store};

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let dir = tempfile::tempdir().unwrap();
    store::initialise(dir.path());
    // Far more than a pipe holds, so that writes go on after the reader has gone.
    let conn = rusqlite::Connection::open(store::db_path(dir.path())).unwrap();
    for i in 0..3000 {
        conn.execute(
            "INSERT INTO audit (at, actor, action, resource_type, resource_name, attributes)
             VALUES (?1, 'token:00000000', 'user.invited', 'User', ?2, '[\"userName\"]')",
            rusqlite::params![i, format!("person{i}@example.com")],
        )
        .unwrap();
    }
    drop(conn);
    for args in [
        &["audit", "--json", "--count", "5000"][..],
        &["audit", "--count", "5000"][..],
    ] {
        let mut child = Command::new(binary())
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader goes away (its end of the pipe closed with it).
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
    }
}

/// Any other failure to write (a full disk) is an error, never a quiet exit 0 with the
/// export cut short.
#[cfg(target_os = "linux")]
#[test]
fn output_to_a_full_disk_fails_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    store::initialise(dir.path());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(binary())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["audit", "--json"])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("cannot write the output"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
