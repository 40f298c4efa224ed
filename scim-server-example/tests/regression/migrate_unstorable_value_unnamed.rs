//! Found by the third attack review of the PostgreSQL mode: `scim-bridge migrate` from
//! an SQLite data directory holding a value PostgreSQL cannot hold (an `externalId` with
//! U+0000, which SQLite stored; an incompressible `externalId` or group `displayName`
//! longer than a PostgreSQL index entry, about 2.7 kB) failed with PostgreSQL's message
//! alone, naming no record: the operator could not tell what to change.
//!
//! Now the failure names the resource (type and id) and the value at fault, and says to
//! change it on the SQLite bridge and migrate again; doing so lets the migration finish.

use std::path::Path;
use std::process::Command;

use serde_json::json;

use crate::common::postgres::server;
use crate::common::store::{initialise, seed_users_with_external_id};
use crate::common::{binary, patch, Bridge};
use crate::USER;

/// `n` letters and digits no compression shortens (a fixed-seed xorshift).
fn incompressible(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(CHARS[usize::try_from(x % 62).unwrap()])
        })
        .collect()
}

/// Runs `migrate` from `data` into `url`: whether it succeeded, and what it printed.
fn migrate(data: &Path, url: &str) -> (bool, String) {
    let out = Command::new(binary())
        .arg("migrate")
        .arg("--from-data-dir")
        .arg(data)
        .args(["--to-database-url", url])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Asserts that `migrate` failed naming every one of `parts`.
fn refused(data: &Path, url: &str, parts: &[&str]) {
    let (ok, text) = migrate(data, url);
    assert!(!ok, "{text}");
    for part in parts
        .iter()
        .chain(&["nothing was written", "run migrate again"])
    {
        assert!(text.contains(part), "{part}: {text}");
    }
}

/// PATCHes `path` with one `replace` of `attr` on a bridge started on `data`.
fn replace(data: &Path, path: &str, attr: &str, value: &str) {
    let bridge = Bridge::start(data, &[]);
    let op = patch(json!([{"op": "replace", "path": attr, "value": value}]));
    let (status, v) = bridge.call("PATCH", path, Some(&op));
    assert!(status == 200 || status == 204, "{status} {v}");
}

#[test]
fn migrate_names_the_record_postgresql_cannot_hold_and_what_to_change() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    initialise(&data);
    let bridge = Bridge::start(&data, &[]);
    let long = json!({"schemas": [USER], "userName": "long@example.com",
                      "externalId": incompressible(3000)});
    let (status, long) = bridge.call("POST", "/scim/v2/Users", Some(&long));
    assert_eq!(status, 201, "{long}");
    let long = long["id"].as_str().unwrap().to_owned();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                       "displayName": incompressible(3000)});
    let (status, group) = bridge.call("POST", "/scim/v2/Groups", Some(&group));
    assert_eq!(status, 201, "{group}");
    let group = group["id"].as_str().unwrap().to_owned();
    drop(bridge);
    // SQLite stored U+0000 before the bridge refused it: written as an earlier version did.
    let nul = seed_users_with_external_id(&data, "nul", 1, 0, Some("a\u{0}b")).remove(0);

    // One record at a time, in the order they are copied; each fixed as the message says.
    refused(
        &data,
        &url,
        &[
            &format!("User {long}"),
            "its externalId (3000 bytes)",
            "shorter",
        ],
    );
    replace(
        &data,
        &format!("/scim/v2/Users/{long}"),
        "externalId",
        "short",
    );
    refused(
        &data,
        &url,
        &[&format!("User {nul}"), "its externalId holds U+0000"],
    );
    replace(&data, &format!("/scim/v2/Users/{nul}"), "externalId", "ab");
    refused(
        &data,
        &url,
        &[&format!("Group {group}"), "its displayName (3000 bytes)"],
    );
    replace(
        &data,
        &format!("/scim/v2/Groups/{group}"),
        "displayName",
        "Renamed",
    );
    let (ok, text) = migrate(&data, &url);
    assert!(ok, "{text}");
    assert!(text.contains("Copied 2 users"), "{text}");
}
