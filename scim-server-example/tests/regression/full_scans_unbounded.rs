//! Attack: every filter the store cannot answer from an index, every `sortBy` and every
//! search across resource types loaded all users into memory (about 125 MB per request
//! at 10,000 users; six requests over large users reached 3.1 GB), with nothing bounding
//! how many ran at once. Such scans are now admitted a few at a time (past that, 429 with
//! `Retry-After`), stream rows keeping only what the answer needs, and refuse with 400
//! `tooMany` a request that would hold more than a set number of resources.

use std::sync::{Arc, Barrier};
use std::time::Duration;

use serde_json::json;

use crate::common::store::{initialise, seed_users, send, start_with_env};

#[test]
fn scans_holding_too_much_are_refused_and_results_stay_correct() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    let ids = seed_users(dir.path(), "seed-", 1200, 0);
    let b = start_with_env(
        dir.path(),
        &[("SCIM_BRIDGE_MAX_HELD_RESOURCES", "1000")],
        std::process::Stdio::null(),
    );
    let get = |path: &str| send(&b.url, "GET", path, None, Duration::from_secs(120));

    // 1,200 matches to sort in memory, more than the 1,000 allowed.
    let r = get("/scim/v2/Users?filter=userName+sw+%22seed-%22&sortBy=title");
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["scimType"], "tooMany");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("narrow the filter") && detail.contains("sortBy"),
        "{detail}"
    );
    // Across resource types, every match is held: refused too.
    let r = send(
        &b.url,
        "POST",
        "/scim/v2/.search",
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"seed-\""}),
        ),
        Duration::from_secs(120),
    );
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.body["scimType"], "tooMany");

    // Without sortBy only the page is held: answered, with the right total.
    let r = get("/scim/v2/Users?filter=userName+sw+%22seed-%22&count=10");
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
        ids[..10].iter().map(String::as_str).collect::<Vec<_>>()
    );

    // A non-indexed filter, paged: the right rows in creation order.
    let t2: Vec<&String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 3 == 2)
        .map(|(_, id)| id)
        .collect();
    let r = get("/scim/v2/Users?filter=title+eq+%22t2%22&startIndex=11&count=5");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["totalResults"], 400);
    let page: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        page,
        t2[10..15].iter().map(|s| s.as_str()).collect::<Vec<_>>()
    );

    // Sorting within the cap: all 400 matches sorted, descending.
    let r =
        get("/scim/v2/Users?filter=title+eq+%22t1%22&sortBy=userName&sortOrder=descending&count=3");
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(r.body["totalResults"], 400);
    let mut names: Vec<String> = (0..1200)
        .filter(|i| i % 3 == 1)
        .map(|i| format!("seed-{i}@example.com"))
        .collect();
    names.sort_by(|a, b| b.cmp(a));
    let got: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        names[..3].iter().map(String::as_str).collect::<Vec<_>>()
    );

    // Indexed lookups and plain pages are not scans: unaffected.
    let r = get("/scim/v2/Users?filter=userName+eq+%22seed-7%40example.com%22");
    assert_eq!(r.body["totalResults"], 1);
    let r = get("/scim/v2/Users?startIndex=1101&count=200");
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalResults"], 1200);
    assert_eq!(r.body["Resources"].as_array().unwrap().len(), 100);
}

#[test]
fn scans_past_the_admission_limit_get_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    seed_users(dir.path(), "slow-", 20_000, 500);
    let b = start_with_env(
        dir.path(),
        &[("SCIM_BRIDGE_MAX_FULL_SCANS", "1")],
        std::process::Stdio::null(),
    );
    const AT_ONCE: usize = 4;
    let mut refused = None;
    // Four scans sent together: one runs, the others are refused while it does. A few
    // rounds, in case a round's requests did not overlap.
    for _round in 0..3 {
        let barrier = Arc::new(Barrier::new(AT_ONCE));
        let handles: Vec<_> = (0..AT_ONCE)
            .map(|_| {
                let (url, barrier) = (b.url.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    send(
                        &url,
                        "GET",
                        "/scim/v2/Users?filter=nickName+co+%22zzz%22",
                        None,
                        Duration::from_secs(300),
                    )
                })
            })
            .collect();
        for h in handles {
            let r = h.join().unwrap();
            match r.status {
                200 => assert_eq!(r.body["totalResults"], 0, "{:?}", r.body),
                429 => refused = Some(r),
                other => panic!("{other}: {:?}", r.body),
            }
        }
        if refused.is_some() {
            break;
        }
    }
    let r = refused.expect("a scan past the limit is refused");
    let wait: u64 = r
        .retry_after
        .as_deref()
        .expect("429 carries Retry-After")
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert!(
        r.body["detail"].as_str().unwrap().contains("retry"),
        "{:?}",
        r.body
    );
    // Indexed lookups are never refused, and the limit frees up.
    let r = send(
        &b.url,
        "GET",
        "/scim/v2/Users?filter=userName+eq+%22slow-5%40example.com%22",
        None,
        Duration::from_secs(60),
    );
    assert_eq!(r.body["totalResults"], 1);
    let r = send(
        &b.url,
        "GET",
        "/scim/v2/Users?filter=nickName+co+%22zzz%22",
        None,
        Duration::from_secs(300),
    );
    assert_eq!(r.status, 200, "{:?}", r.body);
}
