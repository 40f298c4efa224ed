//! Building HTTP responses: SCIM JSON bodies, `ETag`, `Location`, and error bodies
//! (RFC 7644 §3.1, §3.12, §3.14).

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE, ETAG, LOCATION, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use serde_json::Value;

use super::{Call, ScimService};
use crate::error::ScimError;
use crate::provisioner::ProvisionerError;

/// The SCIM media type (RFC 7644 §8.1).
pub const SCIM_JSON: &str = "application/scim+json";

/// The plain JSON media type, which RFC 7644 §3.8 says servers SHOULD also serve.
pub const PLAIN_JSON: &str = "application/json";

/// The media type to answer a request with (RFC 7644 §3.8): [`PLAIN_JSON`] when its
/// `Accept` asks for `application/json` and accepts neither the SCIM media type nor a
/// wildcard that covers it (RFC 9110 §12.5.1), else [`SCIM_JSON`] (also without
/// `Accept`).
pub fn media_type_for(request_headers: &http::HeaderMap) -> &'static str {
    if wants_plain_json(request_headers) {
        PLAIN_JSON
    } else {
        SCIM_JSON
    }
}

/// Whether the `Accept` header prefers plain JSON ([`media_type_for`]): the quality of
/// each media type is that of the most specific range that matches it (RFC 9110
/// §12.5.1), and plain JSON wins only with a higher quality than the SCIM media type.
fn wants_plain_json(headers: &http::HeaderMap) -> bool {
    // For each of the two types: the specificity (3 exact, 2 `application/*`, 1 `*/*`)
    // and quality of the best-matching range seen so far.
    let mut plain = (0u8, 0.0f32);
    let mut scim = (0u8, 0.0f32);
    let mut any = false;
    for value in headers.get_all(http::header::ACCEPT) {
        let Ok(value) = value.to_str() else {
            return false;
        };
        for range in value.split(',') {
            let mut params = range.split(';');
            let media = params.next().unwrap_or_default().trim();
            if media.is_empty() {
                continue;
            }
            any = true;
            let q = params
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .map_or(1.0, |(_, v)| v.trim().parse::<f32>().unwrap_or(0.0));
            for (target, best) in [(PLAIN_JSON, &mut plain), (SCIM_JSON, &mut scim)] {
                let specificity = if media.eq_ignore_ascii_case(target) {
                    3
                } else if media.eq_ignore_ascii_case("application/*") {
                    2
                } else if media == "*/*" {
                    1
                } else {
                    0
                };
                if specificity > best.0 {
                    *best = (specificity, q);
                }
            }
        }
    }
    any && plain.1 > 0.0 && plain.1 > scim.1
}

/// Labels a SCIM JSON response with `media` (from [`media_type_for`]); the body is the
/// same JSON either way. Responses of other types are left alone.
pub fn label_json(resp: &mut Response<Bytes>, media: &'static str) {
    if resp
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v == SCIM_JSON)
    {
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(media));
    }
}

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

impl ScimService {
    /// The SCIM error a failed operation answers with, and how long the client should
    /// wait before retrying (429 and 503, RFC 9110 §10.2.3); logs what an operator must
    /// see (an unavailable store, an internal error with its request id).
    pub(super) fn failure(
        &self,
        call: &Call<'_>,
        e: ProvisionerError,
    ) -> (ScimError, Option<std::time::Duration>) {
        match e {
            ProvisionerError::Scim(e) => (e, None),
            ProvisionerError::Unavailable(detail) => {
                tracing::warn!(request_id = %call.ctx.request_id, %detail, "store unavailable");
                let e = ScimError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    format!("the service is unavailable: {detail}"),
                );
                (e, Some(std::time::Duration::from_secs(1)))
            }
            ProvisionerError::Busy {
                detail,
                retry_after,
            } => {
                tracing::info!(request_id = %call.ctx.request_id, %detail, "request refused: busy");
                let e = ScimError::new(StatusCode::TOO_MANY_REQUESTS, None, detail);
                (e, Some(retry_after))
            }
            ProvisionerError::Internal(source) => {
                tracing::error!(request_id = %call.ctx.request_id, error = %source, "internal error");
                let e = ScimError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    format!("internal error (request id {})", call.ctx.request_id),
                );
                (e, None)
            }
        }
    }

    /// The SCIM Error response for a failed request ([`failure`](Self::failure)).
    pub(super) fn render_error(&self, call: &Call<'_>, e: ProvisionerError) -> Response<Bytes> {
        let (e, retry_after) = self.failure(call, e);
        let mut resp = error(&e);
        if let Some(after) = retry_after {
            add_retry_after(&mut resp, after);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> bool {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(http::header::ACCEPT, HeaderValue::from_str(v).unwrap());
        }
        wants_plain_json(&h)
    }

    #[test]
    fn plain_json_only_when_asked_for_and_scim_json_is_not_acceptable() {
        assert!(!accept(&[]));
        assert!(accept(&["application/json"]));
        assert!(accept(&["Application/JSON; charset=utf-8"]));
        assert!(accept(&["text/html", "application/json"]));
        assert!(accept(&["application/json, application/scim+json;q=0"]));
        assert!(!accept(&["application/scim+json"]));
        assert!(!accept(&["application/json, application/scim+json"]));
        assert!(!accept(&["application/json", "*/*"]));
        assert!(accept(&["application/json;q=1, */*;q=0.1"]));
        assert!(!accept(&[
            "application/json;q=0.5, application/scim+json;q=0.5"
        ]));
        assert!(accept(&["*/*;q=0.2, application/json"]));
        assert!(!accept(&["application/*"]));
        assert!(!accept(&["application/json;q=0"]));
        assert!(!accept(&["text/html"]));
    }
}
