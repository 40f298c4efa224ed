//! Found by the attack review of the tower service: a body cut off by a limit the host
//! set in front of the service (tower-http's `RequestBodyLimitLayer` wraps the body in
//! `http_body_util::Limited`, and axum boxes that body's errors in its own) was answered
//! `400 invalidSyntax` ("the request body could not be read: length limit exceeded"),
//! not 413: only an error that *was* `LengthLimitError` counted, not one that wrapped it.
//!
//! Now any error whose source chain holds a `LengthLimitError` is a 413.

#[cfg(feature = "tower")]
#[tokio::test]
async fn a_limit_set_in_front_of_the_service_is_413() {
    use std::sync::Arc;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, Limited};
    use scim2_core::provisioner::InMemoryProvisioner;
    use scim2_core::service::ScimService;
    use tower::ServiceExt;

    let svc = ScimService::new(Arc::new(InMemoryProvisioner::new()));
    // The host allows 100 bytes; the service would take 1 MiB. No Content-Length: the
    // body is streamed, so only reading it finds the limit.
    let body = Limited::new(Full::new(Bytes::from(vec![b' '; 1000])), 100);
    let req = http::Request::post("/scim/v2/Users")
        .header("content-type", "application/scim+json")
        .body(axum::body::Body::new(body))
        .unwrap();
    let resp = svc.oneshot(req).await.unwrap();
    let status = resp.status();
    let text = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 413, "{text:?}");
}
