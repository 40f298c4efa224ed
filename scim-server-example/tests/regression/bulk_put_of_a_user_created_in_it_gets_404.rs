//! Found by review of group commit: a Bulk request's operations are committed together
//! at its end, and a PUT reads the resource first on a read connection, which did not
//! see a user created earlier in the same Bulk request: `PUT /Users/bulkId:…` got 404.
//! Reads made for a Bulk operation now make the earlier operations durable first.

use serde_json::json;

use crate::common::Bridge;

#[test]
fn a_bulk_put_of_a_user_created_earlier_in_it_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let user = |title: &str| {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
               "userName": "bulk-put@example.com", "title": title})
    };
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Bulk",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "u", "data": user("first")},
                {"method": "PUT", "path": "/Users/bulkId:u", "data": user("second")},
                {"method": "PUT", "path": "/Users/bulkId:u", "data": user("third")}
            ]
        })),
    );
    assert_eq!(status, 200, "{v}");
    let statuses: Vec<&str> = v["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|op| op["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["201", "200", "200"], "{v}");
    let (_, found) = b.call(
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22bulk-put@example.com%22",
        None,
    );
    assert_eq!(found["Resources"][0]["title"], "third", "{found}");
}
