//! Paging by cursor (RFC 9865) through `ScimService` over the in-memory store: the
//! `cursor` parameter and `/.search` member, `nextCursor` on every page but the last,
//! no `startIndex`, the errors (`invalidCursor`, `startIndex` with `cursor`), and the
//! `pagination` attribute of `/ServiceProviderConfig`.

mod common;

use std::sync::Arc;

use common::{call, send};
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Value};

const U: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

fn service(cursors: bool) -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new()))
        .with_config(ServiceConfig::default().with_cursor_pagination(cursors))
}

async fn seed(svc: &ScimService, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let r = send(
            svc,
            "POST",
            "/scim/v2/Users",
            &json!({"schemas": [U], "userName": format!("user{i:03}")}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.json);
        ids.push(r.json["id"].as_str().unwrap().to_owned());
    }
    ids
}

async fn get(svc: &ScimService, path: &str) -> common::Reply {
    call(svc, "GET", path, &[], None).await
}

fn ids_of(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Pages `/Users{query}` by cursor with `count`, returning the ids seen and the pages.
async fn walk(svc: &ScimService, query: &str, count: u64) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let r = get(
            svc,
            &format!("/scim/v2/Users?count={count}&cursor={cursor}{query}"),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert!(r.json.get("startIndex").is_none(), "{}", r.json);
        assert!(r.json.get("previousCursor").is_none(), "{}", r.json);
        pages += 1;
        seen.extend(ids_of(&r.json));
        match r.json.get("nextCursor") {
            Some(Value::String(next)) => {
                assert!(next
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
                cursor = next.clone();
            }
            None => break,
            Some(other) => panic!("nextCursor {other}"),
        }
        assert!(pages < 100, "the cursor does not advance");
    }
    (seen, pages)
}

#[tokio::test]
async fn cursors_page_through_every_user_once_in_order() {
    let svc = service(true);
    let ids = seed(&svc, 23).await;
    let (seen, pages) = walk(&svc, "", 5).await;
    assert_eq!(seen, ids);
    assert_eq!(pages, 5);

    // Sorted, descending: the same users, in that order.
    let (seen, _) = walk(&svc, "&sortBy=userName&sortOrder=descending", 4).await;
    let mut reversed = ids.clone();
    reversed.reverse();
    assert_eq!(seen, reversed);

    // A filter: only its matches.
    let (seen, _) = walk(&svc, "&filter=userName%20sw%20%22user01%22", 3).await;
    assert_eq!(seen, ids[10..20].to_vec());

    // The last page (exactly full) has no nextCursor; totalResults on every page.
    let r = get(&svc, "/scim/v2/Users?count=23&cursor=").await;
    assert_eq!(r.json["totalResults"], 23);
    assert_eq!(r.json["itemsPerPage"], 23);
    assert!(r.json.get("nextCursor").is_none(), "{}", r.json);
}

#[tokio::test]
async fn changes_between_pages_neither_repeat_nor_skip() {
    let svc = service(true);
    let ids = seed(&svc, 10).await;
    let first = get(&svc, "/scim/v2/Users?count=4&cursor").await;
    assert_eq!(ids_of(&first.json), ids[..4].to_vec());
    // Delete one already seen and one not yet seen, then add one.
    for id in [&ids[1], &ids[6]] {
        let r = call(&svc, "DELETE", &format!("/scim/v2/Users/{id}"), &[], None).await;
        assert_eq!(r.status, 204);
    }
    let added = send(
        &svc,
        "POST",
        "/scim/v2/Users",
        &json!({"schemas": [U], "userName": "late"}),
    )
    .await;
    let next = first.json["nextCursor"].as_str().unwrap();
    let second = get(&svc, &format!("/scim/v2/Users?count=4&cursor={next}")).await;
    assert_eq!(
        ids_of(&second.json),
        vec![
            ids[4].clone(),
            ids[5].clone(),
            ids[7].clone(),
            ids[8].clone()
        ]
    );
    let next = second.json["nextCursor"].as_str().unwrap();
    let third = get(&svc, &format!("/scim/v2/Users?count=4&cursor={next}")).await;
    assert_eq!(
        ids_of(&third.json),
        vec![
            ids[9].clone(),
            added.json["id"].as_str().unwrap().to_owned()
        ]
    );
    assert!(third.json.get("nextCursor").is_none());
}

#[tokio::test]
async fn search_bodies_page_by_cursor() {
    let svc = service(true);
    let ids = seed(&svc, 7).await;
    let body = |cursor: &str| json!({"schemas": [SEARCH], "cursor": cursor, "count": 5});
    let r = send(&svc, "POST", "/scim/v2/Users/.search", &body("")).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(ids_of(&r.json), ids[..5].to_vec());
    let next = r.json["nextCursor"].as_str().unwrap().to_owned();
    let r = send(&svc, "POST", "/scim/v2/Users/.search", &body(&next)).await;
    assert_eq!(ids_of(&r.json), ids[5..].to_vec());
    assert!(r.json.get("nextCursor").is_none());

    let r = send(
        &svc,
        "POST",
        "/scim/v2/Users/.search",
        &json!({"schemas": [SEARCH], "cursor": 5}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["scimType"], "invalidCursor");
}

#[tokio::test]
async fn bad_cursors_are_400_invalid_cursor() {
    let svc = service(true);
    seed(&svc, 6).await;
    let first = get(&svc, "/scim/v2/Users?count=2&cursor=").await;
    let good = first.json["nextCursor"].as_str().unwrap().to_owned();
    let other_filter = get(&svc, "/scim/v2/Users?count=2&cursor=&filter=userName%20pr").await;
    let foreign = other_filter.json["nextCursor"].as_str().unwrap().to_owned();
    let huge = "A".repeat(5000);
    let cases = [
        "garbage!".to_owned(),
        "AAAA".to_owned(),
        good[..good.len() - 3].to_owned(),
        format!("{good}A"),
        huge,
        "%00".to_owned(),
    ];
    for bad in &cases {
        let r = get(&svc, &format!("/scim/v2/Users?count=2&cursor={bad}")).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.json);
        assert_eq!(r.json["scimType"], "invalidCursor", "{bad}: {}", r.json);
    }
    // A cursor of another query (here, without the filter it was made for).
    let r = get(&svc, &format!("/scim/v2/Users?count=2&cursor={foreign}")).await;
    assert_eq!(r.json["scimType"], "invalidCursor", "{}", r.json);
    assert!(
        r.json["detail"].as_str().unwrap().contains("another query"),
        "{}",
        r.json
    );
    // And of another resource type.
    let r = get(&svc, &format!("/scim/v2/Groups?count=2&cursor={good}")).await;
    assert_eq!(r.json["scimType"], "invalidCursor", "{}", r.json);

    // startIndex and cursor together: one way of paging at a time.
    let r = get(&svc, &format!("/scim/v2/Users?startIndex=3&cursor={good}")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["scimType"], "invalidValue");
    // Across every resource type: index paging only.
    let r = get(&svc, "/scim/v2/?cursor=").await;
    assert_eq!(r.json["scimType"], "invalidCursor", "{}", r.json);
}

#[tokio::test]
async fn without_cursor_pagination_cursors_are_refused_and_not_advertised() {
    let svc = service(false);
    seed(&svc, 3).await;
    let r = get(&svc, "/scim/v2/Users?cursor=").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["scimType"], "invalidCursor");
    assert!(r.json["detail"].as_str().unwrap().contains("startIndex"));
    let spc = get(&svc, "/scim/v2/ServiceProviderConfig").await;
    assert!(spc.json.get("pagination").is_none(), "{}", spc.json);
    // Index paging is as it was.
    let r = get(&svc, "/scim/v2/Users?startIndex=2&count=1").await;
    assert_eq!(r.json["startIndex"], 2);
    assert!(r.json.get("nextCursor").is_none());

    let svc = service(true);
    let spc = get(&svc, "/scim/v2/ServiceProviderConfig").await;
    let p = &spc.json["pagination"];
    assert_eq!(p["cursor"], true, "{}", spc.json);
    assert_eq!(p["index"], true);
    assert_eq!(p["defaultPaginationMethod"], "index");
    assert_eq!(p["maxPageSize"], 200);
    // Without a cursor, pages by index as before: no nextCursor.
    seed(&svc, 3).await;
    let r = get(&svc, "/scim/v2/Users?count=1").await;
    assert_eq!(r.json["startIndex"], 1);
    assert!(r.json.get("nextCursor").is_none());
}

#[tokio::test]
async fn the_in_memory_store_passes_the_kit_s_paging_check_by_cursor() {
    let kit = scim2_core::testkit::TestKit::new(|| {
        Arc::new(InMemoryProvisioner::new()) as Arc<dyn scim2_core::provisioner::Provisioner>
    })
    .with_config(ServiceConfig::default().with_cursor_pagination(true));
    let report = kit.paging().await.unwrap();
    // Listed by index and by cursor, with a refused cursor: 15 requests.
    assert!(report.passed[0].requests >= 15, "{report}");
}

/// Found by review: `count=0` by cursor answered a `nextCursor` naming the same position,
/// so a client following it looped for ever. A page of none has no next cursor.
#[tokio::test]
async fn a_page_of_none_by_cursor_has_no_next_cursor() {
    let svc = service(true);
    seed(&svc, 3).await;
    let r = get(&svc, "/scim/v2/Users?count=0&cursor=").await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["totalResults"], 3, "{}", r.json);
    assert!(r.json.get("nextCursor").is_none(), "{}", r.json);
}
