//! Any bytes as a filter, translated to SQL (`scim2_core::sql`) for Users and Groups in
//! both dialects: never a panic; the translator refuses exactly what the evaluator
//! refuses; every SQLite predicate prepares and runs (with its parameters bound) against
//! a table of sample documents without an error; every PostgreSQL predicate has balanced
//! parentheses and quotes, and placeholders numbered from the first without gaps.
#![no_main]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use scim2_core::filter::{parse_filter, CompiledFilter};
use scim2_core::schema::SchemaRegistry;
use scim2_core::sql::{translate, SqlDialect, SqlParam, SqlPredicate, SqlTarget};

/// Sample documents of every shape the translator's SQL must survive.
const DOCS: &[&str] = &[
    r#"{"userName": "bjensen", "active": true, "emails": [{"type": "work", "value": "b@x", "primary": true}, "x", 3, null, [1, []], {}],
        "name": {"givenName": "Ä", "familyName": ""}, "meta": {"lastModified": "2011-05-13T04:42:34+02:00"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7", "manager": {"value": 1}},
        "members": [{"value": "2011-02-29T00:00:00Z", "display": true}]}"#,
    r#"{"userName": ["a", {"value": "b"}], "emails": {"value": 1e300}, "meta": "2011-05-13T04:42:60Z", "displayName": 5.5,
        "members": "x", "externalId": {"value": "9999-12-31T23:59:59.999999999999-23:59"}}"#,
    r#"{"userName": null, "emails": [], "meta": {"lastModified": "0000-01-01T00:00:00+23:59"}, "title": "\u00e9"}"#,
    r#"[]"#,
    r#""just a string""#,
];

fn database() -> &'static Mutex<Connection> {
    static DB: OnceLock<Mutex<Connection>> = OnceLock::new();
    DB.get_or_init(|| {
        let db = Connection::open_in_memory().expect("in-memory SQLite");
        db.execute_batch("CREATE TABLE r (data TEXT NOT NULL)")
            .expect("the table");
        for doc in DOCS {
            db.execute("INSERT INTO r VALUES (?1)", [doc]).expect("a row");
        }
        Mutex::new(db)
    })
}

fn run_sqlite(p: &SqlPredicate) {
    let db = database().lock().unwrap_or_else(|e| e.into_inner());
    let sql = format!("SELECT count(*) FROM r WHERE {}", p.sql);
    let mut stmt = db
        .prepare(&sql)
        .unwrap_or_else(|e| panic!("invalid SQLite SQL ({e}): {sql}"));
    let values = p.params.iter().map(|v| match v {
        SqlParam::Text(s) => SqlValue::Text(s.clone()),
        SqlParam::Integer(i) => SqlValue::Integer(*i),
        SqlParam::Real(f) => SqlValue::Real(*f),
        other => panic!("unknown parameter kind {other:?}"),
    });
    let _: i64 = stmt
        .query_row(params_from_iter(values), |row| row.get(0))
        .unwrap_or_else(|e| panic!("the SQLite query failed ({e}): {sql}"));
}

/// Parentheses balance outside string literals and every literal is closed; placeholders
/// are `$1`…`$n` for n parameters.
fn check_postgres(p: &SqlPredicate) {
    let mut depth = 0i64;
    let mut in_string = false;
    let mut in_ident = false;
    for c in p.sql.chars() {
        match c {
            '\'' if !in_ident => in_string = !in_string,
            '"' if !in_string => in_ident = !in_ident,
            '(' if !in_string && !in_ident => depth += 1,
            ')' if !in_string && !in_ident => {
                depth -= 1;
                assert!(depth >= 0, "unbalanced: {}", p.sql);
            }
            _ => {}
        }
    }
    assert!(depth == 0 && !in_string && !in_ident, "unbalanced: {}", p.sql);
    for n in 1..=p.params.len() {
        assert!(p.sql.contains(&format!("${n}::")), "no ${n}: {}", p.sql);
    }
    assert!(!p.sql.contains(&format!("${}::", p.params.len() + 1)));
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(filter) = parse_filter(text) else {
        return;
    };
    static REGISTRY: OnceLock<SchemaRegistry> = OnceLock::new();
    let registry = REGISTRY.get_or_init(SchemaRegistry::standard);
    for resource_type in ["User", "Group"] {
        let schema = registry.resource_schema(resource_type).expect("registered");
        let refused = CompiledFilter::new(&filter, &schema).is_err();
        for dialect in [SqlDialect::Sqlite, SqlDialect::Postgres] {
            let document = match dialect {
                SqlDialect::Postgres => "data::jsonb",
                _ => "data",
            };
            // A User's `groups` as a store computes it when reading: left to Rust.
            let target = SqlTarget::new(dialect, document).with_computed(["groups"]);
            let Ok(predicate) = translate(&filter, &schema, &target) else {
                assert!(refused, "the translator refused what the evaluator accepts");
                continue;
            };
            assert!(!refused, "the translator accepted what the evaluator refuses");
            match dialect {
                SqlDialect::Sqlite => run_sqlite(&predicate),
                _ => check_postgres(&predicate),
            }
        }
    }
});
