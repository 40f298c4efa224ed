//! Found by the attack review of the bridge: the server-owned, read-only extension
//! `urn:ietf:params:scim:schemas:extension:1password:2.0:User` written by a client as
//! `URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:1PASSWORD:2.0:USER` (any casing) was kept by
//! validation as unknown data, then stored and returned beside the real account state.
//!
//! Schema URNs compare case-insensitively (RFC 8141 §3.1; RFC 7643 §2.1). Now a
//! top-level key equal, ignoring case, to a registered schema's URN is that schema: its
//! object is validated against the schema (readOnly attributes ignored on input, RFC
//! 7643 §2.2) and kept under the canonical URN. The same holds for PATCH paths.

use std::sync::Arc;

use crate::common::send;
use scim2_core::provisioner::{InMemoryProvisioner, Provisioner, RequestContext};
use scim2_core::schema::{AttributeDef, Mutability, Returned, Schema, SchemaRegistry};
use scim2_core::service::ScimService;
use serde_json::{json, Value};

const EXT: &str = "urn:ietf:params:scim:schemas:extension:1password:2.0:User";
const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// Shaped like the bridge's registry: a read-only schema registered, not declared an
/// extension of User.
fn registry() -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    let ro = Mutability::ReadOnly;
    registry.add_schema(Schema::new(
        EXT,
        "OnePasswordUser",
        "account state",
        vec![
            AttributeDef::string("state")
                .mutability(ro)
                .returned(Returned::Request),
            AttributeDef::date_time("stateChangedAt")
                .mutability(ro)
                .returned(Returned::Request),
        ],
    ));
    registry
}

fn variants() -> [String; 3] {
    [
        EXT.to_uppercase(),
        "urn:IETF:params:SCIM:schemas:extension:1PassWord:2.0:user".to_owned(),
        EXT.to_owned(),
    ]
}

/// No key of `v`, at top level, names the extension in any spelling.
fn assert_no_extension(v: &Value) {
    let obj = v.as_object().unwrap();
    for k in obj.keys() {
        assert!(!k.eq_ignore_ascii_case(EXT), "{k} kept: {v}");
    }
    assert!(!v.to_string().contains("active"), "{v}");
}

#[tokio::test]
async fn a_case_variant_urn_body_keeps_none_of_the_clients_values() {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = ScimService::new(store.clone()).with_registry(registry());
    let ctx = RequestContext::default();
    for (i, urn) in variants().iter().enumerate() {
        let body = json!({"userName": format!("u{i}"), urn.as_str(): {"state": "active", "stateChangedAt": "2020-01-01T00:00:00Z"}});
        let r = send(&svc, "POST", "/Users", &body).await;
        assert_eq!(r.status, 201, "{}", r.json);
        let id = r.json["id"].as_str().unwrap().to_owned();
        assert_no_extension(&store.get(&ctx, "User", &id).await.unwrap());

        let path = format!("/Users/{id}");
        let r = send(&svc, "PUT", &path, &body).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_no_extension(&store.get(&ctx, "User", &id).await.unwrap());

        // PATCH: without a path, with the URN as path, and with an attribute path.
        for op in [
            json!({"op": "add", "value": {urn.as_str(): {"state": "active"}}}),
            json!({"op": "add", "path": urn, "value": {"state": "active"}}),
            json!({"op": "replace", "path": format!("{urn}:state"), "value": "active"}),
        ] {
            let r = send(
                &svc,
                "PATCH",
                &path,
                &json!({"schemas": [P], "Operations": [op]}),
            )
            .await;
            assert!(
                r.status == 200 || r.status == 400,
                "{op}: {} {}",
                r.status,
                r.json
            );
            assert_no_extension(&store.get(&ctx, "User", &id).await.unwrap());
        }
    }
}

#[tokio::test]
async fn case_variant_extension_urns_merge_under_the_canonical_one() {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = ScimService::new(store.clone());
    let body = json!({
        "schemas": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER", ENTERPRISE.to_uppercase()],
        "userName": "m",
        ENTERPRISE: {"department": "Sales"},
        ENTERPRISE.to_uppercase(): {"employeeNumber": "42"}
    });
    let r = send(&svc, "POST", "/Users", &body).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let stored = store
        .get(
            &RequestContext::default(),
            "User",
            r.json["id"].as_str().unwrap(),
        )
        .await
        .unwrap();
    let obj = stored.as_object().unwrap();
    let ext_keys: Vec<&String> = obj
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(ENTERPRISE))
        .collect();
    assert_eq!(ext_keys, [ENTERPRISE]);
    assert_eq!(
        stored[ENTERPRISE],
        json!({"department": "Sales", "employeeNumber": "42"})
    );
    assert_eq!(
        stored["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE])
    );
}
