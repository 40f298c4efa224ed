//! Any bytes as a resource body, validated for create and as a replacement of the
//! RFC 7643 §8.3 user: never a panic, and a valid result validates again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2_core::schema::SchemaRegistry;
use scim2_core::validate::{validate, Context, ValidationOptions};
use serde_json::Value;

const USER: &str = include_str!("../../scim-core/tests/fixtures/rfc7643/enterprise-user.json");

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let registry = SchemaRegistry::standard();
    let opts = ValidationOptions::default();
    let existing: Value = serde_json::from_str(USER).unwrap();
    for rt in ["User", "Group"] {
        let schema = registry.resource_schema(rt).unwrap();
        for ctx in [Context::Create, Context::Replace { existing: &existing }] {
            if let Ok(out) = validate(&schema, ctx, &body, &opts) {
                let again = validate(&schema, ctx, &out, &opts).expect("a valid result validates");
                assert_eq!(again, out);
            }
        }
    }
});
