//! The hand-written parser against the nom reference it replaced: the same trees (borrowed,
//! then converted to owned) and the same errors (kind, offset and message) for the RFC and
//! identity-provider filters, hostile inputs, generated filters and arbitrary text.

use proptest::prelude::*;

use super::reference;
use crate::limits::Limits;

/// Both parsers on one filter: equal results, and the borrowed tree prints as the owned.
fn same_filter(text: &str, limits: &Limits) -> Result<(), TestCaseError> {
    let new = super::parse_filter(text, limits);
    let old = reference::parse_filter(text, limits);
    if let Ok(borrowed) = &new {
        if let Ok(owned) = &old {
            prop_assert_eq!(borrowed.to_string(), owned.to_string(), "text: {:?}", text);
        }
    }
    prop_assert_eq!(new.map(|f| f.into_owned()), old, "text: {:?}", text);
    Ok(())
}

/// Both parsers on one PATCH path.
fn same_path(text: &str, limits: &Limits) -> Result<(), TestCaseError> {
    let new = super::parse_path(text, limits).map(|p| p.into_owned());
    let old = reference::parse_path(text, limits);
    prop_assert_eq!(new, old, "text: {:?}", text);
    Ok(())
}

fn both(text: &str) {
    let limits = Limits::DEFAULT;
    same_filter(text, &limits).unwrap();
    same_path(text, &limits).unwrap();
}

/// The twenty filters of the benchmarks (RFC 7644 Figure 2 and the Entra ID and Okta
/// lookups) and variations on each kind of error.
const CASES: &[&str] = &[
    r#"userName eq "bjensen""#,
    r#"name.familyName co "O'Malley""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
    "title pr",
    r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
    r#"title pr and userType eq "Employee""#,
    r#"title pr or userType eq "Intern""#,
    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
    r#"userType eq "Employee" and (emails.type eq "work")"#,
    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
    r#"emails[type eq "work"].value eq "bjensen@example.com""#,
    r#"emails[type eq "work"].value"#,
    "members",
    "$ref eq \"x\"",
    "$refs eq 1",
    "  a pr  ",
    "",
    "   ",
    "a",
    "a eq",
    "a eq ",
    "a Eq\"x\"",
    "a eq1",
    "a xx 1",
    "a eq 01",
    "a eq -",
    "a eq 1.",
    "a eq True",
    "a eq nul",
    "a eq nullx",
    "a eq \"unterminated",
    "a eq \"bad \\q escape\"",
    "a eq \"\\u12\"",
    "a eq \"\\uD800\"",
    "a eq \"\\uD800\\u0041\"",
    "a eq \"\\uDC00\"",
    "a eq \"\\uD83D\\uDE00 ok\"",
    "a eq \"tab\there\"",
    "a eq \"x\\\"y\\\\z\\/\\b\\f\\n\\r\\t\"",
    "a eq 1and b eq 2",
    "a eq 1 and",
    "a eq 1 and(b pr)",
    "a eq 1 or",
    "not(a pr)",
    "not (a pr",
    "not a pr",
    "nota pr",
    "(a pr",
    "(a pr))",
    "()",
    "a[b pr",
    "a[b[c pr]]",
    "a[b pr].",
    "a[b pr].c",
    "a[b pr].c pr",
    "a[b pr] extra",
    "urn:",
    "urn:x",
    "urn:a:b",
    "urn:a:b:",
    "urn:ab:c:d.e pr",
    "URN:a:b:c pr",
    "urn:é:ü:name pr",
    "1a pr",
    "a.b.c pr",
    "a. pr",
    "a pr and b pr or c pr and not (d pr or e pr)",
    "a\teq\n\"x\"\r\nand\tb pr",
    "é pr",
    "a eq \"é\" and b eq \"\u{7f}\"",
];

#[test]
fn fixed_cases_agree() {
    for text in CASES {
        both(text);
    }
}

#[test]
fn limits_agree() {
    let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
    let nots = format!("{}a pr{}", "not (".repeat(100), ")".repeat(100));
    let terms = vec!["a pr"; 600].join(" or ");
    let long = "a".repeat(20_000);
    for text in [&deep, &nots, &terms, &long] {
        both(text);
    }
    let tight = Limits::DEFAULT
        .with_max_depth(1)
        .with_max_terms(2)
        .with_max_len(40);
    for text in [
        "(a pr)",
        "((a pr))",
        "a[b pr]",
        "(a[b pr])",
        "a pr or b pr",
        "a pr or b pr or c pr",
        "a[b pr and c pr].d pr",
        "x[y pr]",
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmno pr",
    ] {
        same_filter(text, &tight).unwrap();
        same_path(text, &tight).unwrap();
    }
    same_path("a[b pr]", &Limits::DEFAULT.with_max_depth(0)).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_agrees(s in any::<String>()) {
        same_filter(&s, &Limits::DEFAULT)?;
        same_path(&s, &Limits::DEFAULT)?;
    }

    #[test]
    fn filter_like_text_agrees(
        s in r#"[a-zA-Z \t\[\]().:"\\$_0-9-]{0,40}( (eq|and|or|pr|not|EQ|Or) )?[a-z \[\]().:"\\0-9uD-]{0,30}"#
    ) {
        same_filter(&s, &Limits::DEFAULT)?;
        same_path(&s, &Limits::DEFAULT)?;
    }

    #[test]
    fn generated_filters_agree(
        parts in prop::collection::vec(
            prop_oneof![
                Just("userName"), Just("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName"),
                Just("emails["), Just("]"), Just("].value"), Just("("), Just(")"), Just("not "),
                Just(" and "), Just(" or "), Just(" eq "), Just(" co "), Just(" pr"), Just(" Gt "),
                Just("\"x\\\"y\""), Just("\"plain\""), Just("-1.5e3"), Just("true"), Just("null"),
                Just(" "), Just("type eq \"work\""), Just("$ref"), Just("."),
            ],
            1..14,
        ),
        max_depth in 0usize..4,
        max_terms in 1usize..6,
    ) {
        let text: String = parts.concat();
        same_filter(&text, &Limits::DEFAULT)?;
        same_path(&text, &Limits::DEFAULT)?;
        let limits = Limits::DEFAULT.with_max_depth(max_depth).with_max_terms(max_terms);
        same_filter(&text, &limits)?;
        same_path(&text, &limits)?;
    }

    #[test]
    fn printed_owned_trees_agree(f in owned_filters()) {
        let text = f.to_string();
        same_filter(&text, &Limits::DEFAULT)?;
    }
}

/// Owned filters built from parts, printed to text for [`printed_owned_trees_agree`].
fn owned_filters() -> impl Strategy<Value = crate::Filter> {
    use crate::{AttrPath, CompValue, CompareOp, Filter, Number};
    let path = (
        "[a-zA-Z][a-zA-Z0-9_-]{0,5}",
        prop::option::of("[a-z]{1,4}"),
        prop::option::weighted(0.2, "urn:[a-z]{1,3}:[a-z0-9.]{1,4}:[A-Z][a-z]{0,3}"),
    )
        .prop_map(|(name, sub, urn)| {
            let p = AttrPath::new(name);
            let p = match sub {
                Some(s) => p.with_sub_attr(s),
                None => p,
            };
            match urn {
                Some(u) => p.with_urn(u),
                None => p,
            }
        });
    let value = prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        "-?(0|[1-9][0-9]{0,8})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,2})?"
            .prop_map(|t| CompValue::Number(Number::new(t).unwrap())),
        any::<String>().prop_map(CompValue::String),
    ];
    let leaf = prop_oneof![
        1 => path.clone().prop_map(Filter::present),
        4 => (path, prop::sample::select(CompareOp::ALL.to_vec()), value)
            .prop_map(|(p, op, v)| Filter::compare(p, op, v)),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(Filter::negate),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::and(l, r)),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::or(l, r)),
            (
                "[a-z]{1,4}".prop_map(AttrPath::new),
                inner.prop_filter("no value path inside", |f| !f.to_string().contains('['))
            )
                .prop_map(|(a, f)| Filter::value_path(a, f)),
        ]
    })
}
