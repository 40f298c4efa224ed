//! Found by the code review of the Host hardening: `ScimService` took the first of
//! several `Host` headers, and served an HTTP/1.1 request without `Host` with
//! `http://localhost` locations. RFC 9112 §3.2: a server must answer 400 to a request
//! with more than one `Host` header, and to an HTTP/1.1 request without one.
//!
//! Now more than one `Host` is always 400 `invalidValue`. A missing `Host` is 400 only
//! with `ServiceConfig::require_host` (off by default, on in the bridge), because a
//! request built in-process, as every embedder's unit tests build them, is HTTP/1.1
//! without `Host`; and then only for HTTP/1.1 requests whose URI has no authority:
//! HTTP/1.0 keeps the `localhost` fallback, HTTP/2 names its authority in the URI.

use std::sync::Arc;

use bytes::Bytes;
use http::Version;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::Value;

const USER: &str = r#"{"userName": "host"}"#;

async fn create(
    svc: &ScimService,
    version: Version,
    uri: &str,
    hosts: &[&str],
) -> (u16, Value, Option<String>) {
    let mut req = http::Request::post(uri)
        .version(version)
        .header("content-type", "application/scim+json");
    for h in hosts {
        req = req.header("host", *h);
    }
    let resp = svc
        .handle(req.body(Bytes::from_static(USER.as_bytes())).unwrap())
        .await;
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    let json = serde_json::from_slice(resp.body()).unwrap();
    (resp.status().as_u16(), json, location)
}

fn service(config: ServiceConfig) -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new())).with_config(config)
}

#[tokio::test]
async fn more_than_one_host_header_is_refused_always() {
    let configs = [
        ServiceConfig::default(),
        ServiceConfig::default().with_require_host(true),
        ServiceConfig::default().with_public_url("https://scim.example.com"),
    ];
    for config in configs {
        let svc = service(config);
        for hosts in [&["a.example", "b.example"][..], &["a.example", "a.example"]] {
            let (status, json, location) = create(&svc, Version::HTTP_11, "/Users", hosts).await;
            assert_eq!(status, 400, "{json}");
            assert_eq!(json["scimType"], "invalidValue");
            assert!(
                json["detail"]
                    .as_str()
                    .unwrap()
                    .contains("send exactly one Host header"),
                "{json}"
            );
            assert_eq!(location, None);
        }
    }
}

#[tokio::test]
async fn a_missing_host_is_refused_on_http_1_1_when_required() {
    let strict = || service(ServiceConfig::default().with_require_host(true));
    let (status, json, _) = create(&strict(), Version::HTTP_11, "/Users", &[]).await;
    assert_eq!(
        (status, json["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{json}"
    );
    assert!(json["detail"].as_str().unwrap().contains("Host"), "{json}");

    // With one Host: served.
    let (status, _, location) =
        create(&strict(), Version::HTTP_11, "/Users", &["scim.example"]).await;
    assert_eq!(status, 201);
    assert!(location.unwrap().starts_with("http://scim.example/Users/"));
    // HTTP/1.0 has no Host requirement: the fallback.
    let (status, _, location) = create(&strict(), Version::HTTP_10, "/Users", &[]).await;
    assert_eq!(status, 201);
    assert!(location.unwrap().starts_with("http://localhost/Users/"));
    // HTTP/2: the authority is in the URI.
    let (status, _, location) =
        create(&strict(), Version::HTTP_2, "https://h2.example/Users", &[]).await;
    assert_eq!(status, 201);
    assert!(location.unwrap().starts_with("https://h2.example/Users/"));
}

#[tokio::test]
async fn a_missing_host_keeps_the_fallback_by_default() {
    let svc = service(ServiceConfig::default());
    let (status, _, location) = create(&svc, Version::HTTP_11, "/Users", &[]).await;
    assert_eq!(status, 201);
    assert!(location.unwrap().starts_with("http://localhost/Users/"));
}
