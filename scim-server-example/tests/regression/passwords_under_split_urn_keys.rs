//! Attack: passwords were stripped only under their exact keys (`password`,
//! `urn:…:core:2.0:User:password`, and `password` inside `urn:…:core:2.0:User`). A
//! path-less PATCH whose value is keyed by the core User URN (RFC 7644 §3.5.2) was split
//! by the PATCH engine at the URN's last colon, and the password landed in the database
//! in plain text under `"urn:…:core:2.0": {"User": {"password": …}}`; the same split key
//! sent in POST, PUT or a Bulk request was stored as well, as was a password nested
//! anywhere else. Every member named `password`, at any depth, is now removed before a
//! row is written.

use serde_json::json;

use crate::common::store::db_path;
use crate::common::{patch, Bridge};
use crate::USER;

/// The core User URN cut at its last colon, as the PATCH engine splits it.
const SPLIT: &str = "urn:ietf:params:scim:schemas:core:2.0";

/// Whether any file of `dir` (the database, its -wal and -shm) holds `needle`.
fn stored(dir: &std::path::Path, needle: &str) -> Option<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .find(|p| {
            std::fs::read(p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        })
        .map(|p| p.display().to_string())
}

#[test]
fn passwords_under_split_or_nested_keys_are_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let secret = |name: &str| format!("{name}-Split-PW-9QZ");
    let mut sent = Vec::new();

    // POST with the split key, and a password nested deeper, with spaces in the key.
    sent.push(secret("post"));
    sent.push(secret("nested"));
    let (status, user) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "split@example.com",
            SPLIT: {"User": {"displayName": "X", "password": secret("post")}},
            "name": {"givenName": "A", " Password ": secret("nested")}})),
    );
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/scim/v2/Users/{id}");

    // PUT with the split key.
    sent.push(secret("put"));
    let (status, v) = b.call(
        "PUT",
        &path,
        Some(&json!({"schemas": [USER], "userName": "split@example.com",
            SPLIT: {"User": {"password": secret("put")}}})),
    );
    assert_eq!(status, 200, "{v}");

    // A path-less PATCH keyed by the core URN (RFC 7644 §3.5.2).
    sent.push(secret("ReplSplitPW"));
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(json!([{"op": "replace",
            "value": {USER: {"displayName": "X", "password": secret("ReplSplitPW")}}}]))),
    );
    assert!(status == 200 || status == 400, "{status} {v}");
    // And with the already split key.
    sent.push(secret("patch-split"));
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(json!([{"op": "add",
            "value": {SPLIT: {"User": {"password": secret("patch-split")}}}}]))),
    );
    assert!(status == 200 || status == 400, "{status} {v}");

    // Bulk: a POST with the split key and a path-less PATCH keyed by the core URN.
    sent.push(secret("bulk-post"));
    sent.push(secret("bulk-patch"));
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Bulk",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "b1",
                 "data": {"schemas": [USER], "userName": "bulk-split@example.com",
                          SPLIT: {"User": {"password": secret("bulk-post")}}}},
                {"method": "PATCH", "path": format!("/Users/{id}"),
                 "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [{"op": "replace",
                              "value": {USER: {"password": secret("bulk-patch")}}}]}}
            ]
        })),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Operations"][0]["status"], "201", "{v}");

    let (_, got) = b.call("GET", &path, None);
    for s in &sent {
        assert!(!got.to_string().contains(s.as_str()), "served: {got}");
    }
    // While the bridge runs (the rows still in the -wal), and after it stops.
    for s in &sent {
        assert_eq!(stored(dir.path(), s), None, "running: {s} stored");
    }
    drop(b);
    assert!(db_path(dir.path()).exists());
    for s in &sent {
        assert_eq!(stored(dir.path(), s), None, "stopped: {s} stored");
    }
}
