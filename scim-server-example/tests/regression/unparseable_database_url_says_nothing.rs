//! Found by the review of the PostgreSQL mode: a `--database-url` the client library
//! could not parse was refused with only "invalid connection string", leaving the
//! operator to guess which part was wrong.
//!
//! Now the refusal names the option or value at fault (never the URL, which may hold a
//! password) and says that special characters in a password must be percent-encoded.

use crate::common::{binary, Bridge};

#[test]
fn an_unparseable_database_url_says_what_is_wrong_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    for (url, fault) in [
        ("postgres://scim:hunter2@db.example:54x2/scim", "`port`"),
        (
            "postgres://scim:hunter2@db.example/scim?frobnicate=1",
            "`frobnicate`",
        ),
    ] {
        let out = std::process::Command::new(binary())
            .args(Bridge::args(
                &dir.path().join("data"),
                &["--database-url", url],
            ))
            .env("SCIM_BRIDGE_TOKEN", crate::common::TOKEN)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains(fault), "{url}: {stderr}");
        assert!(stderr.contains("percent-encoded"), "{url}: {stderr}");
        assert!(!stderr.contains("hunter2"), "{url}: {stderr}");
    }
}
