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

/// A userName and the title it was last acknowledged with.
type Titled = (String, Option<String>);

/// One Bulk request of `n` creates from writer `w`, batch `k`, each user PATCHed by
/// `bulkId` in the same request (the PATCH reads what the create before it wrote, which
/// is deferred with the rest of the Bulk request's writes).
fn bulk_of(w: usize, k: usize, n: usize) -> serde_json::Value {
    let mut ops = Vec::new();
    for i in 0..n {
        let bulk_id = format!("u{i}");
        ops.push(json!({
            "method": "POST", "path": "/Users", "bulkId": bulk_id,
            "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": format!("bulk-w{w}-k{k}-u{i}@example.com")}
        }));
        if i % 5 == 0 {
            ops.push(json!({
                "method": "PATCH", "path": format!("/Users/bulkId:{bulk_id}"),
                "data": patch(json!([{"op": "add", "path": "title", "value": format!("t{i}")}]))
            }));
        }
    }
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops})
}

/// Bulk requests are committed together (group commit), never acknowledged before they
/// are durable: after `kill -9` in the middle of a stream of Bulk requests, every user an
/// acknowledged Bulk request created is there, with the title its PATCH set.
#[test]
fn acknowledged_bulk_requests_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let url = b.url.clone();
    // (userName, title) of every user in an acknowledged Bulk request.
    let acked: Arc<Mutex<Vec<Titled>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..3 {
        let (url, acked) = (url.clone(), acked.clone());
        writers.push(std::thread::spawn(move || {
            let client = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build();
            let auth = format!("Bearer {}", common::TOKEN);
            for k in 0.. {
                let sent = client
                    .post(&format!("{url}/scim/v2/Bulk"))
                    .set("Authorization", &auth)
                    .set("Content-Type", "application/scim+json")
                    .send_string(&bulk_of(w, k, 40).to_string());
                let Ok(resp) = sent else { return };
                let v: serde_json::Value =
                    serde_json::from_str(&resp.into_string().unwrap()).unwrap();
                let ops = v["Operations"].as_array().unwrap();
                assert_eq!(ops.len(), 48, "{v}");
                for op in ops {
                    let status = op["status"].as_str().unwrap();
                    assert!(status == "201" || status == "200", "{op}");
                }
                let mut acked = acked.lock().unwrap();
                for i in 0..40 {
                    let title = (i % 5 == 0).then(|| format!("t{i}"));
                    acked.push((format!("bulk-w{w}-k{k}-u{i}@example.com"), title));
                }
            }
        }));
    }
    assert!(
        eventually(30, || acked.lock().unwrap().len() >= 400),
        "the Bulk requests got going"
    );
    b.kill9();
    for w in writers {
        w.join().unwrap();
    }
    let b = Bridge::start(dir.path(), &[]);
    let acked = acked.lock().unwrap().clone();
    for (name, title) in &acked {
        let (status, v) = b.call(
            "GET",
            &format!("/scim/v2/Users?filter=userName%20eq%20%22{name}%22"),
            None,
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            v["totalResults"], 1,
            "acknowledged Bulk create of {name} lost"
        );
        let user = &v["Resources"][0];
        match title {
            Some(t) => assert_eq!(user["title"], t.as_str(), "PATCH of {name} lost"),
            None => assert!(user.get("title").is_none(), "{user}"),
        }
    }
    the_audit_trail_agrees_with_the_data(&b);
}
