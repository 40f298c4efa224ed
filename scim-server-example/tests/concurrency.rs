//! Many clients at once against the real bridge: PATCHes of one group's members and of
//! one user interleaved lose nothing (the result equals the serial one), and racing
//! creates of one userName make exactly one user.

mod common;

use std::sync::Arc;

use common::{patch, Bridge};
use serde_json::json;

#[test]
fn concurrent_patches_of_one_group_and_one_user_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let b = Arc::new(Bridge::start(dir.path(), &[]));
    let (_, g) = b.call(
        "POST",
        "/scim/v2/Groups",
        Some(&json!({"displayName": "crowd"})),
    );
    let gid = g["id"].as_str().unwrap().to_owned();
    let (_, u) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "target@example.com"})),
    );
    let uid = u["id"].as_str().unwrap().to_owned();
    let members: Vec<String> = (0..24)
        .map(|i| {
            b.call(
                "POST",
                "/scim/v2/Users",
                Some(&json!({"userName": format!("m{i}@example.com")})),
            )
            .1["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Everyone in first; then evens removed while odd ones are re-added and the user's
    // emails get one value per thread.
    let mut threads = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let (b, gid, m) = (b.clone(), gid.clone(), m.clone());
        threads.push(std::thread::spawn(move || {
            let add = patch(json!([{"op": "Add", "path": "members", "value": [{"value": m}]}]));
            assert_eq!(
                b.call("PATCH", &format!("/scim/v2/Groups/{gid}"), Some(&add))
                    .0,
                204,
                "{i}"
            );
        }));
    }
    for t in threads.drain(..) {
        t.join().unwrap();
    }
    for (i, m) in members.iter().enumerate() {
        let (b, gid, uid, m) = (b.clone(), gid.clone(), uid.clone(), m.clone());
        threads.push(std::thread::spawn(move || {
            let op = if i % 2 == 0 {
                json!({"op": "Remove", "path": "members", "value": [{"value": m}]})
            } else {
                json!({"op": "Add", "path": "members", "value": [{"value": m}]})
            };
            assert_eq!(b.call("PATCH", &format!("/scim/v2/Groups/{gid}"), Some(&patch(json!([op])))).0, 204);
            let email = patch(json!([{"op": "Add", "path": "emails", "value": [{"value": format!("e{i}@example.com"), "type": "other"}]}]));
            assert_eq!(b.call("PATCH", &format!("/scim/v2/Users/{uid}"), Some(&email)).0, 200);
        }));
    }
    for t in threads {
        t.join().unwrap();
    }
    let (_, g) = b.call("GET", &format!("/scim/v2/Groups/{gid}"), None);
    let mut got: Vec<&str> = g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want: Vec<&str> = members
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, m)| m.as_str())
        .collect();
    want.sort();
    assert_eq!(got, want);
    let (_, u) = b.call("GET", &format!("/scim/v2/Users/{uid}"), None);
    // The derived work email plus one per thread.
    assert_eq!(
        u["emails"].as_array().unwrap().len(),
        1 + members.len(),
        "{u}"
    );
}

#[test]
fn racing_creates_of_one_user_name_make_exactly_one() {
    let dir = tempfile::tempdir().unwrap();
    let b = Arc::new(Bridge::start(dir.path(), &[]));
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let b = b.clone();
            std::thread::spawn(move || {
                let name = if i % 2 == 0 {
                    "Same@Example.com"
                } else {
                    "same@example.com"
                };
                b.call("POST", "/scim/v2/Users", Some(&json!({"userName": name})))
                    .0
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        15,
        "{statuses:?}"
    );
}
