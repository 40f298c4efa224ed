//! Every filter example of RFC 7644 §3.4.2.2 (Figure 2) and PATCH path example of §3.5.2
//! (Figure 8) parses to the tree written out here, and prints back to text that parses
//! to the same tree.

use scim2_filter::{
    parse_filter, parse_path, AttrPath, CompValue, CompareOp, Filter, PatchPath, PatchValuePath,
};
use CompareOp::*;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn attr(name: &str) -> AttrPath {
    AttrPath::new(name)
}

fn sub(name: &str, sub: &str) -> AttrPath {
    AttrPath::new(name).with_sub_attr(sub)
}

fn cmp(path: AttrPath, op: CompareOp, value: impl Into<CompValue>) -> Filter {
    Filter::compare(path, op, value.into())
}

fn check(text: &str, expected: Filter) {
    let parsed = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(parsed, expected, "{text}");
    let printed = parsed.to_string();
    assert_eq!(
        parse_filter(&printed).unwrap(),
        expected,
        "reprint of {text}: {printed}"
    );
}

#[test]
fn figure_2_simple_comparisons() {
    check(
        r#"userName eq "bjensen""#,
        cmp(attr("userName"), Eq, "bjensen"),
    );
    check(
        r#"name.familyName co "O'Malley""#,
        cmp(sub("name", "familyName"), Co, "O'Malley"),
    );
    check(r#"userName sw "J""#, cmp(attr("userName"), Sw, "J"));
    check(
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        cmp(
            attr("userName").with_urn("urn:ietf:params:scim:schemas:core:2.0:User"),
            Sw,
            "J",
        ),
    );
    check("title pr", Filter::present(attr("title")));
    for (op, text) in [(Gt, "gt"), (Ge, "ge"), (Lt, "lt"), (Le, "le")] {
        check(
            &format!(r#"meta.lastModified {text} "2011-05-13T04:42:34Z""#),
            cmp(sub("meta", "lastModified"), op, "2011-05-13T04:42:34Z"),
        );
    }
}

#[test]
fn figure_2_logical_expressions() {
    check(
        r#"title pr and userType eq "Employee""#,
        Filter::and(
            Filter::present(attr("title")),
            cmp(attr("userType"), Eq, "Employee"),
        ),
    );
    check(
        r#"title pr or userType eq "Intern""#,
        Filter::or(
            Filter::present(attr("title")),
            cmp(attr("userType"), Eq, "Intern"),
        ),
    );
    check(
        &format!(r#"schemas eq "{ENTERPRISE}""#),
        cmp(attr("schemas"), Eq, ENTERPRISE),
    );
    let either = Filter::or(
        cmp(attr("emails"), Co, "example.com"),
        cmp(sub("emails", "value"), Co, "example.org"),
    );
    check(
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        Filter::and(cmp(attr("userType"), Eq, "Employee"), either.clone()),
    );
    check(
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        Filter::and(
            cmp(attr("userType"), Ne, "Employee"),
            Filter::negate(either),
        ),
    );
    check(
        r#"userType eq "Employee" and (emails.type eq "work")"#,
        Filter::and(
            cmp(attr("userType"), Eq, "Employee"),
            cmp(sub("emails", "type"), Eq, "work"),
        ),
    );
}

#[test]
fn figure_2_value_paths() {
    let work_email = Filter::value_path(
        attr("emails"),
        Filter::and(
            cmp(attr("type"), Eq, "work"),
            cmp(attr("value"), Co, "@example.com"),
        ),
    );
    check(
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        Filter::and(cmp(attr("userType"), Eq, "Employee"), work_email.clone()),
    );
    check(
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        Filter::or(
            work_email,
            Filter::value_path(
                attr("ims"),
                Filter::and(
                    cmp(attr("type"), Eq, "xmpp"),
                    cmp(attr("value"), Co, "@foo.com"),
                ),
            ),
        ),
    );
}

#[test]
fn figure_8_patch_paths() {
    let cases: Vec<(&str, PatchPath)> = vec![
        ("members", PatchPath::Attribute(attr("members"))),
        (
            "name.familyName",
            PatchPath::Attribute(sub("name", "familyName")),
        ),
        (
            r#"addresses[type eq "work"]"#,
            PatchPath::ValuePath(PatchValuePath {
                attr: attr("addresses"),
                filter: cmp(attr("type"), Eq, "work"),
                sub_attr: None,
            }),
        ),
        (
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
            PatchPath::ValuePath(PatchValuePath {
                attr: attr("members"),
                filter: cmp(attr("value"), Eq, "2819c223-7f76-453a-919d-413861904646"),
                sub_attr: None,
            }),
        ),
        (
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#,
            PatchPath::ValuePath(PatchValuePath {
                attr: attr("members"),
                filter: cmp(attr("value"), Eq, "2819c223-7f76-453a-919d-413861904646"),
                sub_attr: Some("displayName".into()),
            }),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            PatchPath::Attribute(attr("manager").with_urn(ENTERPRISE)),
        ),
        (
            r#"emails[type eq "work"].value"#,
            PatchPath::ValuePath(PatchValuePath {
                attr: attr("emails"),
                filter: cmp(attr("type"), Eq, "work"),
                sub_attr: Some("value".into()),
            }),
        ),
    ];
    for (text, expected) in cases {
        let parsed = parse_path(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(parsed, expected, "{text}");
        assert_eq!(parsed.to_string(), text);
        assert_eq!(parse_path(&parsed.to_string()).unwrap(), expected);
    }
}
