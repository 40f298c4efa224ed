//! The grammar's corners: precedence, case, literals, URNs, Entra's extension, and a table
//! of invalid filters and paths each rejected at a sensible byte offset.

use scim2_filter::{
    parse_filter, parse_filter_with, parse_path, AttrPath, CompValue, CompareOp, Filter, Grammar,
    Limit, Limits, Number, ParseErrorKind, Predicate, SubAttrExpr, ValuePathExpr,
};
use CompareOp::*;

fn attr(name: &str) -> AttrPath {
    AttrPath::new(name)
}

fn num(text: &str) -> CompValue {
    CompValue::Number(Number::new(text).unwrap())
}

fn cmp(name: &str, op: CompareOp, value: impl Into<CompValue>) -> Filter {
    Filter::compare(attr(name), op, value.into())
}

fn parses_to(text: &str, expected: Filter) {
    let parsed = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(parsed, expected, "{text}");
    assert_eq!(parse_filter(&parsed.to_string()).unwrap(), expected);
}

#[test]
fn and_binds_tighter_than_or() {
    let (a, b, c) = (cmp("a", Eq, 1), cmp("b", Eq, 2), cmp("c", Eq, 3));
    parses_to(
        "a eq 1 and b eq 2 or c eq 3",
        Filter::or(Filter::and(a.clone(), b.clone()), c.clone()),
    );
    parses_to(
        "a eq 1 or b eq 2 and c eq 3",
        Filter::or(a.clone(), Filter::and(b.clone(), c.clone())),
    );
    parses_to(
        "not (a eq 1) and b eq 2",
        Filter::and(Filter::negate(a.clone()), b.clone()),
    );
    parses_to(
        "(a eq 1 or b eq 2) and c eq 3",
        Filter::and(Filter::or(a.clone(), b.clone()), c.clone()),
    );
    parses_to(
        "a eq 1 and b eq 2 and c eq 3",
        Filter::and(Filter::and(a.clone(), b.clone()), c.clone()),
    );
    parses_to(
        "a eq 1 and (b eq 2 and c eq 3)",
        Filter::and(a, Filter::and(b, c)),
    );
}

#[test]
fn keywords_and_operators_ignore_case() {
    parses_to(r#"userName Eq "john""#, cmp("userName", Eq, "john"));
    parses_to(r#"Username EQ "john""#, cmp("Username", Eq, "john"));
    parses_to(
        "a pR AND b Pr OR NoT (c PR)",
        Filter::or(
            Filter::and(Filter::present(attr("a")), Filter::present(attr("b"))),
            Filter::negate(Filter::present(attr("c"))),
        ),
    );
    parses_to("active eq True", cmp("active", Eq, true));
    parses_to("manager eq NULL", cmp("manager", Eq, CompValue::Null));
}

#[test]
fn literals() {
    parses_to("count gt -5", cmp("count", Gt, num("-5")));
    parses_to("score ge 1.5e3", cmp("score", Ge, num("1.5e3")));
    parses_to("score le 0.25E-2", cmp("score", Le, num("0.25E-2")));
    parses_to(
        r#"displayName eq "say \"hi\"""#,
        cmp("displayName", Eq, "say \"hi\""),
    );
    parses_to(
        r#"x eq "\\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00""#,
        cmp("x", Eq, "\\ / \u{8} \u{c} \n \r \t é 😀"),
    );
    parses_to(r#"x eq "ünïcødé""#, cmp("x", Eq, "ünïcødé"));
    parses_to("x eq false", cmp("x", Eq, false));
    parses_to(r#"x eq """#, cmp("x", Eq, ""));
    // Big integers keep every digit.
    let f = parse_filter("id eq 123456789012345678901234567890").unwrap();
    assert_eq!(f.to_string(), "id eq 123456789012345678901234567890");
}

#[test]
fn urn_qualified_paths() {
    let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    parses_to(
        &format!(r#"{ent}:employeeNumber eq "701984""#),
        Filter::compare(attr("employeeNumber").with_urn(ent), Eq, "701984".into()),
    );
    parses_to(
        &format!(r#"{ent}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#),
        Filter::compare(
            attr("manager").with_urn(ent).with_sub_attr("value"),
            Eq,
            "26118915-6090-4610-87e4-49d8ca9f808d".into(),
        ),
    );
    parses_to(
        r#"urn:acme-corp:schemas:x-1.2:Device:serial_no sw "A""#,
        Filter::compare(
            attr("serial_no").with_urn("urn:acme-corp:schemas:x-1.2:Device"),
            Sw,
            "A".into(),
        ),
    );
    parses_to(
        r#"members.$ref eq "https://x/Users/1""#,
        Filter::compare(
            attr("members").with_sub_attr("$ref"),
            Eq,
            "https://x/Users/1".into(),
        ),
    );
}

#[test]
fn entra_value_path_with_sub_attribute() {
    parses_to(
        r#"emails[type eq "work"].value eq "a@b.c""#,
        Filter::ValuePath(ValuePathExpr {
            attr: attr("emails"),
            filter: Box::new(cmp("type", Eq, "work")),
            sub_attr: Some(SubAttrExpr {
                name: "value".into(),
                predicate: Predicate::Compare(Eq, "a@b.c".into()),
            }),
        }),
    );
}

#[test]
fn white_space_is_lenient() {
    parses_to(
        "  a   eq\t1 \n and\r\n(  b pr  )  ",
        Filter::and(cmp("a", Eq, 1), Filter::present(attr("b"))),
    );
    parses_to("not(a pr)", Filter::negate(Filter::present(attr("a"))));
    // As written in RFC 7644 §3.5.2.2: no space between the operator and a string.
    parses_to(r#"value eq"2819c223""#, cmp("value", Eq, "2819c223"));
    parses_to(
        r#"emails[ type eq "work" ]"#,
        Filter::value_path(attr("emails"), cmp("type", Eq, "work")),
    );
    // Attribute names that look like keywords are still attribute names.
    parses_to(
        "and pr or not eq 1",
        Filter::or(Filter::present(attr("and")), cmp("not", Eq, 1)),
    );
}

/// (input, byte offset of the error).
const INVALID_FILTERS: &[(&str, usize)] = &[
    ("", 0),
    ("   ", 0),
    ("userName", 8),
    ("userName eq", 11),
    ("userName eq ", 11),
    (r#"userName "bjensen""#, 9),
    (r#"userName regex "x""#, 9),
    (r#"userName equals "x""#, 9),
    (r#"userName eq "a" extra"#, 15),
    (r#"userName eq "a" and"#, 19),
    (r#"userName eq "a" and "#, 19),
    (r#"userName eq "a" or"#, 18),
    (r#"and userName eq "a""#, 4),
    (r#"userName eq "a" and or b pr"#, 23),
    ("title pr \"x\"", 8),
    ("title pr 1", 8),
    ("title pr true", 8),
    ("(title pr", 9),
    ("title pr)", 8),
    ("((title pr)", 11),
    ("(title pr))", 10),
    ("()", 1),
    ("not title pr", 4),
    ("not (title pr", 13),
    ("not ()", 5),
    ("emails[type eq \"work\"", 21),
    ("emails[]", 7),
    ("emails[type eq \"work\"]]", 22),
    ("emails type eq \"work\"]", 7),
    ("emails[type[value eq 1] pr]", 11),
    ("emails[type eq \"work\" and x[y pr]]", 27),
    (r#"userName eq "abc"#, 12),
    (r#"userName eq "a\x""#, 14),
    (r#"userName eq "a\u12""#, 14),
    (r#"userName eq "a\u12G4""#, 14),
    (r#"userName eq "\ud800""#, 13),
    (r#"userName eq "\udc00""#, 13),
    ("userName eq \"a\u{1}b\"", 14),
    ("userName eq 'bjensen'", 12),
    ("userName eq bjensen", 12),
    ("count eq 01", 10),
    ("count eq 1.", 9),
    ("count eq .5", 9),
    ("count eq +5", 9),
    ("count eq 1e", 9),
    ("count eq -", 9),
    ("count eq 1x", 10),
    ("1userName eq 1", 0),
    ("_x eq 1", 0),
    ("user-name. eq 1", 10),
    ("name.givenName.x eq 1", 14),
    ("a..b eq 1", 2),
    ("userName eq5", 9),
    ("userName eq-5", 11),
    ("userNameeq \"x\"", 11),
    ("userName eq \"x\"and b pr", 15),
    ("urn:ietf:params:scim:schemas:core:2.0:User: eq 1", 43),
    ("urn: eq 1", 0),
    ("urn:x eq 1", 0),
    ("a eq 1 and not b pr", 15),
    ("[type eq 1]", 0),
    ("a eq 1 or (b eq 2", 17),
    ("emails[type eq \"work\"].", 23),
    ("emails[type eq \"work\"].value", 28),
    ("emails[type eq \"work\"].value eq", 31),
    ("a eq true1", 5),
    ("a eq nil", 5),
    ("a eq 1,", 6),
    ("a eq 1 ; drop table", 6),
    ("a eq 1 &&  b eq 2", 6),
];

#[test]
fn invalid_filters_are_rejected_at_the_right_offset() {
    assert!(INVALID_FILTERS.len() >= 60);
    let mut wrong = Vec::new();
    for &(text, offset) in INVALID_FILTERS {
        match parse_filter(text) {
            Ok(f) => wrong.push(format!("{text:?} parsed as {f:?}")),
            Err(e) => {
                assert_eq!(e.grammar(), Grammar::Filter);
                assert_eq!(e.kind(), ParseErrorKind::Syntax);
                assert!(!e.message().is_empty());
                if e.offset() != offset {
                    wrong.push(format!(
                        "{text:?}: offset {} (want {offset}): {}",
                        e.offset(),
                        e.message()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn error_messages_say_what_was_expected() {
    let e = parse_filter(r#"userName regex "x""#).unwrap_err();
    assert!(e.message().contains("unknown operator"), "{}", e.message());
    let e = parse_filter(r#"userName eq "a" extra"#).unwrap_err();
    assert!(e.message().contains("`and`, `or`"), "{}", e.message());
    assert_eq!(
        e.to_string(),
        "invalid filter at byte 15: expected `and`, `or` or the end of the filter"
    );
    let e = parse_filter(r#"emails[type[value eq 1] pr]"#).unwrap_err();
    assert!(e.message().contains("value path"), "{}", e.message());
    let e = parse_filter(r#"x eq "abc"#).unwrap_err();
    assert!(e.message().contains("unterminated"), "{}", e.message());
}

const INVALID_PATHS: &[(&str, usize)] = &[
    ("", 0),
    ("members[", 8),
    ("members[value eq \"1\"", 20),
    ("members]", 7),
    ("members[value eq \"1\"].", 22),
    ("members[value eq \"1\"].display name", 29),
    ("members[value eq \"1\"]x", 21),
    ("name.givenName.x", 14),
    ("name givenName", 4),
    ("members[value[x eq 1] pr]", 13),
    ("1abc", 0),
    ("emails[type eq \"work\"].value eq \"x\"", 28),
];

#[test]
fn invalid_paths_are_rejected_at_the_right_offset() {
    let mut wrong = Vec::new();
    for &(text, offset) in INVALID_PATHS {
        match parse_path(text) {
            Ok(p) => wrong.push(format!("{text:?} parsed as {p:?}")),
            Err(e) => {
                assert_eq!(e.grammar(), Grammar::Path);
                if e.offset() != offset {
                    wrong.push(format!(
                        "{text:?}: offset {} (want {offset}): {}",
                        e.offset(),
                        e.message()
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn limits_are_enforced_while_parsing() {
    // 100,000 nested parentheses: refused at the depth limit, no stack overflow.
    let deep = format!("{}a pr{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = parse_filter_with(&deep, &Limits::DEFAULT.with_max_len(usize::MAX)).unwrap_err();
    assert_eq!(e.kind(), ParseErrorKind::LimitExceeded(Limit::Depth(64)));
    assert_eq!(e.offset(), 64);

    let nots = "not (".repeat(100_000);
    let e = parse_filter_with(&nots, &Limits::DEFAULT.with_max_len(usize::MAX)).unwrap_err();
    assert_eq!(e.kind(), ParseErrorKind::LimitExceeded(Limit::Depth(64)));

    // Exactly at the depth limit is fine; one past it is not.
    let at = format!("{}a pr{}", "(".repeat(64), ")".repeat(64));
    assert!(parse_filter(&at).is_ok());
    let past = format!("{}a pr{}", "(".repeat(65), ")".repeat(65));
    assert!(parse_filter(&past).is_err());

    // Length: refused before reading.
    let long = format!("a eq \"{}\"", "x".repeat(20_000));
    let e = parse_filter(&long).unwrap_err();
    assert_eq!(
        e.kind(),
        ParseErrorKind::LimitExceeded(Limit::Length(16 * 1024))
    );

    // Terms: 512 fine, 513 refused at the 513th.
    let terms = |n: usize| vec!["a pr"; n].join(" or ");
    assert!(parse_filter(&terms(512)).is_ok());
    let e = parse_filter(&terms(513)).unwrap_err();
    assert_eq!(e.kind(), ParseErrorKind::LimitExceeded(Limit::Terms(512)));
    assert!(e.message().contains("512"));

    let small = Limits::DEFAULT
        .with_max_len(10)
        .with_max_depth(1)
        .with_max_terms(1);
    assert!(parse_filter_with("(a pr)", &small).is_ok());
    assert!(parse_filter_with("((a pr))", &small).is_err());
    assert!(parse_filter_with("a pr or b pr", &small).is_err());
    assert!(parse_filter_with("abcdefghijk pr", &small).is_err());
    assert_eq!(
        (small.max_len, small.max_depth, small.max_terms),
        (10, 1, 1)
    );
    assert_eq!(Limits::default(), Limits::DEFAULT);
}
