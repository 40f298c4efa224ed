//! PATCH engine properties: atomicity, and (proptest) arbitrary operations on a full
//! enterprise user never panic and every successful result validates.

use proptest::prelude::*;
use scim2_core::patch::{apply, Compat, OpKind, PatchOperation, PatchRequest};
use scim2_core::schema::SchemaRegistry;
use scim2_core::validate::{validate, Context, ValidationOptions};
use serde_json::{json, Value};

fn full_user() -> Value {
    let text = include_str!("fixtures/rfc7643/enterprise-user.json");
    serde_json::from_str(text).unwrap()
}

#[test]
fn a_failing_third_operation_leaves_the_resource_unchanged() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let before = full_user();
    let snapshot = before.clone();
    let request = PatchRequest::new(vec![
        PatchOperation::new(OpKind::Replace, Some("displayName"), Some(json!("Changed"))),
        PatchOperation::new(OpKind::Add, Some("title"), Some(json!("Boss"))),
        PatchOperation::new(OpKind::Replace, Some("id"), Some(json!("hijack"))),
    ]);
    let err = apply(&users, &before, &request, &Compat::default()).unwrap_err();
    assert_eq!(err.operation_index(), Some(2), "{err}");
    assert_eq!(err.operation_path(), Some("id"));
    // The detail still tells a person which one, 1-based.
    assert!(err.detail().starts_with("operation 3"), "{}", err.detail());
    assert_eq!(before, snapshot);
    // Without the failing operation the first two apply.
    let ok = PatchRequest::new(request.operations[..2].to_vec());
    let after = apply(&users, &before, &ok, &Compat::default()).unwrap();
    assert_eq!(after["displayName"], "Changed");
    assert_eq!(after["title"], "Boss");
}

#[test]
fn strict_compat_reads_the_rfc_literally() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "Replace", "path": "active", "value": false}]});
    assert!(PatchRequest::from_value(&body, &Compat::strict()).is_err());
    let request = PatchRequest::new(vec![PatchOperation::new(
        OpKind::Add,
        Some("emails[type eq \"work\"].value"),
        Some(json!("x@example.com")),
    )]);
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a"});
    let e = apply(&users, &user, &request, &Compat::strict()).unwrap_err();
    assert_eq!(e.scim_type(), Some(scim2_core::ScimType::NoTarget));
}

fn path() -> impl Strategy<Value = Option<String>> {
    let names = prop::sample::select(vec![
        "userName",
        "displayName",
        "active",
        "title",
        "name",
        "name.givenName",
        "emails",
        "emails[type eq \"work\"]",
        "emails[type eq \"work\"].value",
        "emails[primary eq true].primary",
        "phoneNumbers",
        "addresses[type eq \"home\"].locality",
        "members",
        "groups",
        "id",
        "meta",
        "x509Certificates",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "unknownAttr",
        "emails[value co \"@\" or not (type pr)]",
        "name[givenName eq \"x\"]",
        "bad[[path",
    ]);
    prop::option::weighted(0.85, names.prop_map(str::to_owned))
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        prop::sample::select(vec![
            "True",
            "false",
            "x@example.com",
            "work",
            "",
            "2011-05-13T04:42:34Z"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "value",
                    "type",
                    "primary",
                    "givenName",
                    "display",
                    "name.familyName",
                    "$ref"
                ]),
                inner,
                0..3,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn operation() -> impl Strategy<Value = PatchOperation> {
    (
        prop::sample::select(vec![OpKind::Add, OpKind::Remove, OpKind::Replace]),
        path(),
        prop::option::of(value()),
    )
        .prop_map(|(op, path, value)| PatchOperation::new(op, path.as_deref(), value))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_patches_never_panic_and_results_validate(
        ops in prop::collection::vec(operation(), 1..4)
    ) {
        let registry = SchemaRegistry::standard();
        let users = registry.resource_schema("User").unwrap();
        let before = full_user();
        let request = PatchRequest::new(ops);
        if let Ok(after) = apply(&users, &before, &request, &Compat::default()) {
            let again = validate(&users, Context::Patch { existing: &before }, &after, &ValidationOptions::default());
            prop_assert!(again.is_ok(), "result does not validate: {:?}", again.err());
            prop_assert_eq!(again.unwrap(), after);
        }
    }
}
