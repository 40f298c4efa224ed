//! Differential property tests of `scim2_core::sql` on SQLite: for generated filters over
//! generated Users and Groups, the translated predicate selects exactly the documents the
//! in-memory evaluator matches (RFC 7644 §3.4.2.2), or a superset of them when it says
//! it is inexact.

mod sql_cases;

use std::cell::RefCell;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection};
use scim2_core::sql::{SqlDialect, SqlParam, SqlPredicate, SqlTarget};
use serde_json::Value;

/// The indexes of `docs` the predicate selects, run on a fresh in-memory SQLite table
/// shaped like the bridge's (`data text`).
fn run_sqlite(predicate: &SqlPredicate, docs: &[Value]) -> Vec<usize> {
    let db = Connection::open_in_memory().expect("in-memory SQLite");
    db.execute_batch("CREATE TABLE resources (i INTEGER PRIMARY KEY, data TEXT NOT NULL)")
        .expect("the table");
    for (i, doc) in docs.iter().enumerate() {
        db.execute(
            "INSERT INTO resources VALUES (?1, ?2)",
            rusqlite::params![i64::try_from(i).expect("small"), doc.to_string()],
        )
        .expect("an insert");
    }
    // The predicate's placeholders start at ?2: ?1 is taken by the statement.
    let sql = format!(
        "SELECT i FROM resources WHERE i >= ?1 AND {} ORDER BY i",
        predicate.sql
    );
    let values =
        std::iter::once(SqlValue::Integer(0)).chain(predicate.params.iter().map(|p| match p {
            SqlParam::Text(s) => SqlValue::Text(s.clone()),
            SqlParam::Integer(i) => SqlValue::Integer(*i),
            SqlParam::Real(f) => SqlValue::Real(*f),
            other => panic!("a parameter kind this test does not know: {other:?}"),
        }));
    let mut stmt = db
        .prepare(&sql)
        .unwrap_or_else(|e| panic!("invalid SQL ({e}): {sql}"));
    stmt.query_map(params_from_iter(values), |row| row.get::<_, i64>(0))
        .unwrap_or_else(|e| panic!("the query failed ({e}): {sql}"))
        .map(|r| usize::try_from(r.expect("a row")).expect("an index"))
        .collect()
}

fn target() -> SqlTarget {
    SqlTarget::new(SqlDialect::Sqlite, "resources.data").with_first_param(2)
}

/// Runs `cases` generated filters over generated documents and checks each.
fn differential(
    resource_type: &str,
    filters: impl Strategy<Value = String>,
    docs: impl Strategy<Value = Value>,
) {
    let mut runner = TestRunner::new(sql_cases::config());
    let tally = RefCell::new(sql_cases::Tally::default());
    let cases = (filters, prop::collection::vec(docs, 1..10));
    runner
        .run(&cases, |(filter, docs)| {
            let seen = sql_cases::check(&filter, &docs, resource_type, &target(), &mut run_sqlite)
                .map_err(TestCaseError::fail)?;
            tally.borrow_mut().add(seen);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let tally = tally.into_inner();
    eprintln!("{resource_type}: {tally:?}");
    tally.assert_meaningful();
}

#[test]
fn users_sqlite_matches_the_evaluator() {
    differential("User", sql_cases::user_filter(), sql_cases::user());
}

#[test]
fn groups_sqlite_matches_the_evaluator() {
    differential("Group", sql_cases::group_filter(), sql_cases::group());
}

/// Filters identity providers send are exact (the caller need not evaluate them again).
#[test]
fn common_filters_are_exact() {
    let registry = sql_cases::registry();
    let users = registry.resource_schema("User").expect("User");
    for text in [
        r#"userName eq "bjensen""#,
        r#"userName eq "a" or userName eq "b""#,
        r#"externalId eq "x1" and active eq true"#,
        r#"emails[type eq "work" and value co "@example.com"]"#,
        r#"displayName sw "Ann" and not (title pr)"#,
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
        r#"urn:example:params:scim:schemas:extension:test:2.0:User:score ge 7"#,
    ] {
        let filter = scim2_core::filter::parse_filter(text).expect("a filter");
        let p = scim2_core::sql::translate(&filter, &users, &target()).expect("translated");
        assert!(p.exact, "{text}: {}", p.sql);
    }
}
