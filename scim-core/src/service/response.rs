//! Building HTTP responses: SCIM JSON bodies, `ETag`, `Location`, and error bodies
//! (RFC 7644 §3.1, §3.12, §3.14).

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, ETAG, LOCATION, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use serde_json::Value;

use crate::error::ScimError;

/// The SCIM media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// A JSON response with the SCIM media type.
pub(super) fn json(status: StatusCode, body: &Value) -> Response<Bytes> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Bytes::from(bytes));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    resp
}

/// A single-resource response: JSON plus `ETag` from `meta.version` (RFC 7644 §3.14)
/// and, for 201, `Location` from `meta.location`.
pub(super) fn resource(status: StatusCode, body: &Value, full: &Value) -> Response<Bytes> {
    let mut resp = json(status, body);
    add_etag(&mut resp, full);
    if status == StatusCode::CREATED {
        if let Some(loc) = full
            .get("meta")
            .and_then(|m| m.get("location"))
            .and_then(Value::as_str)
        {
            if let Ok(v) = HeaderValue::from_str(loc) {
                resp.headers_mut().insert(LOCATION, v);
            }
        }
    }
    resp
}

/// Adds `ETag` from the resource's `meta.version`.
pub(super) fn add_etag(resp: &mut Response<Bytes>, full: &Value) {
    if let Some(v) = crate::meta::version_of(full) {
        if let Ok(v) = HeaderValue::from_str(v) {
            resp.headers_mut().insert(ETAG, v);
        }
    }
}

/// Adds `Retry-After` in whole seconds, at least one (RFC 9110 §10.2.3), to a 429 or 503.
pub(super) fn add_retry_after(resp: &mut Response<Bytes>, after: std::time::Duration) {
    let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    resp.headers_mut()
        .insert(http::header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
}

/// An empty response (204, 304).
pub(super) fn empty(status: StatusCode) -> Response<Bytes> {
    let mut resp = Response::new(Bytes::new());
    *resp.status_mut() = status;
    resp
}

/// The SCIM Error response for `e`.
pub(super) fn error(e: &ScimError) -> Response<Bytes> {
    json(e.status(), &e.to_body())
}

/// 401 with a `WWW-Authenticate` challenge.
pub(super) fn unauthorized(detail: &str, challenge: &str) -> Response<Bytes> {
    let mut resp = error(&ScimError::new(StatusCode::UNAUTHORIZED, None, detail));
    if let Ok(v) = HeaderValue::from_str(challenge) {
        resp.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    resp
}
