//! Hostile clients and odd paths: oversized and slow requests, too many connections,
//! path tricks that must not bypass authentication, secrets that must never be echoed
//! or logged, and a corrupted token file.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Bridge, TOKEN};
use serde_json::json;

/// Sends raw bytes and reads until the server closes or `wait` passes.
fn raw(addr: &str, bytes: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(wait)).unwrap();
    let _ = s.write_all(bytes);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn oversized_heads_get_431_and_too_long_targets_414() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let req = format!(
        "GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let resp = raw(&b.addr(), req.as_bytes(), Duration::from_secs(5));
    assert!(
        resp.starts_with("HTTP/1.1 431"),
        "{}",
        &resp[..resp.len().min(200)]
    );
    assert!(resp.contains("application/scim+json"), "{resp}");
    assert!(resp.contains(r#""status":"431""#), "{resp}");
    // A request line that does not end within the limit is a too-long target: 414.
    let req = format!(
        "GET /ping?{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let resp = raw(&b.addr(), req.as_bytes(), Duration::from_secs(5));
    assert!(
        resp.starts_with("HTTP/1.1 414"),
        "{}",
        &resp[..resp.len().min(200)]
    );
    assert!(resp.contains(r#""status":"414""#), "{resp}");
    // Just under the limit is served.
    let req = format!(
        "GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(60 * 1024)
    );
    assert!(raw(&b.addr(), req.as_bytes(), Duration::from_secs(5)).starts_with("HTTP/1.1 200"));
}

#[test]
fn slow_clients_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(
        dir.path(),
        &["--header-timeout", "1", "--body-timeout", "1"],
    );
    // Headers that never finish: the connection is closed after the header timeout.
    let started = std::time::Instant::now();
    let resp = raw(
        &b.addr(),
        b"GET /ping HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(10),
    );
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "closed by the server, not by our read timeout"
    );
    assert!(!resp.contains("pong"), "{resp}");
    // A body that never finishes: 408 with a SCIM error naming the limit.
    let head = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/scim+json\r\nContent-Length: 100\r\n\r\n{{\"userName\""
    );
    let resp = raw(&b.addr(), head.as_bytes(), Duration::from_secs(10));
    assert!(resp.starts_with("HTTP/1.1 408"), "{resp}");
    assert!(resp.contains("limit of 1 s"), "{resp}");
}

#[test]
fn connections_past_the_limit_get_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(
        dir.path(),
        &["--max-connections", "2", "--header-timeout", "5"],
    );
    // Authenticated connections (never evicted for a newcomer) hold both slots.
    let _idle1 = common::open_authenticated(&b.addr());
    let _idle2 = common::open_authenticated(&b.addr());
    let resp = raw(
        &b.addr(),
        b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_secs(5),
    );
    // RFC 6585 §4: too many requests, and when to come back (RFC 9110 §10.2.3).
    assert!(resp.starts_with("HTTP/1.1 429 "), "{resp}");
    assert!(
        resp.to_ascii_lowercase().contains("\r\nretry-after: 1\r\n"),
        "{resp}"
    );
    assert!(resp.contains("limit of 2 connections"), "{resp}");
    drop((_idle1, _idle2));
    assert!(common::eventually(5, || raw(
        &b.addr(),
        b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        Duration::from_secs(2)
    )
    .contains("pong")));
}

#[test]
fn path_tricks_never_bypass_authentication() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let paths = [
        "/scim/../Users",
        "//Users",
        "/scim//v2//Users",
        "/scim/v2/%2e%2e/Users",
        "/%2e%2e/Users",
        "/USERS",
        "/users/",
        "/Users/",
        "/scim/v2/Users/.search",
        "/Schemas",
        "/Health",
        "/health/",
        "/PING",
        "/ping/../Users",
        "/Users?x=/ping",
        "/ping%2f..%2fUsers",
        "/scim/v2/Bulk",
    ];
    for path in paths {
        for method in ["GET", "POST", "DELETE"] {
            let (status, _, body) = b.raw(method, path, None, &[]);
            assert_eq!(status, 401, "{method} {path}: {body}");
        }
    }
}

#[test]
fn secrets_never_appear_in_responses_or_logs() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bridge.log");
    let file = std::fs::File::create(&log).unwrap();
    let b = Bridge::start_logging(dir.path(), &[], Stdio::from(file));
    let password = "Sup3r-Secret-Passw0rd!";
    let mut bodies = Vec::new();
    let (s, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "pw@example.com", "password": password})),
    );
    assert_eq!(s, 201);
    let id = v["id"].as_str().unwrap().to_owned();
    bodies.push(v);
    bodies.push(
        b.call(
            "GET",
            &format!("/scim/v2/Users/{id}?attributes=password"),
            None,
        )
        .1,
    );
    bodies.push(b.call("GET", "/scim/v2/Users", None).1);
    bodies.push(
        b.call(
            "PUT",
            &format!("/scim/v2/Users/{id}"),
            Some(&json!({"userName": "pw@example.com", "password": password})),
        )
        .1,
    );
    bodies.push(
        b.call(
            "POST",
            "/scim/v2/Users/.search",
            Some(&json!({"attributes": ["password"]})),
        )
        .1,
    );
    bodies.push(
        b.call(
            "GET",
            &format!("/scim/v2/Users?filter=password+eq+%22{password}%22"),
            None,
        )
        .1,
    );
    bodies.push(
        b.call_with(
            "GET",
            "/scim/v2/Users",
            None,
            &[("Authorization", &format!("Bearer {TOKEN}wrong"))],
        )
        .1,
    );
    bodies.push(b.call("GET", "/health", None).1);
    for body in &bodies {
        let text = body.to_string();
        assert!(!text.contains(password), "password in a response: {text}");
        assert!(!text.contains(TOKEN), "token in a response: {text}");
    }
    drop(b);
    let logs = std::fs::read_to_string(&log).unwrap();
    assert!(logs.lines().count() >= 8, "requests were logged: {logs}");
    assert!(!logs.contains(password), "password in the logs");
    assert!(!logs.contains(TOKEN), "token in the logs");
    assert!(
        !logs.contains("pw@example.com"),
        "no bodies or queries in the logs by default"
    );
}

#[test]
fn a_corrupted_or_foreign_token_file_stops_the_start() {
    for contents in [
        "garbage",
        r#"{"token": "plain"}"#,
        r#"{"version":1,"salt":"AAAA","sha256":"AAAA"}"#,
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token.json"), contents).unwrap();
        let out = Command::new(common::binary())
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{contents}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("token file") && err.contains("token rotate"),
            "{err}"
        );
    }
}
