//! Durability: `kill -9` in the middle of a burst of creates and PATCHes, restart on the
//! same data directory, and every acknowledged write is there; a pending user is still
//! confirmed after a restart.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{eventually, patch, state, Bridge};
use serde_json::json;

/// (userName, id, the title it was last acknowledged with).
type Acked = (String, String, Option<String>);

#[test]
fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let url = b.url.clone();
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..4 {
        let (url, acked) = (url.clone(), acked.clone());
        writers.push(std::thread::spawn(move || {
            let client = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(5))
                .build();
            let auth = format!("Bearer {}", common::TOKEN);
            for i in 0.. {
                let name = format!("w{w}-u{i}@example.com");
                let created = client
                    .post(&format!("{url}/scim/v2/Users"))
                    .set("Authorization", &auth)
                    .set("Content-Type", "application/scim+json")
                    .send_string(&json!({"userName": name}).to_string());
                let Ok(resp) = created else { return };
                let v: serde_json::Value =
                    serde_json::from_str(&resp.into_string().unwrap()).unwrap();
                let id = v["id"].as_str().unwrap().to_owned();
                acked.lock().unwrap().push((name.clone(), id.clone(), None));
                let title = format!("title-{i}");
                let patched = client
                    .request("PATCH", &format!("{url}/scim/v2/Users/{id}"))
                    .set("Authorization", &auth)
                    .set("Content-Type", "application/scim+json")
                    .send_string(
                        &patch(json!([{"op": "add", "path": "title", "value": title}])).to_string(),
                    );
                if patched.is_err() {
                    return;
                }
                if let Some(entry) = acked.lock().unwrap().iter_mut().find(|e| e.1 == id) {
                    entry.2 = Some(title);
                }
            }
        }));
    }
    assert!(
        eventually(20, || acked.lock().unwrap().len() >= 40),
        "the burst got going"
    );
    b.kill9();
    for w in writers {
        w.join().unwrap();
    }

    let b = Bridge::start(dir.path(), &[]);
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 40);
    for (name, id, title) in &acked {
        let (status, v) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
        assert_eq!(status, 200, "acknowledged create of {name} lost");
        assert_eq!(v["userName"], name.as_str());
        if let Some(t) = title {
            assert_eq!(v["title"], t.as_str(), "acknowledged PATCH of {name} lost");
        }
    }
    // The store opens cleanly and stays writable.
    let (status, _) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "after@example.com"})),
    );
    assert_eq!(status, 201);
    let (_, list) = b.call("GET", "/scim/v2/Users?count=0", None);
    assert!(list["totalResults"].as_u64().unwrap() as usize > acked.len());
    the_audit_trail_agrees_with_the_data(&b);
}

/// Every user has exactly one `user.invited` record and none is recorded that is not
/// there; a user has a title exactly when a `user.updated` record names `title`: each
/// change was committed with its record, or neither was.
fn the_audit_trail_agrees_with_the_data(b: &Bridge) {
    use std::collections::{BTreeMap, BTreeSet};
    let mut titled = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for start in (1..).step_by(100) {
        let (status, users) = b.call(
            "GET",
            &format!("/scim/v2/Users?startIndex={start}&count=100"),
            None,
        );
        assert_eq!(status, 200, "{users}");
        let page = users["Resources"].as_array().cloned().unwrap_or_default();
        for u in &page {
            let id = u["id"].as_str().unwrap().to_owned();
            if u["title"].is_string() {
                titled.insert(id.clone());
            }
            ids.insert(id);
        }
        if page.len() < 100 {
            break;
        }
    }
    let mut invited: BTreeMap<String, usize> = BTreeMap::new();
    let mut retitled = BTreeSet::new();
    for e in common::audit_events(b, "resourceType=User&count=1000") {
        let id = e["resourceId"].as_str().unwrap().to_owned();
        match e["action"].as_str().unwrap() {
            "user.invited" => *invited.entry(id).or_default() += 1,
            "user.updated" if e["attributes"] == json!(["title"]) => {
                retitled.insert(id);
            }
            other => panic!("unexpected record {other}: {e}"),
        }
    }
    assert_eq!(invited.keys().cloned().collect::<BTreeSet<_>>(), ids);
    assert!(invited.values().all(|n| *n == 1), "{invited:?}");
    assert_eq!(retitled, titled);
}

#[test]
fn a_pending_user_is_confirmed_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // A long interval: the watcher runs at start-up, then not again during this test.
    let b = Bridge::start(dir.path(), &["--confirmation-interval", "3600"]);
    let (_, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "pat@example.com"})),
    );
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(
        b.subcommand(&["invitations", "accept", "pat@example.com"])
            .0
    );
    assert_eq!(state(&b, &id), "pending");
    b.kill9();
    let b = Bridge::start(dir.path(), &["--confirmation-interval", "3600"]);
    assert!(
        eventually(10, || state(&b, &id) == "active"),
        "confirmed without any request after restart"
    );
}
