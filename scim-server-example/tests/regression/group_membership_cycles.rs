//! Attack: a group could be made its own member, and two groups each other's (A in B, B
//! in A): membership cycles that make "who is in this group" endless for any consumer
//! expanding nested groups. Both are refused with 400 `invalidValue` naming the cycle, on
//! create, PUT and PATCH (fast path and general engine); acyclic nesting stays allowed.

use serde_json::{json, Value};

use crate::common::{patch, Bridge};

const G: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn invalid(v: &(u16, Value), what: &str, names: &[&str]) {
    assert_eq!(v.0, 400, "{what}: {}", v.1);
    assert_eq!(v.1["scimType"], "invalidValue", "{what}: {}", v.1);
    let detail = v.1["detail"].as_str().unwrap_or_default();
    for n in names {
        assert!(detail.contains(n), "{what}: the detail names {n}: {detail}");
    }
}

#[test]
fn groups_cannot_contain_themselves_or_make_cycles() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let group = |name: &str, members: Value| {
        let (status, v) = b.call(
            "POST",
            "/scim/v2/Groups",
            Some(&json!({"schemas": [G], "displayName": name, "members": members})),
        );
        assert_eq!(status, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    };
    let a = group("A", json!([]));
    let bb = group("B", json!([{"value": a}]));
    let add = |to: &str, member: &str| {
        b.call(
            "PATCH",
            &format!("/scim/v2/Groups/{to}"),
            Some(&patch(
                json!([{"op": "add", "path": "members", "value": [{"value": member}]}]),
            )),
        )
    };

    invalid(&add(&a, &a), "A in A (PATCH)", &[&a]);
    invalid(&add(&a, &bb), "B in A (PATCH)", &[&a, &bb]);
    invalid(
        &b.call(
            "PATCH",
            &format!("/scim/v2/Groups/{a}"),
            Some(&patch(json!([{"op": "replace", "path": "members", "value": [{"value": bb, "display": "B"}]}]))),
        ),
        "B in A (PATCH replace, general engine)",
        &[&a, &bb],
    );
    invalid(
        &b.call(
            "PUT",
            &format!("/scim/v2/Groups/{a}"),
            Some(&json!({"schemas": [G], "displayName": "A", "members": [{"value": bb}]})),
        ),
        "B in A (PUT)",
        &[&a, &bb],
    );
    invalid(
        &b.call(
            "PUT",
            &format!("/scim/v2/Groups/{a}"),
            Some(&json!({"schemas": [G], "displayName": "A", "members": [{"value": a}]})),
        ),
        "A in A (PUT)",
        &[&a],
    );

    // Three groups: C holds B, which holds A; A may not hold C.
    let c = group("C", json!([{"value": bb}]));
    let cycle = add(&a, &c);
    invalid(&cycle, "C in A", &[&a, &bb, &c]);
    assert!(
        cycle.1["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{a} → {c} → {bb} → {a}")),
        "{}",
        cycle.1
    );

    // Nothing of the refused changes was written; acyclic nesting still works.
    let (_, got) = b.call("GET", &format!("/scim/v2/Groups/{a}"), None);
    assert!(got.get("members").is_none(), "{got}");
    let d = group("D", json!([]));
    let (status, v) = add(&d, &c);
    assert!(status == 200 || status == 204, "{v}");
    let (status, v) = add(&a, &group("E", json!([])));
    assert!(status == 200 || status == 204, "{v}");
}
