//! Found by the attack review of the bridge: a path-less PATCH whose value names the base
//! schema, `{"op":"replace","value":{"urn:ietf:params:scim:schemas:core:2.0:User":
//! {"displayName":"X","password":"P"}}}`, had its key read as an attribute path and split
//! at the last colon: the resource gained a bogus
//! `"urn:ietf:params:scim:schemas:core:2.0": {"User": {…}}` object (password included)
//! and `displayName` was not set.
//!
//! RFC 7644 §3.5.2.1 and §3.5.2.3: without a `path`, the value is a set of attributes of
//! the resource, and a schema URN key holds that schema's attributes. Now, in any case, the
//! base schema's URN applies its object's members as attributes of the resource (each
//! member a path relative to that schema), an extension's URN applies to that extension,
//! and a schema URN nested inside the base schema's object is refused. In a POST or PUT
//! body (RFC 7644 §3.3, §3.5.1) the base schema's URN key is read the same way: its
//! attributes merged into the resource, never kept as an opaque object. A password inside
//! it is an ordinary password: the in-memory store never keeps it.

use std::sync::Arc;

use crate::common::send;
use scim2_core::provisioner::{InMemoryProvisioner, Provisioner, RequestContext};
use scim2_core::service::ScimService;
use serde_json::{json, Value};

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SECRET: &str = "Pa55-w0rd-in-a-urn";

/// No top-level key other than `schemas` is a URN of a core schema or a prefix of one,
/// and the password is nowhere.
fn assert_clean(v: &Value) {
    for k in v.as_object().unwrap().keys() {
        assert!(
            !k.to_ascii_lowercase()
                .starts_with("urn:ietf:params:scim:schemas:core"),
            "bogus key {k}: {v}"
        );
    }
    assert!(!v.to_string().contains(SECRET), "password kept: {v}");
}

async fn user(svc: &ScimService) -> String {
    let r = send(svc, "POST", "/Users", &json!({"userName": "ann"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_pathless_patch_under_the_base_urn_sets_the_attributes() {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = ScimService::new(store.clone());
    let ctx = RequestContext::default();
    let id = user(&svc).await;
    let path = format!("/Users/{id}");
    for (i, (op, urn)) in [
        ("replace", USER.to_owned()),
        ("add", USER.to_owned()),
        ("Replace", USER.to_uppercase()),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("X{i}");
        let body = json!({"schemas": [P], "Operations": [{"op": op, "value": {
            urn.as_str(): {"displayName": name, "password": SECRET, "name.givenName": "Ann"}
        }}]});
        let r = send(&svc, "PATCH", &path, &body).await;
        assert_eq!(r.status, 200, "{op} {urn}: {}", r.json);
        assert_eq!(r.json["displayName"], name.as_str());
        assert_eq!(r.json["name"]["givenName"], "Ann");
        assert_clean(&r.json);
        let stored = store.get(&ctx, "User", &id).await.unwrap();
        assert_eq!(stored["displayName"], name.as_str());
        assert_clean(&stored);
    }
}

#[tokio::test]
async fn a_pathless_patch_under_the_extension_urn_still_merges() {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = ScimService::new(store.clone());
    let id = user(&svc).await;
    let path = format!("/Users/{id}");
    for (op, value) in [
        ("add", json!({ENTERPRISE: {"department": "Sales"}})),
        ("replace", json!({ENTERPRISE: {"employeeNumber": "42"}})),
    ] {
        let body = json!({"schemas": [P], "Operations": [{"op": op, "value": value}]});
        let r = send(&svc, "PATCH", &path, &body).await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let stored = store
        .get(&RequestContext::default(), "User", &id)
        .await
        .unwrap();
    assert_eq!(
        stored[ENTERPRISE],
        json!({"department": "Sales", "employeeNumber": "42"})
    );
    assert_clean(&stored);
}

#[tokio::test]
async fn a_schema_urn_inside_the_base_urn_object_is_refused() {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = ScimService::new(store.clone());
    let id = user(&svc).await;
    let path = format!("/Users/{id}");
    for inner in [
        json!({ENTERPRISE: {"department": "Sales"}}),
        json!({USER: {"displayName": "Y"}}),
        json!({format!("{ENTERPRISE}:department"): "Sales"}),
    ] {
        let body = json!({"schemas": [P], "Operations": [{"op": "add", "value": {USER: inner}}]});
        let r = send(&svc, "PATCH", &path, &body).await;
        assert_eq!(r.status, 400, "{inner}: {}", r.json);
        let r = send(
            &svc,
            "POST",
            "/Users",
            &json!({"userName": "z", USER: inner}),
        )
        .await;
        assert_eq!(r.status, 400, "POST {inner}: {}", r.json);
    }
    // The base URN as a `path` names no attribute: refused, not split at its last colon.
    for path_value in [USER.to_owned(), format!("{USER}.displayName")] {
        let body = json!({"schemas": [P], "Operations": [{"op": "replace", "path": path_value, "value": {"displayName": "Y"}}]});
        let r = send(&svc, "PATCH", &path, &body).await;
        assert_eq!(
            r.json["scimType"], "invalidPath",
            "{path_value}: {}",
            r.json
        );
    }
    // Not an object: refused too.
    let body = json!({"schemas": [P], "Operations": [{"op": "replace", "value": {USER: "X"}}]});
    let r = send(&svc, "PATCH", &path, &body).await;
    assert_eq!(r.json["scimType"], "invalidValue", "{}", r.json);
    let stored = store
        .get(&RequestContext::default(), "User", &id)
        .await
        .unwrap();
    assert_clean(&stored);
    assert!(stored.get(ENTERPRISE).is_none(), "{stored}");
}

#[tokio::test]
async fn a_post_or_put_under_the_base_urn_sets_the_attributes() {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = ScimService::new(store.clone());
    let ctx = RequestContext::default();
    let body = json!({
        "schemas": [USER],
        USER: {"userName": "bob", "displayName": "Bob", "password": SECRET},
        "title": "Boss"
    });
    let r = send(&svc, "POST", "/Users", &body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(
        (
            &r.json["userName"],
            &r.json["displayName"],
            &r.json["title"]
        ),
        (&json!("bob"), &json!("Bob"), &json!("Boss"))
    );
    assert_clean(&r.json);
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert_clean(&store.get(&ctx, "User", &id).await.unwrap());

    let put = json!({USER.to_uppercase(): {"userName": "bob", "displayName": "Robert", "password": SECRET}});
    let r = send(&svc, "PUT", &format!("/Users/{id}"), &put).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["displayName"], "Robert");
    let stored = store.get(&ctx, "User", &id).await.unwrap();
    assert_eq!(stored["displayName"], "Robert");
    assert_clean(&stored);

    // A Group's base schema too.
    let r = send(
        &svc,
        "POST",
        "/Groups",
        &json!({GROUP: {"displayName": "crew"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["displayName"], "crew");
    assert_clean(&r.json);
}
