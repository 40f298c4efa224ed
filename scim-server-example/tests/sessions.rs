//! Replays the recorded identity-provider sessions of scim-core (JSON fixtures in
//! `scim-core/tests/fixtures/sessions/`, written from each provider's public
//! documentation) over HTTP against the bridge binary, one fresh bridge per session.
//! Steps marked `"only": "library"` are skipped here; steps marked `"only": "bridge"`
//! check the bridge's own rules (its bearer token, its 1Password account model).

mod common;
#[macro_use]
#[path = "../../scim-core/tests/common/replay.rs"]
mod replay;

use std::time::Duration;

use common::{Bridge, TOKEN};
use replay::{Answer, Endpoint, Exchange};
use serde_json::Value;

/// The directory that holds the session fixtures.
fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scim-core/tests/fixtures/sessions")
}

/// A running bridge as a replay [`Endpoint`]: every request carries the bridge's token
/// unless the fixture sets its own `Authorization`.
struct Http {
    bridge: Bridge,
    agent: ureq::Agent,
}

impl Endpoint for Http {
    fn kind(&self) -> &'static str {
        "bridge"
    }

    async fn send(&mut self, req: Exchange) -> Answer {
        let url = format!("{}{}", self.bridge.url, req.path);
        let mut r = self
            .agent
            .request(&req.method, &url)
            .timeout(Duration::from_secs(30));
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
            Err(e) => panic!("{} {url}: {e}", req.method),
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
        let text = resp.into_string().unwrap_or_default();
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            json,
        }
    }
}

/// Replays one fixture file against a fresh bridge with the default client profile,
/// then against one started with `--client-profile <profile>` (the client's own).
async fn replay_file(name: &str, profile: &str) {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let session: Value = serde_json::from_str(&text).unwrap();
    for args in [&[][..], &["--client-profile", profile][..]] {
        let data = tempfile::tempdir().unwrap();
        let mut endpoint = Http {
            bridge: Bridge::start(data.path(), args),
            agent: ureq::AgentBuilder::new().build(),
        };
        let sent = replay::replay(&mut endpoint, &session).await;
        assert!(sent > 0, "{name}: no step ran against the bridge");
        println!("{name} {args:?}: {sent} requests replayed");
    }
}

session_tests!();

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
