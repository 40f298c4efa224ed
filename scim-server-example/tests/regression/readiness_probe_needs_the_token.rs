//! Found by the review of the PostgreSQL mode: the only probe that asked the database was
//! `GET /health`, which needs the Secret Token. Many load balancers cannot send an
//! `Authorization` header, and after `token rotate` every replica failed the probe at
//! once, taking the whole pool out of the load balancer.
//!
//! Now `GET /readyz` needs no token: `200 ok` while the store answers, `503` when it does
//! not, and its body says nothing more (no host, version or count).

use std::time::Duration;

use serde_json::Value;

use crate::common::postgres::PgServer;
use crate::common::{eventually, request, Bridge};

/// `/readyz` of `bridge` with no header at all: its status and body.
fn readyz(bridge: &Bridge) -> (u16, Value) {
    let (status, _, body) = request(
        &format!("{}/readyz", bridge.url),
        "GET",
        None,
        &[],
        Duration::from_secs(30),
        &[],
    );
    (status, body)
}

#[test]
fn readyz_answers_without_the_token_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(&dir.path().join("data"), &[]);
    assert_eq!(readyz(&bridge), (200, Value::from("ok")));
}

#[test]
fn readyz_answers_without_the_token_and_fails_when_postgresql_stops() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(
        &dir.path().join("data"),
        &["--database-url", &pg.database()],
    );
    assert_eq!(readyz(&bridge), (200, Value::from("ok")));
    // A wrong token changes nothing either: the probe does not look at it.
    let (status, _, _) = request(
        &format!("{}/readyz", bridge.url),
        "GET",
        None,
        &[("Authorization", "Bearer not-the-token-0123456789abcdef01")],
        Duration::from_secs(30),
        &[],
    );
    assert_eq!(status, 200);

    pg.pg_ctl_stop();
    let mut last = (0, Value::Null);
    assert!(
        eventually(30, || {
            last = readyz(&bridge);
            last.0 == 503
        }),
        "/readyz kept answering {last:?} with the database stopped"
    );
    // Nothing but the verdict: no host, port, engine, version or count.
    assert_eq!(last.1, Value::from("unavailable"));
    // /health, behind the token, keeps the reason.
    let (status, h) = bridge.call("GET", "/health", None);
    assert_eq!(
        (status, h["status"].clone()),
        (503, Value::from("degraded"))
    );

    pg.pg_ctl_start();
    assert!(
        eventually(30, || readyz(&bridge) == (200, Value::from("ok"))),
        "/readyz did not recover once the database was back"
    );
}
