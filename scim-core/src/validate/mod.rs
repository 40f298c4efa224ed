//! Validation of resources against their schema (RFC 7643 §2, RFC 7644 §3.3, §3.5.1,
//! §3.5.2): names normalised to their canonical spelling, types checked, Entra's string
//! booleans coerced, readOnly input ignored, immutable values protected, required
//! attributes enforced and at most one `primary` value per multi-valued attribute.
//! `userName` (RFC 7643 §4.1.1) and a Group's `displayName` (§4.2) may not be empty,
//! blank or hold control, invisible format (Cf) or line separator characters, and
//! [`ResourceLimits`](crate::limits::ResourceLimits) bounds the attributes of the result, the values of each
//! multi-valued attribute and the length of `userName`.
//! A top-level key equal, ignoring case, to a registered schema's URN is read as that
//! schema and kept under its canonical URN. The base schema's URN with an object of its
//! attributes (RFC 7644 §3.10: attributes are named within their schema URN) has them
//! merged into the resource, never kept as an object; a URN inside that object, or a
//! value that is not an object, is refused (`invalidValue`).
//!
//! The output is the normalised resource: canonical attribute names, JSON booleans, no
//! `null`s or empty values (RFC 7643 §2.5: unassigned), `schemas` listing the base schema
//! and every extension present. Attributes no schema defines are kept as sent unless the
//! registry is strict; unknown URIs in `schemas` are ignored.
//!
//! An error names the attribute it is about in [`ScimError::attribute`]
//! (`userName`, `emails.value`, `urn:…:enterprise:2.0:User:manager.value`).
//!
//! The work is split by context: `options` (what a caller may tune), `resource` (the
//! top level: extensions, readOnly carry-over, required attributes, value counts),
//! `attributes` (one attribute's value: types, canonical values, immutability,
//! sub-attributes) and `identifier` (the `userName` and group `displayName` rules).

mod attributes;
mod identifier;
mod options;
mod resource;

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::limits::count_members;
use crate::schema::{AttributeDef, ResourceSchema};

pub use options::ValidationOptions;

/// What a resource is being validated for; decides how readOnly, immutable and required
/// attributes are treated.
#[derive(Clone, Copy, Debug)]
pub enum Context<'a> {
    /// A new resource (POST): readOnly input is dropped.
    Create,
    /// A full replacement (PUT, RFC 7644 §3.5.1) of `existing`: readOnly values are kept
    /// from `existing`, immutable ones may not change.
    Replace {
        /// The stored resource being replaced.
        existing: &'a Value,
    },
    /// The result of a PATCH applied to `existing`: immutable values may not change, and
    /// removing a required attribute is a `mutability` error (RFC 7644 §3.5.2.2).
    Patch {
        /// The stored resource before the PATCH.
        existing: &'a Value,
    },
}

impl<'a> Context<'a> {
    fn existing(self) -> Option<&'a Value> {
        match self {
            Context::Create => None,
            Context::Replace { existing } | Context::Patch { existing } => Some(existing),
        }
    }
}

/// Validates `input` as a resource of `schema`'s type in `context`, returning the
/// normalised resource.
///
/// ```
/// use scim2_core::schema::SchemaRegistry;
/// use scim2_core::validate::{validate, Context, ValidationOptions};
/// use serde_json::json;
///
/// let registry = SchemaRegistry::standard();
/// let users = registry.resource_schema("User").unwrap();
/// let input = json!({"USERNAME": "bjensen", "Active": "True", "id": "ignored", "schemas": ["urn:x:unknown"]});
/// let out = validate(&users, Context::Create, &input, &ValidationOptions::default())?;
/// assert_eq!(out, json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///     "userName": "bjensen",
///     "active": true
/// }));
/// # Ok::<(), scim2_core::ScimError>(())
/// ```
pub fn validate(
    schema: &ResourceSchema<'_>,
    context: Context<'_>,
    input: &Value,
    options: &ValidationOptions,
) -> Result<Value, ScimError> {
    validate_owned(schema, context, input.clone(), options)
}

/// [`validate`] taking the input by value, so that nothing is copied: what the PATCH
/// engine uses on its working copy.
pub fn validate_owned(
    schema: &ResourceSchema<'_>,
    context: Context<'_>,
    input: Value,
    options: &ValidationOptions,
) -> Result<Value, ScimError> {
    let Value::Object(obj) = input else {
        return Err(ScimError::invalid_syntax(
            "a resource must be a JSON object",
        ));
    };
    let v = Validator {
        schema,
        context,
        options,
    };
    let existing = context.existing().and_then(Value::as_object);
    let mut out = obj;
    v.settle(existing, &mut out, |_| true)?;
    set_schemas(schema, &mut out);
    let out = Value::Object(out);
    options.limits.check_attributes(&out, context.existing())?;
    Ok(out)
}

/// Validates in place `resource`, the result of a PATCH of which only the top-level
/// members named in `touched` (any spelling) may differ from the stored resource; of the
/// stored resource, `existing` holds those members (any other is read in `resource`,
/// where it is as stored), and `stored` rebuilds it whole from the result when the
/// size bound needs it. The outcome is what [`validate_owned`] in
/// [`Context::Patch`] gives for the whole: the same normalised resource, or the same
/// error. On an error `resource` may be partly normalised: the caller puts the touched
/// members back.
pub(crate) fn validate_patched(
    schema: &ResourceSchema<'_>,
    resource: &mut Value,
    existing: &Value,
    touched: impl Fn(&str) -> bool,
    stored: impl FnOnce(&Value) -> Value,
    options: &ValidationOptions,
) -> Result<(), ScimError> {
    let v = Validator {
        schema,
        context: Context::Patch { existing },
        options,
    };
    let Some(out) = resource.as_object_mut() else {
        return Err(ScimError::invalid_syntax(
            "a resource must be a JSON object",
        ));
    };
    v.settle(existing.as_object(), out, &touched)?;
    // Only the touched members changed: when they count no more attributes than they
    // did, the resource counts no more than it did, which the bound allows.
    let grown = existing.as_object().is_some_and(|saved| {
        count_members(out.iter().filter(|(k, _)| touched(k.as_str()))) > count_members(saved)
    });
    if grown && options.limits.check_attributes(resource, None).is_err() {
        // Past the bound: allowed only when the stored resource was no smaller, which
        // takes the stored resource as a whole (rare: the bound is a thousand).
        let before = stored(resource);
        options.limits.check_attributes(resource, Some(&before))?;
    }
    if let Some(out) = resource.as_object_mut() {
        set_schemas(schema, out);
    }
    Ok(())
}

/// `schemas` (RFC 7643 §3): the base schema and every extension present, set only when
/// it differs from that.
fn set_schemas(schema: &ResourceSchema<'_>, out: &mut Map<String, Value>) {
    let present = || {
        std::iter::once(&schema.base().id).chain(
            schema
                .extensions()
                .filter(|(ext, _)| out.contains_key(&ext.id))
                .map(|(ext, _)| &ext.id),
        )
    };
    let same = match out.get("schemas") {
        Some(Value::Array(held)) => held
            .iter()
            .map(Value::as_str)
            .eq(present().map(|s| Some(s.as_str()))),
        _ => false,
    };
    if !same {
        let schemas: Vec<Value> = present().map(|id| Value::from(id.clone())).collect();
        out.insert("schemas".to_owned(), Value::Array(schemas));
    }
}

/// One validation: the schema, what it is for and how.
struct Validator<'a, 'r> {
    schema: &'a ResourceSchema<'r>,
    context: Context<'a>,
    options: &'a ValidationOptions,
}

/// An attribute's name for error messages, formatted only when an error needs it:
/// `emails.value`, `urn:…:User:manager.value`.
#[derive(Clone, Copy)]
struct Label<'a> {
    parent: Option<&'a str>,
    parent_sep: &'a str,
    name: &'a str,
}

impl<'a> Label<'a> {
    fn top(name: &'a str) -> Self {
        Label {
            parent: None,
            parent_sep: "",
            name,
        }
    }
}

impl std::fmt::Display for Label<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = self.parent {
            write!(f, "{p}{}", self.parent_sep)?;
        }
        f.write_str(self.name)
    }
}

impl Label<'_> {
    /// The label as a string when it has a parent (an extension attribute), since a
    /// sub-attribute's label then needs the whole of it as its own parent.
    fn to_string_if_nested(self) -> Option<String> {
        self.parent.map(|_| self.to_string())
    }
}

/// Whether `key` starts with `urn:` (any case): a schema URN or a URN-qualified path,
/// never a bare attribute name (RFC 7643 §2.1: `ATTRNAME = ALPHA *(nameChar)`).
pub(crate) fn has_urn_prefix(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// Whether a value counts as unassigned (RFC 7643 §2.5): null, `[]` or `{}`.
pub(crate) fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Whether two values of `def` are the same, comparing strings without case unless the
/// attribute is caseExact.
pub(crate) fn same_value(def: &AttributeDef, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !def.case_exact => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}
