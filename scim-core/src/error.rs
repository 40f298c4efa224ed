//! SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` and a `detail`
//! a person can act on, rendered as the SCIM Error body.

use std::fmt;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The URN of the SCIM Error message schema (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The `scimType` error keywords of RFC 7644 §3.12, Table 9.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax is invalid or the filter cannot be evaluated.
    InvalidFilter,
    /// The filter would return more results than the server will give.
    TooMany,
    /// A value is not unique (`userName`, group `displayName`, …).
    Uniqueness,
    /// An attempt to change a readOnly or immutable attribute.
    Mutability,
    /// The request body is not a valid SCIM message.
    InvalidSyntax,
    /// A PATCH `path` is malformed or names no known attribute.
    InvalidPath,
    /// A PATCH path or filter matched nothing where something was required.
    NoTarget,
    /// A value is missing, of the wrong type or not allowed.
    InvalidValue,
    /// The protocol version is not supported.
    InvalidVers,
    /// Sensitive data was sent in the URI (e.g. a password in the query).
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears in the `scimType` member.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A protocol error: what a SCIM client did wrong, or what the resource state forbids.
///
/// ```
/// use scim2_core::{ScimError, ScimType};
/// let e = ScimError::uniqueness("userName `bjensen` is already taken");
/// assert_eq!(e.status().as_u16(), 409);
/// assert_eq!(e.to_body()["status"], "409"); // a string, as RFC 7644 §3.12 shows
/// assert_eq!(e.to_body()["scimType"], "uniqueness");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<ScimType>,
    detail: String,
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.status.as_u16())?;
        if let Some(t) = self.scim_type {
            write!(f, " {t}")?;
        }
        write!(f, ": {}", self.detail)
    }
}

impl ScimError {
    /// An error with any status, type and detail.
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with the given `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    /// 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidValue, detail)
    }

    /// 400 `invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// 400 `invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidPath, detail)
    }

    /// 400 `invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidFilter, detail)
    }

    /// 400 `noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::NoTarget, detail)
    }

    /// 400 `mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::Mutability, detail)
    }

    /// 400 `tooMany`.
    pub fn too_many(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::TooMany, detail)
    }

    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::CONFLICT, Some(ScimType::Uniqueness), detail)
    }

    /// 412 for a version that does not match (RFC 7644 §3.14). RFC 7644 defines no
    /// `scimType` for it.
    pub fn precondition_failed(expected: &str, actual: &str) -> Self {
        ScimError::new(
            StatusCode::PRECONDITION_FAILED,
            None,
            format!("precondition failed: the resource is at version {actual}, not {expected}"),
        )
    }

    /// 404 for a resource that does not exist.
    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `scimType`, if any.
    pub fn scim_type(&self) -> Option<ScimType> {
        self.scim_type
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// Returns this error with `context` put in front of its detail.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.detail = format!("{context}: {}", self.detail);
        self
    }

    /// The RFC 7644 §3.12 body: `schemas`, `status` (a string), `scimType`, `detail`.
    pub fn to_body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::from(t.as_str());
        }
        body
    }
}

/// The one place where the filter crate's errors get their `scimType` (RFC 7644 §3.12):
/// the grammar crate knows nothing of SCIM's error keywords.
impl From<scim2_filter::ParseError> for ScimError {
    /// Filter errors become `invalidFilter`, path errors `invalidPath`, whatever their
    /// kind (a syntax error or an exceeded limit); the detail keeps the byte offset.
    fn from(e: scim2_filter::ParseError) -> Self {
        let scim_type = match e.grammar() {
            scim2_filter::Grammar::Filter => ScimType::InvalidFilter,
            scim2_filter::Grammar::Path => ScimType::InvalidPath,
            // A grammar added later is still a request the client got wrong.
            _ => ScimType::InvalidValue,
        };
        ScimError::bad_request(scim_type, e.to_string())
    }
}

impl From<scim2_filter::EvalError> for ScimError {
    /// A filter that cannot be evaluated (`active gt true`) is `invalidFilter`, whatever
    /// its kind; the detail names the attribute and operator.
    fn from(e: scim2_filter::EvalError) -> Self {
        ScimError::invalid_filter(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_errors_map_to_their_scim_types() {
        let e: ScimError = scim2_filter::parse_filter("a eq").unwrap_err().into();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
        assert!(e.detail().contains("byte 4"), "{}", e.detail());
        let e: ScimError = scim2_filter::parse_path("a[").unwrap_err().into();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidPath));
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        // An exceeded limit is still a filter the client got wrong.
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        let e: ScimError = scim2_filter::parse_filter(&deep).unwrap_err().into();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
        // A filter that cannot be evaluated, too; the detail names attribute and operator.
        let filter = scim2_filter::parse_filter("active gt true").unwrap();
        let e: ScimError = scim2_filter::CompiledFilter::new(&filter, &scim2_filter::NoSchema)
            .unwrap_err()
            .into();
        assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
        assert!(e.detail().starts_with("`active gt`"), "{}", e.detail());
    }

    #[test]
    fn body_follows_rfc_7644_section_3_12() {
        let body = ScimError::not_found("Resource 2819c223 not found").to_body();
        assert_eq!(
            body,
            json!({
                "schemas": [ERROR_SCHEMA],
                "status": "404",
                "detail": "Resource 2819c223 not found"
            })
        );
    }
}
