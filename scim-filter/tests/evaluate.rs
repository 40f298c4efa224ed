//! Evaluation tables: every rule of RFC 7644 §3.4.2.2 against a User and a Group.

use scim2_filter::{
    parse_filter, parse_path, AttrFacts, AttrType, CompareOp, CompiledFilter, EvalErrorKind,
    NoSchema, PatchPath, SchemaLookup,
};
use serde_json::{json, Value};

/// A hand-written slice of the RFC 7643 User and Group schemas: enough facts to show that
/// the evaluator uses them.
struct TestSchema;

impl SchemaLookup for TestSchema {
    fn attribute(&self, _urn: Option<&str>, path: &[&str]) -> Option<AttrFacts> {
        let lower: Vec<String> = path.iter().map(|p| p.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let facts = |attr_type, case_exact| AttrFacts::new(attr_type).with_case_exact(case_exact);
        Some(match lower.as_slice() {
            ["id"] | ["externalid"] => facts(AttrType::String, true),
            ["username"] | ["displayname"] | ["title"] | ["usertype"] => {
                facts(AttrType::String, false)
            }
            ["active"] => facts(AttrType::Boolean, false),
            ["emails"] => facts(AttrType::Complex, false),
            ["emails", "value"] | ["emails", "type"] => facts(AttrType::String, false),
            ["emails", "primary"] => facts(AttrType::Boolean, false),
            ["x509certificates"] => facts(AttrType::Complex, false),
            ["x509certificates", "value"] => facts(AttrType::Binary, true),
            ["meta", "lastmodified"] | ["meta", "created"] => facts(AttrType::DateTime, false),
            ["meta", "version"] => facts(AttrType::String, true),
            ["employeenumber"] => facts(AttrType::String, false),
            _ => return None,
        })
    }
}

fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "BJensen-Ext",
        "userName": "bjensen@example.com",
        "name": {"familyName": "Jensen", "givenName": "Barbara", "middleName": ""},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "userType": "Employee",
        "nickName": null,
        "active": true,
        "loginCount": 42,
        "score": 1.5,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "ims": [],
        "photos": [{}],
        "addresses": {},
        "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjEL"}],
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"a330bc54f0671c9\""
        },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "department": "Tour Operations",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        }
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"}
        ]
    })
}

fn eval_with(schema: &dyn SchemaLookup, resource: &Value, text: &str) -> bool {
    let filter = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let compiled = CompiledFilter::new(&filter, schema).unwrap_or_else(|e| panic!("{text}: {e}"));
    compiled
        .matches(resource)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn table(resource: &Value, rows: &[(&str, bool)]) {
    let mut wrong = Vec::new();
    for &(text, expected) in rows {
        for (schema, label) in [
            (&TestSchema as &dyn SchemaLookup, "schema"),
            (&NoSchema, "none"),
        ] {
            // Rows whose outcome depends on caseExact facts only hold with the schema.
            if label == "none" && text.contains("#schema-only") {
                continue;
            }
            let text = text.trim_end_matches(" #schema-only");
            if eval_with(schema, resource, text) != expected {
                wrong.push(format!("[{label}] {text} should be {expected}"));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn names_are_case_insensitive_and_strings_too_unless_case_exact() {
    table(
        &user(),
        &[
            (r#"userName eq "bjensen@example.com""#, true),
            (r#"USERNAME eq "BJENSEN@EXAMPLE.COM""#, true),
            (r#"username Eq "BJensen@Example.com""#, true),
            (r#"name.FAMILYNAME eq "jensen""#, true),
            (r#"externalId eq "BJensen-Ext""#, true),
            (r#"externalId eq "bjensen-ext" #schema-only"#, false),
            (
                r#"id eq "2819C223-7F76-453A-919D-413861904646" #schema-only"#,
                false,
            ),
            (
                r#"meta.version eq "w/\"A330BC54F0671C9\"" #schema-only"#,
                false,
            ),
            (r#"userName ne "bjensen@example.com""#, false),
            (r#"title co "our g""#, true),
            (r#"title sw "TOUR""#, true),
            (r#"title ew "GUIDE""#, true),
            (r#"title sw "Guide""#, false),
            (r#"title co """#, true),
        ],
    );
}

#[test]
fn multi_valued_attributes_match_when_any_value_does() {
    table(
        &user(),
        &[
            (r#"emails.type eq "home""#, true),
            (r#"emails.type eq "other""#, false),
            (r#"emails.type ne "work""#, true),
            (r#"emails.value ew "jensen.org""#, true),
            // A complex multi-valued attribute without sub-attribute compares `value`.
            (r#"emails co "example.com""#, true),
            (r#"emails eq "babs@jensen.org""#, true),
            (r#"emails co "home""#, false),
            (
                r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                true,
            ),
            (
                r#"emails[type eq "work" and value co "@example.com"]"#,
                true,
            ),
            (
                r#"emails[type eq "home" and value co "@example.com"]"#,
                false,
            ),
            (r#"emails[type eq "home" or primary eq true]"#, true),
            (r#"emails[not (type eq "work")]"#, true),
            (r#"emails[primary pr]"#, true),
            (r#"ims[type pr]"#, false),
            // Entra's extension: the sub-attribute of the element that matched.
            (
                r#"emails[type eq "work"].value eq "bjensen@example.com""#,
                true,
            ),
            (
                r#"emails[type eq "work"].value eq "babs@jensen.org""#,
                false,
            ),
            (r#"emails[type eq "home"].value pr"#, true),
        ],
    );
    table(
        &group(),
        &[
            (
                r#"members[value eq "902c246b-6245-4190-8e05-00816be7344a"]"#,
                true,
            ),
            (
                r#"members.value eq "902c246b-6245-4190-8e05-00816be7344a""#,
                true,
            ),
            (r#"members eq "2819c223-7f76-453a-919d-413861904646""#, true),
            (r#"members[value eq "nobody"]"#, false),
            (r#"members.$ref sw "https://example.com/v2/Users/""#, true),
            (r#"members.display co "pepper""#, true),
            (r#"displayName eq "tour guides""#, true),
            (r#"members pr"#, true),
        ],
    );
}

#[test]
fn presence_is_false_for_missing_null_and_empty() {
    table(
        &user(),
        &[
            ("title pr", true),
            ("active pr", true),
            ("loginCount pr", true),
            ("emails pr", true),
            ("name pr", true),
            ("missing pr", false),
            ("nickName pr", false),
            ("name.middleName pr", false),
            ("ims pr", false),
            ("photos pr", false),
            ("addresses pr", false),
            ("not (missing pr)", true),
        ],
    );
}

#[test]
fn ordering_on_strings_numbers_and_date_times() {
    table(
        &user(),
        &[
            (r#"title gt "Tour""#, true),
            (r#"title lt "tour guide""#, false),
            (r#"title le "tour guide""#, true),
            (r#"title ge "TOUR GUIDE""#, true),
            (r#"userName gt "a""#, true),
            (r#"userName lt "a""#, false),
            ("loginCount gt 41", true),
            ("loginCount gt 42", false),
            ("loginCount ge 42", true),
            ("loginCount lt 1e2", true),
            ("loginCount eq 42.0", true),
            ("loginCount le -5", false),
            ("score gt 1", true),
            ("score lt 1.25", false),
            ("score eq 15e-1", true),
            (r#"meta.lastModified gt "2011-05-13T04:42:33Z""#, true),
            (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
            (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
            (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
            // Same instant, another offset: compares as an instant, not as text.
            (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
            (r#"meta.lastModified lt "2011-05-13T06:42:35+02:00""#, true),
            (r#"meta.lastModified gt "2011-05-13T00:42:35-04:00""#, false),
            // Type mismatches never match (but are "not equal").
            (r#"loginCount eq "42""#, false),
            (r#"loginCount ne "42""#, true),
            (r#"title gt 5"#, false),
        ],
    );
}

#[test]
fn booleans_nulls_urns_and_logic() {
    table(
        &user(),
        &[
            ("active eq true", true),
            ("active eq false", false),
            ("active ne false", true),
            (r#"active eq "True""#, true),
            ("nickName eq null", true),
            ("missing eq null", true),
            ("title eq null", false),
            ("title ne null", true),
            ("nickName ne null", false),
            ("missing ne 5", true),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:EMPLOYEENUMBER eq "701984""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                true,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department pr"#,
                true,
            ),
            // An extension attribute is not found at the top level, nor the reverse.
            (
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr"#,
                false,
            ),
            (
                r#"urn:ietf:params:scim:schemas:extension:other:2.0:User:employeeNumber pr"#,
                false,
            ),
            (r#"employeeNumber pr"#, false),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "BJ""#,
                true,
            ),
            (r#"title pr and userType eq "Employee""#, true),
            (r#"title pr and userType eq "Intern""#, false),
            (r#"title pr or userType eq "Intern""#, true),
            (r#"missing pr or userType eq "Intern""#, false),
            (
                r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                true,
            ),
            (
                r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                false,
            ),
            (r#"not (not (title pr))"#, true),
        ],
    );
}

fn eval_error(schema: &dyn SchemaLookup, resource: &Value, text: &str) -> String {
    let filter = parse_filter(text).unwrap();
    let outcome = CompiledFilter::new(&filter, schema).and_then(|c| c.matches(resource));
    let err = outcome.expect_err(text);
    err.to_string()
}

#[test]
fn ordering_booleans_or_binary_is_an_error_not_false() {
    let u = user();
    for text in [
        "active gt true",
        "active lt false",
        "title ge null",
        "title co null",
        "active co true",
    ] {
        let msg = eval_error(&NoSchema, &u, text);
        assert!(msg.contains("eq or ne"), "{text}: {msg}");
    }
    // Known boolean by schema: refused at compile time, whatever the constant.
    let msg = eval_error(&TestSchema, &u, r#"active gt "x""#);
    assert!(msg.contains("boolean"), "{msg}");
    // Without a schema, discovered from the data.
    let msg = eval_error(&NoSchema, &u, r#"active gt "x""#);
    assert!(msg.contains("boolean"), "{msg}");
    let msg = eval_error(&TestSchema, &u, r#"x509Certificates gt "M""#);
    assert!(msg.contains("binary"), "{msg}");
    let msg = eval_error(&TestSchema, &u, r#"x509Certificates.value le "M""#);
    assert!(msg.contains("binary"), "{msg}");
    let msg = eval_error(&NoSchema, &u, "title co 5");
    assert!(msg.contains("string"), "{msg}");
    // Binary equality is fine.
    assert!(eval_with(
        &TestSchema,
        &u,
        r#"x509Certificates.value sw "MIID""#
    ));
}

#[test]
fn eval_errors_carry_their_kind_attribute_and_operator() {
    let u = user();
    for (schema, text, kind, path, op) in [
        (
            &NoSchema as &dyn SchemaLookup,
            "title ge null",
            EvalErrorKind::NullComparison,
            "title",
            CompareOp::Ge,
        ),
        (
            &NoSchema,
            "active gt true",
            EvalErrorKind::BooleanComparison,
            "active",
            CompareOp::Gt,
        ),
        (
            &TestSchema,
            r#"active lt "x""#,
            EvalErrorKind::BooleanComparison,
            "active",
            CompareOp::Lt,
        ),
        // Discovered from the data, while evaluating.
        (
            &NoSchema,
            r#"active le "x""#,
            EvalErrorKind::BooleanComparison,
            "active",
            CompareOp::Le,
        ),
        (
            &NoSchema,
            "title co 5",
            EvalErrorKind::SubstringOfNonString,
            "title",
            CompareOp::Co,
        ),
        (
            &TestSchema,
            r#"x509Certificates.value le "M""#,
            EvalErrorKind::BinaryOrdering,
            "x509Certificates.value",
            CompareOp::Le,
        ),
        (
            &NoSchema,
            r#"emails[type eq "work"].primary gt true"#,
            EvalErrorKind::BooleanComparison,
            "emails.primary",
            CompareOp::Gt,
        ),
    ] {
        let filter = parse_filter(text).unwrap();
        let outcome = CompiledFilter::new(&filter, schema).and_then(|c| c.matches(&u));
        let err = outcome.expect_err(text);
        assert_eq!(err.kind(), kind, "{text}");
        assert_eq!(err.path().as_str(), path, "{text}");
        assert_eq!(err.operator(), op, "{text}");
        assert!(err.to_string().contains(path), "{text}: {err}");
    }
}

#[test]
fn value_path_elements_are_selected_for_patch() {
    let PatchPath::ValuePath(vp) = parse_path(r#"emails[type eq "WORK"]"#).unwrap() else {
        panic!("value path expected");
    };
    let compiled = CompiledFilter::within(&vp.attr, &vp.filter, &TestSchema).unwrap();
    let u = user();
    let picked: Vec<&Value> = u["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| compiled.matches(e).unwrap())
        .collect();
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0]["value"], "bjensen@example.com");
}

#[test]
fn non_object_resources_match_nothing() {
    for resource in [json!(null), json!([1, 2]), json!("x"), json!(5)] {
        assert!(!eval_with(&NoSchema, &resource, "a pr"));
        assert!(!eval_with(&NoSchema, &resource, r#"a eq "x""#));
        assert!(!eval_with(&NoSchema, &resource, r#"a[b eq 1]"#));
    }
}
