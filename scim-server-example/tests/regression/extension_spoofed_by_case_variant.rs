//! Attack: the 1Password extension (`urn:…:1password:2.0:User`) is server-owned state,
//! but a client could send it under a case variant of its URN (all upper case, mixed
//! case): the bridge stored the copy and returned it next to the real state, so an
//! identity provider could make a person look active, or confirmed, to whoever reads it.
//! Client data under that URN, in any casing and on every write path (create, PUT, PATCH
//! with a path or path-less), is refused or dropped, never stored.

use serde_json::{json, Value};

use crate::common::store::db_path;
use crate::common::{patch, state, Bridge};
use crate::{EXT, USER};

/// The keys of `v` that name the extension in any casing.
fn extension_keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|o| {
            o.keys()
                .filter(|k| k.to_lowercase().starts_with(&EXT.to_lowercase()))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The user as stored and served: only the server's state, once, under the exact URN.
fn assert_only_the_servers_state(b: &Bridge, id: &str, step: &str) {
    let (status, v) = b.call(
        "GET",
        &format!(
            "/scim/v2/Users/{id}?attributes={EXT}:state,{EXT}:stateChangedAt,userName,schemas"
        ),
        None,
    );
    assert_eq!(status, 200, "{step}: {v}");
    assert_eq!(extension_keys(&v), vec![EXT.to_owned()], "{step}: {v}");
    let (_, v) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
    assert!(extension_keys(&v).is_empty(), "{step}: unasked: {v}");
    for s in v["schemas"].as_array().into_iter().flatten() {
        assert!(
            !s.as_str().unwrap_or_default().eq_ignore_ascii_case(EXT),
            "{step}: {v}"
        );
    }
    assert_eq!(state(b, id), "invited", "{step}");
    let (_, list) = b.call(
        "GET",
        &format!("/scim/v2/Users?filter=id+eq+%22{id}%22&attributes={EXT}:state"),
        None,
    );
    assert_eq!(
        extension_keys(&list["Resources"][0]),
        vec![EXT.to_owned()],
        "{step}: {list}"
    );
}

#[test]
fn case_variants_of_the_extension_are_never_stored() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let upper = EXT.to_uppercase();
    let mixed = EXT
        .replace("1password", "1PassWord")
        .replace("User", "USER");
    let spoof = json!({"state": "active", "stateChangedAt": "2000-01-01T00:00:00Z"});

    // Create with the variants as keys and in `schemas`: refused or dropped.
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(
            &json!({"schemas": [USER, upper], "userName": "spoof@example.com",
            upper.clone(): spoof, format!("{mixed}:state"): "active"}),
        ),
    );
    let id = if status == 201 {
        v["id"].as_str().unwrap().to_owned()
    } else {
        assert_eq!(status, 400, "{v}");
        let (status, v) = b.call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"schemas": [USER], "userName": "spoof@example.com"})),
        );
        assert_eq!(status, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    };
    assert_only_the_servers_state(&b, &id, "create");
    let path = format!("/scim/v2/Users/{id}");

    let (status, v) = b.call(
        "PUT",
        &path,
        Some(&json!({"schemas": [USER, mixed], "userName": "spoof@example.com", mixed.clone(): spoof})),
    );
    assert!(status == 200 || status == 400, "{status} {v}");
    assert_only_the_servers_state(&b, &id, "PUT");

    for ops in [
        json!([{"op": "add", "path": format!("{upper}:state"), "value": "active"}]),
        json!([{"op": "replace", "path": format!("{mixed}:state"), "value": "active"}]),
        json!([{"op": "add", "value": {upper.clone(): spoof}}]),
        json!([{"op": "add", "value": {format!("{mixed}:state"): "active"}}]),
        json!([{"op": "add", "path": "schemas", "value": [upper]}]),
    ] {
        let (status, v) = b.call("PATCH", &path, Some(&patch(ops.clone())));
        assert!(status == 200 || status == 400, "{ops}: {status} {v}");
        assert_only_the_servers_state(&b, &id, &ops.to_string());
    }

    // Nor in the database, in any casing other than the exact URN (which is never stored
    // either: the state lives in its own table).
    drop(b);
    let conn = rusqlite::Connection::open(db_path(dir.path())).unwrap();
    let data: String = conn
        .query_row("SELECT data FROM resources WHERE id = ?1", [&id], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(!data.to_lowercase().contains("1password"), "stored: {data}");
}
