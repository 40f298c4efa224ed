//! Attack: a `password` sent on create, PUT, PATCH or in a bulk request was stored as is
//! in the database, whose files were world-readable (0644): anyone on the host could read
//! every password an identity provider pushed. The bridge has no use for passwords; it
//! must accept the attribute and never write it, and keep its database files 0600.

use std::os::unix::fs::PermissionsExt;

use serde_json::json;

use crate::common::store::db_path;
use crate::common::{patch, Bridge};
use crate::USER;

/// Every file of `dir` (the database and its -wal and -shm), as raw bytes.
fn files(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// Asserts that no file of `dir` holds any of the seven passwords and that the database
/// files are 0600; returns the files looked at.
fn check_files(
    dir: &std::path::Path,
    when: &str,
    secret: &dyn Fn(u32) -> String,
) -> Vec<std::path::PathBuf> {
    let seen = files(dir);
    assert!(seen.iter().any(|(p, _)| p == &db_path(dir)));
    for (file, bytes) in &seen {
        for n in 1..=7 {
            assert!(
                !contains(bytes, &secret(n)),
                "{when}: password {n} stored in {}",
                file.display()
            );
        }
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("bridge.db") {
            let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{when}: {name} has mode {mode:o}");
        }
    }
    seen.into_iter().map(|(p, _)| p).collect()
}

#[test]
fn passwords_are_never_stored_and_database_files_are_0600() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let secret = |n: u32| format!("Pa55-{n}-never-stored-QX7Z");

    let (status, user) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "pw@example.com", "password": secret(1)})),
    );
    assert_eq!(status, 201, "{user}");
    assert!(user.get("password").is_none(), "{user}");
    let id = user["id"].as_str().unwrap().to_owned();
    let path = format!("/scim/v2/Users/{id}");

    let (status, v) = b.call(
        "PUT",
        &path,
        Some(&json!({"schemas": [USER], "userName": "pw@example.com", "password": secret(2)})),
    );
    assert_eq!(status, 200, "{v}");
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "add", "path": "password", "value": secret(3)}]),
        )),
    );
    assert_eq!(status, 200, "{v}");
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "replace", "value": {"password": secret(4), "title": "t"}}]),
        )),
    );
    assert_eq!(status, 200, "{v}");
    let (status, v) = b.call(
        "PATCH",
        &path,
        Some(&patch(
            json!([{"op": "replace", "path": format!("{USER}:password"), "value": secret(5)}]),
        )),
    );
    assert!(status == 200 || status == 400, "{status} {v}");
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Bulk",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b1",
                "data": {"schemas": [USER], "userName": "bulk@example.com", "password": secret(6)}}]
        })),
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Operations"][0]["status"], "201", "{v}");
    let (status, v) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"schemas": [USER], "userName": "upper@example.com", "PASSWORD": secret(7)})),
    );
    assert!(status == 201 || status == 400, "{status} {v}");

    // While the bridge runs (the data still in the -wal), and after it stops.
    let seen = check_files(dir.path(), "running", &secret);
    assert!(
        seen.iter().any(|p| p.to_string_lossy().ends_with("-wal")),
        "the test looked at the -wal too"
    );
    drop(b);
    check_files(dir.path(), "stopped", &secret);

    // An existing database left world-readable, holding passwords an earlier version
    // stored in rows large enough to spill to overflow pages, is narrowed on open, the
    // passwords removed, and no byte of them left in the database, -wal or -shm files
    // (not in freed pages either).
    let legacy = |n: usize| format!("legacy-pw-{n}-{}", "Zq8".repeat(40));
    let db = db_path(dir.path());
    let conn = rusqlite::Connection::open(&db).unwrap();
    let ids: Vec<String> = {
        let mut stmt = conn
            .prepare("SELECT id FROM resources WHERE resource_type = 'User' ORDER BY seq")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.collect::<Result<_, _>>().unwrap()
    };
    assert!(ids.contains(&id));
    for (n, user) in ids.iter().enumerate() {
        // The nickName puts the password (json_set appends it) on an overflow page.
        conn.execute(
            "UPDATE resources SET data = json_set(data, '$.nickName', ?2, '$.password', ?3)
             WHERE id = ?1",
            rusqlite::params![user, "n".repeat(9_000 + 1_000 * n), legacy(n)],
        )
        .unwrap();
    }
    // Back to schema version 3: without the later migrations' column either.
    conn.execute_batch(
        "DROP INDEX resources_last_modified; ALTER TABLE resources DROP COLUMN last_modified;
         DROP TABLE resource_values; DROP TABLE audit; DROP TABLE held_deprovisioning;",
    )
    .unwrap();
    conn.pragma_update(None, "user_version", 3).unwrap();
    drop(conn);
    let has_legacy = |when: &str| {
        for (file, bytes) in files(dir.path()) {
            for n in 0..ids.len() {
                assert!(
                    !contains(&bytes, &legacy(n)[..24]),
                    "{when}: legacy password {n} left in {}",
                    file.display()
                );
            }
        }
    };
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "an existing database is made 0600 on open");
    has_legacy("running");
    drop(b);
    has_legacy("stopped");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let left: i64 = conn
        .query_row(
            "SELECT count(*) FROM resources WHERE json_type(data, '$.password') IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "stored passwords are removed by the migration");
    let nick: i64 = conn
        .query_row(
            "SELECT length(json_extract(data, '$.nickName')) FROM resources WHERE id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(nick >= 9_000, "the rest of the row is kept");
}
