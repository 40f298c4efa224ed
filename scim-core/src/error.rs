//! SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` and a `detail`
//! a person can act on, rendered as the SCIM Error body.

use std::fmt;

use http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::schema::urn::ERROR as ERROR_SCHEMA;

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
    /// A `cursor` is not one this server handed out for this query (RFC 9865 §2.1).
    InvalidCursor,
    /// A `cursor` was valid once but has expired (RFC 9865 §2.1).
    ExpiredCursor,
    /// A `count` is out of the range the server accepts (RFC 9865 §2.1).
    InvalidCount,
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
            ScimType::InvalidCursor => "invalidCursor",
            ScimType::ExpiredCursor => "expiredCursor",
            ScimType::InvalidCount => "invalidCount",
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
///
/// Besides the detail text, an error may say where it arose, as fields a program can read
/// without parsing prose: the failing PATCH operation ([`operation_index`](Self::operation_index),
/// [`operation_path`](Self::operation_path)) and the attribute it is about
/// ([`attribute`](Self::attribute)). They are never sent to the client: the body stays
/// the RFC 7644 §3.12 members.
///
/// ```
/// use scim2_core::patch::{apply, Compat, PatchRequest};
/// use scim2_core::schema::SchemaRegistry;
/// use serde_json::json;
///
/// let registry = SchemaRegistry::standard();
/// let users = registry.resource_schema("User").unwrap();
/// let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///                   "id": "1", "userName": "ann"});
/// let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///                   "Operations": [{"op": "replace", "path": "active", "value": true},
///                                  {"op": "replace", "path": "id", "value": "2"}]});
/// let request = PatchRequest::from_value(&body, &Compat::strict())?;
/// let e = apply(&users, &user, &request, &Compat::strict()).unwrap_err();
/// assert_eq!(e.operation_index(), Some(1)); // 0-based: the second operation
/// assert_eq!(e.operation_path(), Some("id"));
/// assert_eq!(e.attribute(), Some("id"));
/// # Ok::<(), scim2_core::ScimError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<ScimType>,
    detail: String,
    /// Where the error arose; boxed so that an error without it stays small to move.
    location: Option<Box<Location>>,
}

/// The structured context of a [`ScimError`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Location {
    /// The 0-based index of the failing PATCH operation and its `path` as sent.
    operation: Option<(usize, Option<String>)>,
    /// The attribute path the error is about.
    attribute: Option<String>,
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
            location: None,
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

    /// 400 `invalidCursor` (RFC 9865 §2.1): a cursor this server cannot continue from.
    pub fn invalid_cursor(detail: impl Into<String>) -> Self {
        ScimError::bad_request(ScimType::InvalidCursor, detail)
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
    #[must_use]
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.detail = format!("{context}: {}", self.detail);
        self
    }

    /// The 0-based index, in the request's `Operations` (RFC 7644 §3.5.2), of the PATCH
    /// operation that failed; `None` when the error does not come from one operation.
    pub fn operation_index(&self) -> Option<usize> {
        self.location.as_ref()?.operation.as_ref().map(|(i, _)| *i)
    }

    /// The `path` of the failing PATCH operation as the client sent it; `None` for a
    /// path-less operation or an error that does not come from one operation.
    pub fn operation_path(&self) -> Option<&str> {
        self.location.as_ref()?.operation.as_ref()?.1.as_deref()
    }

    /// The attribute path the error is about (`userName`, `emails.value`,
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`), when
    /// one attribute is.
    pub fn attribute(&self) -> Option<&str> {
        self.location.as_ref()?.attribute.as_deref()
    }

    /// Returns this error as arising from the PATCH operation at 0-based `index`, whose
    /// `path` was `path`; the detail is unchanged.
    #[must_use]
    pub fn with_operation(mut self, index: usize, path: Option<&str>) -> Self {
        self.location.get_or_insert_with(Box::default).operation =
            Some((index, path.map(str::to_owned)));
        self
    }

    /// Returns this error as being about the attribute at `path`, unless an attribute is
    /// already set (the innermost one, set where the error was made, wins); the detail
    /// is unchanged.
    #[must_use]
    pub fn with_attribute(mut self, path: impl Into<String>) -> Self {
        let location = self.location.get_or_insert_with(Box::default);
        if location.attribute.is_none() {
            location.attribute = Some(path.into());
        }
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
        ScimError::invalid_filter(e.to_string()).with_attribute(e.path().to_string())
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
        assert_eq!(e.attribute(), Some("active"));
    }

    #[test]
    fn structured_context_is_kept_apart_from_the_body() {
        let plain = ScimError::invalid_value("`userName` is required");
        assert_eq!(plain.operation_index(), None);
        assert_eq!(plain.operation_path(), None);
        assert_eq!(plain.attribute(), None);
        let e = plain
            .clone()
            .with_attribute("userName")
            .with_attribute("ignored: the first one set wins")
            .with_operation(2, Some("userName"));
        assert_eq!(e.operation_index(), Some(2));
        assert_eq!(e.operation_path(), Some("userName"));
        assert_eq!(e.attribute(), Some("userName"));
        assert_eq!(e.detail(), plain.detail());
        assert_eq!(e.to_string(), plain.to_string());
        assert_eq!(e.to_body(), plain.to_body());
        let pathless = plain.with_operation(0, None);
        assert_eq!(pathless.operation_index(), Some(0));
        assert_eq!(pathless.operation_path(), None);
        assert_eq!(pathless.attribute(), None);
    }

    #[test]
    fn an_error_stays_cheap_to_move() {
        // The context is boxed: an error is its status, type, detail and one pointer.
        assert!(size_of::<ScimError>() <= 56);
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
