//! Found by the attack review of the mounting surface: a Bulk result's `location` for a
//! DELETE (and for every failed operation but a POST) was the base URL glued to the
//! operation's `path` as sent. A path without a leading slash (`Users/1`, which routes)
//! gave `…/scim/v2Users/1`; a `bulkId:` reference stayed unresolved
//! (`…/Users/bulkId:a`); a lower-case or doubled-slash path was echoed as it came.
//!
//! Now the location of an operation whose path names a resource is that resource's URL,
//! written as `meta.location` is (RFC 7644 §3.7.3).

use serde_json::{json, Value};

use crate::common::{send, service};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

#[tokio::test]
async fn delete_and_failed_operations_get_the_resource_url() {
    let svc = service();
    let created = send(
        &svc,
        "POST",
        "/scim/v2/Users",
        &json!({"schemas": [USER], "userName": "ann"}),
    )
    .await;
    let ann = created.json["id"].as_str().unwrap().to_owned();
    let ops = json!({"schemas": [BULK], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "b",
         "data": {"schemas": [USER], "userName": "bob"}},
        {"method": "DELETE", "path": "/Users/bulkId:b"},
        {"method": "DELETE", "path": format!("users//{ann}")},
        {"method": "DELETE", "path": format!("Users/{ann}")},
    ]});
    let reply = send(&svc, "POST", "/scim/v2/Bulk", &ops).await;
    assert_eq!(reply.status, 200, "{}", reply.json);
    let results: &Vec<Value> = reply.json["Operations"].as_array().unwrap();
    let bob_at = results[0]["location"].as_str().unwrap();
    assert!(
        bob_at.starts_with("http://localhost/scim/v2/Users/"),
        "{bob_at}"
    );
    let ann_at = format!("http://localhost/scim/v2/Users/{ann}");
    let want = [
        ("204", bob_at.to_owned()),
        ("204", ann_at.clone()),
        ("404", ann_at),
    ];
    for (result, (status, location)) in results[1..].iter().zip(want) {
        assert_eq!(result["status"], status, "{result}");
        assert_eq!(result["location"], location.as_str(), "{result}");
    }
}
