//! The bridge on PostgreSQL (`--database-url`), end to end, and several bridges
//! (replicas) on one database: one bridge's store (`one_bridge`); uniqueness, member
//! changes, If-Match and the last-Owner rule across replicas, a read on one seeing a
//! write on another, replicas starting at once, a replica killed under load
//! (`replicas`); the confirmation watcher run by exactly one replica and taken over,
//! pending people included, when it dies or freezes (`watcher`); a replica frozen while
//! it holds the write lock (`frozen`); a database that goes away or restarts under load
//! (`outages`).
//!
//! Each test starts its own database on a throwaway server (`common::postgres`); where
//! PostgreSQL is not installed the tests say they were skipped (in CI they fail). The
//! helpers every module uses live here.

#[path = "../common/mod.rs"]
mod common;

mod frozen;
mod one_bridge;
mod outages;
mod replicas;
mod watcher;

use std::time::Duration;

use common::{create_user, Bridge, TOKEN};
use serde_json::{json, Value};

/// A bridge on the database at `url`, with a data directory of its own (kept with it).
struct Replica {
    bridge: Bridge,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for Replica {
    type Target = Bridge;

    fn deref(&self) -> &Bridge {
        &self.bridge
    }
}

impl Replica {
    /// SIGKILL, no chance to clean up (the data directory goes with it).
    fn kill9(self) {
        self.bridge.kill9();
    }

    /// Sends `signal` (`STOP`, `CONT`) to the bridge's process.
    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.bridge.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
    }

    /// Freezes the process (SIGSTOP), as a paused VM or a hung host would: its
    /// connections stay open, its kernel still answers TCP keepalives.
    fn freeze(&self) {
        self.signal("STOP");
    }

    /// Lets a frozen process run again (SIGCONT).
    fn thaw(&self) {
        self.signal("CONT");
    }
}

fn replica(url: &str) -> Replica {
    replica_with(url, &[])
}

/// A replica on the database at `url` with further arguments.
fn replica_with(url: &str, args: &[&str]) -> Replica {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let all: Vec<&str> = ["--database-url", url]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    let bridge = Bridge::start(&dir.path().join("data"), &all);
    Replica { bridge, _dir: dir }
}

/// `n` replicas on the database at `url`, started at the same moment.
fn replicas(url: &str, n: usize) -> Vec<Replica> {
    replicas_with(url, n, &[])
}

/// [`replicas`] with further arguments.
fn replicas_with(url: &str, n: usize, args: &[&str]) -> Vec<Replica> {
    std::thread::scope(|s| {
        let started: Vec<_> = (0..n)
            .map(|_| s.spawn(|| replica_with(url, args)))
            .collect();
        started
            .into_iter()
            .map(|h| h.join().expect("a replica starts"))
            .collect()
    })
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "active": true})
}

fn member_ids(bridge: &Bridge, group: &str) -> Vec<String> {
    let (status, g) = bridge.call("GET", &format!("/scim/v2/Groups/{group}"), None);
    assert_eq!(status, 200, "{g}");
    let mut ids: Vec<String> = g["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["value"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

fn health(bridge: &Bridge) -> (u16, Value) {
    bridge.call("GET", "/health", None)
}

/// The confirmation watcher's entry in `bridge`'s `/health`.
fn watcher_report(bridge: &Bridge) -> Value {
    health(bridge).1["components"]["confirmationWatcher"].clone()
}

/// The confirmation watcher's state on `bridge` (`running`, `standby`, `failing`…).
fn watcher_state(bridge: &Bridge) -> String {
    watcher_report(bridge)["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// How many people the watchers of `all` confirmed since they started, together.
fn total_confirmed(all: &[&Bridge]) -> u64 {
    all.iter()
        .map(|b| {
            watcher_report(b)["totalConfirmed"]
                .as_u64()
                .expect("a count")
        })
        .sum()
}

/// Waits until exactly one of `all` runs the confirmation watcher and every other one
/// stands by; that one's index.
fn watcher_leader(all: &[&Bridge]) -> usize {
    let mut leader = None;
    let mut states = Vec::new();
    assert!(
        common::eventually(60, || {
            states = all.iter().map(|b| watcher_state(b)).collect::<Vec<_>>();
            leader = states.iter().position(|s| s == "running");
            let standing_by = states.iter().filter(|s| *s == "standby").count();
            leader.is_some() && standing_by == all.len() - 1
        }),
        "not exactly one replica runs the watcher: {states:?}"
    );
    leader.expect("a leader")
}

/// The person `name` accepts their invitation (invited → pending), through `bridge`'s
/// subcommand on the database at `url`.
fn accept(bridge: &Bridge, url: &str, name: &str) {
    let (ok, out) = bridge.subcommand(&["--database-url", url, "invitations", "accept", name]);
    assert!(ok, "{out}");
}

/// The token a `token rotate` printed.
fn rotated_token(output: &str) -> String {
    output
        .lines()
        .skip_while(|l| !l.starts_with("New Secret Token"))
        .map(str::trim)
        .find(|l| l.len() >= 32 && !l.contains(' '))
        .unwrap_or_else(|| panic!("no token in {output}"))
        .to_owned()
}

/// Whether `bridge` accepts `token`.
fn accepts(bridge: &Bridge, token: &str) -> bool {
    let auth = format!("Bearer {token}");
    bridge
        .call_with("GET", "/scim/v2/Users", None, &[("Authorization", &auth)])
        .0
        == 200
}

/// A request with `token`.
fn call_as(
    bridge: &Bridge,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    bridge.call_with(method, path, body, &[("Authorization", &auth)])
}

/// What a create got: its status, the id it made, and whether the answer said
/// `Retry-After`.
#[derive(Debug)]
struct Created {
    status: u16,
    id: Option<String>,
    retry_after: bool,
}

/// Creates a user through `url`: what it got, or `None` when the bridge did not answer
/// (killed).
fn try_create(url: &str, name: &str) -> Option<Created> {
    let result = ureq::post(&format!("{url}/scim/v2/Users"))
        .timeout(Duration::from_secs(30))
        .set("Authorization", &format!("Bearer {TOKEN}"))
        .set("Content-Type", "application/scim+json")
        .send_string(&user(name).to_string());
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(_) => return None,
    };
    let status = resp.status();
    let retry_after = resp.header("retry-after").is_some();
    let body: Value = resp
        .into_string()
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    Some(Created {
        status,
        id: body["id"].as_str().map(str::to_owned),
        retry_after,
    })
}
