//! Found by the review of the PostgreSQL mode: `scim-bridge migrate` committed the copy
//! of the users and groups, then wrote the Secret Token's hash in a transaction of its
//! own: when that write failed, the database held the account without its token, and
//! running `migrate` again was refused (the target is no longer empty).
//!
//! Now the hash is written in the copy's transaction: both are stored, or neither.

use std::process::Command;

use serde_json::json;

use crate::common::postgres::server;
use crate::common::{binary, eventually, Bridge};
use crate::USER;

#[test]
fn a_failed_token_write_leaves_the_target_empty() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // An SQLite bridge whose Secret Token lives in its data directory, with one user.
    let sqlite = Bridge::start_with_own_token(&data, &[]);
    let (ok, out) = sqlite.subcommand(&["token", "rotate"]);
    assert!(ok, "{out}");
    let token = out
        .lines()
        .skip_while(|l| !l.starts_with("New Secret Token"))
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("New Secret Token"))
        .unwrap()
        .to_owned();
    let auth = format!("Bearer {token}");
    let user = json!({"schemas": [USER], "userName": "moved@example.com"});
    let mut created = 0;
    assert!(eventually(15, || {
        created = sqlite
            .call_with(
                "POST",
                "/scim/v2/Users",
                Some(&user),
                &[("Authorization", &auth)],
            )
            .0;
        created == 201
    }));
    drop(sqlite);
    // The target's schema, from a bridge started on it; then storing any setting fails.
    drop(Bridge::start(
        &dir.path().join("pg"),
        &["--database-url", &url],
    ));
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "CREATE FUNCTION refuse_settings() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'settings refused by the test'; END $$; \
             CREATE TRIGGER refuse_settings BEFORE INSERT OR UPDATE ON settings \
             FOR EACH ROW EXECUTE FUNCTION refuse_settings();",
        )
        .unwrap();
    let out = Command::new(binary())
        .arg("migrate")
        .arg("--from-data-dir")
        .arg(&data)
        .args(["--to-database-url", &url])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("nothing was written"), "{text}");
    let users: i64 = admin
        .query_one(
            "SELECT count(*) FROM resources WHERE resource_type = 'User'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(users, 0, "the copy was committed without the token: {text}");
}
