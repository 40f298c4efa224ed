//! Shared fixtures for the benchmarks: the filters and resources every bench measures, so
//! that the Rust benches and the peer scripts run on the same inputs.

use serde_json::{json, Value};

/// Twenty representative filters: the RFC 7644 Figure 2 examples and the lookups Entra
/// ID and Okta send during Test Connection and incremental cycles.
pub const FILTERS: &[&str] = &[
    r#"userName eq "bjensen""#,
    r#"name.familyName co "O'Malley""#,
    r#"userName sw "J""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    r#"title pr"#,
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"meta.lastModified le "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    r#"userName eq "5f0a5d0c-3e1b-4d53-9a77-6a1b8a2c9e41""#,
    r#"externalId eq "00u1a2b3c4d5e6f7g8h9""#,
    r#"displayName eq "Sales Team""#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
    r#"emails[type eq "work"].value eq "bjensen@example.com""#,
];

/// The RFC 7643 §8.3 enterprise user, the resource filters are evaluated against.
pub fn enterprise_user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {
            "formatted": "Ms. Barbara J Jensen, III",
            "familyName": "Jensen",
            "givenName": "Barbara",
            "middleName": "Jane",
            "honorificPrefix": "Ms.",
            "honorificSuffix": "III"
        },
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "profileUrl": "https://login.example.com/bjensen",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "addresses": [{
            "streetAddress": "100 Universal City Plaza",
            "locality": "Hollywood",
            "region": "CA",
            "postalCode": "91608",
            "country": "USA",
            "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
            "type": "work",
            "primary": true
        }],
        "phoneNumbers": [
            {"value": "555-555-5555", "type": "work"},
            {"value": "555-555-4444", "type": "mobile"}
        ],
        "ims": [{"value": "someaimhandle", "type": "aim"}],
        "userType": "Employee",
        "title": "Tour Guide",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": true,
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff591\"",
            "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
        },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "costCenter": "4130",
            "organization": "Universal Studios",
            "division": "Theme Park",
            "department": "Tour Operations",
            "manager": {
                "value": "26118915-6090-4610-87e4-49d8ca9f808d",
                "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
                "displayName": "John Smith"
            }
        }
    })
}

/// The Entra ID PATCH shapes of DESIGN.md §5, as request bodies applied to
/// [`enterprise_user`].
pub fn entra_patches() -> Vec<Value> {
    let ops = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    vec![
        ops(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        ops(json!([{"op": "replace", "value": {
            "name.givenName": "Ann",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
            "active": false}}])),
        ops(
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann@example.com"}]),
        ),
        ops(
            json!([{"op": "Add", "path": "phoneNumbers[type eq \"fax\"].value", "value": "555-555-0000"}]),
        ),
        ops(json!([
            {"op": "Add", "path": "addresses[type eq \"other\"].locality", "value": "Seattle"},
            {"op": "Add", "path": "addresses[type eq \"other\"].postalCode", "value": "98052"}])),
        ops(
            json!([{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                    "value": "26118915-6090-4610-87e4-49d8ca9f808d"}]),
        ),
        ops(
            json!([{"op": "Remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]),
        ),
        ops(
            json!([{"op": "Replace", "path": "userName", "value": "barbara@example.com"},
                   {"op": "Replace", "path": "displayName", "value": "Barbara Jensen"}]),
        ),
    ]
}
