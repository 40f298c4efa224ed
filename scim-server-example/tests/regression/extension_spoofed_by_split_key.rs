//! Attack: the 1Password extension was recognised only under keys starting with its
//! namespace, so a path-less PATCH value keyed
//! `"urn:ietf:params:scim:schemas:extension": {"1password:2.0:User": {"state": …}}` (the
//! shape the PATCH engine makes of a URN split at a colon), or a create whose key was the
//! extension URN with a leading space, was stored and returned next to the server's real
//! state. Any top-level key that, trimmed, is the extension, lies under it, or is a
//! leading part of its URN ending at a colon is now dropped.

use serde_json::{json, Value};

use crate::common::{patch, state, Bridge};
use crate::{EXT, USER};

/// Whether `v`, anywhere, holds a spoofed `"active"` state or the spoof's date.
fn spoofed(v: &Value) -> bool {
    let text = v.to_string();
    text.contains("\"active\"") || text.contains("2000-01-01")
}

/// The user's full form, with the extension asked for: only the server's state.
fn assert_only_the_servers_state(b: &Bridge, id: &str, step: &str) {
    let (status, v) = b.call(
        "GET",
        &format!("/scim/v2/Users/{id}?attributes={EXT}:state,userName,schemas"),
        None,
    );
    assert_eq!(status, 200, "{step}: {v}");
    assert_eq!(v[EXT]["state"], "invited", "{step}: {v}");
    let (_, full) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
    let keys: Vec<&String> = full.as_object().unwrap().keys().collect();
    for k in &keys {
        let k = k.trim().to_lowercase();
        assert!(
            !k.starts_with("urn:ietf:params:scim:schemas:extension")
                && k != "urn:ietf:params:scim:schemas",
            "{step}: a copy of the extension is kept: {full}"
        );
    }
    assert!(!spoofed(&full), "{step}: {full}");
    assert!(!spoofed(&v), "{step}: {v}");
    assert_eq!(state(b, id), "invited", "{step}");
}

#[test]
fn split_and_near_miss_extension_keys_are_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let spoof = json!({"state": "active", "stateChangedAt": "2000-01-01T00:00:00Z"});

    // Create with the URN behind a space, and a split copy.
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "near@example.com",
            format!(" {EXT}"): spoof,
            "urn:ietf:params:scim:schemas": {"extension:1password:2.0:User": spoof}})),
    );
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    assert_only_the_servers_state(&b, &id, "create");

    // A path-less PATCH value under the extension URN cut at a colon.
    let (status, v) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        Some(&patch(json!([{"op": "add", "value": {
            "urn:ietf:params:scim:schemas:extension": {"1password:2.0:User": spoof}}}]))),
    );
    assert!(status == 200 || status == 400, "{status} {v}");
    assert_only_the_servers_state(&b, &id, "path-less PATCH");

    // PUT with a trailing space.
    let (status, v) = b.call(
        "PUT",
        &format!("/scim/v2/Users/{id}"),
        Some(&json!({"schemas": [USER], "userName": "near@example.com",
            format!("{EXT} "): spoof})),
    );
    assert!(status == 200 || status == 400, "{status} {v}");
    assert_only_the_servers_state(&b, &id, "PUT");
}
