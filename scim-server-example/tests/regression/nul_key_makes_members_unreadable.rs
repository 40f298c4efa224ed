//! Found by the third attack review of the PostgreSQL mode: a JSON name (or any string)
//! holding U+0000 was stored on PostgreSQL (escaped as `\u0000` in the `data` text), and
//! then PostgreSQL's JSON functions, which read a group's `displayName` for each member
//! and a resource's version for each PATCH, failed on that row (22P05). So a group
//! created with `"urn:x:\u0000": 1` made every one of its members unreadable (400 on
//! GET, lookups and list pages), impossible to PATCH (Entra could not suspend them) or to
//! confirm; and lookups for a value holding U+0000 were 400 on PostgreSQL, 200 empty on
//! SQLite.
//!
//! Now the rules, which both engines share, refuse U+0000 in any name or string of a
//! resource a client writes (POST, PUT, the result of a PATCH, members added; Bulk
//! included) with 400 `invalidValue` naming the attribute, and lookups for such a value
//! find nothing, on both engines alike.

use serde_json::{json, Value};

use crate::common::postgres::server;
use crate::common::{patch, Bridge};
use crate::USER;

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Asserts a 400 `invalidValue` whose detail names `attribute` and U+0000.
fn refused(bridge: &Bridge, what: &str, (status, v): (u16, Value), attribute: &str) {
    let on = &bridge.url;
    assert_eq!(status, 400, "{what} on {on}: {v}");
    assert_eq!(v["scimType"], "invalidValue", "{what} on {on}: {v}");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(attribute) && detail.contains("U+0000"),
        "{what} on {on}: {detail}"
    );
}

/// `totalResults` of a 200 list answer.
fn found(bridge: &Bridge, what: &str, (status, v): (u16, Value)) -> u64 {
    assert_eq!(status, 200, "{what} on {}: {v}", bridge.url);
    v["totalResults"].as_u64().unwrap_or(u64::MAX)
}

/// Everything the review tried, on one bridge; returns the statuses of the member
/// removals, to compare across engines.
fn check(bridge: &Bridge) -> Vec<u16> {
    let (status, u) = bridge.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "victim@example.com"})),
    );
    assert_eq!(status, 201, "{u}");
    let uid = u["id"].as_str().unwrap().to_owned();
    let user_path = format!("/scim/v2/Users/{uid}");

    // The attack: a group holding the victim, with a name holding U+0000.
    let poison = json!({"schemas": [GROUP], "displayName": "Poison", "urn:x:\u{0}": 1,
                        "members": [{"value": uid}]});
    refused(
        bridge,
        "group create",
        bridge.call("POST", "/scim/v2/Groups", Some(&poison)),
        "urn:x:\\u0000",
    );
    let (status, v) = bridge.call("GET", &user_path, None);
    assert_eq!(status, 200, "{v}");
    let rename = patch(json!([{"op": "replace", "path": "title", "value": "t"}]));
    let (status, v) = bridge.call("PATCH", &user_path, Some(&rename));
    assert_eq!(status, 200, "{v}");

    // Any string, at any depth, of any write.
    let mut nick =
        json!({"schemas": [USER], "userName": "nick@example.com", "nickName": "a\u{0}b"});
    refused(
        bridge,
        "user create",
        bridge.call("POST", "/scim/v2/Users", Some(&nick)),
        "nickName",
    );
    nick["nickName"] = json!("ok");
    nick["emails"] = json!([{"value": "a\u{0}@example.com"}]);
    refused(
        bridge,
        "user replace",
        bridge.call("PUT", &user_path, Some(&nick)),
        "emails[0].value",
    );
    for (path, value, attribute) in [
        ("externalId", json!("x\u{0}"), "externalId"),
        ("userName", json!("p\u{0}@example.com"), "userName"),
        ("name", json!({"givenName": "\u{0}"}), "name.givenName"),
    ] {
        let op = patch(json!([{"op": "replace", "path": path, "value": value}]));
        refused(
            bridge,
            "user patch",
            bridge.call("PATCH", &user_path, Some(&op)),
            attribute,
        );
    }
    let (status, v) = bridge.call(
        "POST",
        "/scim/v2/Bulk",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b1",
                "data": {"schemas": [USER], "userName": "bulk@example.com", "title": "\u{0}"}}]
        })),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Operations"][0]["status"], "400", "{v}");
    let (status, g) = bridge.call(
        "POST",
        "/scim/v2/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "Plain"})),
    );
    assert_eq!(status, 201, "{g}");
    let group_path = format!("/scim/v2/Groups/{}", g["id"].as_str().unwrap());
    let add = patch(
        json!([{"op": "add", "path": "members", "value": [{"value": uid, "display": "\u{0}"}]}]),
    );
    refused(
        bridge,
        "members added",
        bridge.call("PATCH", &group_path, Some(&add)),
        "members[0].display",
    );
    let rename = patch(json!([{"op": "replace", "path": "displayName", "value": "g\u{0}"}]));
    refused(
        bridge,
        "group patch",
        bridge.call("PATCH", &group_path, Some(&rename)),
        "displayName",
    );

    // Lookups for a value holding U+0000 find nothing.
    for (rt, filter) in [
        ("Users", "userName%20eq%20%22%5Cu0000%22"),
        ("Users", "externalId%20eq%20%22a%5Cu0000b%22"),
        ("Users", "id%20eq%20%22%5Cu0000%22"),
        ("Groups", "displayName%20eq%20%22%5Cu0000%22"),
        ("Groups", "externalId%20eq%20%22%5Cu0000%22"),
    ] {
        let what = format!("{rt} {filter}");
        let reply = bridge.call("GET", &format!("/scim/v2/{rt}?filter={filter}"), None);
        assert_eq!(found(bridge, &what, reply), 0);
    }
    for (path, filter) in [
        ("/scim/v2/.search", "externalId eq \"\\u0000\""),
        ("/scim/v2/Users/.search", "userName eq \"\\u0000\""),
    ] {
        let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                            "filter": filter});
        let reply = bridge.call("POST", path, Some(&search));
        assert_eq!(found(bridge, path, reply), 0);
    }
    // Removing a member no group can have changes nothing.
    let mut statuses = Vec::new();
    for op in [
        json!({"op": "remove", "path": "members[value eq \"\\u0000\"]"}),
        json!({"op": "remove", "path": "members", "value": [{"value": "\u{0}"}]}),
    ] {
        let (status, v) = bridge.call("PATCH", &group_path, Some(&patch(json!([op]))));
        assert!(
            status == 200 || status == 204,
            "{op} on {}: {v}",
            bridge.url
        );
        statuses.push(status);
    }
    let (status, v) = bridge.call("GET", &user_path, None);
    assert_eq!(status, 200, "{v}");
    statuses
}

#[test]
fn nul_is_refused_in_every_write_and_found_nowhere_on_both_engines() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Bridge::start(&dir.path().join("sqlite"), &[]);
    let on_sqlite = check(&sqlite);
    if let Some(pg) = server() {
        let pg = Bridge::start(&dir.path().join("pg"), &["--database-url", &pg.database()]);
        assert_eq!(check(&pg), on_sqlite, "both engines answer alike");
    }
}
