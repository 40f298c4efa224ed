//! Found while moving filters into SQL: a full scan whose client had gone (timed out,
//! disconnected) read on to the last row, holding its admission permit and a read
//! connection for nobody, so that the next search got 429 for as long. The scan now
//! stops at its next batch once the request is dropped.

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use crate::common::store::{initialise, seed_users, send, start_with_env};
use crate::common::{eventually, TOKEN};

#[test]
fn a_scan_stops_when_its_client_goes() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    seed_users(dir.path(), "gone-", 20_000, 500);
    let log = dir.path().join("bridge.log");
    let b = start_with_env(
        dir.path(),
        &[("SCIM_BRIDGE_MAX_FULL_SCANS", "1"), ("RUST_LOG", "info")],
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    // A filter on a computed attribute: every user read and assembled, for seconds.
    let slow = "/scim/v2/Users?filter=groups.display+co+%22zzz%22";
    let mut client = std::net::TcpStream::connect(b.addr()).unwrap();
    write!(
        client,
        "GET {slow} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(client);
    assert!(
        eventually(60, || std::fs::read_to_string(&log)
            .unwrap()
            .contains("its scan stopped")),
        "the scan noticed its client had gone:\n{}",
        std::fs::read_to_string(&log).unwrap()
    );
    // Its permit is free again.
    let r = send(
        &b.url,
        "GET",
        "/scim/v2/Users?filter=title+pr&count=1",
        None,
        Duration::from_secs(120),
    );
    assert_eq!(r.status, 200, "{r:?}");
}
