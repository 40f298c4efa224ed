//! Attack: a full scan was bounded in resources (5,000), not in bytes: sorting users of
//! 100 KB–1 MiB each held every match whole, several GB per request, two at once. A
//! sorted scan now holds only each match's sort key and id and reads the page's
//! resources once sorted, and what any scan holds is bounded in bytes of JSON too (64
//! MiB by default): past it, 400 `tooMany`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::store::{initialise, seed_users, send};
use crate::common::Bridge;

/// Users seeded, each with a 1 MiB `nickName`: 80 MiB in all, more than the default
/// 64 MiB a scan may hold, far fewer than the 5,000 resources it may hold.
const USERS: usize = 80;
const PAD: usize = 1 << 20;

/// The start of `body`, for assertion messages (the resources are megabytes).
fn brief(body: &Value) -> String {
    body.to_string().chars().take(300).collect()
}

/// The `key` of each resource of a list response.
fn ids_of(body: &Value, key: &str) -> Vec<String> {
    body["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("no Resources in {}", brief(body)))
        .iter()
        .map(|u| u[key].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn scans_are_bounded_in_bytes_and_sort_only_keys() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    let ids = seed_users(dir.path(), "big-", USERS, PAD);
    let b = Bridge::start(dir.path(), &[]);
    let get = |path: &str| send(&b.url, "GET", path, None, Duration::from_secs(300));
    let too_many = |r: &crate::common::store::Reply, advice: &str| {
        assert_eq!(r.status, 400, "{}", brief(&r.body));
        assert_eq!(r.body["scimType"], "tooMany", "{}", brief(&r.body));
        let detail = r.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("bytes") && detail.contains(advice),
            "{detail}"
        );
    };

    // Sorting by an attribute of every match that is itself 80 MiB: refused.
    let r = get("/scim/v2/Users?filter=userName+sw+%22big-%22&sortBy=nickName&count=2");
    too_many(&r, "drop sortBy");

    // Sorting by userName holds only the names: answered, sorted, with whole resources.
    let r = get(
        "/scim/v2/Users?filter=userName+sw+%22big-%22&sortBy=userName&sortOrder=descending&startIndex=2&count=3",
    );
    assert_eq!(r.status, 200, "{}", brief(&r.body));
    assert_eq!(r.body["totalResults"], USERS);
    let mut names: Vec<String> = (0..USERS).map(|i| format!("big-{i}@example.com")).collect();
    names.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids_of(&r.body, "userName"), names[1..4].to_vec());
    for u in r.body["Resources"].as_array().unwrap() {
        assert_eq!(
            u["nickName"].as_str().map(str::len),
            Some(PAD),
            "whole resources"
        );
        assert_eq!(
            u["groups"][0]["value"], "team-members",
            "assembled resources"
        );
    }

    // Without sortBy the page is held: a page of all 80 MiB is refused, a small one is
    // answered in creation order with the right total.
    let r = get("/scim/v2/Users?filter=title+pr&count=100");
    too_many(&r, "smaller pages");
    let r = get("/scim/v2/Users?filter=title+pr&startIndex=5&count=4");
    assert_eq!(r.status, 200, "{}", brief(&r.body));
    assert_eq!(r.body["totalResults"], USERS);
    assert_eq!(ids_of(&r.body, "id"), ids[4..8].to_vec());

    // Across resource types every match is held: refused.
    let r = send(
        &b.url,
        "POST",
        "/scim/v2/.search",
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                     "filter": "userName sw \"big-\""}),
        ),
        Duration::from_secs(300),
    );
    assert_eq!(r.status, 400, "{}", brief(&r.body));
    assert_eq!(r.body["scimType"], "tooMany", "{}", brief(&r.body));

    // Sorting a filter that few match, by the large attribute: within the budget.
    let r = get("/scim/v2/Users?filter=title+eq+%22t1%22+and+userName+ew+%227%40example.com%22&sortBy=nickName");
    assert_eq!(r.status, 200, "{}", brief(&r.body));
    let want: Vec<String> = (0..USERS)
        .filter(|i| i % 3 == 1 && i % 10 == 7)
        .map(|i| ids[i].clone())
        .collect();
    assert_eq!(r.body["totalResults"], want.len());
    assert_eq!(ids_of(&r.body, "id"), want);
}
