//! Any bytes given to the filter parser: never a panic; whatever parses also evaluates
//! against a sample user without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scim2_filter::{parse_filter, CompiledFilter, NoSchema};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(filter) = parse_filter(text) {
        let user = serde_json::json!({
            "userName": "bjensen@example.com",
            "active": true,
            "loginCount": 3,
            "emails": [{"type": "work", "value": "b@example.com", "primary": true}],
            "meta": {"lastModified": "2011-05-13T04:42:34Z"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"}
        });
        if let Ok(compiled) = CompiledFilter::new(&filter, &NoSchema) {
            let _ = compiled.matches(&user);
        }
    }
});
