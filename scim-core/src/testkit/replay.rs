//! Replaying a recorded client session (a JSON fixture) against any SCIM endpoint: a
//! [`ScimService`] in process ([`ServiceEndpoint`]), or a server over HTTP (your own
//! [`Endpoint`]). Its items are re-exported at [`crate::testkit`]; the fixture format
//! is described on [`replay`].

use std::collections::HashMap;
use std::future::Future;

use bytes::Bytes;
use http::{Request, Response};
use serde_json::Value;

use super::{Failure, Target};
use crate::service::ScimService;

/// One request of a session, with captured variables already substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
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
    /// A request with no headers and no body.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Exchange {
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Returns this request with the header `name` (stored lower case) set to `value`.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Returns this request with `body` as its body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The first value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request sets this header (names compare case-insensitively).
    pub fn has_header(&self, name: &str) -> bool {
        self.header(name).is_some()
    }

    /// The same request as an `http::Request`, for [`ScimService::handle`].
    pub fn to_request(&self) -> Result<Request<Bytes>, http::Error> {
        let mut req = Request::builder()
            .method(self.method.as_str())
            .uri(self.path.as_str());
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        req.body(Bytes::from(self.body.clone().unwrap_or_default()))
    }
}

/// A response: status, headers (names lower case) and the body as JSON (`Null` when
/// empty, a JSON string when the body is not JSON).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub json: Value,
}

impl Answer {
    /// An answer from its parts; `body` is parsed as described on [`Answer`].
    pub fn new(status: u16, headers: Vec<(String, String)>, body: &[u8]) -> Self {
        let json = if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
        };
        Answer {
            status,
            headers,
            json,
        }
    }

    /// The answer a [`ScimService`] gave.
    pub fn from_response(resp: &Response<Bytes>) -> Self {
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (k.as_str().to_owned(), v)
            })
            .collect();
        Answer::new(resp.status().as_u16(), headers, resp.body())
    }

    /// The first value of a header (names compare case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The error an [`Endpoint`] gives when a request could not be sent or answered.
pub type SendError = Box<dyn std::error::Error + Send + Sync>;

/// Something a session can be replayed against: a service in process, a server over
/// HTTP.
pub trait Endpoint {
    /// Which rules the endpoint follows: steps marked `only` for the other target are
    /// skipped.
    fn target(&self) -> Target;
    /// Sends one request and returns the answer, or why there is none (a transport
    /// failure, a request the endpoint cannot express).
    fn send(&mut self, req: Exchange) -> impl Future<Output = Result<Answer, SendError>>;
}

/// A [`ScimService`] called in process as an [`Endpoint`]: no socket, no runtime of its
/// own (the caller's async runtime runs the service's futures).
#[derive(Debug, Clone)]
pub struct ServiceEndpoint<'a> {
    service: &'a ScimService,
    target: Target,
    authorization: Option<String>,
}

impl<'a> ServiceEndpoint<'a> {
    /// `service` as a [`Target::Library`] endpoint that adds no credentials.
    pub fn new(service: &'a ScimService) -> Self {
        ServiceEndpoint {
            service,
            target: Target::Library,
            authorization: None,
        }
    }

    /// Returns this endpoint following the rules of `target`.
    #[must_use]
    pub fn with_target(mut self, target: Target) -> Self {
        self.target = target;
        self
    }

    /// Returns this endpoint adding `Authorization: <value>` to every request that does
    /// not set its own (for a service with an [`Authenticator`](crate::service::Authenticator)).
    #[must_use]
    pub fn with_authorization(mut self, value: impl Into<String>) -> Self {
        self.authorization = Some(value.into());
        self
    }
}

impl Endpoint for ServiceEndpoint<'_> {
    fn target(&self) -> Target {
        self.target
    }

    async fn send(&mut self, mut req: Exchange) -> Result<Answer, SendError> {
        if let Some(auth) = &self.authorization {
            if !req.has_header("authorization") {
                req = req.with_header("authorization", auth.clone());
            }
        }
        let resp = Box::pin(self.service.handle(req.to_request()?)).await;
        Ok(Answer::from_response(&resp))
    }
}

/// Replaces `${name}` with captured values in every string of `v` (keys included).
fn substitute(v: &Value, vars: &HashMap<String, String>) -> Value {
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
fn substitute_str(s: &str, vars: &HashMap<String, String>) -> String {
    let mut out = s.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("${{{k}}}"), v);
    }
    out
}

/// Whether `actual` contains `expected`: objects by their keys, arrays element by
/// element (same length), scalars equal. The error says where (a JSON pointer below
/// `at`) they differ.
fn subset(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
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

/// The media type an answer must carry for a request with this `Accept` header: the one
/// the service negotiates ([`crate::service::media_type_for`], RFC 7644 §3.8).
fn media_type_for(accept: Option<&str>) -> &'static str {
    let mut headers = http::HeaderMap::new();
    if let Some(value) = accept.and_then(|a| http::HeaderValue::from_str(a).ok()) {
        headers.insert(http::header::ACCEPT, value);
    }
    crate::service::media_type_for(&headers)
}

/// The checks every SCIM error answer must pass (RFC 7644 §3.12): the negotiated media
/// type (the one [`crate::service::media_type_for`] gives for the request's `accept`),
/// the error schema, `status` as a string equal to the HTTP status, and a `detail`. The
/// error says which one failed.
pub fn check_error_shape(answer: &Answer, accept: Option<&str>) -> Result<(), String> {
    let media = media_type_for(accept);
    if answer.header("content-type") != Some(media) {
        return Err(format!(
            "an error is SCIM JSON: content-type {:?}, want {media:?}",
            answer.header("content-type")
        ));
    }
    if answer.json["schemas"][0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
        return Err(format!("no error schema: {}", answer.json));
    }
    if answer.json["status"].as_str() != Some(answer.status.to_string().as_str()) {
        return Err(format!(
            "`status` is not the HTTP status {} as a string: {}",
            answer.status, answer.json
        ));
    }
    if answer.json["detail"].as_str().is_none_or(str::is_empty) {
        return Err(format!("an error says what went wrong: {}", answer.json));
    }
    Ok(())
}

/// Replays `session` (a parsed fixture) against `endpoint` and returns how many requests
/// were sent. Stops at the first answer that differs from the fixture, with a
/// [`Failure`] of the check `check` naming the step.
///
/// A session is `{"description", "source", "steps": [...]}`; each step is:
///
/// - `name`: what the step is, as the client's documentation names it;
/// - `only` (optional): `"bridge"` or `"library"`, for a step whose answer depends on
///   rules one of them adds (the example bridge's bearer token and 1Password account
///   rules); see [`Target`];
/// - `request`: `method`, `path`, optional `headers` (an object), and a body as JSON
///   (`body`) or as exact text (`body_text`, for bodies that are not valid JSON);
/// - `expect`: `status`; optional `headers` (names that must be present, or an object of
///   names and exact values), `json` (a subset the body must contain: objects by their
///   keys, arrays element by element with the same length, scalars equal),
///   `absent` (JSON pointers that must not exist), `count` (an object of JSON pointer →
///   array length) and `capture` (variable → JSON pointer of a string, used as `${var}`
///   in later steps).
///
/// Every error answer must also have the shape RFC 7644 §3.12 gives it
/// ([`check_error_shape`]), and every answer with a body the media type the request
/// negotiated (RFC 7644 §3.8, [`media_type_for`](crate::service::media_type_for)).
pub async fn replay<E: Endpoint>(
    endpoint: &mut E,
    check: &str,
    session: &Value,
) -> Result<usize, Failure> {
    let fail = |step: &str, detail: String| Failure::new(check, step, detail);
    let mut vars: HashMap<String, String> = HashMap::new();
    let mut sent = 0;
    let steps = session["steps"]
        .as_array()
        .ok_or_else(|| fail("", "the session has no `steps` list".into()))?;
    for (i, step) in steps.iter().enumerate() {
        let name = step["name"]
            .as_str()
            .ok_or_else(|| fail(&format!("#{}", i + 1), "the step has no `name`".into()))?;
        if let Some(only) = step.get("only") {
            let only = only
                .as_str()
                .and_then(Target::parse)
                .ok_or_else(|| fail(name, format!("`only` is bridge or library, not {only}")))?;
            if only != endpoint.target() {
                continue;
            }
        }
        let exchange = exchange(&substitute(&step["request"], &vars)).map_err(|e| fail(name, e))?;
        let accept = exchange.header("accept").map(str::to_owned);
        let what = format!("{} {}", exchange.method, exchange.path);
        let answer = endpoint
            .send(exchange)
            .await
            .map_err(|e| fail(name, format!("{what}: {e}")))?;
        sent += 1;
        let expect = substitute(&step["expect"], &vars);
        check_answer(&answer, accept.as_deref(), &expect)
            .map_err(|e| fail(name, format!("{what}: {e}")))?;
        for (var, pointer) in expect["capture"].as_object().into_iter().flatten() {
            let pointer = pointer.as_str().unwrap_or_default();
            let value = answer.json.pointer(pointer).and_then(Value::as_str);
            let value = value.ok_or_else(|| {
                fail(
                    name,
                    format!("{what}: no string at {pointer} to capture: {}", answer.json),
                )
            })?;
            vars.insert(var.clone(), value.to_owned());
        }
    }
    Ok(sent)
}

/// The request of a step (variables already substituted).
fn exchange(req: &Value) -> Result<Exchange, String> {
    let text = |key: &str| {
        req[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("the request has no `{key}`"))
    };
    let mut exchange = Exchange::new(text("method")?, text("path")?);
    for (k, v) in req["headers"].as_object().into_iter().flatten() {
        let v = v
            .as_str()
            .ok_or_else(|| format!("header {k} is not a string"))?;
        exchange = exchange.with_header(k, v);
    }
    match (req.get("body"), req.get("body_text")) {
        (Some(b), _) => exchange.body = Some(b.to_string().into_bytes()),
        (None, Some(Value::String(t))) => exchange.body = Some(t.clone().into_bytes()),
        (None, Some(_)) => return Err("`body_text` is not a string".into()),
        (None, None) => {}
    }
    Ok(exchange)
}

/// Checks one answer against a step's `expect`.
fn check_answer(answer: &Answer, accept: Option<&str>, expect: &Value) -> Result<(), String> {
    let want = expect["status"]
        .as_u64()
        .ok_or("the step expects no `status`")?;
    if u64::from(answer.status) != want {
        return Err(format!(
            "status {}, want {want}: {}",
            answer.status, answer.json
        ));
    }
    if answer.status >= 400 {
        check_error_shape(answer, accept)?;
    } else if !answer.json.is_null()
        && answer.header("content-type") != Some(media_type_for(accept))
    {
        return Err(format!(
            "content-type {:?}, want the negotiated {:?}",
            answer.header("content-type"),
            media_type_for(accept)
        ));
    }
    match &expect["headers"] {
        Value::Array(names) => {
            for h in names.iter().filter_map(Value::as_str) {
                if answer.header(h).is_none() {
                    return Err(format!("no {h} header"));
                }
            }
        }
        Value::Object(values) => {
            for (h, v) in values {
                if answer.header(h) != v.as_str() {
                    return Err(format!("header {h}: {:?}, want {v}", answer.header(h)));
                }
            }
        }
        _ => {}
    }
    if let Some(json) = expect.get("json") {
        subset(json, &answer.json, "").map_err(|e| format!("{e}\nbody: {}", answer.json))?;
    }
    for p in expect["absent"].as_array().into_iter().flatten() {
        let p = p.as_str().unwrap_or_default();
        if answer.json.pointer(p).is_some() {
            return Err(format!("{p} should be absent: {}", answer.json));
        }
    }
    for (p, n) in expect["count"].as_object().into_iter().flatten() {
        let len = answer
            .json
            .pointer(p)
            .and_then(Value::as_array)
            .map(|a| a.len() as u64);
        if len != n.as_u64() {
            return Err(format!("length of {p}: {len:?}, want {n}: {}", answer.json));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
