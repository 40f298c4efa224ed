//! Types shared by several resources: `meta` (RFC 7643 §3.1) and the common shape of
//! multi-valued attributes (§2.4).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Resource metadata (RFC 7643 §3.1), maintained by the service provider.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// The resource type, e.g. `User`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// When the resource was created (xsd:dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// When the resource was last changed (xsd:dateTime).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// The resource's URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The version, a weak ETag such as `W/"3694e05e9dff591"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Members this type does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A value of a multi-valued attribute with the usual sub-attributes (RFC 7643 §2.4):
/// emails, phone numbers, ims, photos, entitlements, roles, x509Certificates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MultiValue {
    /// The value, e.g. an address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// A label for display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// The value's function, e.g. `work`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Whether this is the preferred value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
    /// Members this type does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MultiValue {
    /// A value of the given type, e.g. `MultiValue::typed("work", "bjensen@example.com")`.
    pub fn typed(kind: &str, value: &str) -> Self {
        MultiValue {
            value: Some(value.to_owned()),
            kind: Some(kind.to_owned()),
            ..MultiValue::default()
        }
    }

    /// Marks this value as the primary one.
    pub fn primary(mut self) -> Self {
        self.primary = Some(true);
        self
    }
}
