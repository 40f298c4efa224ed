//! Found by the `resource_validate` fuzz target: an unknown attribute name whose fourth
//! byte falls inside a multi-byte character (`"uem😀…"`) panicked validation, which sliced
//! the name at byte 4 to look for a `urn:` prefix.

use scim2_core::schema::SchemaRegistry;
use scim2_core::validate::{validate, Context, ValidationOptions};
use serde_json::json;

#[test]
fn unknown_names_with_multibyte_characters_are_kept_not_panicked_on() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let input = json!({"userName": "a", "uem\u{1F600}as": {"x": 1}, "é": 1, "😀": {"y": 2}});
    let out = validate(
        &users,
        Context::Create,
        &input,
        &ValidationOptions::default(),
    )
    .unwrap();
    assert_eq!(out["uem\u{1F600}as"], json!({"x": 1}));
    assert_eq!(out["é"], 1);
}
