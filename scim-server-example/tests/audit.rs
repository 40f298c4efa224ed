//! The audit trail over HTTP and on the command line: `GET /audit` (token, filters,
//! pages, refusals), `scim-bridge audit`, requests that fail leaving no record, the
//! confirmation watcher's and the operator's own changes, token rotations. (The Entra
//! session's records: tests/sessions.rs; agreement with the data after `kill -9`:
//! tests/durability.rs; the deprovisioning guard's: tests/deprovisioning.rs.)

mod common;

use common::{audit_events as audit, create_user as create, eventually, patch, Bridge};
use serde_json::{json, Value};

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect()
}

#[test]
fn requests_that_fail_leave_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let id = create(&b, "ann@example.com");
    let before = audit(&b, "");
    let failing: Vec<(&str, String, Option<Value>, u16)> = vec![
        // Duplicate userName: 409.
        (
            "POST",
            "/scim/v2/Users".into(),
            Some(json!({"userName": "ANN@example.com"})),
            409,
        ),
        // A PATCH whose second operation fails: the first is not kept either.
        (
            "PATCH",
            format!("/scim/v2/Users/{id}"),
            Some(patch(json!([
                {"op": "replace", "path": "title", "value": "Boss"},
                {"op": "replace", "path": "userName", "value": 7}
            ]))),
            400,
        ),
        // A stale version: 412.
        (
            "PUT",
            format!("/scim/v2/Users/{id}"),
            Some(json!({"userName": "ann@example.com", "title": "X"})),
            412,
        ),
        // The last Owner cannot be removed once there is one; no such group member.
        (
            "PATCH",
            "/scim/v2/Groups/owners".into(),
            Some(patch(
                json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]}]),
            )),
            400,
        ),
        ("DELETE", "/scim/v2/Users/nobody".into(), None, 404),
        ("DELETE", "/scim/v2/Groups/owners".into(), None, 403),
    ];
    for (method, path, body, want) in failing {
        let headers = [
            ("Authorization", format!("Bearer {}", common::TOKEN)),
            ("If-Match", "W/\"stale\"".to_owned()),
        ];
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .filter(|(k, _)| method == "PUT" || *k != "If-Match")
            .map(|(k, v)| (*k, v.as_str()))
            .collect();
        let (status, v) = b.call_with(method, &path, body.as_ref(), &headers);
        assert_eq!(status, want, "{method} {path}: {v}");
    }
    assert_eq!(audit(&b, ""), before, "a failed request left a record");
}

#[test]
fn the_trail_is_read_with_the_token_by_filter_and_page_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let started = audit(&b, "");
    // The bridge's own first records: the built-in groups it created.
    assert_eq!(actions(&started), ["group.created"; 5]);
    assert!(started.iter().all(|e| e["actor"] == "bridge"));
    let ids: Vec<String> = (0..7)
        .map(|i| create(&b, &format!("u{i}@example.com")))
        .collect();
    let (status, _) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{}", ids[3]),
        Some(&patch(
            json!([{"op": "replace", "path": "active", "value": false}]),
        )),
    );
    assert_eq!(status, 200);

    // No token, a wrong one: refused, and nothing is said.
    let (status, v) = b.call_with("GET", "/audit", None, &[]);
    assert_eq!(status, 401, "{v}");
    let (status, _) = b.call_with(
        "GET",
        "/audit",
        None,
        &[(
            "Authorization",
            "Bearer not-the-token-at-all-0123456789abcdef",
        )],
    );
    assert_eq!(status, 401);

    // Newest first, three to a page, every record exactly once.
    let all = audit(&b, "count=3");
    assert_eq!(all.len(), 5 + 7 + 1);
    assert_eq!(all[0]["action"], "user.suspended");
    assert_eq!(all[0]["resourceName"], "u3@example.com");
    assert_eq!(all[0]["attributes"], json!(["active"]));
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
    assert_eq!(all, audit(&b, ""), "pages put together are the whole trail");

    // By resource (name, case-insensitively, or id), by action, by time.
    let u3 = audit(&b, "resource=U3%40example.com");
    assert_eq!(actions(&u3), ["user.suspended", "user.invited"]);
    assert_eq!(u3, audit(&b, &format!("resource={}", ids[3])));
    assert_eq!(audit(&b, "action=user.invited").len(), 7);
    assert_eq!(audit(&b, "resourceType=Group").len(), 5);
    assert!(audit(&b, "since=2999-01-01T00:00:00Z").is_empty());
    assert_eq!(audit(&b, "since=1h").len(), all.len());
    assert!(audit(&b, "until=1h").is_empty());

    // Refusals say what to send.
    for bad in [
        "count=0",
        "since=later",
        "action=user.melted",
        "cursor=abc",
        "colour=red",
    ] {
        let (status, v) = b.call("GET", &format!("/audit?{bad}"), None);
        assert_eq!(status, 400, "{bad}: {v}");
        assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
    }
    let (status, _) = b.call("POST", "/audit", Some(&json!({})));
    assert_eq!(status, 405);

    // The command line reads the same trail.
    let (ok, out) = b.subcommand(&["audit", "--user", "u3@example.com", "--json"]);
    assert!(ok, "{out}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines, u3);
    let (ok, out) = b.subcommand(&["audit", "--action", "user.suspended"]);
    assert!(ok, "{out}");
    assert!(
        out.contains("user.suspended") && out.contains("u3@example.com"),
        "{out}"
    );
    assert!(!out.contains("user.invited"), "{out}");
    let (ok, out) = b.subcommand(&["audit", "--since", "soon"]);
    assert!(!ok, "{out}");
    assert!(out.contains("--since"), "{out}");
}

#[test]
fn the_watcher_the_operator_and_token_rotations_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start_with_own_token(
        dir.path(),
        &["--confirmation-interval", "1", "--allow-short-interval"],
    );
    // Its token is its own: read the trail through the command line.
    let (ok, out) = b.subcommand(&["token", "rotate"]);
    assert!(ok, "{out}");
    let token = out
        .lines()
        .map(str::trim)
        .find(|l| l.len() >= 43 && !l.contains(' '))
        .expect("the new token")
        .to_owned();
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str())];
    let (status, v) = b.call_with(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "bo@example.com"})),
        &headers,
    );
    assert_eq!(status, 201, "{v}");
    let (ok, out) = b.subcommand(&["invitations", "accept", "bo@example.com"]);
    assert!(ok, "{out}");
    let confirmed = || {
        let (_, out) = b.subcommand(&["audit", "--json", "--action", "user.confirmed"]);
        out.lines().count() == 1
    };
    assert!(eventually(30, confirmed), "the watcher confirmed bo");
    let (ok, out) = b.subcommand(&["audit", "--json"]);
    assert!(ok, "{out}");
    let events: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|e: &Value| e["actor"] != "bridge")
        .collect();
    let by: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            let actor = e["actor"].as_str().unwrap();
            let actor = if actor.starts_with("token:") {
                "token"
            } else {
                actor
            };
            (e["action"].as_str().unwrap(), actor)
        })
        .collect();
    assert_eq!(
        by,
        [
            ("user.confirmed", "watcher"),
            ("user.accepted", "cli"),
            ("user.invited", "token"),
            ("token.rotated", "cli")
        ]
    );
    assert_eq!(
        events[0]["attributes"],
        json!(["urn:ietf:params:scim:schemas:extension:1password:2.0:User:state"])
    );
    // A token is named by a fingerprint, never by itself.
    assert!(!out.contains(&token), "the token itself is in the trail");
}

/// A request that fails after the rules wrote a record (a suspension held by the guard,
/// then a value the store refuses) leaves neither the record nor the hold: they were in
/// the transaction that failed.
#[test]
fn a_request_failing_after_its_record_was_written_leaves_none() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &["--deprovision-limit", "0"]);
    let id = create(&b, "nul@example.com");
    let before = audit(&b, "");
    let (status, v) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        Some(&patch(json!([
            {"op": "replace", "path": "active", "value": false},
            {"op": "replace", "path": "title", "value": "a\u{0}b"}
        ]))),
    );
    assert_eq!(status, 400, "{v}");
    assert_eq!(
        audit(&b, ""),
        before,
        "a record of the failed request stayed"
    );
    let (ok, out) = b.subcommand(&["deprovisioning", "list"]);
    assert!(ok && out.contains("Nothing is held"), "{out}");
    // The same suspension alone is held, and recorded.
    let (status, _) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        Some(&patch(
            json!([{"op": "replace", "path": "active", "value": false}]),
        )),
    );
    assert_eq!(status, 200);
    let held = audit(&b, "action=deprovisioning.held");
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["resourceId"], id.as_str());
}

/// A user's memberships are found by the user's name or id, though they are recorded on
/// the group.
#[test]
fn a_users_memberships_are_found_by_its_name_or_id() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let ann = create(&b, "ann@example.com");
    create(&b, "bo@example.com");
    let (status, g) = b.call(
        "POST",
        "/scim/v2/Groups",
        Some(&json!({"displayName": "Sales", "members": [{"value": ann}]})),
    );
    assert_eq!(status, 201, "{g}");
    let by_name = audit(&b, "resource=ANN%40example.com");
    assert_eq!(actions(&by_name), ["member.added", "user.invited"]);
    assert_eq!(by_name[0]["resourceName"], "Sales");
    assert_eq!(by_name[0]["member"], ann.as_str());
    assert_eq!(audit(&b, &format!("resource={ann}")), by_name);
    assert_eq!(
        actions(&audit(&b, "resource=bo%40example.com")),
        ["user.invited"]
    );
}

/// `--audit-retention-days`: the bridge deletes older records itself (at start, then
/// hourly) and keeps the rest.
#[test]
fn records_older_than_the_retention_are_deleted_by_the_bridge() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    create(&b, "kept@example.com");
    b.kill9();
    let day = 86_400_000_000_000_i64;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let conn = rusqlite::Connection::open(common::store::db_path(dir.path())).unwrap();
    for (age, name) in [
        (3 * day, "old@example.com"),
        (day / 2, "recent@example.com"),
    ] {
        conn.execute(
            "INSERT INTO audit (at, actor, action, resource_type, resource_name, attributes)
             VALUES (?1, 'token:00000000', 'user.invited', 'User', ?2, '[]')",
            rusqlite::params![now - age, name],
        )
        .unwrap();
    }
    drop(conn);
    let b = Bridge::start(dir.path(), &["--audit-retention-days", "1"]);
    let names = || -> Vec<String> {
        audit(&b, "action=user.invited")
            .iter()
            .map(|e| e["resourceName"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert!(
        eventually(30, || !names().contains(&"old@example.com".to_owned())),
        "the 3-day-old record is still there: {:?}",
        names()
    );
    let mut left = names();
    left.sort();
    assert_eq!(left, ["kept@example.com", "recent@example.com"]);
}
