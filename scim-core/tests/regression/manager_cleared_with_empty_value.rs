//! Found by replaying Microsoft's SCIM Validator (issue 11): its "Remove Manager" test
//! sends `{"op":"replace","path":"urn:…:enterprise:2.0:User:manager","value":{"value":""}}`
//! and the user kept a manager `{"value":""}` that is no one (RFC 7643 §4.3: the
//! manager's `value` is its `id`, never empty, §3.1). Under
//! `Compat::empty_value_unassigns` (Entra profile and the default) an empty reference
//! unassigns the manager; `Compat::strict()` keeps the literal reading.

use std::sync::Arc;

use crate::common::{call, send};
use scim2_core::patch::Compat;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Value};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn service(compat: Compat) -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new()))
        .with_config(ServiceConfig::default().with_compat(compat))
}

/// A user whose manager is set, and the path to it.
async fn managed_user(svc: &ScimService) -> String {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "ann",
        ENTERPRISE: {"department": "Sales", "manager": {"value": "boss-id"}}
    });
    let r = send(svc, "POST", "/Users", &body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    format!("/Users/{}", r.json["id"].as_str().unwrap())
}

fn clear(value: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": value}]})
}

#[tokio::test]
async fn an_empty_manager_reference_unassigns_the_manager() {
    for value in [json!({"value": ""}), json!(""), json!({"Value": null})] {
        for compat in [Compat::default(), Compat::entra()] {
            let svc = service(compat);
            let at = managed_user(&svc).await;
            let r = send(&svc, "PATCH", &at, &clear(value.clone())).await;
            assert_eq!(r.status, 200, "{value}: {}", r.json);
            assert!(
                r.json[ENTERPRISE].get("manager").is_none(),
                "{value}: the manager is gone: {}",
                r.json
            );
            assert_eq!(r.json[ENTERPRISE]["department"], "Sales");
            let r = call(&svc, "GET", &at, &[], None).await;
            assert!(r.json[ENTERPRISE].get("manager").is_none(), "{}", r.json);
        }
    }
}

#[tokio::test]
async fn strict_stores_what_it_is_given() {
    let svc = service(Compat::strict());
    let at = managed_user(&svc).await;
    let r = send(&svc, "PATCH", &at, &clear(json!({"value": ""}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json[ENTERPRISE]["manager"], json!({"value": ""}));
}

#[tokio::test]
async fn a_real_manager_is_still_replaced() {
    let svc = service(Compat::default());
    let at = managed_user(&svc).await;
    let r = send(&svc, "PATCH", &at, &clear(json!({"value": "other-boss"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json[ENTERPRISE]["manager"]["value"], "other-boss");
}

/// Found by the attack review: only the whole-object PATCH forms unassigned the manager;
/// `.value` set to "", an empty `value` beside a `displayName`, a blank value, and
/// POST/PUT bodies stored a manager that is no one.
#[tokio::test]
async fn every_form_of_an_empty_manager_unassigns_it() {
    let svc = service(Compat::default());
    let patches = [
        json!({"op": "replace", "path": format!("{ENTERPRISE}:manager.value"), "value": ""}),
        json!({"op": "replace", "path": format!("{ENTERPRISE}:manager"),
               "value": {"value": "", "displayName": "Boss"}}),
        json!({"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": " "}}),
        json!({"op": "replace", "value": {format!("{ENTERPRISE}:manager"): {"value": ""}}}),
    ];
    for op in patches {
        let at = managed_user(&svc).await;
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [op]});
        let r = send(&svc, "PATCH", &at, &body).await;
        assert_eq!(r.status, 200, "{body}: {}", r.json);
        assert!(
            r.json[ENTERPRISE].get("manager").is_none(),
            "{body}: {}",
            r.json
        );
        let _ = send(&svc, "DELETE", &at, &Value::Null).await;
    }
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "userName": "bob",
        ENTERPRISE: {"department": "Sales", "manager": {"value": ""}}
    });
    let r = send(&svc, "POST", "/Users", &body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert!(r.json[ENTERPRISE].get("manager").is_none(), "{}", r.json);
    let at = format!("/Users/{}", r.json["id"].as_str().unwrap());
    let r = send(&svc, "PUT", &at, &body).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json[ENTERPRISE].get("manager").is_none(), "{}", r.json);
}
