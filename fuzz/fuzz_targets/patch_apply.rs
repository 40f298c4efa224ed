//! Any bytes as a PATCH body applied to the RFC 7643 §8.3 enterprise user: never a panic,
//! and a successful result validates again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2_core::patch::{apply, Compat, PatchRequest};
use scim2_core::schema::SchemaRegistry;
use scim2_core::validate::{validate, Context, ValidationOptions};
use serde_json::Value;

const USER: &str = include_str!("../../scim-core/tests/fixtures/rfc7643/enterprise-user.json");

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let user: Value = serde_json::from_str(USER).unwrap();
    let compat = Compat::default();
    let Ok(request) = PatchRequest::from_value(&body, &compat) else {
        return;
    };
    if let Ok(after) = apply(&users, &user, &request, &compat) {
        let again = validate(
            &users,
            Context::Patch { existing: &user },
            &after,
            &ValidationOptions::default(),
        )
        .expect("a PATCH result must validate");
        assert_eq!(again, after);
    }
});
