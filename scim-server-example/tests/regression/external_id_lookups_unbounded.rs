//! Attack: `externalId` is not unique, yet `filter=externalId eq "…"` was answered as an
//! indexed lookup that loaded every matching row, with no admission permit, no bound on
//! the resources held, and `sortBy` and searches at root served from it: 6,000 users
//! sharing one externalId, with 10 KB titles, made one `sortBy=userName&count=1` request
//! hold them all (RSS 15 MB → 804 MB with eight in parallel), where `title pr` got 400
//! `tooMany`. An unsorted externalId lookup is now counted from the index and only the
//! page read; sorted by `userName` the database sorts it and reads only the page; sorted
//! by anything else or at root it is a scan, admitted (429) and bounded (400) like any.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::common::store::{
    initialise, seed_users, seed_users_with_external_id, send, start_with_env,
};

/// The lookup of the shared externalId sorted by an attribute only a scan sorts by.
const SORTED: &str = "/scim/v2/Users?filter=externalId+eq+%22same%22&sortBy=title&count=1";

#[test]
fn external_id_lookups_are_paged_or_bounded_like_scans() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    let ids = seed_users_with_external_id(dir.path(), "ext-", 1200, 0, Some("same"));
    let b = start_with_env(
        dir.path(),
        &[("SCIM_BRIDGE_MAX_HELD_RESOURCES", "1000")],
        std::process::Stdio::null(),
    );
    let get = |path: &str| send(&b.url, "GET", path, None, Duration::from_secs(120));

    // Sorted: every match would be held, more than the 1,000 allowed.
    let r = get(SORTED);
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["scimType"], "tooMany");
    // At root: every match is gathered, refused too.
    let r = send(
        &b.url,
        "POST",
        "/scim/v2/.search",
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "externalId eq \"same\""}),
        ),
        Duration::from_secs(120),
    );
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["scimType"], "tooMany");

    // Sorted by userName: the database sorts and pages, nothing else is held.
    let r = get("/scim/v2/Users?filter=externalId+eq+%22same%22&sortBy=userName&sortOrder=descending&count=2");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["totalResults"], 1200);
    let names: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ext-9@example.com", "ext-99@example.com"]);

    // Unsorted: one page, the right total, in creation order.
    let r = get("/scim/v2/Users?filter=externalId+eq+%22same%22&count=1");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["totalResults"], 1200);
    assert_eq!(r.body["Resources"][0]["id"], ids[0].as_str());
    let r = get("/scim/v2/Users?filter=externalId+eq+%22same%22&startIndex=1101&count=5");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["totalResults"], 1200);
    let page: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        page,
        ids[1100..1105]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    let r = get("/scim/v2/Users?filter=externalId+eq+%22other%22");
    assert_eq!(r.body["totalResults"], 0, "{:?}", r.body);
}

#[test]
fn sorted_external_id_lookups_wait_for_admission() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    seed_users(dir.path(), "slow-", 20_000, 500);
    seed_users_with_external_id(dir.path(), "ext-", 10, 0, Some("same"));
    let b = start_with_env(
        dir.path(),
        &[("SCIM_BRIDGE_MAX_FULL_SCANS", "1")],
        std::process::Stdio::null(),
    );
    let mut refused = None;
    // A slow scan in flight; sorted lookups sent until it ends: one is refused. A few
    // rounds, in case a round's scan ended before any lookup reached the bridge.
    for _round in 0..3 {
        let done = Arc::new(AtomicBool::new(false));
        let scan = {
            let (url, done) = (b.url.clone(), done.clone());
            std::thread::spawn(move || {
                let r = send(
                    &url,
                    "GET",
                    "/scim/v2/Users?filter=nickName+co+%22zzz%22",
                    None,
                    Duration::from_secs(300),
                );
                done.store(true, Ordering::SeqCst);
                r
            })
        };
        while !done.load(Ordering::SeqCst) && refused.is_none() {
            let r = send(&b.url, "GET", SORTED, None, Duration::from_secs(300));
            match r.status {
                200 => assert_eq!(r.body["totalResults"], 10, "{:?}", r.body),
                429 => refused = Some(r),
                other => panic!("{other}: {:?}", r.body),
            }
        }
        let r = scan.join().unwrap();
        assert!(r.status == 200 || r.status == 429, "{:?}", r);
        // Whichever of the two reached the bridge second was refused: the lookup took
        // the only permit first, or the scan did.
        if r.status == 429 && refused.is_none() {
            refused = Some(r);
        }
        if refused.is_some() {
            break;
        }
    }
    let r = refused.expect("a sorted externalId lookup past the admission limit is refused");
    assert!(r.retry_after.is_some(), "{r:?}");
}
