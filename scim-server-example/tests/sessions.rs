//! Replays the recorded identity-provider sessions of scim2-core's test kit
//! (`scim2_core::testkit::SESSIONS`, written from each provider's public documentation)
//! over HTTP against the bridge binary, one fresh bridge per replay: on SQLite, on
//! PostgreSQL (`--database-url`, a fresh database per replay), and as two replicas on
//! one PostgreSQL database with the session's requests alternated between them (as a
//! load balancer may send them). Steps marked `"only": "library"` are skipped here; steps
//! marked `"only": "bridge"` check the bridge's own rules (its bearer token, its
//! 1Password account model).
//!
//! Where PostgreSQL is not installed the PostgreSQL replays say they were skipped (in CI
//! they fail: `common::postgres`).

mod common;

use std::time::Duration;

use common::postgres::{server, PgServer};
use common::{Bridge, TOKEN};
use scim2_core::testkit::{replay, Answer, Endpoint, Exchange, SendError, Target, SESSIONS};

/// Running bridges (one, or replicas on one database) as a replay [`Endpoint`]: the
/// requests go to each bridge in turn, every request carries the bridges' shared token
/// unless the fixture sets its own `Authorization`, and all carry the first bridge's
/// address as `Host` (the one public name a load balancer forwards, which locations are
/// made of).
struct Http {
    bridges: Vec<Bridge>,
    /// Which bridge gets the next request.
    next: usize,
    agent: ureq::Agent,
    /// The data directory of the bridges (unused by those on PostgreSQL); removed last.
    _data: tempfile::TempDir,
}

/// Where the bridges of one replay keep their data.
#[derive(Debug, Clone, Copy)]
enum Store {
    /// SQLite in the data directory (the default).
    Sqlite,
    /// PostgreSQL, one bridge on a fresh database.
    Postgres,
    /// PostgreSQL, two bridges on one fresh database, taking the requests in turn.
    Replicas,
}

impl Http {
    /// Fresh bridges for one replay on `store`, started with `args`.
    fn start(store: Store, pg: Option<&PgServer>, args: &[&str]) -> Http {
        let data = tempfile::tempdir().expect("a temporary directory");
        let (url, count) = match (store, pg) {
            (Store::Sqlite, _) => (None, 1),
            (Store::Postgres, Some(pg)) => (Some(pg.database()), 1),
            (Store::Replicas, Some(pg)) => (Some(pg.database()), 2),
            (_, None) => unreachable!("a PostgreSQL replay without a server"),
        };
        let mut all: Vec<&str> = args.to_vec();
        if let Some(url) = &url {
            all.extend(["--database-url", url]);
        }
        let bridges = (0..count)
            .map(|i| Bridge::start(&data.path().join(format!("bridge{i}")), &all))
            .collect();
        Http {
            bridges,
            next: 0,
            agent: ureq::AgentBuilder::new().build(),
            _data: data,
        }
    }
}

impl Endpoint for Http {
    fn target(&self) -> Target {
        Target::Bridge
    }

    async fn send(&mut self, req: Exchange) -> Result<Answer, SendError> {
        let bridge = &self.bridges[self.next % self.bridges.len()];
        self.next += 1;
        let url = format!("{}{}", bridge.url, req.path);
        let mut r = self
            .agent
            .request(&req.method, &url)
            .timeout(Duration::from_secs(30));
        if !req.has_header("host") {
            r = r.set("Host", &self.bridges[0].addr());
        }
        if !req.has_header("authorization") {
            r = r.set("Authorization", &format!("Bearer {TOKEN}"));
        }
        for (k, v) in &req.headers {
            r = r.set(k, v);
        }
        let result = match &req.body {
            Some(b) => r.send_bytes(b),
            None => r.call(),
        };
        let resp = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(e.into()),
        };
        let status = resp.status();
        let headers = resp
            .headers_names()
            .into_iter()
            .filter_map(|n| {
                let v = resp.header(&n)?.to_owned();
                Some((n.to_ascii_lowercase(), v))
            })
            .collect();
        let text = resp.into_string()?;
        Ok(Answer::new(status, headers, text.as_bytes()))
    }
}

/// Replays every session against fresh bridges on `store` with the default client
/// profile, then with `--client-profile <profile>` (the client's own); reports every
/// replay that fails, not only the first. Synchronous: the harness creates databases
/// with a blocking client, so each replay runs on a runtime of its own.
fn replay_every_session(store: Store) {
    let pg = match store {
        Store::Sqlite => None,
        Store::Postgres | Store::Replicas => match server() {
            Some(pg) => Some(pg),
            None => return,
        },
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut failures = Vec::new();
    for session in SESSIONS {
        let fixture = session.parse().unwrap();
        for args in [&[][..], &["--client-profile", session.profile][..]] {
            let mut endpoint = Http::start(store, pg, args);
            let check = format!("session {} on {store:?} {args:?}", session.name);
            match runtime.block_on(replay(&mut endpoint, &check, &fixture)) {
                Ok(0) => failures.push(format!("{check}: no step ran against the bridge")),
                Ok(sent) => println!("{check}: {sent} requests replayed"),
                Err(f) => failures.push(f.to_string()),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_recorded_session_replays_against_the_bridge() {
    replay_every_session(Store::Sqlite);
}

#[test]
fn every_recorded_session_replays_against_the_bridge_on_postgresql() {
    replay_every_session(Store::Postgres);
}

/// Consecutive requests of one session go to different replicas: each sees what the
/// other wrote, and `${var}` captures (ids, versions) made on one work on the other.
#[test]
fn every_recorded_session_replays_against_two_replicas_taking_turns() {
    replay_every_session(Store::Replicas);
}

/// `--client-profile` picks the toggles: Entra ID's capitalised `Replace` is refused
/// under `strict` and accepted under `entra` (and the default).
#[test]
fn the_client_profile_flag_selects_the_toggles() {
    for (profile, status) in [("strict", 400), ("entra", 200), ("every-client", 200)] {
        let data = tempfile::tempdir().unwrap();
        let bridge = Bridge::start(data.path(), &["--client-profile", profile]);
        let user = serde_json::json!({"userName": "ann@example.com"});
        let (s, v) = bridge.call("POST", "/scim/v2/Users", Some(&user));
        assert_eq!(s, 201, "{v}");
        let at = format!("/scim/v2/Users/{}", v["id"].as_str().unwrap());
        let op = common::patch(serde_json::json!([
            {"op": "Replace", "path": "displayName", "value": "Ann"}
        ]));
        let (s, v) = bridge.call("PATCH", &at, Some(&op));
        assert_eq!(s, status, "{profile}: {v}");
    }
}

/// The audit trail after a replay of Entra ID's session, oldest first, as
/// `action resourceType name [member] (attributes)`.
fn audit_after_entra_session(store: Store, pg: Option<&PgServer>) -> Vec<String> {
    let session = SESSIONS
        .iter()
        .find(|s| s.name == "entra.json")
        .expect("the Entra session");
    let fixture = session.parse().unwrap();
    let mut endpoint = Http::start(store, pg, &[]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime
        .block_on(replay(&mut endpoint, "entra", &fixture))
        .expect("the Entra session replays");
    let (status, page) = endpoint.bridges[0].call("GET", "/audit?count=1000", None);
    assert_eq!(status, 200, "{page}");
    let events = page["events"].as_array().expect("events");
    // Members by the name of the user created with that id.
    let names: std::collections::HashMap<&str, &str> = events
        .iter()
        .filter(|e| e["action"] == "user.invited")
        .filter_map(|e| Some((e["resourceId"].as_str()?, e["resourceName"].as_str()?)))
        .collect();
    let mut lines: Vec<String> = events
        .iter()
        .filter(|e| e["actor"] != "bridge")
        .map(|e| {
            let actor = e["actor"].as_str().unwrap_or_default();
            assert!(
                actor.starts_with("token:") && actor.len() == "token:".len() + 8,
                "a SCIM change by {actor}"
            );
            assert!(e["requestId"].is_string(), "{e}");
            let attrs: Vec<&str> = e["attributes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str())
                .collect();
            format!(
                "{} {} {}{} ({})",
                e["action"].as_str().unwrap_or_default(),
                e["resourceType"].as_str().unwrap_or_default(),
                e["resourceName"].as_str().unwrap_or("-"),
                e["member"]
                    .as_str()
                    .map(|m| format!(" member={}", names.get(m).unwrap_or(&m)))
                    .unwrap_or_default(),
                attrs.join(",")
            )
        })
        .collect();
    lines.reverse();
    lines
}

/// What Entra ID's session changes, one record per change and none for the requests
/// that changed nothing (the duplicates answered 409, the manager replaced by itself,
/// the member added twice, the second DELETE answered 404, every read).
const ENTRA_AUDIT: &[&str] = &[
    "user.invited User boss@contoso.com (active,displayName,emails,externalId,userName)",
    "user.updated User boss@contoso.com (addresses,phoneNumbers)",
    "user.updated User boss@contoso.com (addresses,phoneNumbers)",
    "user.invited User ann.lee@contoso.com (active,displayName,emails,externalId,name,title,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber,userName)",
    "user.updated User ann.lee@contoso.com (displayName,name,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department)",
    "user.updated User ann.lee@contoso.com (emails)",
    "user.updated User ann.lee@contoso.com (addresses,phoneNumbers)",
    "user.updated User ann.lee@contoso.com (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager)",
    "user.updated User ann.lee@contoso.com (urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager)",
    "user.suspended User ann.lee@contoso.com (active)",
    "user.restored User ann.lee@contoso.com (active)",
    "group.created Group Sales Team (displayName,externalId)",
    "member.added Group Sales Team member=ann.lee@contoso.com ()",
    "member.added Group Sales Team member=boss@contoso.com ()",
    "member.removed Group Sales Team member=ann.lee@contoso.com ()",
    "member.removed Group Sales Team member=boss@contoso.com ()",
    "group.renamed Group Sales EMEA (displayName)",
    "user.deleted User ann.lee@contoso.com ()",
    "group.deleted Group Sales EMEA ()",
];

#[test]
fn the_entra_session_leaves_exactly_its_audit_records() {
    assert_eq!(audit_after_entra_session(Store::Sqlite, None), ENTRA_AUDIT);
}

#[test]
fn the_entra_session_leaves_exactly_its_audit_records_on_postgresql() {
    let Some(pg) = server() else { return };
    assert_eq!(
        audit_after_entra_session(Store::Replicas, Some(pg)),
        ENTRA_AUDIT
    );
}
