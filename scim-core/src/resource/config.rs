//! The service provider configuration (RFC 7643 §5).

use serde::{Deserialize, Serialize};

use super::common::Meta;
use crate::schema::urn;

/// `{"supported": bool}`, the shape of several configuration members.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supported {
    /// Whether the feature is supported.
    pub supported: bool,
}

/// Bulk support and its limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bulk {
    /// Whether `/Bulk` is supported.
    pub supported: bool,
    /// Most operations in one request.
    pub max_operations: u64,
    /// Largest request body, in bytes.
    pub max_payload_size: u64,
}

/// Filter support and its limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterConfig {
    /// Whether filtering is supported.
    pub supported: bool,
    /// Most resources one query returns.
    pub max_results: u64,
}

/// An authentication scheme (RFC 7643 §5 `authenticationSchemes`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationScheme {
    /// `oauthbearertoken`, `httpbasic`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// A name.
    pub name: String,
    /// A description.
    pub description: String,
    /// The specification's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_uri: Option<String>,
    /// Documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    /// Whether this is the preferred scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

impl AuthenticationScheme {
    /// OAuth 2.0 bearer tokens (RFC 6750), what Entra ID's Secret Token is.
    pub fn bearer_token() -> Self {
        AuthenticationScheme {
            kind: "oauthbearertoken".to_owned(),
            name: "OAuth Bearer Token".to_owned(),
            description: "Authentication with a bearer token in the Authorization header"
                .to_owned(),
            spec_uri: Some("https://www.rfc-editor.org/info/rfc6750".to_owned()),
            documentation_uri: None,
            primary: Some(true),
        }
    }
}

/// The service provider configuration (RFC 7643 §5): what this server supports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    /// Always the ServiceProviderConfig URN.
    pub schemas: Vec<String>,
    /// Documentation for humans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    /// PATCH support.
    pub patch: Supported,
    /// Bulk support.
    pub bulk: Bulk,
    /// Filter support.
    pub filter: FilterConfig,
    /// Password change support.
    pub change_password: Supported,
    /// Sort support.
    pub sort: Supported,
    /// ETag support.
    pub etag: Supported,
    /// How clients authenticate.
    pub authentication_schemes: Vec<AuthenticationScheme>,
    /// Metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl Default for ServiceProviderConfig {
    /// Everything this crate implements: PATCH, bulk (1,000 operations, 1 MiB), filter
    /// (200 results), sort and ETags; no password change; bearer tokens.
    fn default() -> Self {
        ServiceProviderConfig {
            schemas: vec![urn::SERVICE_PROVIDER_CONFIG.to_owned()],
            documentation_uri: None,
            patch: Supported { supported: true },
            bulk: Bulk {
                supported: true,
                max_operations: 1000,
                max_payload_size: 1024 * 1024,
            },
            filter: FilterConfig {
                supported: true,
                max_results: 200,
            },
            change_password: Supported { supported: false },
            sort: Supported { supported: true },
            etag: Supported { supported: true },
            authentication_schemes: vec![AuthenticationScheme::bearer_token()],
            meta: None,
        }
    }
}
