//! Faults: `kill -9` at random points of a mixed create/PATCH/delete load, twenty times;
//! a full disk (a small tmpfs this test mounts) answers 503 without losing the process,
//! and the bridge recovers when space returns.

mod common;

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{patch, Bridge, TOKEN};
use serde_json::{json, Value};

/// What the clients know, per user id: its userName, the value of the last acknowledged
/// PATCH, the value of a PATCH in flight when the bridge died (it may or may not have
/// happened), and whether a DELETE was in flight.
#[derive(Clone, Debug, Default)]
struct Known {
    name: String,
    acked: Option<String>,
    in_flight: Option<String>,
    maybe_deleted: bool,
}

/// Everything the clients were told.
#[derive(Clone, Debug, Default)]
struct Acked {
    users: HashMap<String, Known>,
    deleted: Vec<String>,
}

fn client() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build()
}

fn send(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> Option<Value> {
    let req = agent
        .request(method, url)
        .set("Authorization", &format!("Bearer {TOKEN}"));
    let resp = match body {
        Some(b) => req
            .set("Content-Type", "application/scim+json")
            .send_string(&b.to_string()),
        None => req.call(),
    }
    .ok()?;
    let text = resp.into_string().ok()?;
    Some(if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).ok()?
    })
}

/// One worker: create, PATCH two attributes in one request, sometimes delete.
fn worker(url: String, tag: String, acked: Arc<Mutex<Acked>>) {
    let agent = client();
    for i in 0.. {
        let name = format!("{tag}-{i}@example.com");
        // An unacknowledged create may or may not have happened; it is not checked.
        let Some(v) = send(
            &agent,
            "POST",
            &format!("{url}/scim/v2/Users"),
            Some(json!({"userName": name})),
        ) else {
            return;
        };
        let id = v["id"].as_str().unwrap_or_default().to_owned();
        let value = format!("v{i}");
        acked.lock().unwrap().users.insert(
            id.clone(),
            Known {
                name,
                acked: None,
                in_flight: Some(value.clone()),
                maybe_deleted: false,
            },
        );
        let body = patch(
            json!([{"op": "add", "path": "title", "value": value}, {"op": "add", "path": "nickName", "value": value}]),
        );
        if send(
            &agent,
            "PATCH",
            &format!("{url}/scim/v2/Users/{id}"),
            Some(body),
        )
        .is_none()
        {
            return;
        }
        if let Some(u) = acked.lock().unwrap().users.get_mut(&id) {
            u.acked = Some(value);
            u.in_flight = None;
        }
        if i % 3 == 0 {
            if let Some(u) = acked.lock().unwrap().users.get_mut(&id) {
                u.maybe_deleted = true;
            }
            if send(&agent, "DELETE", &format!("{url}/scim/v2/Users/{id}"), None).is_none() {
                return;
            }
            let mut a = acked.lock().unwrap();
            a.users.remove(&id);
            a.deleted.push(id);
        }
    }
}

fn verify(b: &Bridge, acked: &Acked) {
    for (id, known) in &acked.users {
        let (status, v) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
        if known.maybe_deleted && status == 404 {
            continue;
        }
        assert_eq!(status, 200, "acknowledged create of {} lost", known.name);
        // Both attributes were set by one PATCH: both or neither, never half.
        assert_eq!(
            v.get("title"),
            v.get("nickName"),
            "half-applied PATCH on {}: {v}",
            known.name
        );
        let title = v["title"].as_str().map(str::to_owned);
        let allowed = [
            known.acked.clone(),
            known.in_flight.clone().or(known.acked.clone()),
        ];
        assert!(
            allowed.contains(&title),
            "acknowledged PATCH of {} lost: {v}",
            known.name
        );
    }
    for id in &acked.deleted {
        assert_eq!(
            b.call("GET", &format!("/scim/v2/Users/{id}"), None).0,
            404,
            "acknowledged delete undone"
        );
    }
}

#[test]
fn kill_9_at_random_points_twenty_times() {
    let dir = tempfile::tempdir().unwrap();
    let acked: Arc<Mutex<Acked>> = Arc::default();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..20 {
        let b = Bridge::start(dir.path(), &[]);
        verify(&b, &acked.lock().unwrap().clone());
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let (url, acked) = (b.url.clone(), acked.clone());
                std::thread::spawn(move || worker(url, format!("r{round}w{w}"), acked))
            })
            .collect();
        // xorshift: a different, reproducible point in the load each round.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(20 + seed % 180));
        b.kill9();
        for w in workers {
            w.join().unwrap();
        }
    }
    let b = Bridge::start(dir.path(), &[]);
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.users.len() + acked.deleted.len() > 20,
        "the load did run"
    );
    verify(&b, &acked);
    let (status, _) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "still-writable@example.com"})),
    );
    assert_eq!(status, 201);
}

/// A tmpfs of `size` mounted at `dir` (root is needed; CI and developer machines run as
/// root), unmounted on drop.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &std::path::Path, size: &str) -> Tmpfs {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "this test mounts a tmpfs to fill a disk, which needs root"
        );
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_answers_503_and_the_bridge_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _fs = Tmpfs::mount(&mnt, "2m");
    let data = mnt.join("data");
    let b = Bridge::start(&data, &[]);
    assert_eq!(
        b.call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"userName": "first@example.com"}))
        )
        .0,
        201
    );

    // Fill the disk.
    let filler = mnt.join("filler");
    let _ = std::fs::write(&filler, vec![0u8; 4 * 1024 * 1024]);
    let mut saw_503 = None;
    for i in 0..50 {
        let body = json!({"userName": format!("full{i}@example.com"), "title": "x".repeat(20_000)});
        let (status, v) = b.call("POST", "/scim/v2/Users", Some(&body));
        if status == 503 {
            saw_503 = Some(v);
            break;
        }
        assert_eq!(status, 201, "{v}");
    }
    let v = saw_503.expect("a full disk answers 503");
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("unavailable"), "{detail}");
    assert!(detail.contains("retry later"), "{detail}");
    for leak in [
        data.to_string_lossy().as_ref(),
        "INSERT",
        "SELECT",
        "resources",
        "database or disk is full",
        "SQLITE",
        "sqlite",
    ] {
        assert!(!detail.contains(leak), "the detail leaks {leak}: {detail}");
    }
    assert_eq!(b.call("GET", "/ping", None).0, 200, "the process stays up");
    assert_eq!(
        b.call(
            "GET",
            "/scim/v2/Users?filter=userName+eq+%22first%40example.com%22",
            None
        )
        .1["totalResults"],
        1,
        "reads still work"
    );

    // Space returns: writes work again without a restart.
    std::fs::remove_file(&filler).unwrap();
    assert!(common::eventually(10, || b
        .call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"userName": "after-full@example.com"}))
        )
        .0
        == 201));

    drop(b);
}
