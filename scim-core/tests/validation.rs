//! Validation per context: create, replace and patch results.

use scim2_core::schema::{AttributeDef, Schema, SchemaRegistry};
use scim2_core::validate::{validate, Context, ValidationOptions};
use scim2_core::{ScimError, ScimType};
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn create(rt: &str, input: Value) -> Result<Value, ScimError> {
    let registry = SchemaRegistry::standard();
    let schema = registry.resource_schema(rt).unwrap();
    validate(
        &schema,
        Context::Create,
        &input,
        &ValidationOptions::default(),
    )
}

fn err_type(r: Result<Value, ScimError>) -> (u16, Option<ScimType>, String) {
    let e = r.expect_err("expected an error");
    (e.status().as_u16(), e.scim_type(), e.detail().to_owned())
}

/// The attribute path the error names ([`ScimError::attribute`]).
fn err_attribute(r: Result<Value, ScimError>) -> Option<String> {
    r.expect_err("expected an error")
        .attribute()
        .map(str::to_owned)
}

#[test]
fn create_normalises_names_and_coerces_string_booleans() {
    let out = create(
        "User",
        json!({"schemas": [USER, "urn:unknown:thing"], "UserName": "ann", "ACTIVE": "false",
               "Emails": [{"VALUE": "a@x.com", "Primary": "True", "type": "work"}],
               "name": {"givenname": "Ann", "familyName": null}}),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"schemas": [USER], "userName": "ann", "active": false,
               "emails": [{"value": "a@x.com", "primary": true, "type": "work"}],
               "name": {"givenName": "Ann"}})
    );
}

#[test]
fn create_ignores_read_only_and_client_meta() {
    let out = create(
        "User",
        json!({"userName": "ann", "id": "client-id", "meta": {"version": "W/\"x\""},
               "groups": [{"value": "g1"}]}),
    )
    .unwrap();
    assert_eq!(out, json!({"schemas": [USER], "userName": "ann"}));
}

#[test]
fn string_booleans_can_be_refused() {
    let registry = SchemaRegistry::standard();
    let schema = registry.resource_schema("User").unwrap();
    let strict = ValidationOptions::default().with_string_booleans(false);
    let r = validate(
        &schema,
        Context::Create,
        &json!({"userName": "a", "active": "True"}),
        &strict,
    );
    assert_eq!(err_type(r).1, Some(ScimType::InvalidValue));
}

#[test]
fn required_attributes_are_enforced() {
    let (status, t, detail) = err_type(create("User", json!({"displayName": "x"})));
    assert_eq!((status, t), (400, Some(ScimType::InvalidValue)));
    assert!(detail.contains("userName"), "{detail}");
    let attr = err_attribute(create("User", json!({"displayName": "x"})));
    assert_eq!(attr.as_deref(), Some("userName"));
    let (_, t, _) = err_type(create("Group", json!({"members": []})));
    assert_eq!(t, Some(ScimType::InvalidValue));
    let attr = err_attribute(create("Group", json!({"members": []})));
    assert_eq!(attr.as_deref(), Some("displayName"));
    // null is unassigned, so it does not satisfy required.
    assert!(create("User", json!({"userName": null})).is_err());
}

#[test]
fn types_are_checked_with_actionable_details() {
    let cases = [
        (
            json!({"userName": 5}),
            "userName` must be a string, not a number",
            "userName".to_owned(),
        ),
        (
            json!({"userName": "a", "active": "yes"}),
            "active` must be true or false",
            "active".to_owned(),
        ),
        (
            json!({"userName": "a", "name": "Ann"}),
            "name` must be an object",
            "name".to_owned(),
        ),
        (
            json!({"userName": "a", "emails": [{"value": 1}]}),
            "emails.value` must be a string",
            "emails.value".to_owned(),
        ),
        (
            json!({"userName": "a", "x509Certificates": [{"value": "not base64!"}]}),
            "base64",
            "x509Certificates.value".to_owned(),
        ),
        (
            json!({"userName": "a", ENT: {"manager": "x"}}),
            "manager` must be an object",
            format!("{ENT}:manager"),
        ),
        (
            json!({"userName": "a", ENT: {"manager": {"value": 7}}}),
            "manager.value` must be a string",
            format!("{ENT}:manager.value"),
        ),
        (
            json!({"userName": "a", ENT: "x"}),
            "must be an object of extension attributes",
            ENT.to_owned(),
        ),
        (
            json!({"userName": "a", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}),
            "at most one",
            "emails".to_owned(),
        ),
    ];
    for (input, expected, attribute) in cases {
        let (status, t, detail) = err_type(create("User", input.clone()));
        assert_eq!((status, t), (400, Some(ScimType::InvalidValue)), "{input}");
        assert!(detail.contains(expected), "{input}: {detail}");
        let attr = err_attribute(create("User", input.clone()));
        assert_eq!(attr.as_deref(), Some(attribute.as_str()), "{input}");
    }
    let (_, t, _) = err_type(create("User", json!(["not", "an", "object"])));
    assert_eq!(t, Some(ScimType::InvalidSyntax));
}

#[test]
fn canonical_only_values_are_normalised_or_refused() {
    let out = create(
        "Group",
        json!({"displayName": "g", "members": [{"value": "1", "type": "user"}]}),
    )
    .unwrap();
    assert_eq!(out["members"][0]["type"], "User");
    let (_, t, detail) = err_type(create(
        "Group",
        json!({"displayName": "g", "members": [{"value": "1", "type": "Robot"}]}),
    ));
    assert_eq!(t, Some(ScimType::InvalidValue));
    assert!(detail.contains("User, Group"), "{detail}");
    let attr = err_attribute(create(
        "Group",
        json!({"displayName": "g", "members": [{"value": "1", "type": "Robot"}]}),
    ));
    assert_eq!(attr.as_deref(), Some("members.type"));
    // Suggested canonical values (emails.type) are not enforced.
    assert!(create(
        "User",
        json!({"userName": "a", "emails": [{"value": "x", "type": "Other2"}]})
    )
    .is_ok());
}

#[test]
fn unknown_attributes_kept_unless_strict() {
    let input = json!({"userName": "a", "favouriteColour": "blue",
                       "urn:example:ext:1.0:Badge": {"number": 7}});
    let out = create("User", input.clone()).unwrap();
    assert_eq!(out["favouriteColour"], "blue");
    assert_eq!(out["urn:example:ext:1.0:Badge"], json!({"number": 7}));
    let mut strict = SchemaRegistry::standard();
    strict.set_strict(true);
    let schema = strict.resource_schema("User").unwrap();
    let r = validate(
        &schema,
        Context::Create,
        &input,
        &ValidationOptions::default(),
    );
    assert_eq!(err_type(r).1, Some(ScimType::InvalidValue));
}

#[test]
fn extensions_are_listed_in_schemas_and_custom_ones_validated() {
    let mut registry = SchemaRegistry::standard();
    registry
        .add_extension(
            "User",
            Schema::new(
                "urn:example:ext:1.0:Badge",
                "Badge",
                "",
                vec![AttributeDef::integer("number").required()],
            ),
            false,
        )
        .unwrap();
    let schema = registry.resource_schema("User").unwrap();
    let opts = ValidationOptions::default();
    let out = validate(
        &schema,
        Context::Create,
        &json!({"userName": "a", "urn:example:ext:1.0:badge": {"NUMBER": 7}, ENT: {"department": "x"}}),
        &opts,
    )
    .unwrap();
    assert_eq!(
        out["schemas"],
        json!([USER, ENT, "urn:example:ext:1.0:Badge"])
    );
    assert_eq!(out["urn:example:ext:1.0:Badge"], json!({"number": 7}));
    let r = validate(
        &schema,
        Context::Create,
        &json!({"userName": "a", "urn:example:ext:1.0:Badge": {"number": "seven"}}),
        &opts,
    );
    assert!(err_type(r).2.contains("integer"));
    let r = validate(
        &schema,
        Context::Create,
        &json!({"userName": "a", "urn:example:ext:1.0:Badge": {"other": 1}}),
        &opts,
    );
    assert!(err_type(r).2.contains("number"));
}

#[test]
fn replace_keeps_read_only_and_protects_immutable() {
    let mut registry = SchemaRegistry::standard();
    registry
        .add_extension(
            "User",
            Schema::new(
                "urn:example:ext:1.0:Hr",
                "Hr",
                "",
                vec![AttributeDef::string("badge")
                    .mutability(scim2_core::schema::Mutability::Immutable)],
            ),
            false,
        )
        .unwrap();
    let schema = registry.resource_schema("User").unwrap();
    let opts = ValidationOptions::default();
    let existing = json!({"schemas": [USER, "urn:example:ext:1.0:Hr"], "id": "1", "userName": "a",
                          "meta": {"version": "W/\"1\""}, "groups": [{"value": "g"}],
                          "urn:example:ext:1.0:Hr": {"badge": "B1"}});
    let out = validate(
        &schema,
        Context::Replace {
            existing: &existing,
        },
        &json!({"userName": "b", "id": "other", "urn:example:ext:1.0:Hr": {"badge": "b1"}}),
        &opts,
    )
    .unwrap();
    assert_eq!(out["id"], "1");
    assert_eq!(out["groups"], json!([{"value": "g"}]));
    assert_eq!(out["meta"]["version"], "W/\"1\"");
    assert_eq!(out["userName"], "b");
    let r = validate(
        &schema,
        Context::Replace {
            existing: &existing,
        },
        &json!({"userName": "b", "urn:example:ext:1.0:Hr": {"badge": "B2"}}),
        &opts,
    );
    let e = r.expect_err("an immutable value changed");
    assert_eq!(
        (e.status().as_u16(), e.scim_type()),
        (400, Some(ScimType::Mutability))
    );
    assert!(e.detail().contains("immutable"), "{}", e.detail());
    assert_eq!(e.attribute(), Some("urn:example:ext:1.0:Hr:badge"));
    // Setting an immutable value that had none is allowed.
    let bare = json!({"schemas": [USER], "id": "1", "userName": "a"});
    assert!(validate(
        &schema,
        Context::Replace { existing: &bare },
        &json!({"userName": "a", "urn:example:ext:1.0:Hr": {"badge": "B9"}}),
        &opts
    )
    .is_ok());
}

#[test]
fn required_extension_must_be_present() {
    let mut registry = SchemaRegistry::standard();
    registry
        .add_extension(
            "Group",
            Schema::new(
                "urn:example:ext:1.0:Team",
                "Team",
                "",
                vec![AttributeDef::string("code")],
            ),
            true,
        )
        .unwrap();
    let schema = registry.resource_schema("Group").unwrap();
    let r = validate(
        &schema,
        Context::Create,
        &json!({"displayName": "g"}),
        &ValidationOptions::default(),
    );
    let e = r.expect_err("a required extension is missing");
    assert!(
        e.detail().contains("urn:example:ext:1.0:Team"),
        "{}",
        e.detail()
    );
    assert_eq!(e.attribute(), Some("urn:example:ext:1.0:Team"));
}
