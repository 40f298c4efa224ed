//! `/Bulk` (RFC 7644 §3.7): bulkId cross-references (also forward), failOnErrors, and the
//! maxOperations / maxPayloadSize limits.

mod common;

use common::{call, send, service};
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Value};
use std::sync::Arc;

const U: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const G: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn bulk(ops: Value) -> Value {
    json!({"schemas": [BULK], "Operations": ops})
}

#[tokio::test]
async fn bulk_ids_resolve_across_operations_even_forward() {
    let svc = service();
    // The group refers to a user created by a later operation.
    let req = bulk(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "grp",
         "data": {"schemas": [G], "displayName": "Tour Guides", "members": [{"type": "User", "value": "bulkId:alice"}]}},
        {"method": "POST", "path": "/Users", "bulkId": "alice", "data": {"schemas": [U], "userName": "alice"}},
        {"method": "PATCH", "path": "/Users/bulkId:alice",
         "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                  "Operations": [{"op": "add", "path": "title", "value": "Guide"}]}}
    ]));
    let r = send(&svc, "POST", "/scim/v2/Bulk", &req).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
    );
    let ops = r.json["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 3);
    let by_id = |b: &str| ops.iter().find(|o| o["bulkId"] == b).unwrap().clone();
    assert_eq!(by_id("alice")["status"], "201");
    assert_eq!(by_id("grp")["status"], "201");
    let alice_loc = by_id("alice")["location"].as_str().unwrap().to_owned();
    let alice_id = alice_loc.rsplit('/').next().unwrap().to_owned();
    assert!(by_id("alice")["version"]
        .as_str()
        .unwrap()
        .starts_with("W/"));

    let grp_loc = by_id("grp")["location"].as_str().unwrap().to_owned();
    let grp_id = grp_loc.rsplit('/').next().unwrap();
    let g = call(&svc, "GET", &format!("/scim/v2/Groups/{grp_id}"), &[], None).await;
    assert_eq!(g.json["members"][0]["value"], alice_id.as_str());
    let u = call(
        &svc,
        "GET",
        &format!("/scim/v2/Users/{alice_id}"),
        &[],
        None,
    )
    .await;
    assert_eq!(u.json["title"], "Guide");
}

#[tokio::test]
async fn errors_are_reported_per_operation_and_fail_on_errors_stops() {
    let svc = service();
    let req = bulk(json!([
        {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [U], "userName": "a"}},
        {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"schemas": [U], "userName": "A"}},
        {"method": "DELETE", "path": "/Users/does-not-exist"},
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"schemas": [U], "userName": "b"}}
    ]));
    let r = send(&svc, "POST", "/scim/v2/Bulk", &req).await;
    let ops = r.json["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "409", "404", "201"]);
    assert_eq!(ops[1]["response"]["scimType"], "uniqueness");
    assert!(
        ops[1].get("location").is_none(),
        "failed POSTs have no location"
    );
    assert_eq!(ops[2]["response"]["status"], "404");

    let mut stop = req.clone();
    stop["failOnErrors"] = json!(1);
    let svc = service();
    let r = send(&svc, "POST", "/scim/v2/Bulk", &stop).await;
    let statuses: Vec<&str> = r.json["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["201", "409"],
        "processing stops after the first error"
    );
}

#[tokio::test]
async fn unresolvable_and_circular_references_are_conflicts() {
    let svc = service();
    let req = bulk(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "g", "members": [{"value": "bulkId:ghost"}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "x", "data": {"displayName": "x", "members": [{"value": "bulkId:y"}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "y", "data": {"displayName": "y", "members": [{"value": "bulkId:x"}]}}
    ]));
    let r = send(&svc, "POST", "/scim/v2/Bulk", &req).await;
    let ops = r.json["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 3);
    assert!(ops.iter().all(|o| o["status"] == "409"), "{}", r.json);
}

#[tokio::test]
async fn limits_answer_413_naming_the_limit() {
    let svc = ScimService::new(Arc::new(scim2_core::provisioner::InMemoryProvisioner::new()))
        .with_config(
            ServiceConfig::default()
                .with_bulk_max_operations(2)
                .with_bulk_max_payload(2048),
        );
    let three = bulk(json!([
        {"method": "DELETE", "path": "/Users/1"},
        {"method": "DELETE", "path": "/Users/2"},
        {"method": "DELETE", "path": "/Users/3"}
    ]));
    let r = send(&svc, "POST", "/scim/v2/Bulk", &three).await;
    assert_eq!(r.status, 413);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("maxOperations (2)"),
        "{}",
        r.json
    );

    let big =
        bulk(json!([{"method": "POST", "path": "/Users", "data": {"userName": "x".repeat(4096)}}]));
    let r = send(&svc, "POST", "/scim/v2/Bulk", &big).await;
    assert_eq!(r.status, 413);
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("maxPayloadSize (2048)"),
        "{}",
        r.json
    );

    let r = send(&svc, "POST", "/scim/v2/Bulk", &json!({"Operations": "no"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json["scimType"], "invalidSyntax");
    let r = send(
        &svc,
        "POST",
        "/scim/v2/Bulk",
        &bulk(json!([{"method": "GET", "path": "/Users"}])),
    )
    .await;
    assert_eq!(r.json["Operations"][0]["status"], "400");
}
