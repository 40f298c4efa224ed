//! Unit tests of the translator: what reaches SQL, placeholders, exactness, and SQLite
//! runs of the cases the semantics turn on (the differential property tests are in
//! tests/sql_filters.rs).

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use serde_json::{json, Value};

use super::{translate, SqlDialect, SqlParam, SqlPredicate, SqlTarget};
use crate::filter::{parse_filter, CompiledFilter};
use crate::schema::SchemaRegistry;

fn users_predicate(filter: &str, dialect: SqlDialect) -> SqlPredicate {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let filter = parse_filter(filter).unwrap();
    translate(&filter, &users, &SqlTarget::new(dialect, "data")).unwrap()
}

/// The indexes of `docs` the SQLite predicate selects, and of those the evaluator matches.
fn sqlite_and_evaluator(filter: &str, docs: &[Value]) -> (Vec<usize>, Vec<usize>, bool) {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let parsed = parse_filter(filter).unwrap();
    let predicate =
        translate(&parsed, &users, &SqlTarget::new(SqlDialect::Sqlite, "data")).unwrap();
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch("CREATE TABLE r (i INTEGER, data TEXT)")
        .unwrap();
    for (i, doc) in docs.iter().enumerate() {
        db.execute(
            "INSERT INTO r VALUES (?1, ?2)",
            rusqlite::params![i as i64, doc.to_string()],
        )
        .unwrap();
    }
    let values = predicate.params.iter().map(|p| match p {
        SqlParam::Text(s) => SqlValue::Text(s.clone()),
        SqlParam::Integer(i) => SqlValue::Integer(*i),
        SqlParam::Real(f) => SqlValue::Real(*f),
    });
    let mut stmt = db
        .prepare(&format!(
            "SELECT i FROM r WHERE {} ORDER BY i",
            predicate.sql
        ))
        .unwrap();
    let selected: Vec<usize> = stmt
        .query_map(params_from_iter(values), |row| row.get::<_, i64>(0))
        .unwrap()
        .map(|r| r.unwrap() as usize)
        .collect();
    let compiled = CompiledFilter::new(&parsed, &users).unwrap();
    let matched = (0..docs.len())
        .filter(|&i| compiled.matches(&docs[i]).unwrap())
        .collect();
    (selected, matched, predicate.exact)
}

#[test]
fn values_are_bound_and_names_come_from_the_schema() {
    for dialect in [SqlDialect::Sqlite, SqlDialect::Postgres] {
        let p = users_predicate(
            r#"USERNAME eq "x' OR 1=1 --" and EMAILS[TYPE eq "work"].VALUE co "q""#,
            dialect,
        );
        assert!(!p.sql.contains("1=1"), "{}", p.sql);
        assert!(p.sql.contains("userName") && p.sql.contains("emails"));
        assert!(!p.sql.contains("USERNAME") && !p.sql.contains("EMAILS"));
        assert!(p.params.contains(&SqlParam::Text("x' or 1=1 --".into())));
        assert!(p.params.contains(&SqlParam::Text("work".into())));
        assert!(p.exact);
    }
}

#[test]
fn unknown_attributes_never_reach_sql_and_make_the_predicate_inexact() {
    for dialect in [SqlDialect::Sqlite, SqlDialect::Postgres] {
        let p = users_predicate(r#"nickName eq "a" and madeUp eq "b""#, dialect);
        assert!(!p.sql.contains("madeUp"), "{}", p.sql);
        assert!(!p.exact);
        // `not` keeps the predicate a superset: the unknown part is FALSE under it.
        let p = users_predicate(r#"not (madeUp eq "b")"#, dialect);
        assert_eq!(p.sql, "(NOT FALSE)");
        assert!(!p.exact);
    }
}

#[test]
fn placeholders_are_numbered_from_the_first_and_typed_for_postgres() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let filter = parse_filter(r#"userName eq "a" or userName eq "b" or userName eq "a""#).unwrap();
    let target = SqlTarget::new(SqlDialect::Postgres, "data::jsonb").with_first_param(3);
    let p = translate(&filter, &users, &target).unwrap();
    assert_eq!(
        p.params,
        [SqlParam::Text("a".into()), SqlParam::Text("b".into())]
    );
    assert!(p.sql.contains("$3::text") && p.sql.contains("$4::text"));
    assert!(!p.sql.contains("$5") && !p.sql.contains("$2"));
    assert!(p.sql.contains("(data::jsonb)"));
    let target = SqlTarget::new(SqlDialect::Sqlite, "r.data").with_first_param(0);
    let p = translate(&filter, &users, &target).unwrap();
    assert!(p.sql.contains("?1") && p.sql.contains("?2") && !p.sql.contains("?3"));
    // The caller's SQL is inserted as it is, whatever it holds.
    let target = SqlTarget::new(SqlDialect::Sqlite, "json_object('a', '\u{1}0\u{2}\u{3}')");
    let p = translate(&filter, &users, &target).unwrap();
    assert!(p.sql.contains("(json_object('a', '\u{1}0\u{2}\u{3}'))"));
    assert_eq!(p.params.len(), 2);
}

#[test]
fn filters_the_evaluator_refuses_are_refused() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    for text in ["active gt true", "title co 5", "userName gt null"] {
        let filter = parse_filter(text).unwrap();
        let target = SqlTarget::new(SqlDialect::Sqlite, "data");
        assert!(translate(&filter, &users, &target).is_err(), "{text}");
    }
}

/// Rust's lower case of every non-ASCII character holds no ASCII character, except for
/// the two [`Dialect::fold`](super::dialect::Dialect::fold) replaces; the exactness of
/// case-insensitive comparison with ASCII values rests on it.
#[test]
fn only_two_non_ascii_letters_lower_case_to_ascii() {
    let mut found = Vec::new();
    for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
        if c.to_lowercase().any(|l| l.is_ascii()) {
            found.push((c, c.to_lowercase().collect::<String>()));
        }
    }
    assert_eq!(
        found,
        [
            ('\u{130}', "i\u{307}".to_owned()),
            ('\u{212A}', "k".to_owned())
        ]
    );
}

#[test]
fn case_insensitive_comparison_matches_rust_lower_casing() {
    let docs = [
        json!({"userName": "BJensen"}),
        json!({"userName": "bjen\u{212A}"}),   // KELVIN SIGN
        json!({"userName": "\u{130}stanbul"}), // İ
        json!({"userName": "ÄRGER"}),
        json!({"userName": "ärger"}),
        json!({"userName": "Zoe"}),
        json!({"userName": "zoé"}),
        json!({"userName": ""}),
    ];
    for filter in [
        r#"userName eq "bjensen""#,
        r#"userName co "JEN""#,
        r#"userName ew "k""#,
        r#"userName sw "i""#,
        r#"userName sw "i̇s""#,
        r#"userName gt "m""#,
        r#"userName le "zoe""#,
        r#"userName ge "zz""#,
        r#"userName ne "zoe""#,
        r#"userName co """#,
    ] {
        let (sql, rust, exact) = sqlite_and_evaluator(filter, &docs);
        if exact {
            assert_eq!(sql, rust, "{filter}");
        } else {
            assert!(
                rust.iter().all(|i| sql.contains(i)),
                "{filter}: {sql:?} {rust:?}"
            );
        }
    }
    // An ASCII value is compared exactly; a non-ASCII one only on ASCII text.
    assert!(sqlite_and_evaluator(r#"userName eq "bjensen""#, &docs).2);
    let (sql, rust, exact) = sqlite_and_evaluator(r#"userName eq "ärger""#, &docs);
    assert!(!exact);
    assert_eq!(rust, [3, 4]);
    assert!(sql.contains(&3) && sql.contains(&4));
}

#[test]
fn date_times_compare_as_instants() {
    let at = |t: &str| json!({"meta": {"lastModified": t}});
    let docs = [
        at("2011-05-13T04:42:34Z"),
        at("2011-05-13T06:42:34+02:00"),
        at("2011-05-13T04:42:34.000000001Z"),
        at("2011-05-13t04:42:34.5z"),
        at("2011-05-13T04:42:34"),
        at("2011-05-13T00:00:00-05:00"),
        at("2012-02-29T00:00:00Z"),
        at("2011-02-29T00:00:00Z"), // not a date: compared as text
        at("2011-05-13T24:00:00Z"),
        at("2011-05-13T04:42:34+24:00"),
        at("0000-01-01T00:00:00+23:59"),
        at("9999-12-31T23:59:59.9999999999-23:59"),
        at("not a date"),
        at("2011-05-13T04:42:34.Z"),
        at("2016-12-31T23:59:60Z"), // a leap second: 23:59:59.999999999
        at("2017-01-01T00:59:60.5+01:00"),
        at("2016-06-30T20:59:60-03:00"),
        at("2016-06-29T20:59:60-03:00"), // not the end of a month: compared as text
        at("2016-12-31T23:59:59.999999999Z"),
        json!({"meta": {"lastModified": 5}}),
        json!({"meta": {}}),
    ];
    for constant in [
        "2011-05-13T04:42:34Z",
        "2011-05-13T05:42:34.5+01:00",
        "2011-05-13T05:00:00Z",
        "2012-02-29T00:00:00.000Z",
        "0000-01-01T00:00:00Z",
        "2011-02-29",
        "2016-12-31T23:59:59.999999999Z",
        "2016-12-31T23:59:60Z",
        "2016-07-01T00:00:00Z",
    ] {
        for op in ["eq", "ne", "gt", "ge", "lt", "le"] {
            let filter = format!(r#"meta.lastModified {op} "{constant}""#);
            let (sql, rust, exact) = sqlite_and_evaluator(&filter, &docs);
            assert!(exact, "{filter}");
            assert_eq!(sql, rust, "{filter}");
        }
    }
    let (sql, _, _) = sqlite_and_evaluator(r#"meta.lastModified eq "2011-05-13T04:42:34Z""#, &docs);
    assert_eq!(sql, [0, 1, 4]);
}

#[test]
fn multi_valued_and_value_paths_hold_on_one_element() {
    let docs = [
        json!({"emails": [{"type": "work", "value": "a@x"}, {"type": "home", "value": "b@y"}]}),
        json!({"emails": [{"type": "WORK", "value": "b@y"}]}),
        json!({"emails": [{"type": "home"}, {"value": "b@y"}]}),
        json!({"emails": [null, [], {}]}),
        json!({"emails": {"type": "work", "value": "b@y"}}),
        json!({"emails": []}),
        json!({"emails": "b@y"}),
        json!({}),
    ];
    for filter in [
        r#"emails[type eq "work" and value co "@y"]"#,
        r#"emails[type eq "work"].value ew "y""#,
        r#"emails.value co "b""#,
        r#"emails co "b""#,
        r#"emails pr"#,
        r#"emails.type pr"#,
        r#"emails ne "b@y""#,
        r#"emails.value eq null"#,
        r#"emails ne null"#,
        r#"not (emails[type eq "home"])"#,
    ] {
        let (sql, rust, exact) = sqlite_and_evaluator(filter, &docs);
        assert!(exact, "{filter}");
        assert_eq!(sql, rust, "{filter}");
    }
}

#[test]
fn computed_attributes_are_left_to_the_evaluator() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let target = SqlTarget::new(SqlDialect::Sqlite, "data").with_computed([
        "groups",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    ]);
    for (text, exact) in [
        (r#"GROUPS.value eq "g1""#, false),
        (r#"groups[value eq "g1"]"#, false),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m""#,
            false,
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "d""#,
            true,
        ),
        (r#"userName eq "a""#, true),
    ] {
        let p = translate(&parse_filter(text).unwrap(), &users, &target).unwrap();
        assert_eq!(p.exact, exact, "{text}: {}", p.sql);
        assert!(
            !p.sql.contains("groups") && !p.sql.contains("manager"),
            "{}",
            p.sql
        );
    }
}
