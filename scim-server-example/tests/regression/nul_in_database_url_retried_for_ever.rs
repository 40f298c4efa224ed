//! Found by the review of frozen replicas: a `--database-url` with a NUL character in a
//! parameter (`application_name=x%00`) was taken, at start, for a server not up yet and
//! retried every 2 seconds for ever, though no attempt could ever send it.
//!
//! Now the bridge stops at once, saying which parameter holds the NUL (never the URL).

use std::time::{Duration, Instant};

use crate::common::{binary, Bridge};

#[test]
fn a_nul_in_the_database_url_stops_the_bridge_as_an_invalid_url() {
    let dir = tempfile::tempdir().unwrap();
    // No server needed: the URL is refused before any connection.
    let url = "postgres://scim:hunter2@127.0.0.1:9/scim?sslmode=disable&application_name=x%00";
    let mut child = std::process::Command::new(binary())
        .args(Bridge::args(
            &dir.path().join("data"),
            &["--database-url", url],
        ))
        .env("SCIM_BRIDGE_TOKEN", crate::common::TOKEN)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded, so that a bridge still retrying fails the test rather than hanging it.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let status = status.unwrap_or_else(|| panic!("still retrying: {stderr}"));
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("application_name"), "{stderr}");
    assert!(stderr.contains("NUL"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
