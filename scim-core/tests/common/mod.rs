//! Helpers shared by the service tests: calling a `ScimService` and replaying recorded
//! sessions.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use scim_core::provisioner::{
    precondition_failed, InMemoryProvisioner, ListPage, ListQuery, Provisioner, ProvisionerError,
    RequestContext,
};
use scim_core::service::ScimService;
use serde_json::Value;

/// A service over a fresh in-memory store.
pub fn service() -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new()))
}

/// A response, with its body parsed (`Null` when empty).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

/// Sends one request.
pub async fn call(
    svc: &ScimService,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(Bytes::from(body.unwrap_or_default().to_vec()))
        .unwrap();
    let resp = svc.handle(req).await;
    let json = if resp.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(resp.body()).expect("response body is JSON")
    };
    if resp.status().as_u16() >= 400 {
        assert_eq!(
            resp.headers()["content-type"],
            "application/scim+json",
            "errors are SCIM JSON"
        );
        assert_eq!(
            json["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(json["status"], resp.status().as_u16().to_string());
        assert!(json["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        json,
    }
}

/// Sends a JSON body with the SCIM media type.
pub async fn send(svc: &ScimService, method: &str, path: &str, body: &Value) -> Reply {
    let bytes = serde_json::to_vec(body).unwrap();
    call(
        svc,
        method,
        path,
        &[("content-type", "application/scim+json")],
        Some(&bytes),
    )
    .await
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

/// Replays a session fixture: each step's request, then its expectations (status,
/// headers present, JSON subset, absent pointers), capturing values for later steps.
pub async fn replay(svc: &ScimService, session: &Value) {
    let mut vars: HashMap<String, String> = HashMap::new();
    for step in session["steps"].as_array().unwrap() {
        let name = step["name"].as_str().unwrap();
        let req = substitute(&step["request"], &vars);
        let headers: Vec<(String, String)> = req["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = req.get("body").map(|b| serde_json::to_vec(b).unwrap());
        let reply = call(
            svc,
            req["method"].as_str().unwrap(),
            req["path"].as_str().unwrap(),
            &header_refs,
            body.as_deref(),
        )
        .await;
        let expect = substitute(&step["expect"], &vars);
        assert_eq!(
            reply.status.as_u16() as u64,
            expect["status"].as_u64().unwrap(),
            "step `{name}`: {}",
            reply.json
        );
        for h in expect["headers"].as_array().into_iter().flatten() {
            let h = h.as_str().unwrap();
            assert!(
                reply.headers.contains_key(h),
                "step `{name}`: no {h} header"
            );
        }
        if let Some(json) = expect.get("json") {
            if let Err(e) = subset(json, &reply.json, "") {
                panic!("step `{name}`: {e}\nbody: {}", reply.json);
            }
        }
        for p in expect["absent"].as_array().into_iter().flatten() {
            let p = p.as_str().unwrap();
            assert!(
                reply.json.pointer(p).is_none(),
                "step `{name}`: {p} should be absent: {}",
                reply.json
            );
        }
        for (var, pointer) in expect["capture"].as_object().into_iter().flatten() {
            let v = reply
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
}

/// The in-memory store seen only through the trait's required methods, so that the
/// trait's default `patch` (get, apply, replace) runs, with hooks for race tests.
#[derive(Default)]
pub struct Delegating {
    /// The store every call goes to.
    pub store: InMemoryProvisioner,
    /// Yield after every read, so that concurrent writers interleave between a read and
    /// the write that follows it.
    pub yield_after_get: bool,
    /// Make every `replace` lose a race (another writer always got in first).
    pub always_conflict: bool,
    /// How many times `replace` was called.
    pub replaces: AtomicUsize,
}

#[async_trait]
impl Provisioner for Delegating {
    async fn create(
        &self,
        c: &RequestContext,
        t: &str,
        r: Value,
    ) -> Result<Value, ProvisionerError> {
        self.store.create(c, t, r).await
    }
    async fn get(&self, c: &RequestContext, t: &str, id: &str) -> Result<Value, ProvisionerError> {
        let v = self.store.get(c, t, id).await;
        if self.yield_after_get {
            tokio::task::yield_now().await;
        }
        v
    }
    async fn replace(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        r: Value,
        v: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        self.replaces.fetch_add(1, Ordering::SeqCst);
        if self.always_conflict {
            return Err(precondition_failed(v.unwrap_or("W/\"x\""), "W/\"newer\""));
        }
        self.store.replace(c, t, id, r, v).await
    }
    async fn delete(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        v: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        self.store.delete(c, t, id, v).await
    }
    async fn list(
        &self,
        c: &RequestContext,
        t: &str,
        q: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        self.store.list(c, t, q).await
    }
}
