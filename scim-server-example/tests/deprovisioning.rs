//! The deprovisioning guard's whole cycle: past `--deprovision-limit` suspensions and
//! deletions within the window, further ones are held (the person stays as they are, the
//! client gets the answer it expects), visible in the audit trail and the command line,
//! then released or discarded by an operator; a restore from the directory drops a held
//! suspension.

mod common;

use common::{create_user as create, patch, Bridge};
use serde_json::{json, Value};

/// Entra ID's suspension: `Replace` `active` with `"False"`.
fn suspend(b: &Bridge, id: &str) -> (u16, Value) {
    b.call(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )),
    )
}

fn active(b: &Bridge, id: &str) -> Option<bool> {
    let (status, v) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
    (status == 200).then(|| v["active"].as_bool().unwrap())
}

fn held_actions(b: &Bridge) -> Vec<String> {
    let (_, page) = b.call("GET", "/audit?action=deprovisioning.held", None);
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resourceName"].as_str().unwrap().to_owned())
        .collect()
}

/// `scim_bridge_deprovisioning_held` as `/metrics` shows it.
fn held_gauge(b: &Bridge) -> u64 {
    let (status, text) = b.call("GET", "/metrics", None);
    assert_eq!(status, 200, "{text}");
    let text = text.as_str().expect("the exposition text");
    text.lines()
        .find_map(|l| l.strip_prefix("scim_bridge_deprovisioning_held "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the gauge")
}

#[test]
fn past_the_limit_deprovisioning_is_held_until_released_or_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(
        dir.path(),
        &["--deprovision-limit", "2", "--deprovision-window", "10m"],
    );
    let ids: Vec<String> = (0..6)
        .map(|i| create(&b, &format!("p{i}@example.com")))
        .collect();

    // Two go through.
    assert_eq!(suspend(&b, &ids[0]).0, 200);
    assert_eq!(
        b.call("DELETE", &format!("/scim/v2/Users/{}", ids[1]), None)
            .0,
        204
    );
    assert_eq!(active(&b, &ids[0]), Some(false));
    assert_eq!(active(&b, &ids[1]), None);

    // The third and fourth are held: answered as Entra expects, nothing changes.
    let (status, v) = suspend(&b, &ids[2]);
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["active"], true,
        "the held suspension is not shown as done"
    );
    assert_eq!(
        b.call("DELETE", &format!("/scim/v2/Users/{}", ids[3]), None)
            .0,
        204
    );
    assert_eq!(active(&b, &ids[2]), Some(true));
    assert_eq!(
        active(&b, &ids[3]),
        Some(true),
        "a held deletion keeps the person"
    );
    // Other changes in a request that suspends still apply.
    let (status, v) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{}", ids[4]),
        Some(&patch(json!([
            {"op": "replace", "path": "title", "value": "Engineer"},
            {"op": "replace", "path": "active", "value": false}
        ]))),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["title"].as_str(), v["active"].as_bool()),
        (Some("Engineer"), Some(true))
    );
    assert_eq!(
        held_actions(&b),
        ["p4@example.com", "p3@example.com", "p2@example.com"]
    );

    // Visible to monitoring.
    assert_eq!(held_gauge(&b), 3);

    // The operator sees them, oldest first.
    let (ok, out) = b.subcommand(&["deprovisioning", "list"]);
    assert!(ok, "{out}");
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(listed.len(), 3, "{out}");
    assert!(
        listed[0].contains("suspend") && listed[0].contains("p2@example.com"),
        "{out}"
    );
    assert!(
        listed[1].contains("delete") && listed[1].contains("p3@example.com"),
        "{out}"
    );

    // The directory restores p4 before anyone releases it: its suspension is dropped.
    let (status, _) = b.call(
        "PATCH",
        &format!("/scim/v2/Users/{}", ids[4]),
        Some(&patch(
            json!([{"op": "Replace", "path": "active", "value": "True"}]),
        )),
    );
    assert_eq!(status, 200);
    let (_, out) = b.subcommand(&["deprovisioning", "list"]);
    assert_eq!(out.lines().count(), 2, "{out}");

    // Released: applied, oldest first, and recorded as the operator's.
    let (ok, out) = b.subcommand(&["deprovisioning", "release"]);
    assert!(ok, "{out}");
    assert!(out.contains("Released 2"), "{out}");
    assert_eq!(active(&b, &ids[2]), Some(false));
    assert_eq!(active(&b, &ids[3]), None);
    let (_, page) = b.call("GET", "/audit?count=6", None);
    let recent: Vec<(&str, &str, &str)> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["resourceName"].as_str().unwrap_or("-"),
                e["actor"].as_str().unwrap(),
            )
        })
        .map(|(a, n, actor)| {
            (
                a,
                n,
                if actor.starts_with("token:") {
                    "token"
                } else {
                    actor
                },
            )
        })
        .collect();
    assert_eq!(
        recent,
        [
            ("user.deleted", "p3@example.com", "cli"),
            ("deprovisioning.released", "p3@example.com", "cli"),
            ("user.suspended", "p2@example.com", "cli"),
            ("deprovisioning.released", "p2@example.com", "cli"),
            ("deprovisioning.discarded", "p4@example.com", "token"),
            ("user.updated", "p4@example.com", "token"),
        ]
    );

    // Still within the window: the next is held again, and discarded this time.
    assert_eq!(suspend(&b, &ids[5]).0, 200);
    assert_eq!(active(&b, &ids[5]), Some(true));
    let (ok, out) = b.subcommand(&["deprovisioning", "discard"]);
    assert!(ok, "{out}");
    assert!(out.contains("Discarded 1"), "{out}");
    assert_eq!(active(&b, &ids[5]), Some(true));
    let (_, out) = b.subcommand(&["deprovisioning", "list"]);
    assert!(out.contains("Nothing is held"), "{out}");
    assert_eq!(held_gauge(&b), 0);
    let (_, page) = b.call(
        "GET",
        "/audit?action=deprovisioning.discarded&count=1",
        None,
    );
    assert_eq!(page["events"][0]["resourceName"], "p5@example.com");
    assert_eq!(page["events"][0]["actor"], "cli");
}

#[test]
fn without_a_limit_nothing_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    for i in 0..12 {
        let id = create(&b, &format!("q{i}@example.com"));
        assert_eq!(suspend(&b, &id).0, 200);
        assert_eq!(active(&b, &id), Some(false));
    }
    assert!(held_actions(&b).is_empty());
}

/// A held suspension stays held through other changes to the person (the resource they
/// read shows `active: true`, and a PATCH carries it back unchanged) and through the
/// client repeating itself; only a request that states `active: true` drops it.
/// (Regression: any later PATCH of a held person dropped their suspension.)
#[test]
fn a_held_suspension_survives_other_updates_and_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &["--deprovision-limit", "0"]);
    let id = create(&b, "kept@example.com");
    let at = format!("/scim/v2/Users/{id}");
    assert_eq!(suspend(&b, &id).0, 200);
    let renamed = patch(json!([{"op": "replace", "path": "displayName", "value": "Kept"}]));
    assert_eq!(b.call("PATCH", &at, Some(&renamed)).0, 200);
    assert_eq!(
        b.call("PATCH", &at, Some(&renamed)).0,
        200,
        "a PATCH changing nothing"
    );
    assert_eq!(suspend(&b, &id).0, 200, "the client repeating itself");
    let (ok, out) = b.subcommand(&["deprovisioning", "list"]);
    assert!(ok, "{out}");
    assert_eq!(out.lines().count(), 1, "held once, still held: {out}");
    assert_eq!(held_actions(&b), ["kept@example.com"]);
    // The directory restores them: dropped.
    let restore = patch(
        json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:active", "value": "True"}]),
    );
    assert_eq!(b.call("PATCH", &at, Some(&restore)).0, 200);
    let (_, out) = b.subcommand(&["deprovisioning", "list"]);
    assert!(out.contains("Nothing is held"), "{out}");
}

/// A window outside one minute to seven days is refused at start, saying why (`10M` is
/// ten months, `0s` would count nothing).
#[test]
fn an_implausible_window_is_refused_at_start() {
    for window in ["10M", "0s", "30s", "8d"] {
        let dir = tempfile::tempdir().unwrap();
        let out = std::process::Command::new(common::binary())
            .args(["--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(["--deprovision-limit", "5", "--deprovision-window", window])
            .env("SCIM_BRIDGE_TOKEN", common::TOKEN)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{window}: started");
        assert!(
            stderr.contains("--deprovision-window must be from 1 minute to 7 days"),
            "{window}: {stderr}"
        );
    }
}
