//! The Group resource (RFC 7643 §4.2).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::Meta;
use crate::schema::urn;

/// A Group (RFC 7643 §4.2).
///
/// ```
/// use scim2_core::resource::Group;
/// let g = Group::new("Tour Guides").with_member("2819c223-7f76-453a-919d-413861904646");
/// assert_eq!(serde_json::to_value(&g).unwrap()["members"][0]["value"],
///            "2819c223-7f76-453a-919d-413861904646");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The schemas the resource uses.
    pub schemas: Vec<String>,
    /// The service provider's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The client's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The group's name.
    pub display_name: String,
    /// The members.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Extensions and attributes this type does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Group {
    /// A group with this display name and the core Group schema.
    pub fn new(display_name: impl Into<String>) -> Self {
        Group {
            schemas: vec![urn::GROUP.to_owned()],
            display_name: display_name.into(),
            ..Group::default()
        }
    }

    /// Adds a member by id.
    pub fn with_member(mut self, id: impl Into<String>) -> Self {
        self.members.push(Member {
            value: id.into(),
            ..Member::default()
        });
        self
    }
}

/// A member of a group (RFC 7643 §4.2 `members`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The member's id.
    pub value: String,
    /// The member's URI.
    #[serde(rename = "$ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The member's display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
    /// `User` or `Group`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Members this type does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
