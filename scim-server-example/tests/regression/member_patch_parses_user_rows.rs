//! Attack: a members-only group PATCH is applied inside the write transaction, and to
//! learn each added member's kind it read and parsed the member's whole user row. Twenty
//! users with 1 MB titles and one PATCH of 450 × (add the twenty, remove them) held the
//! write lock for 16 s, and `scim-bridge invitations accept` failed with "database is
//! locked" after its 10 s busy timeout. A member's kind is now learnt from its id alone.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::store::{initialise, seed_users, send};
use crate::common::{patch, Bridge};

/// Rounds of (add every member, remove them) in the PATCH.
const ROUNDS: usize = 450;

#[test]
fn a_members_patch_does_not_read_member_rows_under_the_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    let ids = seed_users(dir.path(), "big-", 20, 1 << 20);
    let b = Bridge::start(dir.path(), &["--max-body-bytes", "16777216"]);
    let (status, g) = b.call(
        "POST",
        "/scim/v2/Groups",
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "churn"}),
        ),
    );
    assert_eq!(status, 201, "{g}");
    let path = format!("/scim/v2/Groups/{}", g["id"].as_str().unwrap());
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let ops: Vec<Value> = (0..ROUNDS)
        .flat_map(|_| {
            [
                json!({"op": "add", "path": "members", "value": members}),
                json!({"op": "remove", "path": "members", "value": members}),
            ]
        })
        .collect();
    let body = patch(Value::Array(ops));

    let slow = {
        let (url, path) = (b.url.clone(), path.clone());
        std::thread::spawn(move || {
            send(&url, "PATCH", &path, Some(&body), Duration::from_secs(600))
        })
    };
    // Let the PATCH reach the store (not an assertion: the outcome below is).
    std::thread::sleep(Duration::from_millis(500));
    let (ok, out) = b.subcommand(&["invitations", "accept", "big-3@example.com"]);
    let r = slow.join().unwrap();
    assert!(r.status == 200 || r.status == 204, "{r:?}");
    assert!(ok, "invitations accept during the members PATCH: {out}");
    let (_, got) = b.call("GET", &path, None);
    assert!(got.get("members").is_none(), "{got}");
}
