//! Several replicas on one database: starting at once, racing creates, concurrent member
//! changes, If-Match, the last-Owner rule, a rotated token, and a replica killed while
//! writes are under way.

use std::sync::Barrier;

use serde_json::{json, Value};

use crate::common::postgres::server;
use crate::common::{self, patch, Bridge, TOKEN};
use crate::{
    accepts, create_user, health, member_ids, replicas, rotated_token, try_create, user, Created,
};

const OWNERS: &str = "owners";

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
            // The load balancer's probe needs no token, so a rotation never fails it.
            let (status, _, body) = common::request(
                &format!("{}/readyz", bridge.url),
                "GET",
                None,
                &[],
                std::time::Duration::from_secs(30),
                &[],
            );
            assert_eq!((status, body.as_str()), (200, Some("ok")), "replica {i}");
        }
        previous = Some(token);
    }
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
                        Some(Created {
                            status: 201,
                            id: Some(id),
                            ..
                        }) => {
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
        all.remove(0).kill9();
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

/// The deprovisioning guard's limit holds across replicas: ten suspensions sent at once,
/// half to each of two replicas, with a limit of three: exactly three are applied and
/// seven held, whichever replica each reached (the count is read in the write
/// transaction, under the write lock every replica takes).
#[test]
fn the_deprovisioning_limit_holds_across_racing_replicas() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let all = crate::replicas_with(&url, 2, &["--deprovision-limit", "3"]);
    let ids: Vec<String> = (0..10)
        .map(|i| create_user(&all[0], &format!("racer{i}@example.com")))
        .collect();
    let barrier = Barrier::new(ids.len());
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let sent: Vec<_> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let (bridge, barrier) = (&all[i % 2], &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
                    bridge
                        .call("PATCH", &format!("/scim/v2/Users/{id}"), Some(&off))
                        .0
                })
            })
            .collect();
        sent.into_iter()
            .map(|h| h.join().expect("a request"))
            .collect()
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let suspended = ids
        .iter()
        .filter(|id| {
            let (_, u) = all[1].call("GET", &format!("/scim/v2/Users/{id}"), None);
            u["active"] == false
        })
        .count();
    assert_eq!(suspended, 3);
    let (_, h) = health(&all[1]);
    assert_eq!(h["components"]["deprovisioning"]["held"], 7, "{h}");
}
