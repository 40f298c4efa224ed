//! Reading a request: the base URL it came in under (RFC 7644 §3.1), its body (media
//! type, size and JSON, RFC 7644 §3.8), its ETag preconditions (RFC 7644 §3.14) and its
//! projection (RFC 7644 §3.4.2.5).

use bytes::Bytes;
use http::header::{HeaderMap, CONTENT_TYPE, HOST, IF_MATCH};
use http::StatusCode;
use serde_json::Value;

use super::list::RawQuery;
use super::{Call, ScimService, SCIM_JSON};
use crate::error::ScimError;
use crate::projection::Projection;

impl ScimService {
    /// The URL of the base the request came in under, for `meta.location` and
    /// `Location` (RFC 7644 §3.1):
    ///
    /// 1. [`ServiceConfig::public_url`] when set;
    /// 2. else the scheme and authority of the request URI when it is in absolute form
    ///    (RFC 7230 §5.3.2; how an embedder that terminates TLS says `https`, and where
    ///    hyper puts HTTP/2's `:authority`, RFC 7540 §8.1.2.3), `http` or `https` only;
    /// 3. else `http://` plus the `Host` header (RFC 7230 §5.4), `http://localhost`
    ///    without one.
    ///
    /// The authority must be a valid `host[:port]`: a reg-name of letters, digits, `-`,
    /// `.`, `_`, `~`, an IPv4 address or a bracketed IPv6 literal (RFC 3986 §3.2.2), an
    /// optional numeric port, no userinfo. Anything else (`a@evil.com`, `evil.com/path`,
    /// `javascript:…`) is 400 `invalidValue`, so a hostile `Host` is never reflected.
    ///
    /// Whatever the configuration, a request with more than one `Host` header is 400
    /// `invalidValue` (RFC 9112 §3.2: which one names the target is ambiguous, and
    /// proxies may disagree); with [`ServiceConfig::require_host`], so is an HTTP/1.1
    /// request with neither a `Host` header nor an authority in its URI.
    pub(super) fn base_url(
        &self,
        parts: &http::request::Parts,
        base: &str,
    ) -> Result<String, ScimError> {
        // The base path as routing matched it, without its slashes.
        let base = match base.trim_matches('/') {
            "" => String::new(),
            b => format!("/{b}"),
        };
        let uri = &parts.uri;
        let mut hosts = parts.headers.get_all(HOST).iter();
        let host = hosts.next();
        if hosts.next().is_some() {
            return Err(ScimError::invalid_value(
                "the request has more than one Host header; send exactly one Host header (RFC 9112 §3.2)",
            ));
        }
        if self.config.require_host
            && parts.version == http::Version::HTTP_11
            && host.is_none()
            && uri.authority().is_none()
        {
            return Err(ScimError::invalid_value(
                "an HTTP/1.1 request needs a Host header; send exactly one Host header (RFC 9112 §3.2)",
            ));
        }
        if let Some(url) = &self.config.public_url {
            return Ok(format!("{}{base}", url.trim_end_matches('/')));
        }
        let root = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => {
                let scheme = scheme.to_ascii_lowercase();
                if scheme != "http" && scheme != "https" {
                    return Err(ScimError::invalid_value(format!(
                        "the request URI's scheme must be http or https, not \"{scheme}\""
                    )));
                }
                format!("{scheme}://{}", host_port(authority.as_str())?)
            }
            _ => match host {
                None => "http://localhost".to_owned(),
                Some(h) if h.is_empty() => "http://localhost".to_owned(),
                Some(h) => {
                    let text = h.to_str().map_err(|_| bad_host())?;
                    format!("http://{}", host_port(text)?)
                }
            },
        };
        Ok(format!("{root}{base}"))
    }

    /// Checks the media type and size (at most `limit` bytes) of a body and parses it
    /// (RFC 7644 §3.1, §3.8).
    pub(super) fn read_json(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        limit: usize,
    ) -> Result<Value, ScimError> {
        if let Some(ct) = headers.get(CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            let media = ct.split(';').next().unwrap_or("").trim();
            if !media.eq_ignore_ascii_case(SCIM_JSON)
                && !media.eq_ignore_ascii_case("application/json")
            {
                return Err(ScimError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    None,
                    format!("Content-Type must be {SCIM_JSON} or application/json, not \"{ct}\""),
                ));
            }
        }
        if body.len() > limit {
            return Err(body_too_large(Some(body.len()), limit));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ScimError::invalid_syntax("the request needs a JSON body"));
        }
        serde_json::from_slice(body)
            .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
    }

    pub(super) fn projection(call: &Call<'_>) -> Result<Projection, ScimError> {
        RawQuery::from_query(call.query).projection()
    }
}

/// What an id must escape to be one path segment (RFC 3986 §3.3).
pub(super) const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

pub(super) fn bad_host() -> ScimError {
    ScimError::invalid_value("the Host header is not a valid host[:port]")
}

/// `text` if it is a valid `host[:port]` (RFC 3986 §3.2.2, §3.2.3): a reg-name of
/// letters, digits, `-`, `.`, `_` and `~` (which covers IPv4 addresses), or a bracketed
/// IPv6 literal; an optional port of digits that fits in 16 bits; no userinfo.
pub(super) fn host_port(text: &str) -> Result<&str, ScimError> {
    if text.contains('@') || text.parse::<http::uri::Authority>().is_err() {
        return Err(bad_host());
    }
    let (host_ok, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((literal, after)) = rest.split_once(']') else {
            return Err(bad_host());
        };
        (literal.parse::<std::net::Ipv6Addr>().is_ok(), after)
    } else {
        let (host, port) = match text.find(':') {
            Some(i) => (&text[..i], &text[i..]),
            None => (text, ""),
        };
        let reg_name = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        (reg_name, port)
    };
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => {
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok()
        }
    };
    if host_ok && port_ok {
        Ok(text)
    } else {
        Err(bad_host())
    }
}

/// The answer to a request body past `limit` bytes, `size` bytes long when known: 413
/// (RFC 7644 §3.12 defines no `scimType` for it) with a detail naming the limit. One answer
/// whether the body was measured whole or refused while it was read.
pub(super) fn body_too_large(size: Option<usize>, limit: usize) -> ScimError {
    too_large(match size {
        Some(size) => format!("the request body ({size} bytes) exceeds the limit of {limit} bytes"),
        None => format!("the request body exceeds the limit of {limit} bytes"),
    })
}

pub(super) fn too_large(detail: String) -> ScimError {
    ScimError::new(StatusCode::PAYLOAD_TOO_LARGE, None, detail)
}

pub(super) fn header_str(headers: &HeaderMap, name: http::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The version an `If-Match` header asks for; `*` (any) is no condition.
pub(super) fn if_match(headers: &HeaderMap) -> Option<String> {
    let v = header_str(headers, IF_MATCH)?.trim();
    if v == "*" || v.is_empty() {
        return None;
    }
    Some(v.split(',').next().unwrap_or(v).trim().to_owned())
}

/// Whether an `If-None-Match` list names `version` (or is `*`).
pub(super) fn etag_matches(tags: &str, version: &str) -> bool {
    tags.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == version)
}
