//! The RFC 7643 §8 example resources round-trip through the typed models unchanged, and
//! validate against the standard schemas.

use std::fs;
use std::path::Path;

use scim2_core::resource::{Group, ServiceProviderConfig, User};
use scim2_core::schema::{ResourceType, SchemaRegistry};
use scim2_core::validate::{validate, Context, ValidationOptions};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rfc7643")
        .join(name);
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn round_trip<T: Serialize + DeserializeOwned>(name: &str) -> T {
    let original = fixture(name);
    let typed: T = serde_json::from_value(original.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), original, "{name}");
    typed
}

#[test]
fn section_8_1_minimal_user() {
    let user: User = round_trip("minimal-user.json");
    assert_eq!(user.user_name, "bjensen@example.com");
}

#[test]
fn section_8_2_full_user() {
    let user: User = round_trip("full-user.json");
    assert_eq!(user.emails.len(), 2);
    assert_eq!(user.groups.len(), 3);
    assert_eq!(user.addresses[0].kind.as_deref(), Some("work"));
    assert_eq!(user.password.as_deref(), Some("t1meMa$heen"));
}

#[test]
fn section_8_3_enterprise_user() {
    let user: User = round_trip("enterprise-user.json");
    let ent = user.enterprise.expect("enterprise extension");
    assert_eq!(ent.employee_number.as_deref(), Some("701984"));
    assert_eq!(
        ent.manager.unwrap().display_name.as_deref(),
        Some("John Smith")
    );
}

#[test]
fn section_8_4_group() {
    let group: Group = round_trip("group.json");
    assert_eq!(group.members.len(), 2);
}

#[test]
fn section_8_5_service_provider_config() {
    let config: ServiceProviderConfig = round_trip("service-provider-config.json");
    assert_eq!(config.bulk.max_operations, 1000);
    assert_eq!(config.authentication_schemes.len(), 2);
}

#[test]
fn section_8_6_resource_types() {
    let types: Vec<ResourceType> = serde_json::from_value(fixture("resource-types.json")).unwrap();
    assert_eq!(types[0].endpoint, "/Users");
    assert!(types[0].schema_extensions[0].required);
    assert_eq!(
        types[1].schema,
        "urn:ietf:params:scim:schemas:core:2.0:Group"
    );
}

#[test]
fn unknown_extension_data_is_preserved() {
    let mut json = fixture("minimal-user.json");
    json["urn:example:ext:1.0:Badge"] = serde_json::json!({"number": 7});
    json["customThing"] = serde_json::json!([1, 2]);
    let user: User = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&user).unwrap(), json);
}

#[test]
fn examples_validate_against_the_standard_schemas() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let groups = registry.resource_schema("Group").unwrap();
    let opts = ValidationOptions::default();
    for name in [
        "minimal-user.json",
        "full-user.json",
        "enterprise-user.json",
    ] {
        let original = fixture(name);
        // As a replacement of itself: readOnly values (id, meta, groups) are kept.
        let out = validate(
            &users,
            Context::Replace {
                existing: &original,
            },
            &original,
            &opts,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(out, original, "{name}");
    }
    let group = fixture("group.json");
    let out = validate(
        &groups,
        Context::Replace { existing: &group },
        &group,
        &opts,
    )
    .unwrap();
    assert_eq!(out, group);
}
