//! Replays the recorded identity-provider sessions of scim2-core's test kit
//! (`scim2_core::testkit::SESSIONS`, written from each provider's public documentation)
//! over HTTP against the bridge binary, one fresh bridge per replay. Steps marked
//! `"only": "library"` are skipped here; steps marked `"only": "bridge"` check the
//! bridge's own rules (its bearer token, its 1Password account model).

mod common;

use std::time::Duration;

use common::{Bridge, TOKEN};
use scim2_core::testkit::{replay, Answer, Endpoint, Exchange, SendError, Target, SESSIONS};

/// A running bridge as a replay [`Endpoint`]: every request carries the bridge's token
/// unless the fixture sets its own `Authorization`.
struct Http {
    bridge: Bridge,
    agent: ureq::Agent,
}

impl Endpoint for Http {
    fn target(&self) -> Target {
        Target::Bridge
    }

    async fn send(&mut self, req: Exchange) -> Result<Answer, SendError> {
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

/// Replays every session against a fresh bridge with the default client profile, then
/// against one started with `--client-profile <profile>` (the client's own); reports
/// every replay that fails, not only the first.
#[tokio::test]
async fn every_recorded_session_replays_against_the_bridge() {
    let mut failures = Vec::new();
    for session in SESSIONS {
        let fixture = session.parse().unwrap();
        for args in [&[][..], &["--client-profile", session.profile][..]] {
            let data = tempfile::tempdir().unwrap();
            let mut endpoint = Http {
                bridge: Bridge::start(data.path(), args),
                agent: ureq::AgentBuilder::new().build(),
            };
            let check = format!("session {} {args:?}", session.name);
            match replay(&mut endpoint, &check, &fixture).await {
                Ok(0) => failures.push(format!("{check}: no step ran against the bridge")),
                Ok(sent) => println!("{check}: {sent} requests replayed"),
                Err(f) => failures.push(f.to_string()),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
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
