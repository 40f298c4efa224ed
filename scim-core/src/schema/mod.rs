//! Schemas as data (RFC 7643 §2, §3, §7): attribute definitions, schemas, resource types,
//! and the registry an embedding service extends with its own.
//!
//! Every lookup by name or URN is case-insensitive. [`SchemaRegistry::standard`] holds the
//! core User (with the Enterprise User extension) and Group resource types; add your own
//! schema extensions with [`SchemaRegistry::add_extension`].
//!
//! The inputs to the registry ([`Schema`], [`ResourceType`], [`AttributeDef`]) are
//! `#[non_exhaustive]` and built with their constructors; the enumerations of RFC 7643 §7
//! ([`AttributeType`], [`Mutability`], [`Returned`], [`Uniqueness`]) are exhaustive, as
//! the RFC closes their value sets, so a `match` on them needs no wildcard arm.

mod attribute;
pub mod core;
pub(crate) mod discovery;
mod registry;
pub mod urn;
mod view;

pub use attribute::{AttributeDef, AttributeType, Mutability, Returned, Uniqueness};
pub use registry::SchemaRegistry;
pub use view::{Located, ResourceSchema};

use serde::{Deserialize, Serialize};

/// A schema (RFC 7643 §7): an id (URN), a name, and its attribute definitions.
///
/// `#[non_exhaustive]`: an input to the [`SchemaRegistry`], which may gain members (the
/// schema resource's `meta`, a server-side option) in a minor release; build one with
/// [`Schema::new`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Schema {
    /// The schema URN, e.g. `urn:ietf:params:scim:schemas:core:2.0:User`.
    pub id: String,
    /// A short name, e.g. `User`.
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: String,
    /// The attributes.
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// A schema from its parts.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
        attributes: Vec<AttributeDef>,
    ) -> Self {
        Schema {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            attributes,
        }
    }

    /// The attribute called `name`, matched case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema extension of a resource type (RFC 7643 §6 `schemaExtensions`).
///
/// Exhaustive: RFC 7643 §6 gives a schema extension exactly these two members, and the
/// registry makes it ([`SchemaRegistry::add_extension`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaExtension {
    /// The extension's schema URN.
    pub schema: String,
    /// Whether resources of the type must carry the extension.
    pub required: bool,
}

/// A resource type (RFC 7643 §6): its endpoint, base schema and extensions.
///
/// `#[non_exhaustive]`: an input to the [`SchemaRegistry`], which may gain members in a
/// minor release; build one with [`ResourceType::new`] and add extensions with
/// [`SchemaRegistry::add_extension`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceType {
    /// The type's id, usually equal to its name.
    pub id: String,
    /// The name, e.g. `User`.
    pub name: String,
    /// The endpoint relative to the base URL, e.g. `/Users`.
    pub endpoint: String,
    /// A description.
    #[serde(default)]
    pub description: String,
    /// The base schema URN.
    pub schema: String,
    /// The schema extensions.
    #[serde(default)]
    pub schema_extensions: Vec<SchemaExtension>,
}

impl ResourceType {
    /// A resource type with no extensions; `id` equals `name`.
    pub fn new(name: &str, endpoint: &str, schema: &str, description: &str) -> Self {
        ResourceType {
            id: name.to_owned(),
            name: name.to_owned(),
            endpoint: endpoint.to_owned(),
            description: description.to_owned(),
            schema: schema.to_owned(),
            schema_extensions: Vec::new(),
        }
    }
}
