//! Found by the attack review of the PostgreSQL mode: the `sslrootcert` file named in
//! `--database-url` was read whole, so `sslrootcert=/dev/zero` by mistake made the
//! bridge allocate until it was killed (13 GB resident), instead of stopping with an
//! error naming the file.
//!
//! Now it is read up to 1 MiB, as the TLS and token files are; a longer file is a
//! start-up error that says so. The test uses a 2 MiB file, so that it fails rather than
//! exhausts memory if the bound goes (unbounded, the file is read and then found to
//! hold no certificate).

use crate::common::{binary, Bridge};

#[test]
fn an_oversized_sslrootcert_is_a_start_up_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big-ca.pem");
    std::fs::write(&big, vec![b'a'; 2 * 1024 * 1024]).unwrap();
    // No server is reached: the URL's TLS settings are read first.
    let url = format!(
        "postgres://scim:hunter2@127.0.0.1:1/scim?sslmode=verify-full&sslrootcert={}",
        big.display()
    );
    let out = std::process::Command::new(binary())
        .args(Bridge::args(
            &dir.path().join("data"),
            &["--database-url", &url],
        ))
        .env("SCIM_BRIDGE_TOKEN", crate::common::TOKEN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("sslrootcert"), "{stderr}");
    assert!(stderr.contains("big-ca.pem"), "{stderr}");
    assert!(stderr.contains("larger than 1048576 bytes"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
