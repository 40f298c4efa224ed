//! Found by the review of frozen replicas: `/health` showed the confirmation watcher's
//! `lastError` as PostgreSQL wrote it, e.g. `FATAL 28000: pg_hba.conf rejects connection
//! for host "127.0.0.1", user "scim", database "pw2"` (the client's address, the role,
//! the database), where the store's detail names none of them.
//!
//! Now both go through one text: the SQLSTATE and what its class means, for a refused
//! connection, without the server's message.

use crate::common::postgres::server;
use crate::common::{self, Bridge};

#[test]
fn the_watchers_last_error_names_no_role_or_address() {
    let Some(pg) = server() else { return };
    let name = pg.database_name();
    let role = format!("{name}_role");
    let mut admin = postgres::Client::connect(&pg.url("postgres"), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; ALTER DATABASE {name} OWNER TO {role}"
        ))
        .unwrap();
    let url = format!(
        "postgres://{role}@127.0.0.1:{}/{name}?sslmode=disable",
        pg.port
    );
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(
        &dir.path().join("data"),
        &[
            "--database-url",
            &url,
            "--confirmation-interval",
            "1",
            "--allow-short-interval",
        ],
    );
    let watcher = |b: &Bridge| b.call("GET", "/health", None).1["components"].clone();
    assert!(common::eventually(30, || watcher(&bridge)
        ["confirmationWatcher"]["state"]
        == "running"));

    // The role may no longer log in; its sessions (the watcher's lock among them) end.
    admin
        .batch_execute(&format!(
            "ALTER ROLE {role} NOLOGIN;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
        ))
        .unwrap();
    let mut components = serde_json::Value::Null;
    assert!(
        common::eventually(60, || {
            components = watcher(&bridge);
            components["confirmationWatcher"]["lastError"].is_string()
        }),
        "the watcher never failed: {components}"
    );
    let error = components["confirmationWatcher"]["lastError"]
        .as_str()
        .unwrap();
    assert!(error.contains("28000"), "{error}");
    for said in [&role, &name, "127.0.0.1"] {
        assert!(!error.contains(said), "{said} in {error}");
        assert!(
            !components["store"].to_string().contains(said),
            "{said} in {components}"
        );
    }
}
