//! From issue 11: Entra ID sends
//! `{"op":"Replace","path":"addresses[type eq \"work\"].formatted","value":"…"}` (and the
//! same for `emails[type eq "work"].value`, `phoneNumbers[type eq "mobile"].value`) for
//! a user that has no such element yet, and was answered 400 `noTarget`. Under
//! `Compat::replace_creates_filtered_element` (on in the Entra profile and the default)
//! the element is appended, built from the filter's `eq` terms; `Compat::strict()` keeps
//! RFC 7644 §3.5.2.3's `noTarget`, and so does any filter that does not tell what the
//! element is (`ne`, `or`, `not`, `co`, `pr`).

use std::sync::Arc;

use crate::common::send;
use scim2_core::patch::Compat;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Value};

fn service(compat: Compat) -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new()))
        .with_config(ServiceConfig::default().with_compat(compat))
}

fn patch(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

async fn user(svc: &ScimService) -> String {
    let body = json!({"userName": "ann",
        "emails": [{"value": "ann@home.example", "type": "home"}]});
    let r = send(svc, "POST", "/Users", &body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    format!("/Users/{}", r.json["id"].as_str().unwrap())
}

#[tokio::test]
async fn entra_replace_creates_the_element_the_filter_names() {
    for compat in [Compat::default(), Compat::entra(), Compat::every_client()] {
        let svc = service(compat);
        let at = user(&svc).await;
        let ops = json!([
            {"op": "Replace", "path": "addresses[type eq \"work\"].formatted", "value": "1 Main St"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].postalCode", "value": "12345"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann@work.example"},
            {"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-0199"},
        ]);
        let r = send(&svc, "PATCH", &at, &patch(ops)).await;
        assert_eq!(r.status, 200, "{compat:?}: {}", r.json);
        assert_eq!(
            r.json["addresses"],
            json!([{"type": "work", "formatted": "1 Main St", "postalCode": "12345"}])
        );
        assert_eq!(
            r.json["emails"],
            json!([{"value": "ann@home.example", "type": "home"},
                   {"type": "work", "value": "ann@work.example"}])
        );
        assert_eq!(
            r.json["phoneNumbers"],
            json!([{"type": "mobile", "value": "555-0199"}])
        );
        // Stored, not only answered.
        let r = send(&svc, "GET", &at, &Value::Null).await;
        assert_eq!(r.json["addresses"][0]["formatted"], "1 Main St");
    }
}

#[tokio::test]
async fn the_rfc_reading_stays_available() {
    for compat in [Compat::strict(), Compat::okta()] {
        let svc = service(compat);
        let at = user(&svc).await;
        let ops = json!([{"op": "replace", "path": "addresses[type eq \"work\"].formatted",
                          "value": "1 Main St"}]);
        let r = send(&svc, "PATCH", &at, &patch(ops)).await;
        assert_eq!(r.status, 400, "{}", r.json);
        assert_eq!(r.json["scimType"], "noTarget");
    }
}

#[tokio::test]
async fn filters_that_do_not_name_the_element_create_nothing() {
    let svc = service(Compat::default());
    let at = user(&svc).await;
    for filter in [
        r#"type ne "home""#,
        r#"type eq "work" or type eq "other""#,
        r#"not (type eq "home")"#,
        r#"type co "wor""#,
        "display pr",
        "type eq null",
        r#"type eq "work" and type eq "other""#,
    ] {
        for op in ["add", "replace"] {
            let ops = json!([{"op": op, "path": format!("emails[{filter}].value"),
                              "value": "x@work.example"}]);
            let r = send(&svc, "PATCH", &at, &patch(ops)).await;
            assert_eq!(r.status, 400, "{op} {filter}: {}", r.json);
            assert_eq!(r.json["scimType"], "noTarget", "{op} {filter}");
        }
    }
    let r = send(&svc, "GET", &at, &Value::Null).await;
    assert_eq!(r.json["emails"].as_array().unwrap().len(), 1, "{}", r.json);
}

#[tokio::test]
async fn a_conjunction_with_a_boolean_literal_names_the_element() {
    let svc = service(Compat::entra());
    let at = user(&svc).await;
    let ops = json!([{"op": "replace",
                      "path": "emails[type eq \"work\" and primary eq true].value",
                      "value": "ann@work.example"}]);
    let r = send(&svc, "PATCH", &at, &patch(ops)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["emails"][1],
        json!({"type": "work", "primary": true, "value": "ann@work.example"})
    );
}

/// Found by the attack review of issue 11: a value path on a sub-attribute the schema
/// does not define created an element holding it, and a value that contradicts the
/// filter created an element the filter does not name.
#[tokio::test]
async fn created_elements_are_what_the_filter_names_and_nothing_else() {
    let svc = service(Compat::default());
    let at = user(&svc).await;
    for op in ["add", "replace"] {
        let ops = json!([{"op": op, "path": "emails[foo eq \"x\"].value", "value": "p@x.com"}]);
        let r = send(&svc, "PATCH", &at, &patch(ops)).await;
        assert_eq!(r.status, 400, "{op}: {}", r.json);
        assert_eq!(r.json["scimType"], "invalidPath", "{op}");
        let ops = json!([{"op": op, "path": "emails[value eq \"c@x.com\"].value",
                          "value": "d@x.com"}]);
        let r = send(&svc, "PATCH", &at, &patch(ops)).await;
        assert_eq!(r.status, 400, "{op}: {}", r.json);
        assert_eq!(r.json["scimType"], "noTarget", "{op}");
        let ops = json!([{"op": op, "path": "emails[type eq \"work\"]",
                          "value": {"type": "home", "value": "h@x.com"}}]);
        let r = send(&svc, "PATCH", &at, &patch(ops)).await;
        assert_eq!(r.status, 400, "{op}: {}", r.json);
        assert_eq!(r.json["scimType"], "noTarget", "{op}");
    }
    let r = send(&svc, "GET", &at, &Value::Null).await;
    assert_eq!(
        r.json["emails"],
        json!([{"value": "ann@home.example", "type": "home"}])
    );
}
