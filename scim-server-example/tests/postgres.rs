//! The bridge on PostgreSQL (`--database-url`), end to end, and several bridges
//! (replicas) on one database: uniqueness, member changes, If-Match and the last-Owner
//! rule hold across them, a read on one sees a write on another, replicas starting at
//! once migrate one database safely, and a database that goes away gives 503 and
//! `degraded`, then recovers by itself.
//!
//! Each test starts its own database on a throwaway server (`common::postgres`); where
//! PostgreSQL is not installed the tests say they were skipped (in CI they fail).

mod common;

use std::sync::Barrier;
use std::time::Duration;

use common::postgres::{server, PgServer};
use common::{patch, Bridge, TOKEN};
use serde_json::{json, Value};

const OWNERS: &str = "owners";

/// A bridge on the database at `url`, with a data directory of its own (kept with it).
struct Replica {
    bridge: Bridge,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Replica {
    type Target = Bridge;

    fn deref(&self) -> &Bridge {
        &self.bridge
    }
}

fn replica(url: &str) -> Replica {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bridge = Bridge::start(&dir.path().join("data"), &["--database-url", url]);
    Replica { bridge, _dir: dir }
}

/// `n` replicas on the database at `url`, started at the same moment.
fn replicas(url: &str, n: usize) -> Vec<Replica> {
    std::thread::scope(|s| {
        let started: Vec<_> = (0..n).map(|_| s.spawn(|| replica(url))).collect();
        started
            .into_iter()
            .map(|h| h.join().expect("a replica starts"))
            .collect()
    })
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "active": true})
}

fn create_user(bridge: &Bridge, name: &str) -> String {
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&user(name)));
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().expect("an id").to_owned()
}

fn member_ids(bridge: &Bridge, group: &str) -> Vec<String> {
    let (status, g) = bridge.call("GET", &format!("/scim/v2/Groups/{group}"), None);
    assert_eq!(status, 200, "{g}");
    let mut ids: Vec<String> = g["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

fn health(bridge: &Bridge) -> (u16, Value) {
    bridge.call("GET", "/health", None)
}

#[test]
fn crud_on_postgresql_and_health_names_the_engine() {
    let Some(pg) = server() else { return };
    let bridge = replica(&pg.database());
    let (status, h) = health(&bridge);
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["components"]["store"]["engine"], "postgresql");
    assert_eq!(h["status"], "healthy");

    let id = create_user(&bridge, "Alice@Example.com");
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&user("alice@example.COM")));
    assert_eq!(
        (status, v["scimType"].clone()),
        (409, json!("uniqueness")),
        "{v}"
    );
    let (status, list) = bridge.call(
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22ALICE@example.com%22",
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id.as_str());

    let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Alice"}]));
    let (status, v) = bridge.call("PATCH", &format!("/scim/v2/Users/{id}"), Some(&body));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["displayName"], "Alice");

    let mut replaced = user("alice@example.com");
    replaced["externalId"] = json!("ext-1");
    let (status, v) = bridge.call("PUT", &format!("/scim/v2/Users/{id}"), Some(&replaced));
    assert_eq!(status, 200, "{v}");
    let (_, list) = bridge.call(
        "GET",
        "/scim/v2/Users?filter=externalId%20eq%20%22ext-1%22",
        None,
    );
    assert_eq!(list["totalResults"], 1, "{list}");

    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineering", "members": [{"value": id}]});
    let (status, g) = bridge.call("POST", "/scim/v2/Groups", Some(&group));
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().expect("an id").to_owned();
    assert_eq!(member_ids(&bridge, &gid), vec![id.clone()]);
    let (_, u) = bridge.call("GET", &format!("/scim/v2/Users/{id}"), None);
    let groups = u["groups"].as_array().expect("groups");
    assert!(groups.iter().any(|g| g["value"] == gid.as_str()), "{u}");

    let (status, _) = bridge.call("DELETE", &format!("/scim/v2/Users/{id}"), None);
    assert_eq!(status, 204);
    let (status, _) = bridge.call("GET", &format!("/scim/v2/Users/{id}"), None);
    assert_eq!(status, 404);
    assert!(member_ids(&bridge, &gid).is_empty());
}

#[test]
fn replicas_started_at_once_on_an_empty_database_all_come_up() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let all = replicas(&url, 3);
    for r in &all {
        let (status, h) = health(r);
        assert_eq!(status, 200, "{h}");
    }
    // One schema, one set of built-in groups.
    let (status, groups) = all[0].call("GET", "/scim/v2/Groups", None);
    assert_eq!(status, 200, "{groups}");
    let mut names: Vec<&str> = groups["Resources"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    let before = names.len();
    names.sort();
    names.dedup();
    assert_eq!(
        names.len(),
        before,
        "a built-in group was created twice: {groups}"
    );
}

#[test]
fn racing_creates_of_one_user_name_across_replicas_give_one_201_and_one_409() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let (a, b) = {
        let mut r = replicas(&url, 2);
        let b = r.pop().expect("b");
        (r.pop().expect("a"), b)
    };
    for round in 0..10 {
        let name = format!("race{round}@example.com");
        let barrier = Barrier::new(2);
        let go = |bridge: &Bridge| {
            barrier.wait();
            bridge.call("POST", "/scim/v2/Users", Some(&user(&name))).0
        };
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let ha = s.spawn(|| go(&a));
            let hb = s.spawn(|| go(&b));
            vec![ha.join().expect("a"), hb.join().expect("b")]
        });
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(sorted, vec![201, 409], "round {round}: {statuses:?}");
    }
}

#[test]
fn concurrent_member_patches_across_replicas_lose_nothing_and_reads_see_writes() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let all = replicas(&url, 2);
    let group =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G"});
    let (status, g) = all[0].call("POST", "/scim/v2/Groups", Some(&group));
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().expect("an id").to_owned();
    // Each user written on one replica is read at once on the other.
    let mut users = Vec::new();
    for i in 0..30 {
        let (writer, reader) = (&all[i % 2], &all[(i + 1) % 2]);
        let id = create_user(writer, &format!("m{i}@example.com"));
        let (status, v) = reader.call("GET", &format!("/scim/v2/Users/{id}"), None);
        assert_eq!(
            status, 200,
            "a read on the other replica missed a write: {v}"
        );
        users.push(id);
    }
    // Every user added by a PATCH of its own, half through each replica, all at once;
    // then the first ten removed the same way.
    let run = |ops: &dyn Fn(&str) -> Value, ids: &[String]| {
        std::thread::scope(|s| {
            for (i, id) in ids.iter().enumerate() {
                let (bridge, body, gid) = (&all[i % 2], ops(id), &gid);
                s.spawn(move || {
                    let (status, v) =
                        bridge.call("PATCH", &format!("/scim/v2/Groups/{gid}"), Some(&body));
                    assert!(status == 204 || status == 200, "{status} {v}");
                });
            }
        })
    };
    run(
        &|id| patch(json!([{"op": "add", "path": "members", "value": [{"value": id}]}])),
        &users,
    );
    let mut expected = users.clone();
    expected.sort();
    for r in &all {
        assert_eq!(member_ids(r, &gid), expected, "a member change was lost");
    }
    run(
        &|id| patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}])),
        &users[..10],
    );
    let mut expected = users[10..].to_vec();
    expected.sort();
    for r in &all {
        assert_eq!(member_ids(r, &gid), expected, "a member removal was lost");
    }
}

#[test]
fn if_match_fails_when_another_replica_changed_the_resource_first() {
    let Some(pg) = server() else { return };
    let all = replicas(&pg.database(), 2);
    let id = create_user(&all[0], "etag@example.com");
    let (_, v) = all[0].call("GET", &format!("/scim/v2/Users/{id}"), None);
    let etag = v["meta"]["version"].as_str().expect("a version").to_owned();
    let body = patch(json!([{"op": "replace", "path": "displayName", "value": "B"}]));
    let (status, v) = all[1].call("PATCH", &format!("/scim/v2/Users/{id}"), Some(&body));
    assert_eq!(status, 200, "{v}");
    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("If-Match", etag.as_str()),
    ];
    let body = patch(json!([{"op": "replace", "path": "displayName", "value": "A"}]));
    let (status, v) = all[0].call_with(
        "PATCH",
        &format!("/scim/v2/Users/{id}"),
        Some(&body),
        &headers,
    );
    assert_eq!(status, 412, "{v}");
    let (status, v) = all[0].call_with(
        "PUT",
        &format!("/scim/v2/Users/{id}"),
        Some(&user("etag@example.com")),
        &headers,
    );
    assert_eq!(status, 412, "{v}");
}

#[test]
fn two_replicas_removing_the_two_owners_at_once_leave_one() {
    let Some(pg) = server() else { return };
    let all = replicas(&pg.database(), 2);
    for round in 0..5 {
        let a = create_user(&all[0], &format!("a{round}@example.com"));
        let b = create_user(&all[1], &format!("b{round}@example.com"));
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Owners", "members": [{"value": a}, {"value": b}]});
        let (status, v) = all[0].call("PUT", &format!("/scim/v2/Groups/{OWNERS}"), Some(&body));
        assert_eq!(status, 200, "{v}");
        let barrier = Barrier::new(2);
        let statuses: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = [(&all[0], &a), (&all[1], &b)]
                .into_iter()
                .map(|(bridge, id)| {
                    let barrier = &barrier;
                    s.spawn(move || {
                        let body = patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]));
                        barrier.wait();
                        bridge.call("PATCH", &format!("/scim/v2/Groups/{OWNERS}"), Some(&body)).0
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a PATCH"))
                .collect()
        });
        let owners = member_ids(&all[0], OWNERS);
        assert_eq!(
            owners.len(),
            1,
            "round {round}: {statuses:?} left {owners:?}"
        );
        let mut sorted = statuses.clone();
        sorted.sort();
        assert_eq!(
            sorted[1], 403,
            "round {round}: one removal is refused: {statuses:?}"
        );
        assert!(
            sorted[0] == 204 || sorted[0] == 200,
            "round {round}: {statuses:?}"
        );
    }
}

#[test]
fn a_database_that_goes_away_gives_503_and_degraded_then_recovers() {
    let Some(pg) = PgServer::start() else { return };
    let bridge = replica(&pg.database());
    create_user(&bridge, "before@example.com");
    pg.pg_ctl_stop();
    let (status, h) = health(&bridge);
    assert_eq!(status, 503, "{h}");
    assert_eq!(h["status"], "degraded");
    assert_eq!(h["components"]["store"]["state"], "down");
    let detail = h["components"]["store"]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!detail.is_empty(), "{h}");
    assert!(
        !detail.contains("127.0.0.1") && !detail.contains(&pg.port.to_string()),
        "the detail names the server: {detail}"
    );
    let (status, retry, v) = {
        let (status, mut named, v) = common::request(
            &format!("{}/scim/v2/Users", bridge.url),
            "POST",
            Some(&user("during@example.com")),
            &[("Authorization", &format!("Bearer {TOKEN}"))],
            Duration::from_secs(30),
            &["retry-after"],
        );
        (status, named.remove(0), v)
    };
    assert_eq!(status, 503, "{v}");
    assert!(retry.is_some(), "503 without Retry-After");
    let text = v.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.contains(&pg.port.to_string()),
        "{text}"
    );
    pg.pg_ctl_start();
    let mut last = Value::Null;
    assert!(
        common::eventually(30, || {
            let (status, h) = health(&bridge);
            last = h;
            status == 200
        }),
        "the bridge did not recover once the database was back: {last}"
    );
    create_user(&bridge, "after@example.com");
    let (_, list) = bridge.call("GET", "/scim/v2/Users", None);
    assert_eq!(list["totalResults"], 2, "{list}");
}

#[test]
fn a_database_migrated_by_a_newer_bridge_is_refused_with_a_clear_message() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    drop(replica(&url));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    client
        .batch_execute("INSERT INTO schema_migrations (version) VALUES (9999)")
        .expect("a newer schema version");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = std::process::Command::new(common::binary())
        .args(Bridge::args(
            &dir.path().join("data"),
            &["--database-url", &url],
        ))
        .env("SCIM_BRIDGE_TOKEN", TOKEN)
        .output()
        .expect("run scim-bridge");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bridge started on a newer schema");
    assert!(
        stderr.contains("schema version 9999") && stderr.contains("upgrade this bridge"),
        "{stderr}"
    );
}

/// The token a `token rotate` printed.
fn rotated_token(output: &str) -> String {
    output
        .lines()
        .skip_while(|l| !l.starts_with("New Secret Token"))
        .map(str::trim)
        .find(|l| l.len() >= 32 && !l.contains(' '))
        .unwrap_or_else(|| panic!("no token in {output}"))
        .to_owned()
}

/// Whether `bridge` accepts `token`.
fn accepts(bridge: &Bridge, token: &str) -> bool {
    let auth = format!("Bearer {token}");
    bridge
        .call_with("GET", "/scim/v2/Users", None, &[("Authorization", &auth)])
        .0
        == 200
}

#[test]
fn token_rotate_on_the_database_takes_effect_on_every_replica_without_a_restart() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    // Started without SCIM_BRIDGE_TOKEN: the token's hash lives in the database.
    let dirs: Vec<_> = (0..2)
        .map(|_| tempfile::tempdir().expect("a temporary directory"))
        .collect();
    let all: Vec<Bridge> = std::thread::scope(|s| {
        let started: Vec<_> = dirs
            .iter()
            .map(|dir| {
                let url = &url;
                s.spawn(move || {
                    let data = dir.path().join("data");
                    let mut cmd = std::process::Command::new("env");
                    cmd.args(["-u", "SCIM_BRIDGE_TOKEN", common::binary()])
                        .args(Bridge::args(&data, &["--database-url", url]))
                        .stderr(std::process::Stdio::null());
                    Bridge::spawn_without_token(cmd, &data)
                })
            })
            .collect();
        started
            .into_iter()
            .map(|h| h.join().expect("a replica"))
            .collect()
    });
    assert!(!accepts(&all[0], TOKEN), "a token the bridge never made");
    let mut previous: Option<String> = None;
    for _ in 0..2 {
        let (ok, out) = all[0].subcommand(&["--database-url", &url, "token", "rotate"]);
        assert!(ok, "{out}");
        let token = rotated_token(&out);
        for (i, bridge) in all.iter().enumerate() {
            assert!(
                common::eventually(15, || accepts(bridge, &token)),
                "replica {i} never took the rotated token"
            );
            if let Some(old) = &previous {
                assert!(
                    !accepts(bridge, old),
                    "replica {i} still takes the old token"
                );
            }
        }
        previous = Some(token);
    }
}

#[test]
fn one_replica_runs_the_confirmation_watcher_and_another_takes_over_when_it_dies() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let args = [
        "--database-url",
        url.as_str(),
        "--confirmation-interval",
        "1",
        "--allow-short-interval",
    ];
    let start = || {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let bridge = Bridge::start(&dir.path().join("data"), &args);
        Replica { bridge, _dir: dir }
    };
    let mut all: Vec<Replica> = std::thread::scope(|s| {
        let a = s.spawn(start);
        let b = s.spawn(start);
        vec![a.join().expect("a"), b.join().expect("b")]
    });
    let watcher = |bridge: &Bridge| {
        health(bridge).1["components"]["confirmationWatcher"]["state"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let mut leader = None;
    assert!(
        common::eventually(20, || {
            let states: Vec<String> = all.iter().map(|r| watcher(r)).collect();
            leader = states.iter().position(|s| s == "running");
            let standing_by = states.iter().filter(|s| *s == "standby").count();
            leader.is_some() && standing_by == 1
        }),
        "not exactly one replica runs the watcher"
    );
    let leader = leader.expect("a leader");
    let confirm = |bridge: &Bridge, name: &str| {
        let id = create_user(bridge, name);
        let (ok, out) = bridge.subcommand(&["--database-url", &url, "invitations", "accept", name]);
        assert!(ok, "{out}");
        assert!(
            common::eventually(20, || common::state(bridge, &id) == "active"),
            "{name} was never confirmed"
        );
    };
    confirm(&all[1 - leader], "first@example.com");
    let Replica { bridge, _dir } = all.remove(leader);
    bridge.kill9();
    let survivor = &all[0];
    confirm(survivor, "second@example.com");
    assert_eq!(watcher(survivor), "running");
}

#[test]
fn tls_to_the_database_verifies_the_server_as_sslmode_asks() {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a certificate");
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    let Some(pg) = PgServer::start_with(
        &[("server.crt", &cert_pem), ("server.key", &key_pem)],
        "-c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
    ) else {
        return;
    };
    let name = pg.database_name();
    let files = tempfile::tempdir().expect("a temporary directory");
    let root = files.path().join("root.pem");
    std::fs::write(&root, &cert_pem).expect("the root");
    let other = files.path().join("other.pem");
    let stranger =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("another");
    std::fs::write(&other, stranger.cert.pem()).expect("another root");

    // Verified against the right root, and encrypted without one under `require`.
    for query in [
        format!("sslmode=verify-full&sslrootcert={}", root.display()),
        "sslmode=require".to_owned(),
    ] {
        let bridge = replica(&pg.url_with(&name, &query));
        let (status, h) = health(&bridge);
        assert_eq!(status, 200, "{query}: {h}");
        create_user(&bridge, &format!("{}@example.com", query.len()));
    }
    // The server shows a certificate the given root did not sign: refused.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = pg.url_with(
        &name,
        &format!("sslmode=verify-full&sslrootcert={}", other.display()),
    );
    let out = std::process::Command::new(common::binary())
        .args(Bridge::args(
            &dir.path().join("data"),
            &["--database-url", &url],
        ))
        .env("SCIM_BRIDGE_TOKEN", TOKEN)
        .output()
        .expect("run scim-bridge");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a bridge trusted a server its root did not sign"
    );
    assert!(
        stderr.contains("cannot open the PostgreSQL database") && stderr.contains("certificate"),
        "{stderr}"
    );
}

/// A request with `token`.
fn call_as(
    bridge: &Bridge,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    bridge.call_with(method, path, body, &[("Authorization", &auth)])
}

/// A bridge whose Secret Token is its own (not the test token from the environment).
fn start_with_own_token(data: &std::path::Path, args: &[&str]) -> Bridge {
    let mut cmd = std::process::Command::new("env");
    cmd.args(["-u", "SCIM_BRIDGE_TOKEN", common::binary()])
        .args(Bridge::args(data, args))
        .stderr(std::process::Stdio::null());
    Bridge::spawn_without_token(cmd, data)
}

#[test]
fn an_sqlite_bridge_migrates_to_postgresql_with_its_token() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    let sqlite = start_with_own_token(&data, &[]);
    let (ok, out) = sqlite.subcommand(&["token", "rotate"]);
    assert!(ok, "{out}");
    let token = rotated_token(&out);
    assert!(common::eventually(15, || accepts(&sqlite, &token)));
    let mut ids = Vec::new();
    for i in 0..3 {
        let (status, v) = call_as(
            &sqlite,
            &token,
            "POST",
            "/scim/v2/Users",
            Some(&user(&format!("mig{i}@example.com"))),
        );
        assert_eq!(status, 201, "{v}");
        ids.push(v["id"].as_str().expect("an id").to_owned());
    }
    let (ok, out) = sqlite.subcommand(&["invitations", "accept", "mig1@example.com"]);
    assert!(ok, "{out}");
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Migrated", "members": [{"value": ids[0]}, {"value": ids[2]}]});
    let (status, g) = call_as(&sqlite, &token, "POST", "/scim/v2/Groups", Some(&group));
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().expect("an id").to_owned();
    let (_, before) = call_as(
        &sqlite,
        &token,
        "GET",
        "/scim/v2/Users?attributes=userName,groups",
        None,
    );
    drop(sqlite);

    // A bridge started on the database first (its built-in groups) does not stand in the way.
    drop(replica(&url));
    let out = std::process::Command::new(common::binary())
        .arg("migrate")
        .arg("--from-data-dir")
        .arg(&data)
        .args(["--to-database-url", &url])
        .output()
        .expect("run scim-bridge migrate");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Copied 3 users, 6 groups, 2 memberships"),
        "{text}"
    );

    let pg_dir = tempfile::tempdir().expect("a temporary directory");
    let replica = start_with_own_token(&pg_dir.path().join("data"), &["--database-url", &url]);
    assert!(accepts(&replica, &token), "the migrated token is refused");
    let (_, after) = call_as(
        &replica,
        &token,
        "GET",
        "/scim/v2/Users?attributes=userName,groups",
        None,
    );
    assert_eq!(
        after["Resources"], before["Resources"],
        "the users differ after the migration"
    );
    let ext = "urn:ietf:params:scim:schemas:extension:1password:2.0:User";
    let (_, u) = call_as(
        &replica,
        &token,
        "GET",
        &format!("/scim/v2/Users/{}?attributes={ext}:state", ids[1]),
        None,
    );
    assert_ne!(
        u[ext]["state"], "invited",
        "the account state was lost: {u}"
    );
    let (_, g) = call_as(
        &replica,
        &token,
        "GET",
        &format!("/scim/v2/Groups/{gid}"),
        None,
    );
    assert_eq!(g["members"].as_array().map(Vec::len), Some(2), "{g}");

    // Migrating again would mix two accounts: refused, nothing written.
    let out = std::process::Command::new(common::binary())
        .arg("migrate")
        .arg("--from-data-dir")
        .arg(&data)
        .args(["--to-database-url", &url])
        .output()
        .expect("run scim-bridge migrate");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds 3 users"));
}

/// Creates a user through `url`: its status and id, or `None` when the bridge did not
/// answer (killed).
fn try_create(url: &str, name: &str) -> Option<(u16, Option<String>)> {
    let result = ureq::post(&format!("{url}/scim/v2/Users"))
        .timeout(Duration::from_secs(30))
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .set("Content-Type", "application/scim+json")
        .send_string(&user(name).to_string());
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(_) => return None,
    };
    let status = resp.status();
    let body: Value = resp
        .into_string()
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    Some((status, body["id"].as_str().map(str::to_owned)))
}

#[test]
fn a_replica_killed_during_writes_loses_no_acknowledged_write_and_the_other_keeps_serving() {
    let Some(pg) = server() else { return };
    let mut all = replicas(&pg.database(), 2);
    let urls: Vec<String> = all.iter().map(|r| r.url.clone()).collect();
    let acknowledged = std::sync::Mutex::new(Vec::<String>::new());
    let count = std::sync::atomic::AtomicUsize::new(0);
    let survivor_failures = std::sync::Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        for t in 0..4 {
            let (url, on_survivor) = (&urls[t % 2], t % 2 == 1);
            let (acknowledged, count, survivor_failures) =
                (&acknowledged, &count, &survivor_failures);
            s.spawn(move || {
                for i in 0..50 {
                    let name = format!("k{t}-{i}@example.com");
                    match try_create(url, &name) {
                        Some((201, Some(id))) => {
                            acknowledged.lock().expect("the list").push(id);
                            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        other if on_survivor => {
                            survivor_failures
                                .lock()
                                .expect("the list")
                                .push(format!("{name}: {other:?}"));
                        }
                        _ => {}
                    }
                }
            });
        }
        // Kill the first replica once writes are under way on both.
        assert!(common::eventually(60, || count
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 40));
        let Replica { bridge, _dir } = all.remove(0);
        bridge.kill9();
    });
    let survivor = &all[0];
    let failures = survivor_failures.into_inner().expect("the list");
    assert!(
        failures.is_empty(),
        "the surviving replica failed writes: {failures:?}"
    );
    let acknowledged = acknowledged.into_inner().expect("the list");
    // The survivor's 100, and some of the killed replica's.
    assert!(
        acknowledged.len() > 100,
        "{} writes acknowledged",
        acknowledged.len()
    );
    for id in &acknowledged {
        let (status, v) = survivor.call("GET", &format!("/scim/v2/Users/{id}"), None);
        assert_eq!(status, 200, "an acknowledged write is missing: {v}");
    }
}

#[test]
fn a_value_postgresql_cannot_store_is_refused_with_400_not_500() {
    let Some(pg) = server() else { return };
    let bridge = replica(&pg.database());
    let mut u = user("nul@example.com");
    u["externalId"] = json!("a\u{0}b");
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&u));
    assert_eq!(
        (status, v["scimType"].clone()),
        (400, json!("invalidValue")),
        "{v}"
    );
    let (status, v) = bridge.call(
        "GET",
        "/scim/v2/Users?filter=externalId%20eq%20%22a%5Cu0000b%22",
        None,
    );
    assert_eq!(status, 400, "{v}");
    // Inside the JSON of a resource it is stored as an escape, and kept.
    let mut u = user("nul2@example.com");
    u["nickName"] = json!("a\u{0}b");
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&u));
    assert_eq!(status, 201, "{v}");
    let (_, back) = bridge.call(
        "GET",
        &format!("/scim/v2/Users/{}", v["id"].as_str().unwrap_or_default()),
        None,
    );
    assert_eq!(back["nickName"], "a\u{0}b");
}

#[test]
fn the_database_restarted_under_load_gives_only_503s_meanwhile_and_loses_no_acknowledged_write() {
    let Some(pg) = PgServer::start() else { return };
    let bridge = replica(&pg.database());
    let stop = std::sync::atomic::AtomicBool::new(false);
    let answers = std::sync::Mutex::new(Vec::<(u16, Option<String>)>::new());
    std::thread::scope(|s| {
        for t in 0..2 {
            let (bridge, stop, answers) = (&bridge, &stop, &answers);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let answer = try_create(&bridge.url, &format!("load{t}-{i}@example.com"))
                        .expect("the bridge answers");
                    answers.lock().expect("the list").push(answer);
                    i += 1;
                }
            });
        }
        let count = || answers.lock().expect("the list").len();
        assert!(
            common::eventually(30, || count() >= 20),
            "no writes before the restart"
        );
        pg.pg_ctl_stop();
        let before = count();
        assert!(
            common::eventually(60, || count() >= before + 2),
            "no answers while down"
        );
        pg.pg_ctl_start();
        let at = count();
        let ok_after = || {
            answers.lock().expect("the list")[at..]
                .iter()
                .any(|(s, _)| *s == 201)
        };
        assert!(
            common::eventually(60, ok_after),
            "writes never succeeded again"
        );
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let answers = answers.into_inner().expect("the list");
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s != 201 && *s != 503)
        .collect();
    assert!(
        unexpected.is_empty(),
        "answers other than 201 and 503: {unexpected:?}"
    );
    assert!(
        answers.iter().any(|(s, _)| *s == 503),
        "the outage was never seen"
    );
    for id in answers.iter().filter_map(|(_, id)| id.as_ref()) {
        let (status, v) = bridge.call("GET", &format!("/scim/v2/Users/{id}"), None);
        assert_eq!(status, 200, "an acknowledged write is missing: {v}");
    }
}
