//! Found by the attack review of the bridge: `meta.location` and `Location` were built as
//! `http://` plus the `Host` header. Under TLS they said `http://`; under HTTP/2, which
//! has no `Host` but an `:authority` (hyper puts it in the request URI), they said
//! `http://localhost`; and the `Host` header was reflected unvalidated (`a@evil.com`,
//! `javascript:…`, `evil.com/path`).
//!
//! Now: `ServiceConfig::public_url` when set; else the scheme and authority of a request
//! URI in absolute form; else `http://` plus `Host`. An authority that is not a valid
//! `host[:port]` (RFC 3986 §3.2.2, no userinfo) is 400 `invalidValue`.

use std::sync::Arc;

use crate::common::call;
use bytes::Bytes;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::Value;

const USER: &str = r#"{"userName": "loc"}"#;

async fn create(svc: &ScimService, uri: &str, host: Option<&str>) -> (u16, Value, Option<String>) {
    let mut req = http::Request::post(uri).header("content-type", "application/scim+json");
    if let Some(h) = host {
        req = req.header("host", h);
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

fn fresh() -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new()))
}

#[tokio::test]
async fn an_absolute_https_uri_gives_https_locations() {
    let svc = fresh();
    let (status, json, location) = create(
        &svc,
        "https://scim.example.com/scim/v2/Users",
        Some("ignored.example"),
    )
    .await;
    assert_eq!(status, 201, "{json}");
    let loc = json["meta"]["location"].as_str().unwrap();
    assert!(
        loc.starts_with("https://scim.example.com/scim/v2/Users/"),
        "{loc}"
    );
    assert_eq!(location.as_deref(), Some(loc));
    // Routing still reads the path: GET it back through an absolute URI.
    let path = loc.to_owned();
    let r = call(&svc, "GET", &path, &[], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["meta"]["location"], loc);
}

#[tokio::test]
async fn an_h2_style_uri_with_authority_and_no_host_is_used() {
    let svc = fresh();
    let (status, json, _) = create(&svc, "https://[2001:db8::1]:8443/scim/v2/Users", None).await;
    assert_eq!(status, 201, "{json}");
    let loc = json["meta"]["location"].as_str().unwrap();
    assert!(
        loc.starts_with("https://[2001:db8::1]:8443/scim/v2/Users/"),
        "{loc}"
    );
    let (_, json, _) = create(&fresh(), "http://10.0.0.7:8080/Users", None).await;
    assert!(json["meta"]["location"]
        .as_str()
        .unwrap()
        .starts_with("http://10.0.0.7:8080/Users/"));
}

#[tokio::test]
async fn a_valid_host_header_is_used_with_http() {
    let (status, json, _) = create(&fresh(), "/scim/v2/Users", Some("scim.example.com:8080")).await;
    assert_eq!(status, 201, "{json}");
    assert!(json["meta"]["location"]
        .as_str()
        .unwrap()
        .starts_with("http://scim.example.com:8080/scim/v2/Users/"));
}

#[tokio::test]
async fn hostile_host_headers_are_refused() {
    let svc = fresh();
    for host in [
        "a@evil.com",
        "javascript:alert(1)",
        "evil.com/path",
        "evil.com:99999",
        "evil.com:",
        "evil.com:80:80",
        "[not-ipv6]",
        "ev il.com",
        "evil.com?x",
        "evil.com#x",
        "\"evil\"",
        "<script>",
    ] {
        let (status, json, location) = create(&svc, "/scim/v2/Users", Some(host)).await;
        assert_eq!(status, 400, "{host}: {json}");
        assert_eq!(json["scimType"], "invalidValue", "{host}");
        assert_eq!(
            json["detail"], "the Host header is not a valid host[:port]",
            "{host}"
        );
        assert!(location.is_none());
    }
    // Every request, not only writes.
    let r = call(
        &svc,
        "GET",
        "/scim/v2/Users",
        &[("host", "a@evil.com")],
        None,
    )
    .await;
    assert_eq!(r.status, 400);
    // Userinfo in an absolute URI is refused as well.
    let (status, _, _) = create(&svc, "https://a@evil.com/scim/v2/Users", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn public_url_wins() {
    for (uri, host) in [
        ("http://internal:8080/scim/v2/Users", None),
        ("/scim/v2/Users", Some("a@evil.com")),
        ("/scim/v2/Users", Some("internal")),
    ] {
        let svc = fresh()
            .with_config(ServiceConfig::default().with_public_url("https://public.example.com/"));
        let (status, json, _) = create(&svc, uri, host).await;
        assert_eq!(status, 201, "{uri} {host:?}: {json}");
        let loc = json["meta"]["location"].as_str().unwrap();
        assert!(
            loc.starts_with("https://public.example.com/scim/v2/Users/"),
            "{loc}"
        );
    }
}
