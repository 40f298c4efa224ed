//! `ScimService` end to end: arbitrary method, URI, headers and body against an in-memory
//! provisioner holding a few resources. Never a panic; every response is a well-formed
//! SCIM response; never a 500 for client input.
#![no_main]

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::ScimService;
use serde_json::Value;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}

fn service() -> ScimService {
    let svc = ScimService::new(Arc::new(InMemoryProvisioner::new()));
    let seed = [
        ("POST", "/Users", r#"{"userName":"ann","emails":[{"value":"a@x.com","type":"work"}]}"#),
        ("POST", "/Users", r#"{"userName":"bob","active":false}"#),
        ("POST", "/Groups", r#"{"displayName":"g"}"#),
    ];
    for (m, p, b) in seed {
        let req = http::Request::builder().method(m).uri(p).body(Bytes::from(b)).unwrap();
        runtime().block_on(svc.handle(req));
    }
    svc
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

fuzz_target!(|data: &[u8]| {
    // Layout: method byte, then URI, headers and body separated by 0xFF bytes.
    let Some((&m, rest)) = data.split_first() else { return };
    let mut parts = rest.split(|b| *b == 0xFF);
    let uri = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let headers = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default();
    let mut req = http::Request::builder().method(METHODS[m as usize % METHODS.len()]);
    req = match req.uri(uri.as_str()) {
        r if http::Uri::try_from(uri.as_str()).is_ok() => r,
        _ => return,
    };
    for line in headers.split(|b| *b == b'\n') {
        if let Some(colon) = line.iter().position(|b| *b == b':') {
            let (k, v) = (&line[..colon], &line[colon + 1..]);
            if let (Ok(k), Ok(v)) = (http::HeaderName::from_bytes(k), http::HeaderValue::from_bytes(v)) {
                req = req.header(k, v);
            }
        }
    }
    let Ok(req) = req.body(Bytes::copy_from_slice(body)) else { return };
    // A fresh service every 500 inputs, so the store does not grow without bound.
    static SVC: std::sync::Mutex<Option<(u32, ScimService)>> = std::sync::Mutex::new(None);
    let svc = {
        let mut slot = SVC.lock().unwrap();
        let entry = slot.get_or_insert_with(|| (0, service()));
        entry.0 += 1;
        if entry.0 > 500 {
            *entry = (0, service());
        }
        entry.1.clone()
    };
    let resp = runtime().block_on(svc.handle(req));
    let status = resp.status().as_u16();
    assert_ne!(status, 500, "client input caused a 500");
    if resp.body().is_empty() {
        assert!(matches!(status, 204 | 304), "empty body with {status}");
        return;
    }
    let json: Value = serde_json::from_slice(resp.body()).expect("responses are JSON");
    assert_eq!(resp.headers()["content-type"], "application/scim+json");
    if status >= 400 {
        assert_eq!(json["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
        assert_eq!(json["status"], status.to_string());
        assert!(json["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
});
