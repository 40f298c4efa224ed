//! From issue 11: `{"op":"remove","path":"emails.type"}` (a sub-attribute of a
//! multi-valued attribute, without a filter) was 400 `invalidPath`, though RFC 7644
//! §3.5.2.2 allows the path. Now it removes the sub-attribute from every value, and
//! `replace` (§3.5.2.3) and `add` (§3.5.2.1) set it on every value. Immutable
//! (`members.value`) and required sub-attributes keep the schema's rules
//! (`mutability`); with no values, `remove` succeeds without change and `replace` is
//! `noTarget` (there is nothing to set it on).

use crate::common::{send, service};
use scim2_core::service::ScimService;
use serde_json::{json, Value};

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

async fn create(svc: &ScimService, path: &str, body: Value) -> String {
    let r = send(svc, "POST", path, &body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    format!("{path}/{}", r.json["id"].as_str().unwrap())
}

#[tokio::test]
async fn a_sub_attribute_of_every_value() {
    let svc = service();
    let at = create(
        &svc,
        "/Users",
        json!({"userName": "ann", "emails": [
            {"value": "a@x.example", "type": "home"},
            {"value": "b@x.example", "type": "work", "display": "B"}]}),
    )
    .await;
    let r = send(
        &svc,
        "PATCH",
        &at,
        &patch(json!([{"op": "remove", "path": "emails.type"}])),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["emails"],
        json!([{"value": "a@x.example"}, {"value": "b@x.example", "display": "B"}])
    );
    for op in ["replace", "add"] {
        let r = send(
            &svc,
            "PATCH",
            &at,
            &patch(json!([{"op": op, "path": "emails.type", "value": op}])),
        )
        .await;
        assert_eq!(r.status, 200, "{op}: {}", r.json);
        assert_eq!(r.json["emails"][0]["type"], op);
        assert_eq!(r.json["emails"][1]["type"], op);
        assert_eq!(r.json["emails"][1]["display"], "B");
    }
}

#[tokio::test]
async fn no_values() {
    let svc = service();
    let at = create(&svc, "/Users", json!({"userName": "ann"})).await;
    let r = send(
        &svc,
        "PATCH",
        &at,
        &patch(json!([{"op": "remove", "path": "emails.type"}])),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json.get("emails").is_none(), "{}", r.json);
    let r = send(
        &svc,
        "PATCH",
        &at,
        &patch(json!([{"op": "replace", "path": "emails.type", "value": "work"}])),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(r.json["scimType"], "noTarget");
}

#[tokio::test]
async fn immutable_member_sub_attributes_are_kept() {
    let svc = service();
    let member = create(&svc, "/Users", json!({"userName": "ann"})).await;
    let id = member.rsplit('/').next().unwrap();
    let at = create(
        &svc,
        "/Groups",
        json!({"displayName": "g", "members": [{"value": id}]}),
    )
    .await;
    for op in [
        json!({"op": "remove", "path": "members.value"}),
        json!({"op": "replace", "path": "members.value", "value": "someone-else"}),
        json!({"op": "remove", "path": format!("members[value eq \"{id}\"].value")}),
    ] {
        let r = send(&svc, "PATCH", &at, &patch(json!([op]))).await;
        assert_eq!(r.status, 400, "{op}: {}", r.json);
        assert_eq!(r.json["scimType"], "mutability", "{op}");
    }
    let r = send(&svc, "GET", &at, &Value::Null).await;
    assert_eq!(r.json["members"][0]["value"], id, "{}", r.json);
}
