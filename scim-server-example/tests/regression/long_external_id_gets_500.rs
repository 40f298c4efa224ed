//! Found by the attack review of the PostgreSQL mode: `externalId` is indexed, and a
//! B-tree index entry holds at most about 2.7 kB, so a client sending a longer
//! `externalId` (one SQLite stores) got a 500 internal error ("index row size … exceeds
//! btree version 4 maximum 2704", SQLSTATE 54000) instead of a SCIM error.
//!
//! Now a value past one of the database's limits is the client's input refused: 400
//! with scimType `invalidValue`, as a value holding U+0000 already was.

use serde_json::json;

use crate::common::postgres::server;
use crate::common::Bridge;
use crate::USER;

#[test]
fn an_external_id_too_long_for_the_index_is_400() {
    let Some(pg) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(dir.path(), &["--database-url", &pg.database()]);
    // Not compressible (an index entry is compressed first): distinct digits.
    let long: String = (0..2000u32).map(|i| format!("{:x}", i * 7919)).collect();
    assert!(long.len() > 5000);
    let body = json!({"schemas": [USER], "userName": "long@example.com", "externalId": long});
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&body));
    assert_eq!(
        (status, v["scimType"].clone()),
        (400, json!("invalidValue")),
        "{v}"
    );
    // The failed insert left nothing behind, and the bridge still serves.
    let body = json!({"schemas": [USER], "userName": "long@example.com", "externalId": "e1"});
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&body));
    assert_eq!(status, 201, "{v}");
}
