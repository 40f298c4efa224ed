//! Found by the review of the PostgreSQL mode: the schema version was checked only at
//! start, so during a rolling upgrade a bridge still on the old version kept serving, and
//! writing, after a newer one had migrated the database past what it knows.
//!
//! Now a running bridge checks the schema version every second: once the database is
//! newer than it knows, SCIM requests get `503` with `Retry-After` and a detail saying a
//! newer scim-bridge upgraded the database, `/readyz` and `/health` fail (so the load
//! balancer drains it), and `/livez` still answers (it is not to be restarted in a loop).

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::postgres::server;
use crate::common::{eventually, request, Bridge, TOKEN};

/// A `POST /Users` through `bridge`: status, `Retry-After`, body.
fn create(bridge: &Bridge, name: &str) -> (u16, Option<String>, Value) {
    let (status, mut named, body) = request(
        &format!("{}/scim/v2/Users", bridge.url),
        "POST",
        Some(&json!({"schemas": [crate::USER], "userName": name})),
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        Duration::from_secs(30),
        &["retry-after"],
    );
    (status, named.remove(0), body)
}

/// `GET path` with no token: the status.
fn probe(bridge: &Bridge, path: &str) -> u16 {
    request(
        &format!("{}{path}", bridge.url),
        "GET",
        None,
        &[],
        Duration::from_secs(30),
        &[],
    )
    .0
}

#[test]
fn a_running_bridge_stops_serving_once_a_newer_one_migrates_the_database() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(&dir.path().join("data"), &["--database-url", &url]);
    assert_eq!(create(&bridge, "before@example.com").0, 201);
    assert_eq!(probe(&bridge, "/readyz"), 200);

    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute("INSERT INTO schema_migrations (version) VALUES (9999)")
        .unwrap();
    let mut last = (0, None, Value::Null);
    assert!(
        eventually(30, || {
            last = create(&bridge, "after@example.com");
            last.0 == 503
        }),
        "the old bridge kept serving: {last:?}"
    );
    let (_, retry_after, body) = &last;
    assert!(retry_after.is_some(), "503 without Retry-After");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("upgraded by a newer scim-bridge")
            && detail.contains("upgrade this bridge"),
        "{body}"
    );
    assert!(
        eventually(30, || probe(&bridge, "/readyz") == 503),
        "/readyz kept answering 200"
    );
    assert_eq!(probe(&bridge, "/livez"), 200);
    let (status, h) = bridge.call("GET", "/health", None);
    assert_eq!(status, 503, "{h}");
    assert_eq!(h["status"], "degraded");
    let store_detail = h["components"]["store"]["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(store_detail.contains("schema version 9999"), "{h}");
    // Nothing was written by the old bridge after it noticed.
    let users: i64 = admin
        .query_one(
            "SELECT count(*) FROM resources WHERE resource_type = 'User'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(users, 1);
}
