//! SCIM 2.0 core: schemas as data, resources, validation, projection, errors and an exact
//! PATCH engine (RFC 7643, RFC 7644), tolerant of what Microsoft Entra ID really sends.
//!
//! Apply the PATCH Entra ID sends when a user's profile changes in the directory:
//!
//! ```
//! use scim_core::patch::{apply, Compat, PatchRequest};
//! use scim_core::schema::SchemaRegistry;
//! use serde_json::json;
//!
//! let registry = SchemaRegistry::standard();
//! let users = registry.resource_schema("User").unwrap();
//! let user = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "id": "2819c223", "userName": "ann@example.com", "active": true,
//!     "name": {"givenName": "Anne", "familyName": "Lee"}
//! });
//! // Capitalised ops, a string boolean, path-like keys in a path-less value, and an add
//! // through a value path that matches nothing yet.
//! let body = json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [
//!         {"op": "Replace", "value": {
//!             "name.givenName": "Ann",
//!             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"}},
//!         {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ann@example.com"},
//!         {"op": "Replace", "path": "active", "value": "False"}
//!     ]
//! });
//! let compat = Compat::default();
//! let patched = apply(&users, &user, &PatchRequest::from_value(&body, &compat)?, &compat)?;
//! assert_eq!(patched, json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
//!                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
//!     "id": "2819c223", "userName": "ann@example.com", "active": false,
//!     "name": {"givenName": "Ann", "familyName": "Lee"},
//!     "emails": [{"type": "work", "value": "ann@example.com"}],
//!     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}
//! }));
//! # Ok::<(), scim_core::ScimError>(())
//! ```
//!
//! # Modules
//!
//! - [`schema`]: attribute definitions, the core schemas as data, the registry you extend.
//! - [`resource`]: typed `User`, `Group`, messages; unknown data kept.
//! - [`validate`]: create/replace/patch validation with Entra's string booleans.
//! - [`patch`]: the PATCH engine and its identity-provider compatibility toggles.
//! - [`projection`]: `attributes` / `excludedAttributes` with `returned` rules.
//! - [`version`]: weak ETags from content.
//! - [`error`]: [`ScimError`], rendered as the RFC 7644 §3.12 body.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod error;
pub mod meta;
pub mod patch;
pub mod projection;
pub mod provisioner;
pub mod resource;
pub mod schema;
pub mod service;
pub mod validate;
pub mod version;

pub use error::{ScimError, ScimType};
