//! Every limit of the service, at its bound and one past it (docs/limits.md).

mod common;

use std::sync::Arc;

use common::{call, send};
use scim2_core::limits::ResourceLimits;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Map, Value};

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn small() -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new())).with_config(
        ServiceConfig::default()
            .with_max_body_bytes(4096)
            .with_max_patch_operations(3)
            .with_max_values_per_operation(4)
            .with_resource_limits(ResourceLimits::default().with_max_attributes(6))
            .with_max_page_size(5)
            .with_bulk_max_operations(2)
            .with_bulk_max_payload(4096),
    )
}

fn detail(v: &Value) -> &str {
    v["detail"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn body_size() {
    let svc = small();
    let user = |len: usize| {
        let base = json!({"userName": "u", "displayName": ""})
            .to_string()
            .len();
        json!({"userName": "u", "displayName": "u".repeat(len - base)})
    };
    let at = serde_json::to_vec(&user(4096)).unwrap();
    assert_eq!(at.len(), 4096);
    let r = call(
        &svc,
        "POST",
        "/Users",
        &[("content-type", "application/scim+json")],
        Some(&at),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let past = serde_json::to_vec(&user(4097)).unwrap();
    let r = call(
        &svc,
        "POST",
        "/Users",
        &[("content-type", "application/scim+json")],
        Some(&past),
    )
    .await;
    assert_eq!(r.status, 413);
    assert!(
        detail(&r.json).contains("limit of 4096 bytes"),
        "{}",
        r.json
    );
}

#[tokio::test]
async fn json_nesting_depth() {
    let svc = common::service();
    let nest = |depth: usize| {
        format!(
            r#"{{"userName":"n{depth}","x":{}1{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    // serde_json's recursion limit is 128 levels; the body object is one of them.
    let r = call(&svc, "POST", "/Users", &[], Some(nest(126).as_bytes())).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let r = call(&svc, "POST", "/Users", &[], Some(nest(128).as_bytes())).await;
    assert_eq!(
        (r.status.as_u16(), r.json["scimType"].as_str()),
        (400, Some("invalidSyntax"))
    );
    assert!(detail(&r.json).contains("recursion limit"), "{}", r.json);
}

#[tokio::test]
async fn filter_length_depth_and_terms() {
    let svc = common::service();
    let get = |f: String| {
        let q: String = form_urlencoded::byte_serialize(f.as_bytes()).collect();
        format!("/Users?filter={q}")
    };
    let long = |len: usize| {
        let head = r#"userName eq """#.len();
        format!(r#"userName eq "{}""#, "a".repeat(len - head))
    };
    assert_eq!(
        call(&svc, "GET", &get(long(16 * 1024)), &[], None)
            .await
            .status,
        200
    );
    let r = call(&svc, "GET", &get(long(16 * 1024 + 1)), &[], None).await;
    assert_eq!(r.json["scimType"], "invalidFilter");
    assert!(detail(&r.json).contains("16384 bytes"), "{}", r.json);

    let nested = |d: usize| format!("{}userName pr{}", "(".repeat(d), ")".repeat(d));
    assert_eq!(
        call(&svc, "GET", &get(nested(64)), &[], None).await.status,
        200
    );
    let r = call(&svc, "GET", &get(nested(65)), &[], None).await;
    assert_eq!(r.json["scimType"], "invalidFilter");
    assert!(detail(&r.json).contains("64 levels"), "{}", r.json);

    let terms = |n: usize| vec!["userName pr"; n].join(" or ");
    assert_eq!(
        call(&svc, "GET", &get(terms(512)), &[], None).await.status,
        200
    );
    let r = call(&svc, "GET", &get(terms(513)), &[], None).await;
    assert!(
        detail(&r.json).contains("512 attribute expressions"),
        "{}",
        r.json
    );
}

#[tokio::test]
async fn patch_operations_and_values_per_operation() {
    let svc = small();
    let id = send(&svc, "POST", "/Users", &json!({"userName": "p"}))
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/Users/{id}");
    let ops = |n: usize| json!({"schemas": [P], "Operations": (0..n).map(|i| json!({"op": "add", "path": "title", "value": format!("t{i}")})).collect::<Vec<_>>()});
    assert_eq!(send(&svc, "PATCH", &path, &ops(3)).await.status, 200);
    let r = send(&svc, "PATCH", &path, &ops(4)).await;
    assert_eq!(
        (r.status.as_u16(), r.json["scimType"].as_str()),
        (400, Some("tooMany"))
    );
    assert!(detail(&r.json).contains("limit of 3"), "{}", r.json);

    let values = |n: usize| {
        json!({"schemas": [P], "Operations": [{"op": "add", "path": "emails",
        "value": (0..n).map(|i| json!({"value": format!("e{i}@x.com")})).collect::<Vec<_>>()}]})
    };
    assert_eq!(send(&svc, "PATCH", &path, &values(4)).await.status, 200);
    let r = send(&svc, "PATCH", &path, &values(5)).await;
    assert_eq!(r.json["scimType"], "tooMany");
    assert!(
        detail(&r.json).contains("limit of 4 per operation"),
        "{}",
        r.json
    );
}

#[tokio::test]
async fn attributes_per_resource() {
    let svc = small();
    let body = |n: usize| {
        let mut m = Map::new();
        m.insert("userName".into(), json!(format!("a{n}")));
        for i in 1..n {
            m.insert(format!("custom{i}"), json!(i));
        }
        Value::Object(m)
    };
    assert_eq!(send(&svc, "POST", "/Users", &body(6)).await.status, 201);
    let r = send(&svc, "POST", "/Users", &body(7)).await;
    assert_eq!(r.json["scimType"], "tooMany");
    assert!(detail(&r.json).contains("limit of 6"), "{}", r.json);
}

#[tokio::test]
async fn list_count_is_capped_at_the_page_size() {
    let svc = small();
    for i in 0..7 {
        send(
            &svc,
            "POST",
            "/Users",
            &json!({"userName": format!("c{i}")}),
        )
        .await;
    }
    let r = call(&svc, "GET", "/Users?count=5", &[], None).await;
    assert_eq!(r.json["itemsPerPage"], 5);
    let r = call(&svc, "GET", "/Users?count=6", &[], None).await;
    assert_eq!(
        (
            r.json["itemsPerPage"].as_u64(),
            r.json["totalResults"].as_u64()
        ),
        (Some(5), Some(7))
    );
    let r = call(&svc, "GET", "/ServiceProviderConfig", &[], None).await;
    assert_eq!(r.json["filter"]["maxResults"], 5, "the cap is advertised");
}

#[tokio::test]
async fn bulk_operations_and_payload() {
    let svc = small();
    let bulk = |n: usize| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": (0..n).map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                                              "data": {"userName": format!("bulk{i}")}})).collect::<Vec<_>>()})
    };
    assert_eq!(send(&svc, "POST", "/Bulk", &bulk(2)).await.status, 200);
    let r = send(&svc, "POST", "/Bulk", &bulk(3)).await;
    assert_eq!(r.status, 413);
    assert!(detail(&r.json).contains("maxOperations (2)"));
    let padded = |len: usize| {
        let mut b = bulk(1);
        b["Operations"][0]["data"]["title"] = json!("");
        let base = b.to_string().len();
        b["Operations"][0]["data"]["title"] = json!("t".repeat(len - base));
        b
    };
    let at = padded(4096);
    assert_eq!(at.to_string().len(), 4096);
    assert_eq!(send(&svc, "POST", "/Bulk", &at).await.status, 200);
    let r = send(&svc, "POST", "/Bulk", &padded(4097)).await;
    assert_eq!(r.status, 413);
    assert!(detail(&r.json).contains("maxPayloadSize (4096)"));
}
