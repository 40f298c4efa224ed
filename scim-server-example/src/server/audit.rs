//! `GET /audit`: the audit trail as JSON, newest first, a page at a time, behind the
//! Secret Token (docs/operations.md, "Audit trail").
//!
//! Parameters (all optional): `since` and `until` (RFC 3339, or an age such as `24h`),
//! `resource` (an id, `userName` or `displayName`), `resourceType` (`User`, `Group`,
//! `Token`), `action` (`user.suspended`, …), `count` (default [`DEFAULT_COUNT`], at most
//! [`MAX_COUNT`]) and `cursor` (the `nextCursor` of the previous page). The body is
//! `{"events": […], "nextCursor": "…"}`, with `nextCursor` absent on the last page, in
//! the manner of RFC 9865's cursors.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use scim2_core::service::error_response;
use scim2_core::ScimError;
use serde_json::{json, Value};

use crate::onepassword::audit::{now_nanos, parse_instant, read_json, Action};
use crate::store::{AuditQuery, Store};

/// Events per page unless `count` says otherwise.
pub(crate) const DEFAULT_COUNT: u64 = 100;
/// The most events one page holds.
pub(crate) const MAX_COUNT: u64 = 1000;

/// The kinds of resource the audit trail names.
const RESOURCE_TYPES: [&str; 3] = ["User", "Group", "Token"];

/// The query of a `GET /audit` request, or the 400 that refuses it.
pub(crate) fn parse(query: Option<&str>) -> Result<AuditQuery, ScimError> {
    let mut q = AuditQuery {
        limit: DEFAULT_COUNT,
        ..AuditQuery::default()
    };
    let now = now_nanos();
    let instant = |name: &str, v: &str| {
        parse_instant(v, now).ok_or_else(|| {
            ScimError::invalid_value(format!(
                "{name} must be an RFC 3339 time (2026-12-01T09:00:00Z) or an age (24h, 7d)"
            ))
        })
    };
    let mut seen = std::collections::HashSet::new();
    for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if !seen.insert(k.clone()) {
            return Err(ScimError::invalid_value(format!(
                "{k} is given twice: give each parameter once"
            )));
        }
        match k.as_ref() {
            "since" => q.since = Some(instant("since", &v)?),
            "until" => q.until = Some(instant("until", &v)?),
            "resource" => q.resource = Some(v.into_owned()),
            "resourceType" => {
                if !RESOURCE_TYPES.contains(&v.as_ref()) {
                    return Err(ScimError::invalid_value(format!(
                        "resourceType must be one of: {}",
                        RESOURCE_TYPES.join(", ")
                    )));
                }
                q.resource_type = Some(v.into_owned());
            }
            "action" => {
                if Action::parse(&v).is_none() {
                    let known: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
                    return Err(ScimError::invalid_value(format!(
                        "action must be one of: {}",
                        known.join(", ")
                    )));
                }
                q.action = Some(v.into_owned());
            }
            "count" => {
                q.limit = v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_COUNT).contains(n))
                    .ok_or_else(|| {
                        ScimError::invalid_value(format!(
                            "count must be a whole number from 1 to {MAX_COUNT}"
                        ))
                    })?
            }
            "cursor" => {
                q.before = Some(v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ScimError::invalid_value("cursor must be a nextCursor this endpoint returned")
                })?)
            }
            other => {
                return Err(ScimError::invalid_value(format!(
                    "unknown parameter {other:?}: use since, until, resource, resourceType, action, count or cursor"
                )))
            }
        }
    }
    Ok(q)
}

/// The page `query` asks for, as a JSON response (or the store's failure as 503).
pub(crate) fn answer<S: Store>(store: &S, query: &AuditQuery) -> Response<Bytes> {
    // One more than asked: whether there is a next page.
    let probe = AuditQuery {
        limit: query.limit + 1,
        ..query.clone()
    };
    let mut events = match read_json(store, &probe) {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(error = %e, "the audit trail could not be read");
            return error_response(&ScimError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "the audit trail cannot be read now; retry later",
            ));
        }
    };
    let more = events.len() as u64 > query.limit;
    events.truncate(query.limit as usize);
    let next = events
        .last()
        .filter(|_| more)
        .and_then(|e| e["seq"].as_i64());
    let mut body = json!({ "events": events });
    if let Some(seq) = next {
        body["nextCursor"] = Value::from(seq.to_string());
    }
    let mut r = Response::new(Bytes::from(body.to_string()));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_read_and_bad_ones_refused_with_what_to_send() {
        let q = parse(Some(
            "since=2026-12-01T09:00:00Z&resource=a%40x&action=user.suspended&count=5&cursor=42",
        ))
        .expect("a query");
        assert_eq!(q.since, parse_instant("2026-12-01T09:00:00Z", 0));
        assert_eq!(q.resource.as_deref(), Some("a@x"));
        assert_eq!(q.action.as_deref(), Some("user.suspended"));
        assert_eq!((q.limit, q.before), (5, Some(42)));
        assert_eq!(parse(None).expect("none").limit, DEFAULT_COUNT);
        for bad in [
            "count=0",
            "count=1001",
            "count=x",
            "since=soon",
            "action=user.exploded",
            "cursor=-1",
            "colour=red",
        ] {
            let e = parse(Some(bad)).expect_err(bad);
            assert_eq!(e.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert!(!e.detail().is_empty());
        }
    }
}
