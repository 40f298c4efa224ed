//! Paging through every user, on SQLite and PostgreSQL: by cursor (RFC 9865) and by
//! `startIndex`, in creation order and sorted by `userName`, with filters the database
//! answers and ones evaluated in Rust; each user seen exactly once and in order, even
//! with users added and removed between pages; bad cursors 400 `invalidCursor`;
//! `/ServiceProviderConfig` advertising `pagination`.

mod common;

use std::path::Path;

use serde_json::{json, Value};

use common::Bridge;

const U: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

/// How many users the tests page through: more than ten pages of 100.
const USERS: usize = 1050;

/// A user's id and userName, in creation order.
type User = (String, String);

/// Creates [`USERS`] users through `/Bulk`, named so that `userName` order is not
/// creation order, every third with the title `t0`.
fn seed(b: &Bridge) -> Vec<User> {
    let mut users = Vec::with_capacity(USERS);
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(350) {
        let ops: Vec<Value> = chunk
            .iter()
            .map(|i| {
                let name = format!("{:04}-{i}@example.com", (i * 7919) % USERS);
                json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                       "data": {"schemas": [U], "userName": name, "title": format!("t{}", i % 3)}})
            })
            .collect();
        let (status, body) = b.call(
            "POST",
            "/scim/v2/Bulk",
            Some(&json!({"schemas": [BULK], "Operations": ops})),
        );
        assert_eq!(status, 200, "{body}");
        for (op, i) in body["Operations"].as_array().unwrap().iter().zip(chunk) {
            assert_eq!(op["status"], "201", "{op}");
            let id = op["location"].as_str().unwrap().rsplit('/').next().unwrap();
            let name = format!("{:04}-{i}@example.com", (i * 7919) % USERS);
            users.push((id.to_owned(), name));
        }
    }
    users
}

fn get(b: &Bridge, path: &str) -> Value {
    let (status, body) = b.call("GET", path, None);
    assert_eq!(status, 200, "{path}: {body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every id of `/Users?{query}` by cursor, 100 a page, checking each page's shape.
fn by_cursor(b: &Bridge, query: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    for _ in 0..100 {
        let page = get(
            b,
            &format!("/scim/v2/Users?count=100&cursor={cursor}{query}"),
        );
        assert!(page.get("startIndex").is_none(), "{page}");
        let got = ids(&page);
        assert!(got.len() <= 100);
        seen.extend(got);
        assert!(page["totalResults"].as_u64().unwrap() as usize >= seen.len());
        match page.get("nextCursor") {
            Some(next) => cursor = next.as_str().unwrap().to_owned(),
            None => return seen,
        }
    }
    panic!("more than 100 pages: the cursor does not advance");
}

/// Every id of `/Users?{query}` by `startIndex`, 100 a page.
fn by_index(b: &Bridge, query: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = get(
            b,
            &format!("/scim/v2/Users?count=100&startIndex={start}{query}"),
        );
        assert_eq!(page["startIndex"], start, "{page}");
        assert!(page.get("nextCursor").is_none());
        let got = ids(&page);
        if got.is_empty() {
            return seen;
        }
        start += got.len();
        seen.extend(got);
    }
}

fn paging(b: &Bridge) {
    let users = seed(b);
    let created: Vec<String> = users.iter().map(|(id, _)| id.clone()).collect();
    let mut by_name = users.clone();
    by_name.sort_by(|a, b| a.1.cmp(&b.1));
    let sorted: Vec<String> = by_name.into_iter().map(|(id, _)| id).collect();
    let mut reversed = sorted.clone();
    reversed.reverse();

    // Every user once, in order: creation order, by userName up and down.
    assert_eq!(by_cursor(b, ""), created);
    assert_eq!(by_index(b, ""), created);
    assert_eq!(by_cursor(b, "&sortBy=userName"), sorted);
    assert_eq!(by_index(b, "&sortBy=userName"), sorted);
    assert_eq!(
        by_cursor(b, "&sortBy=userName&sortOrder=descending"),
        reversed
    );
    assert_eq!(
        by_index(b, "&sortBy=userName&sortOrder=descending"),
        reversed
    );

    // A filter the database answers (a range of the unique index)...
    let sw: Vec<String> = users
        .iter()
        .filter(|(_, n)| n.starts_with('0'))
        .map(|(id, _)| id.clone())
        .collect();
    assert!(sw.len() > 100);
    assert_eq!(by_cursor(b, "&filter=userName%20sw%20%220%22"), sw);
    assert_eq!(by_index(b, "&filter=userName%20sw%20%220%22"), sw);
    // ... one read from the documents, and one evaluated in Rust (`groups` is
    // computed), in creation order and sorted in memory (by title, then creation).
    let t0: Vec<String> = created.iter().step_by(3).cloned().collect();
    assert_eq!(by_cursor(b, "&filter=title%20eq%20%22t0%22"), t0);
    assert_eq!(by_cursor(b, "&filter=groups%20pr"), created);
    assert_eq!(by_index(b, "&filter=groups%20pr"), created);
    let mut by_title: Vec<(usize, String)> = created
        .iter()
        .enumerate()
        .map(|(i, id)| (i % 3, id.clone()))
        .collect();
    by_title.sort_by_key(|(t, _)| *t);
    let by_title: Vec<String> = by_title.into_iter().map(|(_, id)| id).collect();
    assert_eq!(by_cursor(b, "&sortBy=title"), by_title);
    assert_eq!(by_index(b, "&sortBy=title"), by_title);

    changes_between_pages(b);
    bad_cursors(b);

    let spc = get(b, "/scim/v2/ServiceProviderConfig");
    assert_eq!(spc["pagination"]["cursor"], true, "{spc}");
    assert_eq!(spc["pagination"]["index"], true, "{spc}");
    assert_eq!(spc["pagination"]["defaultPaginationMethod"], "index");
}

/// Users removed and added between pages by cursor: none seen twice, none skipped
/// (but the removed ones not yet reached), the added one last.
fn changes_between_pages(b: &Bridge) {
    for query in ["", "&sortBy=userName", "&filter=groups%20pr"] {
        let first = get(b, &format!("/scim/v2/Users?count=100&cursor={query}"));
        let seen_first = ids(&first);
        // Remove one seen and one not yet reached; add one.
        let seen_gone = seen_first[50].clone();
        let all = by_cursor(b, query);
        let unseen_gone = all[500].clone();
        for id in [&seen_gone, &unseen_gone] {
            let (status, _) = b.call("DELETE", &format!("/scim/v2/Users/{id}"), None);
            assert_eq!(status, 204);
        }
        let name = format!("zzzz-late{}@example.com", query.len());
        let (status, added) = b.call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"schemas": [U], "userName": name})),
        );
        assert_eq!(status, 201, "{added}");
        let added = added["id"].as_str().unwrap().to_owned();

        let mut seen = seen_first.clone();
        let mut cursor = first["nextCursor"].as_str().unwrap().to_owned();
        loop {
            let page = get(
                b,
                &format!("/scim/v2/Users?count=100&cursor={cursor}{query}"),
            );
            seen.extend(ids(&page));
            match page.get("nextCursor") {
                Some(next) => cursor = next.as_str().unwrap().to_owned(),
                None => break,
            }
        }
        let mut expected: Vec<String> = all.into_iter().filter(|id| *id != unseen_gone).collect();
        expected.push(added);
        assert_eq!(seen, expected, "{query}");
    }
}

/// Garbage, truncated, foreign and huge cursors: 400 `invalidCursor`, never a 500.
fn bad_cursors(b: &Bridge) {
    let first = get(b, "/scim/v2/Users?count=10&cursor=");
    let good = first["nextCursor"].as_str().unwrap().to_owned();
    let sorted = get(b, "/scim/v2/Users?count=10&cursor=&sortBy=userName");
    let by_name = sorted["nextCursor"].as_str().unwrap().to_owned();
    let in_memory = get(b, "/scim/v2/Users?count=10&cursor=&sortBy=title");
    let by_title = in_memory["nextCursor"].as_str().unwrap().to_owned();
    let cases = [
        ("garbage", "not-a-cursor".to_owned(), String::new()),
        (
            "truncated",
            good[..good.len() - 2].to_owned(),
            String::new(),
        ),
        (
            "another filter",
            good.clone(),
            "&filter=userName%20pr".to_owned(),
        ),
        ("another order", by_name.clone(), String::new()),
        ("another order", good.clone(), "&sortBy=userName".to_owned()),
        ("in memory", by_title.clone(), String::new()),
        ("huge", "A".repeat(5000), String::new()),
        ("not unreserved", "%2B%2F".to_owned(), String::new()),
    ];
    for (what, cursor, query) in cases {
        let (status, body) = b.call(
            "GET",
            &format!("/scim/v2/Users?count=10&cursor={cursor}{query}"),
            None,
        );
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(body["scimType"], "invalidCursor", "{what}: {body}");
    }
    // A cursor of the same query with another count continues.
    let (status, body) = b.call(
        "GET",
        &format!("/scim/v2/Users?count=5&cursor={good}"),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = b.call(
        "GET",
        &format!("/scim/v2/Users?startIndex=11&cursor={good}"),
        None,
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["scimType"], "invalidValue", "{body}");
    // count=0: the total only, and no nextCursor (it would name the same position
    // again, and a client following it would loop).
    let page = get(b, &format!("/scim/v2/Users?count=0&cursor={good}"));
    assert_eq!(ids(&page), Vec::<String>::new());
    assert!(
        page["totalResults"].as_u64().is_some_and(|n| n > 0),
        "{page}"
    );
    assert!(page.get("nextCursor").is_none(), "{page}");
}

#[test]
fn paging_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(&dir.path().join("data"), &[]);
    paging(&b);
}

#[test]
fn paging_on_postgres() {
    let Some(server) = common::postgres::server() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let url = server.database();
    let b = Bridge::start(
        Path::new(&dir.path().join("data")),
        &["--database-url", &url],
    );
    paging(&b);
}
