//! One bridge on PostgreSQL: the SCIM operations and `/health`, values the database
//! cannot hold, TLS to the server, a schema newer than the binary, and an SQLite bridge
//! migrated to PostgreSQL.

use serde_json::json;

use crate::common::postgres::{server, PgServer};
use crate::common::{self, patch, Bridge, TOKEN};
use crate::{accepts, call_as, create_user, health, member_ids, replica, rotated_token, user};

#[test]
fn crud_on_postgresql_and_health_names_the_engine() {
    let Some(pg) = server() else { return };
    let bridge = replica(&pg.database());
    let (status, h) = health(&bridge);
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["components"]["store"]["engine"], "postgresql");
    assert_eq!(h["status"], "healthy");

    let id = create_user(&bridge, "Alice@Example.com");
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&user("alice@example.COM")));
    assert_eq!(
        (status, v["scimType"].clone()),
        (409, json!("uniqueness")),
        "{v}"
    );
    let (status, list) = bridge.call(
        "GET",
        "/scim/v2/Users?filter=userName%20eq%20%22ALICE@example.com%22",
        None,
    );
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id.as_str());

    let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Alice"}]));
    let (status, v) = bridge.call("PATCH", &format!("/scim/v2/Users/{id}"), Some(&body));
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["displayName"], "Alice");

    let mut replaced = user("alice@example.com");
    replaced["externalId"] = json!("ext-1");
    let (status, v) = bridge.call("PUT", &format!("/scim/v2/Users/{id}"), Some(&replaced));
    assert_eq!(status, 200, "{v}");
    let (_, list) = bridge.call(
        "GET",
        "/scim/v2/Users?filter=externalId%20eq%20%22ext-1%22",
        None,
    );
    assert_eq!(list["totalResults"], 1, "{list}");

    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Engineering", "members": [{"value": id}]});
    let (status, g) = bridge.call("POST", "/scim/v2/Groups", Some(&group));
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().expect("an id").to_owned();
    assert_eq!(member_ids(&bridge, &gid), vec![id.clone()]);
    let (_, u) = bridge.call("GET", &format!("/scim/v2/Users/{id}"), None);
    let groups = u["groups"].as_array().expect("groups");
    assert!(groups.iter().any(|g| g["value"] == gid.as_str()), "{u}");

    let (status, _) = bridge.call("DELETE", &format!("/scim/v2/Users/{id}"), None);
    assert_eq!(status, 204);
    let (status, _) = bridge.call("GET", &format!("/scim/v2/Users/{id}"), None);
    assert_eq!(status, 404);
    assert!(member_ids(&bridge, &gid).is_empty());
}

#[test]
fn a_database_migrated_by_a_newer_bridge_is_refused_with_a_clear_message() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    drop(replica(&url));
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    client
        .batch_execute("INSERT INTO schema_migrations (version) VALUES (9999)")
        .expect("a newer schema version");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let out = std::process::Command::new(common::binary())
        .args(Bridge::args(
            &dir.path().join("data"),
            &["--database-url", &url],
        ))
        .env("SCIM_BRIDGE_TOKEN", TOKEN)
        .output()
        .expect("run scim-bridge");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bridge started on a newer schema");
    assert!(
        stderr.contains("schema version 9999") && stderr.contains("upgrade this bridge"),
        "{stderr}"
    );
}

#[test]
fn tls_to_the_database_verifies_the_server_as_sslmode_asks() {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("a certificate");
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    let Some(pg) = PgServer::start_with(
        &[("server.crt", &cert_pem), ("server.key", &key_pem)],
        "-c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
    ) else {
        return;
    };
    let name = pg.database_name();
    let files = tempfile::tempdir().expect("a temporary directory");
    let root = files.path().join("root.pem");
    std::fs::write(&root, &cert_pem).expect("the root");
    let other = files.path().join("other.pem");
    let stranger =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("another");
    std::fs::write(&other, stranger.cert.pem()).expect("another root");

    // Verified against the right root, and encrypted without one under `require`.
    for query in [
        format!("sslmode=verify-full&sslrootcert={}", root.display()),
        "sslmode=require".to_owned(),
    ] {
        let bridge = replica(&pg.url_with(&name, &query));
        let (status, h) = health(&bridge);
        assert_eq!(status, 200, "{query}: {h}");
        create_user(&bridge, &format!("{}@example.com", query.len()));
    }
    // The server shows a certificate the given root did not sign: refused.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = pg.url_with(
        &name,
        &format!("sslmode=verify-full&sslrootcert={}", other.display()),
    );
    let out = std::process::Command::new(common::binary())
        .args(Bridge::args(
            &dir.path().join("data"),
            &["--database-url", &url],
        ))
        .env("SCIM_BRIDGE_TOKEN", TOKEN)
        .output()
        .expect("run scim-bridge");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a bridge trusted a server its root did not sign"
    );
    assert!(
        stderr.contains("cannot open the PostgreSQL database") && stderr.contains("certificate"),
        "{stderr}"
    );
}

#[test]
fn an_sqlite_bridge_migrates_to_postgresql_with_its_token() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    let sqlite = Bridge::start_with_own_token(&data, &[]);
    let (ok, out) = sqlite.subcommand(&["token", "rotate"]);
    assert!(ok, "{out}");
    let token = rotated_token(&out);
    assert!(common::eventually(15, || accepts(&sqlite, &token)));
    let mut ids = Vec::new();
    for i in 0..3 {
        let (status, v) = call_as(
            &sqlite,
            &token,
            "POST",
            "/scim/v2/Users",
            Some(&user(&format!("mig{i}@example.com"))),
        );
        assert_eq!(status, 201, "{v}");
        ids.push(v["id"].as_str().expect("an id").to_owned());
    }
    let (ok, out) = sqlite.subcommand(&["invitations", "accept", "mig1@example.com"]);
    assert!(ok, "{out}");
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Migrated", "members": [{"value": ids[0]}, {"value": ids[2]}]});
    let (status, g) = call_as(&sqlite, &token, "POST", "/scim/v2/Groups", Some(&group));
    assert_eq!(status, 201, "{g}");
    let gid = g["id"].as_str().expect("an id").to_owned();
    let (_, before) = call_as(
        &sqlite,
        &token,
        "GET",
        "/scim/v2/Users?attributes=userName,groups",
        None,
    );
    drop(sqlite);

    // A bridge started on the database first (its built-in groups) does not stand in the way.
    drop(replica(&url));
    let out = std::process::Command::new(common::binary())
        .arg("migrate")
        .arg("--from-data-dir")
        .arg(&data)
        .args(["--to-database-url", &url])
        .output()
        .expect("run scim-bridge migrate");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Copied 3 users, 6 groups, 2 memberships"),
        "{text}"
    );

    let pg_dir = tempfile::tempdir().expect("a temporary directory");
    let replica =
        Bridge::start_with_own_token(&pg_dir.path().join("data"), &["--database-url", &url]);
    assert!(accepts(&replica, &token), "the migrated token is refused");
    let (_, after) = call_as(
        &replica,
        &token,
        "GET",
        "/scim/v2/Users?attributes=userName,groups",
        None,
    );
    assert_eq!(
        after["Resources"], before["Resources"],
        "the users differ after the migration"
    );
    let ext = "urn:ietf:params:scim:schemas:extension:1password:2.0:User";
    let (_, u) = call_as(
        &replica,
        &token,
        "GET",
        &format!("/scim/v2/Users/{}?attributes={ext}:state", ids[1]),
        None,
    );
    assert_ne!(
        u[ext]["state"], "invited",
        "the account state was lost: {u}"
    );
    let (_, g) = call_as(
        &replica,
        &token,
        "GET",
        &format!("/scim/v2/Groups/{gid}"),
        None,
    );
    assert_eq!(g["members"].as_array().map(Vec::len), Some(2), "{g}");

    // Migrating again would mix two accounts: refused, nothing written.
    let out = std::process::Command::new(common::binary())
        .arg("migrate")
        .arg("--from-data-dir")
        .arg(&data)
        .args(["--to-database-url", &url])
        .output()
        .expect("run scim-bridge migrate");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds 3 users"));
}

#[test]
fn a_value_postgresql_cannot_store_is_refused_with_400_not_500() {
    let Some(pg) = server() else { return };
    let bridge = replica(&pg.database());
    let mut u = user("nul@example.com");
    u["externalId"] = json!("a\u{0}b");
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&u));
    assert_eq!(
        (status, v["scimType"].clone()),
        (400, json!("invalidValue")),
        "{v}"
    );
    // Nothing stored holds U+0000: a lookup for it finds nothing, as on SQLite.
    let (status, v) = bridge.call(
        "GET",
        "/scim/v2/Users?filter=externalId%20eq%20%22a%5Cu0000b%22",
        None,
    );
    assert_eq!((status, v["totalResults"].clone()), (200, json!(0)), "{v}");
    // Inside the JSON of a resource too (PostgreSQL's JSON functions fail on a row that
    // escapes it): refused on every engine, naming the attribute.
    let mut u = user("nul2@example.com");
    u["nickName"] = json!("a\u{0}b");
    let (status, v) = bridge.call("POST", "/scim/v2/Users", Some(&u));
    assert_eq!(
        (status, v["scimType"].clone()),
        (400, json!("invalidValue")),
        "{v}"
    );
    assert!(
        v["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("nickName"),
        "{v}"
    );
}
