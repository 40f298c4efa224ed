//! `GET /metrics` against the real binary: the Prometheus text format, the counters a
//! create, a read and refused requests move (and by exactly how much), accounts by state
//! and groups read from the store, the confirmation watcher, the build, who may scrape
//! (the Secret Token or the read-only metrics token, which opens nothing else), and
//! labels that never carry an id or a userName.

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use common::{eventually, request, Bridge, TOKEN};
use serde_json::{json, Value};

const U: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The read-only scrape token the bridges here are started with.
const METRICS_TOKEN: &str = "metrics-scrape-token-0123456789abcdef";

/// A bridge with the metrics token and a watcher running every second.
fn bridge(dir: &std::path::Path) -> Bridge {
    Bridge::start(
        dir,
        &[
            "--metrics-token",
            METRICS_TOKEN,
            "--confirmation-interval",
            "1",
            "--allow-short-interval",
        ],
    )
}

/// `GET path` with `Authorization: Bearer <token>` (none when `token` is `None`): status,
/// `Content-Type`, `WWW-Authenticate`, body.
fn get(
    b: &Bridge,
    path: &str,
    token: Option<&str>,
) -> (u16, Option<String>, Option<String>, Value) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| vec![("Authorization", a)])
        .unwrap_or_default();
    let (status, mut named, body) = request(
        &format!("{}{path}", b.url),
        "GET",
        None,
        &headers,
        Duration::from_secs(30),
        &["content-type", "www-authenticate"],
    );
    let www = named.pop().unwrap();
    let ctype = named.pop().unwrap();
    (status, ctype, www, body)
}

/// A scrape with the metrics token: the exposition's text.
fn scrape(b: &Bridge) -> String {
    let (status, ctype, _, body) = get(b, "/metrics", Some(METRICS_TOKEN));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ctype.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    body.as_str().expect("text, not JSON").to_owned()
}

/// Each sample line's value, by its name and labels as written.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// A sample's value, 0 when the series is absent (a counter not yet created).
fn value(samples: &HashMap<String, f64>, series: &str) -> f64 {
    samples.get(series).copied().unwrap_or(0.0)
}

#[test]
fn a_scrape_counts_what_happened_and_names_no_one() {
    let dir = tempfile::tempdir().unwrap();
    let b = bridge(dir.path());
    let before = samples(&scrape(&b));

    // A create, a read, and refusals: no token, the metrics token on SCIM and /health.
    let (status, user) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [U], "userName": "metered.person@example.com"})),
    );
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    let (status, _) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
    assert_eq!(status, 200);
    let (status, _, www, _) = get(&b, "/scim/v2/Users", None);
    assert_eq!(status, 401);
    assert!(www.is_some());
    // The metrics token is read-only: it provisions nothing and reads no health.
    let (status, _, _, _) = get(&b, "/scim/v2/Users", Some(METRICS_TOKEN));
    assert_eq!(status, 401, "the metrics token must not open SCIM");
    let (status, _, _, _) = get(&b, "/health", Some(METRICS_TOKEN));
    assert_eq!(status, 401, "the metrics token must not open /health");
    // Nor does /metrics open without a token, and the Secret Token opens it too.
    let (status, _, www, _) = get(&b, "/metrics", None);
    assert_eq!(status, 401);
    assert!(www.is_some_and(|w| w.starts_with("Bearer")));
    let (status, _, _, _) = get(&b, "/metrics", Some(TOKEN));
    assert_eq!(status, 200);

    let text = scrape(&b);
    let after = samples(&text);
    let delta = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(
        delta(r#"scim_bridge_requests_total{method="POST",resource="Users",status="201"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        delta(r#"scim_bridge_requests_total{method="GET",resource="Users",status="200"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"scim_bridge_requests_total{method="GET",resource="Users",status="401"}"#),
        2.0
    );
    assert_eq!(
        delta(r#"scim_bridge_requests_total{method="GET",resource="health",status="401"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"scim_bridge_requests_total{method="GET",resource="metrics",status="401"}"#),
        1.0
    );
    // The first scrape and the one with the Secret Token (this one is counted once
    // answered, so in the next).
    assert_eq!(
        delta(r#"scim_bridge_requests_total{method="GET",resource="metrics",status="200"}"#),
        2.0
    );
    // No token (SCIM, /metrics) and the metrics token where it does not open (SCIM,
    // /health).
    assert_eq!(delta("scim_bridge_auth_failures_total"), 4.0);
    assert_eq!(
        delta(r#"scim_bridge_request_duration_seconds_count{method="POST",resource="Users"}"#),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"scim_bridge_request_duration_seconds_bucket{method="POST",resource="Users",le="+Inf"}"#
        ),
        1.0
    );
    // Read from the store at the scrape.
    assert_eq!(
        value(&after, r#"scim_bridge_accounts{state="invited"}"#),
        1.0
    );
    for state in ["pending", "active", "suspended"] {
        let series = format!(r#"scim_bridge_accounts{{state="{state}"}}"#);
        assert_eq!(after.get(&series), Some(&0.0), "{series}");
    }
    assert_eq!(
        value(&after, "scim_bridge_groups"),
        5.0,
        "the built-in groups"
    );
    assert_eq!(
        value(
            &after,
            &format!(
                r#"scim_bridge_build_info{{version="{}"}}"#,
                env!("CARGO_PKG_VERSION")
            )
        ),
        1.0
    );
    assert_eq!(after.get("scim_bridge_deprovisioning_held"), Some(&0.0));
    assert!(!after
        .keys()
        .any(|k| k.starts_with("scim_bridge_store_errors_total")));
    // Bounded labels: no id, no userName, no raw path anywhere in the exposition.
    assert!(!text.contains(&id), "{text}");
    assert!(!text.contains("metered"), "{text}");
    assert!(!text.contains("/scim"), "{text}");
}

#[test]
fn the_watcher_s_confirmations_and_last_run_are_exposed() {
    let dir = tempfile::tempdir().unwrap();
    let b = bridge(dir.path());
    let (status, user) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [U], "userName": "ivy@example.com"})),
    );
    assert_eq!(status, 201, "{user}");
    // The watcher's first run is at start.
    assert!(eventually(10, || {
        value(
            &samples(&scrape(&b)),
            "scim_bridge_confirmation_watcher_last_run_timestamp_seconds",
        ) > 1.7e9
    }));
    assert_eq!(
        value(&samples(&scrape(&b)), "scim_bridge_confirmations_total"),
        0.0
    );
    let (ok, out) = b.subcommand(&["invitations", "accept", "ivy@example.com"]);
    assert!(ok, "{out}");
    assert!(
        eventually(10, || {
            let s = samples(&scrape(&b));
            value(&s, "scim_bridge_confirmations_total") == 1.0
                && value(&s, r#"scim_bridge_accounts{state="active"}"#) == 1.0
        }),
        "{}",
        scrape(&b)
    );
}

#[test]
fn a_metrics_token_shorter_than_a_secret_token_may_be_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(common::binary())
        .args(Bridge::args(dir.path(), &["--metrics-token", "too-short"]))
        .env("SCIM_BRIDGE_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--metrics-token"), "{err}");
    assert!(err.contains("too short"), "{err}");
    assert!(!err.contains("too-short"), "the token is not echoed: {err}");
}

#[test]
fn the_metrics_token_can_come_from_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metrics-token");
    std::fs::write(&file, format!("{METRICS_TOKEN}\n")).unwrap();
    let b = Bridge::start(
        &dir.path().join("data"),
        &["--metrics-token-file", file.to_str().unwrap()],
    );
    let (status, _, _, _) = get(&b, "/metrics", Some(METRICS_TOKEN));
    assert_eq!(status, 200);
    let (status, _, _, _) = get(&b, "/scim/v2/Users", Some(METRICS_TOKEN));
    assert_eq!(status, 401);
}

#[test]
fn a_store_failure_met_by_a_request_is_counted_by_kind() {
    let dir = tempfile::tempdir().unwrap();
    // The watcher's interval is the default (300 s): once its run at start is done, only
    // the request below meets the lock (the watcher's own failures count too).
    let b = Bridge::start(dir.path(), &["--metrics-token", METRICS_TOKEN]);
    assert!(eventually(10, || value(
        &samples(&scrape(&b)),
        "scim_bridge_confirmation_watcher_last_run_timestamp_seconds"
    ) > 0.0));
    // Another process holds the database's write lock past the busy timeout (10 s).
    let mut conn = rusqlite::Connection::open(common::store::db_path(dir.path())).unwrap();
    let lock = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .unwrap();
    let (status, body) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [U], "userName": "blocked@example.com"})),
    );
    assert_eq!(status, 503, "{body}");
    lock.rollback().unwrap();
    let after = samples(&scrape(&b));
    assert_eq!(
        value(&after, r#"scim_bridge_store_errors_total{kind="busy"}"#),
        1.0
    );
    assert_eq!(
        value(
            &after,
            r#"scim_bridge_requests_total{method="POST",resource="Users",status="503"}"#
        ),
        1.0
    );
    // A uniqueness conflict is the client's, not a failure of the store.
    for _ in 0..2 {
        b.call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"schemas": [U], "userName": "twice@example.com"})),
        );
    }
    let after = samples(&scrape(&b));
    assert_eq!(
        value(
            &after,
            r#"scim_bridge_requests_total{method="POST",resource="Users",status="409"}"#
        ),
        1.0
    );
    let errors: f64 = after
        .iter()
        .filter(|(k, _)| k.starts_with("scim_bridge_store_errors_total"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(errors, 1.0);
}
