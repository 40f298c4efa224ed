//! Protocol messages (RFC 7644 §3): list responses, search requests, errors and bulk.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::urn;

/// Opens a protocol message (RFC 7644 §3): `body` must be a JSON object, and its
/// `schemas`, when present, must list `urn`. `what` names the message in errors.
pub(crate) fn open_message<'v>(
    body: &'v Value,
    urn: &str,
    what: &str,
) -> Result<&'v Map<String, Value>, ScimError> {
    let Some(obj) = body.as_object() else {
        return Err(ScimError::invalid_syntax(format!(
            "a {what} must be a JSON object"
        )));
    };
    if let Some(schemas) = crate::json::get_ci(obj, "schemas") {
        let listed = schemas.as_array().is_some_and(|a| {
            a.iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
        });
        if !listed {
            return Err(ScimError::invalid_syntax(format!(
                "`schemas` must list {urn}"
            )));
        }
    }
    Ok(obj)
}

/// A list response (RFC 7644 §3.4.2): one page of query results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T = Value> {
    /// Always the ListResponse URN.
    pub schemas: Vec<String>,
    /// How many resources matched in all (an integer).
    pub total_results: u64,
    /// The 1-based index of the first resource on this page.
    pub start_index: u64,
    /// How many resources are on this page.
    pub items_per_page: u64,
    /// The resources on this page.
    #[serde(rename = "Resources", default)]
    pub resources: Vec<T>,
}

impl<T> ListResponse<T> {
    /// A page of `resources` out of `total_results`, starting at `start_index`.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![urn::LIST_RESPONSE.to_owned()],
            total_results,
            start_index,
            items_per_page: resources.len() as u64,
            resources,
        }
    }
}

/// A search request (RFC 7644 §3.4.3), the body of `POST /.search`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    /// The message schema.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Attributes to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<String>>,
    /// Attributes not to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_attributes: Option<Vec<String>>,
    /// The filter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// The attribute to sort by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    /// `ascending` or `descending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<String>,
    /// 1-based start index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<i64>,
    /// Page size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// The SCIM Error body (RFC 7644 §3.12), for clients reading errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorResponse {
    /// Always the Error URN.
    pub schemas: Vec<String>,
    /// The HTTP status, as a string.
    pub status: String,
    /// The `scimType` keyword.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    /// A human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl From<&ScimError> for ErrorResponse {
    fn from(e: &ScimError) -> Self {
        ErrorResponse {
            schemas: vec![urn::ERROR.to_owned()],
            status: e.status().as_u16().to_string(),
            scim_type: e.scim_type().map(|t| t.as_str().to_owned()),
            detail: Some(e.detail().to_owned()),
        }
    }
}

/// A bulk request (RFC 7644 §3.7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    /// Always the BulkRequest URN.
    pub schemas: Vec<String>,
    /// Stop after this many errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on_errors: Option<u32>,
    /// The operations.
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperation>,
}

/// One operation of a bulk request (RFC 7644 §3.7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// A client id for a resource created by this request, referable as `bulkId:<id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The resource version to check (`If-Match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The resource path, e.g. `/Users` or `/Groups/{id}`.
    pub path: String,
    /// The body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// A bulk response (RFC 7644 §3.7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkResponse {
    /// Always the BulkResponse URN.
    pub schemas: Vec<String>,
    /// The outcome of each operation that ran.
    #[serde(rename = "Operations")]
    pub operations: Vec<BulkOperationResponse>,
}

/// The outcome of one bulk operation (RFC 7644 §3.7).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperationResponse {
    /// The method of the operation.
    pub method: String,
    /// The operation's `bulkId`, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    /// The new version of the resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The resource's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The HTTP status, as a string.
    pub status: String,
    /// The error body or resource, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    /// Members this type does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
