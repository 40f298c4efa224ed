//! Found by the attack review of issue 11: `HEAD` was 405 (RFC 9110 §9.1: a
//! general-purpose server MUST support it), and no 405 named the allowed methods in
//! `Allow` (RFC 9110 §15.5.6: it MUST).

use crate::common::{call, service};

#[tokio::test]
async fn head_is_get_without_the_body() {
    let svc = service();
    let get = call(&svc, "GET", "/Users", &[], None).await;
    let head = call(&svc, "HEAD", "/Users", &[], None).await;
    assert_eq!(head.status, 200);
    assert!(head.json.is_null(), "no body: {}", head.json);
    let body_len = serde_json::to_vec(&get.json).unwrap().len();
    assert_eq!(
        head.headers["content-length"],
        body_len.to_string().as_str()
    );
    assert_eq!(head.headers["content-type"], "application/scim+json");
    let missing = call(&svc, "HEAD", "/Users/nobody", &[], None).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn a_405_names_the_allowed_methods() {
    let svc = service();
    for (method, path, allow) in [
        ("DELETE", "/Users", "GET, HEAD, POST"),
        ("GET", "/Users/.search", "POST"),
        ("POST", "/Users/some-id", "GET, HEAD, PUT, PATCH, DELETE"),
        ("PUT", "/ServiceProviderConfig", "GET, HEAD"),
        ("GET", "/Bulk", "POST"),
    ] {
        let r = call(&svc, method, path, &[], None).await;
        assert_eq!(r.status, 405, "{method} {path}: {}", r.json);
        assert_eq!(r.headers["allow"], allow, "{method} {path}");
    }
}
