//! Found by the code review of the concurrency hardening: a PUT (and the default
//! `Provisioner::patch`) without `If-Match` retries its read-modify-write when another
//! writer gets in between, but after the 64th lost race it answered 412 Precondition
//! Failed, a status RFC 7644 §3.14 keeps for a precondition the client set, and this
//! client set none. Now exhaustion without `If-Match` is 429 with `Retry-After` (the
//! store is too busy with this resource: try again); with a matching `If-Match`, a lost
//! race is still 412 at once.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::common::{call, send, Delegating};
use scim2_core::provisioner::CONFLICT_RETRIES;
use scim2_core::service::ScimService;
use serde_json::json;

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[tokio::test]
async fn exhausted_retries_without_if_match_are_429_with_retry_after() {
    let store = Arc::new(Delegating {
        always_conflict: true,
        ..Delegating::default()
    });
    let svc = ScimService::new(store.clone());
    let r = send(&svc, "POST", "/Users", &json!({"userName": "racy"})).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());

    let put = serde_json::to_vec(&json!({"userName": "racy", "title": "x"})).unwrap();
    let patch = serde_json::to_vec(
        &json!({"schemas": [P], "Operations": [{"op": "replace", "path": "title", "value": "y"}]}),
    )
    .unwrap();
    for (method, body) in [("PUT", &put), ("PATCH", &patch)] {
        store.replaces.store(0, Ordering::SeqCst);
        let r = call(
            &svc,
            method,
            &path,
            &[("content-type", "application/scim+json")],
            Some(body),
        )
        .await;
        assert_eq!(r.status, 429, "{method}: {}", r.json);
        assert_eq!(r.headers["retry-after"], "1", "{method}");
        assert_eq!(
            store.replaces.load(Ordering::SeqCst),
            CONFLICT_RETRIES + 1,
            "{method}: one attempt and {CONFLICT_RETRIES} retries"
        );
    }
}

#[tokio::test]
async fn a_conflict_with_if_match_is_412_at_once() {
    let store = Arc::new(Delegating {
        always_conflict: true,
        ..Delegating::default()
    });
    let svc = ScimService::new(store.clone());
    let r = send(&svc, "POST", "/Users", &json!({"userName": "racy"})).await;
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());
    let etag = r.headers["etag"].to_str().unwrap().to_owned();

    let put = serde_json::to_vec(&json!({"userName": "racy", "title": "x"})).unwrap();
    let patch = serde_json::to_vec(
        &json!({"schemas": [P], "Operations": [{"op": "replace", "path": "title", "value": "y"}]}),
    )
    .unwrap();
    for (method, body) in [("PUT", &put), ("PATCH", &patch)] {
        store.replaces.store(0, Ordering::SeqCst);
        let r = call(
            &svc,
            method,
            &path,
            &[
                ("content-type", "application/scim+json"),
                ("if-match", etag.as_str()),
            ],
            Some(body),
        )
        .await;
        assert_eq!(r.status, 412, "{method}: {}", r.json);
        assert_eq!(store.replaces.load(Ordering::SeqCst), 1, "{method}");
    }
}
