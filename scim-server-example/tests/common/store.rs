//! Helpers for the store and 1Password-rule tests: a bridge started with extra
//! environment variables, raw requests that keep `Retry-After`, users written straight
//! into the database (while the bridge is stopped), and the database's path.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::{binary, request, Bridge, TOKEN};

/// The bridge's database file in `data_dir`.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("bridge.db")
}

/// Starts the bridge on `data_dir` with extra environment variables (e.g. the scan
/// limits) and its JSON log lines going to `stderr`.
pub fn start_with_env(data_dir: &Path, env: &[(&str, &str)], stderr: Stdio) -> Bridge {
    let mut cmd = Command::new(binary());
    cmd.args(Bridge::args(data_dir, &[]))
        .envs(env.iter().copied())
        .stderr(stderr);
    Bridge::spawn(cmd, data_dir)
}

/// An answer: status, `Retry-After`, JSON body (`Null` if none).
#[derive(Debug)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The body.
    pub body: Value,
}

/// Sends an authenticated request to `url` (a bridge's base URL), waiting at most
/// `timeout`.
pub fn send(url: &str, method: &str, path: &str, body: Option<&Value>, timeout: Duration) -> Reply {
    let (status, mut named, body) = request(
        &format!("{url}{path}"),
        method,
        body,
        &[("Authorization", &format!("Bearer {TOKEN}"))],
        timeout,
        &["retry-after"],
    );
    Reply {
        status,
        retry_after: named.remove(0),
        body,
    }
}

/// Writes `n` users named `{prefix}{i}@example.com` (with `title` `t{i % 3}` and a
/// `nickName` of `pad` bytes, to make each row costly to read) straight into the
/// database of a stopped bridge that has run once on it. Returns their ids, in order.
pub fn seed_users(data_dir: &Path, prefix: &str, n: usize, pad: usize) -> Vec<String> {
    seed_users_with_external_id(data_dir, prefix, n, pad, None)
}

/// [`seed_users`], every user with this `externalId` (none if `None`).
pub fn seed_users_with_external_id(
    data_dir: &Path,
    prefix: &str,
    n: usize,
    pad: usize,
    external_id: Option<&str>,
) -> Vec<String> {
    let mut conn = rusqlite::Connection::open(db_path(data_dir)).expect("open the database");
    let tx = conn.transaction().expect("begin");
    let mut seq: i64 = tx
        .query_row("SELECT coalesce(max(seq), 0) FROM resources", [], |r| {
            r.get(0)
        })
        .expect("max seq");
    let nick = "n".repeat(pad);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        seq += 1;
        let id = format!("{prefix}{i:06}");
        let name = format!("{prefix}{i}@example.com");
        let mut data = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": id, "userName": name, "title": format!("t{}", i % 3), "nickName": nick,
            "emails": [{"value": name, "type": "work", "primary": true}],
            "meta": {"resourceType": "User", "created": "2026-01-01T00:00:00Z",
                     "lastModified": "2026-01-01T00:00:00Z", "version": format!("W/\"{id}\"")}
        });
        if let Some(e) = external_id {
            data["externalId"] = json!(e);
        }
        tx.execute(
            "INSERT INTO resources (resource_type, id, seq, data, unique_key, external_id)
             VALUES ('User', ?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![id, seq, data.to_string(), name.to_lowercase(), external_id],
        )
        .expect("insert a user");
        tx.execute(
            "INSERT INTO accounts (user_id, state, suspended_from, changed_at)
             VALUES (?1, 'invited', NULL, '2026-01-01T00:00:00Z')",
            rusqlite::params![id],
        )
        .expect("insert an account");
        ids.push(id);
    }
    tx.commit().expect("commit");
    ids
}

/// Runs the bridge once on `data_dir` so that its database exists, then stops it.
pub fn initialise(data_dir: &Path) {
    let b = Bridge::start(data_dir, &[]);
    drop(b);
}
