//! Attack (item 16 of the review): a stored row whose `data` is not valid JSON, or not a
//! JSON object, was served as `200 null`, so an identity provider took a broken record
//! for an answer. It is a 500 (no detail from the store), with a log line naming the
//! resource's id, on a read by id and in a list.

use std::process::Stdio;

use serde_json::json;

use crate::common::store::db_path;
use crate::common::Bridge;
use crate::USER;

#[test]
fn a_corrupted_row_is_a_500_logged_with_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let b = Bridge::start(&data, &[]);
    let mut ids = Vec::new();
    for name in [
        "broken@example.com",
        "array@example.com",
        "fine@example.com",
    ] {
        let (status, v) = b.call(
            "POST",
            "/scim/v2/Users",
            Some(&json!({"schemas": [USER], "userName": name})),
        );
        assert_eq!(status, 201, "{v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    drop(b);

    let conn = rusqlite::Connection::open(db_path(&data)).unwrap();
    for (id, junk) in [(&ids[0], "{\"userName\": \"broken"), (&ids[1], "[1, 2]")] {
        conn.execute("UPDATE resources SET data = ?2 WHERE id = ?1", [id, junk])
            .unwrap();
    }
    drop(conn);

    let log = dir.path().join("bridge.log");
    let b = Bridge::start_logging(
        &data,
        &[],
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    for id in &ids[..2] {
        let (status, v) = b.call("GET", &format!("/scim/v2/Users/{id}"), None);
        assert_eq!(status, 500, "{v}");
        assert!(v.is_object() && v["detail"].is_string(), "{v}");
    }
    let (status, v) = b.call("GET", &format!("/scim/v2/Users/{}", ids[2]), None);
    assert_eq!(status, 200, "the others are served: {v}");
    let (status, v) = b.call(
        "GET",
        "/scim/v2/Users?filter=userName+eq+%22array%40example.com%22",
        None,
    );
    assert_eq!(status, 500, "{v}");
    let (status, v) = b.call("GET", "/scim/v2/Users?filter=title+pr", None);
    assert_eq!(status, 500, "a scan meeting it fails too: {v}");
    drop(b);

    let text = std::fs::read_to_string(&log).unwrap();
    for id in &ids[..2] {
        assert!(
            text.lines()
                .any(|l| l.contains(id.as_str()) && l.contains("corrupted")),
            "a log line names {id}:\n{text}"
        );
    }
}
