//! Attack: a large PATCH (thousands of values added to a multi-valued attribute) took
//! seconds in the PATCH engine while holding SQLite's write transaction, so every other
//! write, `/health` and `scim-bridge invitations accept` waited or failed with "database
//! is locked". The engine now runs outside any transaction; the write checks that the
//! version read is still current (retrying, or 412 under If-Match).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::common::store::send;
use crate::common::{patch, Bridge};
use crate::USER;

/// A PATCH adding `n` emails, in operations of at most 10,000 values (the limit per
/// operation).
fn many_emails(n: usize) -> Value {
    let values: Vec<Value> = (0..n)
        .map(|i| json!({"value": format!("alias{i}@example.com"), "type": "other"}))
        .collect();
    let ops: Vec<Value> = values
        .chunks(10_000)
        .map(|chunk| json!({"op": "add", "path": "emails", "value": chunk}))
        .collect();
    patch(Value::Array(ops))
}

/// The emails the large PATCH adds: far past the default cap on values per attribute
/// (raised for these tests), so that the PATCH engine works long enough to be overlapped
/// now that adding values is linear.
const MANY: usize = 60_000;

/// A bridge whose limits admit the large PATCH.
fn bridge(dir: &std::path::Path) -> Bridge {
    Bridge::start(
        dir,
        &[
            "--max-values-per-attribute",
            "100000",
            "--max-body-bytes",
            "16777216",
        ],
    )
}

/// Sends `body` as a PATCH of `path` on a thread; the flag says when it has answered.
fn in_background(
    b: &Bridge,
    path: &str,
    body: Value,
    if_match: Option<String>,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<(u16, Value)>) {
    let done = Arc::new(AtomicBool::new(false));
    let (url, path, flag) = (b.url.clone(), path.to_owned(), done.clone());
    let handle = std::thread::spawn(move || {
        let mut req = ureq::request("PATCH", &format!("{url}{path}"))
            .timeout(Duration::from_secs(300))
            .set("Authorization", &format!("Bearer {}", crate::common::TOKEN))
            .set("Content-Type", "application/scim+json");
        if let Some(v) = &if_match {
            req = req.set("If-Match", v);
        }
        let resp = match req.send_string(&body.to_string()) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("PATCH: {e}"),
        };
        let status = resp.status();
        let v = serde_json::from_str(&resp.into_string().unwrap_or_default()).unwrap_or_default();
        flag.store(true, Ordering::SeqCst);
        (status, v)
    });
    (done, handle)
}

#[test]
fn a_large_patch_does_not_block_other_writes_health_or_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let b = bridge(dir.path());
    let (status, u) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "big@example.com"})),
    );
    assert_eq!(status, 201, "{u}");
    let path = format!("/scim/v2/Users/{}", u["id"].as_str().unwrap());

    let (done, slow) = in_background(&b, &path, many_emails(MANY), None);
    // Let the PATCH reach the engine (not an assertion: the outcomes below are).
    std::thread::sleep(Duration::from_millis(500));

    let health = send(&b.url, "GET", "/health", None, Duration::from_secs(300));
    let health_before_patch = !done.load(Ordering::SeqCst);
    assert_eq!(health.status, 200, "{:?}", health.body);
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "other@example.com"})),
    );
    let create_before_patch = !done.load(Ordering::SeqCst);
    assert_eq!(status, 201, "{v}");
    let (ok, out) = b.subcommand(&["invitations", "accept", "other@example.com"]);
    let cli_before_patch = !done.load(Ordering::SeqCst);
    assert!(ok, "{out}");
    // A concurrent change of the same user, which the slow PATCH must not undo.
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "replace", "path": "title", "value": "concurrent"}]),
        )),
    );
    let concurrent_before_patch = !done.load(Ordering::SeqCst);
    assert_eq!(status, 200, "{v}");

    let (status, v) = slow.join().unwrap();
    assert_eq!(status, 200, "{v}");
    assert!(health_before_patch, "/health waited for the PATCH");
    assert!(
        create_before_patch,
        "another user's create waited for the PATCH"
    );
    assert!(cli_before_patch, "invitations accept waited for the PATCH");
    assert!(
        concurrent_before_patch,
        "the small PATCH waited for the large one"
    );
    let (_, got) = b.call("GET", &path, None);
    assert_eq!(got["title"], "concurrent", "the concurrent change was kept");
    assert_eq!(
        got["emails"].as_array().unwrap().len(),
        MANY + 1,
        "and the large one applied"
    );
}

#[test]
fn a_large_patch_under_if_match_fails_with_412_when_overtaken() {
    let dir = tempfile::tempdir().unwrap();
    let b = bridge(dir.path());
    let (status, u) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "etag@example.com"})),
    );
    assert_eq!(status, 201, "{u}");
    let path = format!("/scim/v2/Users/{}", u["id"].as_str().unwrap());
    let version = u["meta"]["version"].as_str().unwrap().to_owned();

    let (done, slow) = in_background(&b, &path, many_emails(MANY), Some(version));
    std::thread::sleep(Duration::from_millis(500));
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "replace", "path": "title", "value": "first"}]),
        )),
    );
    let overtook = !done.load(Ordering::SeqCst);
    assert_eq!(status, 200, "{v}");
    let (status, v) = slow.join().unwrap();
    if overtook {
        assert_eq!(status, 412, "{v}");
        let (_, got) = b.call("GET", &path, None);
        assert_eq!(got["title"], "first");
        assert_eq!(
            got["emails"].as_array().unwrap().len(),
            1,
            "nothing of the 412 written"
        );
    }
}
