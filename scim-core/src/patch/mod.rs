//! The PATCH engine (RFC 7644 §3.5.2): applies a [`PatchRequest`] to a resource under its
//! schema, atomically, and returns the validated result.
//!
//! Any failing operation leaves the resource as it was: the engine works on a copy and
//! validates the result (types, immutability, required attributes) before returning it.
//!
//! # Semantics
//!
//! - `add` with no path adds each member of the value object; to a multi-valued attribute
//!   it appends values, merging into an existing equal value (same `value` and `type`)
//!   instead of duplicating it; to a complex attribute it sets the given sub-attributes.
//!   A member named by a schema URN (any case) holds that schema's attributes: an
//!   extension's are applied to the extension, the base schema's (`{"urn:…:core:2.0:User":
//!   {"displayName": "X"}}`) to the resource itself (RFC 7644 §3.10); a URN inside the
//!   base schema's object, or the base schema's URN as a `path`, is `invalidPath`.
//! - `replace` of a multi-valued attribute replaces the whole set; of a complex attribute
//!   it sets the given sub-attributes and leaves the others; through a value path it
//!   replaces the matching values (or their sub-attribute). A value path that matches
//!   nothing is `noTarget`.
//! - `remove` needs a path (`noTarget` without one); through a value path it removes the
//!   matching values, and succeeds without change when none match (as §3.5.2.2's
//!   member-removal example states). Removing a required attribute is `mutability`.
//! - Setting a value's `primary` to true sets it false on the others.
//! - The result must keep the request's [`ResourceLimits`](crate::limits::ResourceLimits)
//!   (`tooMany` past them, unless the change does not grow the resource). Adding values
//!   is linear in the values present and added.
//! - readOnly targets are `mutability`; changing an immutable value is `mutability`;
//!   malformed or (in a strict registry) unknown paths are `invalidPath`; wrong types and
//!   missing values are `invalidValue`; a malformed body is `invalidSyntax`.
//!
//! # Identity-provider compatibility toggles
//!
//! Each is a field of [`Compat`], on by default, and off in [`Compat::strict`]:
//!
//! | toggle | traffic that needs it |
//! | --- | --- |
//! | [`case_insensitive_op`](Compat::case_insensitive_op) | Entra ID sends `"op": "Add"`, `"Replace"`, `"Remove"` |
//! | [`string_booleans`](Compat::string_booleans) | Entra ID sends `{"op":"Replace","path":"active","value":"False"}` |
//! | [`pathless_attribute_paths`](Compat::pathless_attribute_paths) | Entra ID sends `{"op":"replace","value":{"name.givenName":"Ann","urn:…:enterprise:2.0:User:department":"Sales"}}`: each key is a path, never a literal key |
//! | [`add_creates_filtered_element`](Compat::add_creates_filtered_element) | Entra ID adds `emails[type eq "work"].value` to a user with no work email; the new element takes the filter's `eq` terms, so several adds to sub-attributes of one filtered element merge into one element |
//! | [`remove_by_value`](Compat::remove_by_value) | Entra ID removes group members with `{"op":"Remove","path":"members","value":[{"value":"id"}]}`, which must remove only those members (a literal reading empties the group) |
//! | [`complex_scalar_value`](Compat::complex_scalar_value) | Entra ID sets the manager with a bare id: `{"op":"Add","path":"urn:…:enterprise:2.0:User:manager","value":"id"}` |
//! | [`replace_creates_filtered_element`](Compat::replace_creates_filtered_element) | off by default: some clients `replace` through a value path that matches nothing; the RFC says `noTarget` |
//!
//! Member values with `"$ref": null` need no toggle: a `null` is an unassigned value
//! (RFC 7643 §2.5) and is dropped wherever it appears.
//!
//! ```
//! use scim_core::patch::{apply, Compat, PatchRequest};
//! use scim_core::schema::SchemaRegistry;
//! use serde_json::json;
//!
//! let registry = SchemaRegistry::standard();
//! let users = registry.resource_schema("User").unwrap();
//! let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!                   "id": "1", "userName": "ann", "active": true});
//! let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!                   "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
//! let request = PatchRequest::from_value(&body, &Compat::default())?;
//! let patched = apply(&users, &user, &request, &Compat::default())?;
//! assert_eq!(patched["active"], false);
//! # Ok::<(), scim_core::ScimError>(())
//! ```

mod ops;
mod request;
mod target;

pub use request::{OpKind, PatchOperation, PatchRequest};

use serde_json::Value;

use crate::error::ScimError;
use crate::schema::ResourceSchema;
use crate::validate::{validate_owned, Context, ValidationOptions};

/// Identity-provider compatibility toggles; see the [module docs](self) for the traffic
/// each one serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compat {
    /// Accept `op` in any case (`Add`, `REPLACE`).
    pub case_insensitive_op: bool,
    /// Coerce `"True"`/`"False"` strings to booleans for boolean attributes.
    pub string_booleans: bool,
    /// In a path-less `add`/`replace`, read value keys that are paths as paths.
    pub pathless_attribute_paths: bool,
    /// An `add` through a value path that matches nothing creates the element.
    pub add_creates_filtered_element: bool,
    /// A `replace` through a value path that matches nothing creates the element.
    pub replace_creates_filtered_element: bool,
    /// A `remove` of a multi-valued attribute with a `value` removes only those values.
    pub remove_by_value: bool,
    /// A scalar written to a complex attribute with a `value` sub-attribute becomes
    /// `{"value": scalar}`.
    pub complex_scalar_value: bool,
}

impl Default for Compat {
    fn default() -> Self {
        Compat {
            case_insensitive_op: true,
            string_booleans: true,
            pathless_attribute_paths: true,
            add_creates_filtered_element: true,
            replace_creates_filtered_element: false,
            remove_by_value: true,
            complex_scalar_value: true,
        }
    }
}

impl Compat {
    /// Every toggle off: the RFC read literally.
    pub fn strict() -> Self {
        Compat {
            case_insensitive_op: false,
            string_booleans: false,
            pathless_attribute_paths: false,
            add_creates_filtered_element: false,
            replace_creates_filtered_element: false,
            remove_by_value: false,
            complex_scalar_value: false,
        }
    }
}

/// Applies `request` to `resource` (a resource of `schema`'s type) and returns the
/// validated result, or the first error with the failing operation's number; the input
/// is never modified.
pub fn apply(
    schema: &ResourceSchema<'_>,
    resource: &Value,
    request: &PatchRequest,
    compat: &Compat,
) -> Result<Value, ScimError> {
    let Some(obj) = resource.as_object() else {
        return Err(ScimError::invalid_syntax(
            "the resource is not a JSON object",
        ));
    };
    let mut doc = obj.clone();
    let cap = ops::ValueCap {
        limits: request.limits,
        original: obj,
    };
    for (i, op) in request.operations.iter().enumerate() {
        ops::apply_op(schema, &mut doc, op, compat, &cap).map_err(|e| {
            let path = op.path.as_deref().unwrap_or("(no path)");
            e.context(format!("operation {} ({} {path})", i + 1, op.op.as_str()))
        })?;
    }
    let options = ValidationOptions {
        string_booleans: compat.string_booleans,
        limits: request.limits,
    };
    validate_owned(
        schema,
        Context::Patch { existing: resource },
        Value::Object(doc),
        &options,
    )
}
