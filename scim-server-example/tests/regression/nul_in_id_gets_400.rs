//! Found by the review of the PostgreSQL mode: `GET /Users/<an id holding %00>` was 400
//! on PostgreSQL (its text cannot hold U+0000, so the lookup itself was refused) but 404
//! on SQLite. No stored id holds U+0000: such an id names no resource.
//!
//! Now it is 404 on both engines, for reads, replacements, patches and deletes.

use serde_json::json;

use crate::common::postgres::server;
use crate::common::{patch, Bridge};
use crate::USER;

#[test]
fn an_id_holding_nul_is_not_found_on_postgresql_as_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Bridge::start(&dir.path().join("sqlite"), &[]);
    let pg = server()
        .map(|pg| Bridge::start(&dir.path().join("pg"), &["--database-url", &pg.database()]));
    let user = json!({"schemas": [USER], "userName": "nul@example.com"});
    let rename = patch(json!([{"op": "replace", "path": "displayName", "value": "x"}]));
    for bridge in std::iter::once(&sqlite).chain(pg.as_ref()) {
        for path in ["/scim/v2/Users/a%00b", "/scim/v2/Groups/%00"] {
            for (method, body) in [
                ("GET", None),
                ("PUT", Some(&user)),
                ("PATCH", Some(&rename)),
                ("DELETE", None),
            ] {
                let (status, v) = bridge.call(method, path, body);
                assert_eq!(status, 404, "{method} {path} on {}: {v}", bridge.url);
            }
        }
    }
}
