//! Differential property tests of `scim2_core::sql` on PostgreSQL: for generated filters
//! over generated Users and Groups, stored as the bridge stores them (`data text`, read
//! as `data::jsonb`), the translated predicate selects exactly the documents the
//! in-memory evaluator matches (RFC 7644 §3.4.2.2), or a superset of them when it says it
//! is inexact. The database uses a Turkish ICU locale, whose `lower('I')` is `ı`, to show
//! that the predicates do not depend on the locale.
//!
//! Runs on a throwaway server (`common::postgres`); where PostgreSQL is not installed the
//! test says it was skipped (in CI it fails).

mod common;
#[path = "../../scim-core/tests/sql_cases/mod.rs"]
mod sql_cases;

use std::cell::RefCell;

use common::postgres::server;
use postgres::types::ToSql;
use postgres::{Client, NoTls};
use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestRunner};
use scim2_core::sql::{SqlDialect, SqlParam, SqlPredicate, SqlTarget};
use serde_json::Value;

/// A database whose default collation and character classes are Turkish (ICU).
fn turkish_database(client: &mut Client) -> String {
    let name = format!("sql_tr_{}", std::process::id());
    client
        .batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' \
             LOCALE_PROVIDER icu ICU_LOCALE 'tr-TR' LOCALE 'C.UTF-8'"
        ))
        .expect("a database with a Turkish ICU locale");
    name
}

/// The indexes of `docs` the predicate selects, stored in `resources` beforehand.
fn run_postgres(client: &RefCell<Client>, predicate: &SqlPredicate, docs: &[Value]) -> Vec<usize> {
    let mut client = client.borrow_mut();
    let mut tx = client.transaction().expect("a transaction");
    tx.batch_execute("DELETE FROM resources").expect("emptied");
    for (i, doc) in docs.iter().enumerate() {
        tx.execute(
            "INSERT INTO resources (i, resource_type, data) VALUES ($1, 'r', $2)",
            &[&i64::try_from(i).expect("small"), &doc.to_string()],
        )
        .expect("an insert");
    }
    let params: Vec<Box<dyn ToSql + Sync>> = std::iter::once(Box::new("r".to_owned()) as _)
        .chain(predicate.params.iter().map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                SqlParam::Text(s) => Box::new(s.clone()),
                SqlParam::Integer(i) => Box::new(*i),
                SqlParam::Real(f) => Box::new(*f),
                other => panic!("a parameter kind this test does not know: {other:?}"),
            }
        }))
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| b.as_ref()).collect();
    // The predicate's placeholders start at $2: $1 is taken by the statement.
    let sql = format!(
        "SELECT i FROM resources WHERE resource_type = $1 AND {} ORDER BY i",
        predicate.sql
    );
    let rows = tx
        .query(&sql, &refs)
        .unwrap_or_else(|e| panic!("the query failed ({e}): {sql}"));
    tx.rollback().expect("rolled back");
    rows.iter()
        .map(|r| usize::try_from(r.get::<_, i64>(0)).expect("an index"))
        .collect()
}

#[test]
fn postgres_matches_the_evaluator() {
    let Some(server) = server() else {
        return;
    };
    let mut admin = Client::connect(&server.url("postgres"), NoTls).expect("connect");
    let name = turkish_database(&mut admin);
    let mut client = Client::connect(&server.url(&name), NoTls).expect("connect");
    // JIT compilation (on by default) costs hundreds of milliseconds for a predicate this
    // size whatever the table's size; the answers are the same without it.
    client
        .batch_execute(
            "SET jit = off; CREATE TABLE resources (i int8 PRIMARY KEY, resource_type text NOT NULL, \
             data text NOT NULL)",
        )
        .expect("the table");
    // The locale is really one where lower() is not ASCII's.
    let lowered: String = client
        .query_one("SELECT lower('I')", &[])
        .expect("lower")
        .get(0);
    assert_eq!(lowered, "ı");
    let client = RefCell::new(client);
    let target = SqlTarget::new(SqlDialect::Postgres, "data::jsonb").with_first_param(2);
    let mut run = |p: &SqlPredicate, docs: &[Value]| run_postgres(&client, p, docs);

    let run_cell = RefCell::new(&mut run);
    for resource_type in ["User", "Group"] {
        let mut runner = TestRunner::new(sql_cases::config());
        let tally = RefCell::new(sql_cases::Tally::default());
        let check = |(filter, docs): (String, Vec<Value>)| {
            let mut run = run_cell.borrow_mut();
            let seen = sql_cases::check(&filter, &docs, resource_type, &target, &mut **run)
                .map_err(TestCaseError::fail)?;
            tally.borrow_mut().add(seen);
            Ok(())
        };
        let outcome = if resource_type == "User" {
            let cases = (
                sql_cases::user_filter(),
                prop::collection::vec(sql_cases::user(), 1..10),
            );
            runner.run(&cases, check)
        } else {
            let cases = (
                sql_cases::group_filter(),
                prop::collection::vec(sql_cases::group(), 1..10),
            );
            runner.run(&cases, check)
        };
        outcome.unwrap_or_else(|e| panic!("{resource_type}: {e}"));
        let tally = tally.into_inner();
        eprintln!("{resource_type}: {tally:?}");
        tally.assert_meaningful();
    }
}
