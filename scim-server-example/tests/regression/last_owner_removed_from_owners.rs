//! Attack: the last Owner can be neither suspended nor deleted, but removing them from the
//! Owners group first (PATCH remove of the member, or a PUT of Owners without them) was
//! allowed, after which deleting them was too: the account was left without an Owner.
//! Removing the last enabled Owner from Owners is refused with 403, on every path.

use serde_json::{json, Value};

use crate::common::{patch, Bridge};
use crate::USER;

fn owners(b: &Bridge) -> Vec<String> {
    let (status, g) = b.call("GET", "/scim/v2/Groups/owners", None);
    assert_eq!(status, 200, "{g}");
    g["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect()
}

fn refused(b: &Bridge, method: &str, body: &Value, what: &str) {
    let (status, v) = b.call(method, "/scim/v2/Groups/owners", Some(body));
    assert_eq!(status, 403, "{what}: {v}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("last Owner"),
        "{what}: {v}"
    );
}

#[test]
fn the_last_owner_cannot_be_removed_from_owners_on_any_path() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let user = |name: &str| {
        let (status, v) = b.call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"schemas": [USER], "userName": name})),
        );
        assert_eq!(status, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    };
    let ann = user("ann@example.com");
    let (status, v) = b.call(
        "PATCH",
        "/scim/v2/Groups/owners",
        Some(&patch(
            json!([{"op": "add", "path": "members", "value": [{"value": ann}]}]),
        )),
    );
    assert!(status == 200 || status == 204, "{v}");
    assert_eq!(owners(&b), vec![ann.clone()]);

    refused(
        &b,
        "PATCH",
        &patch(json!([{"op": "remove", "path": "members", "value": [{"value": ann}]}])),
        "remove by value list",
    );
    refused(
        &b,
        "PATCH",
        &patch(json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}])),
        "remove by filter",
    );
    refused(
        &b,
        "PATCH",
        &patch(json!([{"op": "remove", "path": "members"}])),
        "remove all members",
    );
    refused(
        &b,
        "PATCH",
        &patch(json!([{"op": "replace", "path": "members", "value": []}])),
        "replace members",
    );
    refused(
        &b,
        "PUT",
        &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Owners"}),
        "PUT without members",
    );
    assert_eq!(owners(&b), vec![ann.clone()], "nothing changed");
    let (status, v) = b.call("DELETE", &format!("/scim/v2/Users/{ann}"), None);
    assert_eq!(status, 403, "{v}");

    // With a second enabled Owner, either can leave.
    let bob = user("bob@example.com");
    let (status, v) = b.call(
        "PATCH",
        "/scim/v2/Groups/owners",
        Some(&patch(
            json!([{"op": "add", "path": "members", "value": [{"value": bob}]}]),
        )),
    );
    assert!(status == 200 || status == 204, "{v}");
    let (status, v) = b.call(
        "PATCH",
        "/scim/v2/Groups/owners",
        Some(&patch(
            json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]),
        )),
    );
    assert!(status == 200 || status == 204, "{v}");
    assert_eq!(owners(&b), vec![bob.clone()]);
    // Bob is now the last one; a PUT keeping him is fine.
    let (status, v) = b.call(
        "PUT",
        "/scim/v2/Groups/owners",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Owners",
            "members": [{"value": bob}, {"value": ann}]})),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(owners(&b).len(), 2);
}
