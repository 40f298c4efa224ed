//! Replaying a recorded client session (a JSON fixture) against any SCIM endpoint: the
//! library's `ScimService` in process, or the bridge binary over HTTP.
//!
//! This file is shared by the scim-core and scim-server-example test suites (the
//! bridge's tests include it by path), so that both replay the same fixtures with the
//! same rules. A fixture is `{"description", "source", "steps": [...]}`; each step is:
//!
//! - `name`: what the step is, as the client's documentation names it;
//! - `only` (optional): `"bridge"` or `"library"`, for a step whose answer depends on
//!   rules one of them adds (the bridge's bearer token, its 1Password account rules);
//! - `request`: `method`, `path`, optional `headers` (an object), and a body as JSON
//!   (`body`) or as exact text (`body_text`, for bodies that are not valid JSON);
//! - `expect`: `status`; optional `headers` (names that must be present, or an object of
//!   names and exact values), `json` (a subset the body must contain, see [`subset`]),
//!   `absent` (JSON pointers that must not exist), `count` (an object of JSON pointer →
//!   array length) and `capture` (variable → JSON pointer of a string, used as `${var}`
//!   in later steps).
#![allow(dead_code)]

use std::collections::HashMap;

use serde_json::Value;

/// One request of a session, with captured variables already substituted.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The HTTP method.
    pub method: String,
    /// The path and query, e.g. `/scim/v2/Users?filter=…`.
    pub path: String,
    /// Header names (lower case) and values, as the fixture gives them.
    pub headers: Vec<(String, String)>,
    /// The body bytes, if any.
    pub body: Option<Vec<u8>>,
}

impl Exchange {
    /// Whether the fixture set this header (names compare case-insensitively).
    pub fn has_header(&self, name: &str) -> bool {
        self.headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(name))
    }
}

/// A response: status, headers (names lower case) and the body as JSON (`Null` when
/// empty, a JSON string when the body is not JSON).
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub json: Value,
}

impl Answer {
    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Something a session can be replayed against.
pub trait Endpoint {
    /// `"bridge"` or `"library"`: steps marked `only` for the other one are skipped.
    fn kind(&self) -> &'static str;
    /// Sends one request and returns the answer.
    fn send(&mut self, req: Exchange) -> impl std::future::Future<Output = Answer>;
}

/// Replaces `${name}` with captured values in every string of `v`.
pub fn substitute(v: &Value, vars: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(substitute_str(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|x| substitute(x, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (substitute_str(k, vars), substitute(x, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Replaces `${name}` with captured values in `s`.
pub fn substitute_str(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = s.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out
}

/// Whether `actual` contains `expected`: objects by their keys, arrays element by
/// element (same length), scalars equal. Returns where they differ.
pub fn subset(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                let av = a.get(k).ok_or_else(|| format!("{at}/{k}: missing"))?;
                subset(ev, av, &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!(
                    "{at}: {} elements, want {}: {actual}",
                    a.len(),
                    e.len()
                ));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                subset(ev, av, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        _ if expected == actual => Ok(()),
        _ => Err(format!("{at}: got {actual}, want {expected}")),
    }
}

/// The media type an answer must carry: `application/json` when the request's `Accept`
/// names it and not the SCIM media type (RFC 7644 §3.8), else `application/scim+json`.
pub fn media_type_for(accept: Option<&str>) -> &'static str {
    match accept {
        Some(a) if a.contains("application/json") && !a.contains("scim+json") => "application/json",
        _ => "application/scim+json",
    }
}

/// The checks every SCIM error answer must pass (RFC 7644 §3.12): the negotiated media
/// type ([`media_type_for`] the request's `Accept`), the error schema, `status` as a
/// string equal to the HTTP status, and a `detail`.
pub fn check_error_shape(answer: &Answer, accept: Option<&str>, step: &str) {
    assert_eq!(
        answer.header("content-type"),
        Some(media_type_for(accept)),
        "step `{step}`: errors are SCIM JSON"
    );
    assert_eq!(
        answer.json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error",
        "step `{step}`: {}",
        answer.json
    );
    assert_eq!(
        answer.json["status"],
        answer.status.to_string(),
        "step `{step}`: status is a string equal to the HTTP status"
    );
    assert!(
        answer.json["detail"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "step `{step}`: an error says what went wrong: {}",
        answer.json
    );
}

/// Replays a session fixture against `endpoint` and returns how many requests were sent.
/// Panics with the step's name at the first answer that differs from the fixture.
pub async fn replay<E: Endpoint>(endpoint: &mut E, session: &Value) -> usize {
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut sent = 0;
    let steps = session["steps"].as_array().expect("a fixture has steps");
    for step in steps {
        let name = step["name"].as_str().expect("every step has a name");
        if let Some(only) = step.get("only").and_then(Value::as_str) {
            assert!(
                only == "bridge" || only == "library",
                "step `{name}`: `only` is bridge or library"
            );
            if only != endpoint.kind() {
                continue;
            }
        }
        let req = substitute(&step["request"], &vars);
        let headers = req["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let body = match (req.get("body"), req.get("body_text")) {
            (Some(b), _) => Some(serde_json::to_vec(b).unwrap()),
            (None, Some(t)) => Some(t.as_str().unwrap().as_bytes().to_vec()),
            (None, None) => None,
        };
        let exchange = Exchange {
            method: req["method"].as_str().unwrap().to_owned(),
            path: req["path"].as_str().unwrap().to_owned(),
            headers,
            body,
        };
        let accept = exchange
            .headers
            .iter()
            .find(|(k, _)| k == "accept")
            .map(|(_, v)| v.clone());
        let answer = endpoint.send(exchange).await;
        sent += 1;
        let expect = substitute(&step["expect"], &vars);
        check(&answer, accept.as_deref(), &expect, name);
        for (var, pointer) in expect["capture"].as_object().into_iter().flatten() {
            let v = answer
                .json
                .pointer(pointer.as_str().unwrap())
                .and_then(Value::as_str);
            vars.insert(
                var.clone(),
                v.unwrap_or_else(|| panic!("step `{name}`: nothing at {pointer}"))
                    .to_owned(),
            );
        }
    }
    sent
}

/// Checks one answer against a step's `expect`.
fn check(answer: &Answer, accept: Option<&str>, expect: &Value, name: &str) {
    assert_eq!(
        u64::from(answer.status),
        expect["status"]
            .as_u64()
            .expect("every step expects a status"),
        "step `{name}`: {}",
        answer.json
    );
    if answer.status >= 400 {
        check_error_shape(answer, accept, name);
    } else if !answer.json.is_null() {
        assert_eq!(
            answer.header("content-type"),
            Some(media_type_for(accept)),
            "step `{name}`: the negotiated media type"
        );
    }
    match &expect["headers"] {
        Value::Array(names) => {
            for h in names {
                let h = h.as_str().unwrap();
                assert!(answer.header(h).is_some(), "step `{name}`: no {h} header");
            }
        }
        Value::Object(values) => {
            for (h, v) in values {
                assert_eq!(answer.header(h), v.as_str(), "step `{name}`: header {h}");
            }
        }
        _ => {}
    }
    if let Some(json) = expect.get("json") {
        if let Err(e) = subset(json, &answer.json, "") {
            panic!("step `{name}`: {e}\nbody: {}", answer.json);
        }
    }
    for p in expect["absent"].as_array().into_iter().flatten() {
        let p = p.as_str().unwrap();
        assert!(
            answer.json.pointer(p).is_none(),
            "step `{name}`: {p} should be absent: {}",
            answer.json
        );
    }
    for (p, n) in expect["count"].as_object().into_iter().flatten() {
        let len = answer
            .json
            .pointer(p)
            .and_then(Value::as_array)
            .map(Vec::len);
        assert_eq!(
            len.map(|l| l as u64),
            n.as_u64(),
            "step `{name}`: length of {p}: {}",
            answer.json
        );
    }
}

/// One test per session fixture, each calling the including file's
/// `replay_file(file, profile)` (the fixture and its client's own profile), plus a check
/// that every file in the including file's `dir()` is listed here. The one list of
/// sessions, for the library's and the bridge's replays alike.
#[allow(unused_macros)]
macro_rules! session_tests {
    () => {
        session_tests! {
            entra_id_provisioning_session => "entra.json" under "entra",
            okta_provisioning_session => "okta.json" under "okta",
            microsoft_scim_validator_session => "microsoft-validator.json" under "entra",
            entra_with_aadoptscim062020_flag => "entra-flag-aadoptscim062020.json" under "entra",
            entra_without_aadoptscim062020_flag => "entra-legacy-without-flag.json" under "entra",
            entra_operational_behaviour => "entra-operations.json" under "entra",
            okta_scim2_spec_test => "okta-spec-test.json" under "okta",
            okta_scim2_crud_test => "okta-crud-test.json" under "okta",
            onelogin_provisioning_session => "onelogin.json" under "onelogin",
            jumpcloud_provisioning_session => "jumpcloud.json" under "jumpcloud",
        }
    };
    ($($test:ident => $file:literal under $profile:literal),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $test() {
                replay_file($file, $profile).await;
            }
        )*

        #[test]
        fn every_fixture_is_replayed() {
            let listed = [$($file),*];
            for entry in std::fs::read_dir(dir()).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                assert!(listed.contains(&name.as_str()), "{name} is not replayed");
            }
        }
    };
}
