//! Helpers shared by the service tests: calling a `ScimService` (every error answer
//! checked with the test kit's RFC 7644 §3.12 shape check) and a delegating store for
//! race tests.
#![allow(
    dead_code,
    reason = "each test binary that includes this module uses a different part of it"
)]

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use scim2_core::provisioner::{
    precondition_failed, InMemoryProvisioner, ListPage, ListQuery, Provisioner, ProvisionerError,
    RequestContext,
};
use scim2_core::service::ScimService;
use serde_json::Value;

use scim2_core::testkit::{check_error_shape, Answer};

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
    let reply = Reply {
        status: resp.status(),
        headers: resp.headers().clone(),
        json,
    };
    // A HEAD answer carries no body (RFC 9110 §9.3.2), so no error body to check.
    if reply.status.as_u16() >= 400 && method != "HEAD" {
        let accept = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("accept"))
            .map(|(_, v)| *v);
        if let Err(e) = check_error_shape(&Answer::from_response(&resp), accept) {
            panic!("{method} {path}: {e}");
        }
    }
    reply
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
