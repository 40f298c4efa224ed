//! Validation of resources against their schema (RFC 7643 §2, RFC 7644 §3.3, §3.5.1,
//! §3.5.2): names normalised to their canonical spelling, types checked, Entra's string
//! booleans coerced, readOnly input ignored, immutable values protected, required
//! attributes enforced and at most one `primary` value per multi-valued attribute.
//! `userName` (RFC 7643 §4.1.1) and a Group's `displayName` (§4.2) may not be empty,
//! blank or hold control, invisible format (Cf) or line separator characters, and
//! [`ResourceLimits`] bounds the attributes of the result, the values of each
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

use crate::json::get_ci;
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::limits::ResourceLimits;
use crate::schema::{AttributeDef, AttributeType, Mutability, ResourceSchema};

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

/// Options for validation.
///
/// `#[non_exhaustive]`: an option may be added in a minor release, so build one from
/// [`ValidationOptions::default`] and the `with_*` methods.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// Coerce the strings `"true"`/`"false"` (any case) to booleans for boolean
    /// attributes, as Entra ID sends them. On by default.
    pub string_booleans: bool,
    /// A single-valued complex attribute whose `value` is empty or blank (`"manager":
    /// {"value": ""}`) is unassigned, in every request that writes it; see
    /// [`Compat::empty_value_unassigns`](crate::patch::Compat::empty_value_unassigns).
    /// On by default.
    pub empty_value_unassigns: bool,
    /// The size bounds the result must keep (attributes, values per attribute,
    /// `userName` length).
    pub limits: ResourceLimits,
}

impl Default for ValidationOptions {
    fn default() -> Self {
        ValidationOptions {
            string_booleans: true,
            empty_value_unassigns: true,
            limits: ResourceLimits::default(),
        }
    }
}

impl ValidationOptions {
    /// Returns these options with `"true"`/`"false"` strings coerced to booleans when `on`.
    #[must_use]
    pub const fn with_string_booleans(mut self, on: bool) -> Self {
        self.string_booleans = on;
        self
    }

    /// Returns these options with an empty `value` unassigning a complex attribute when `on`.
    #[must_use]
    pub const fn with_empty_value_unassigns(mut self, on: bool) -> Self {
        self.empty_value_unassigns = on;
        self
    }

    /// Returns these options with `limits` as the size bounds the result must keep.
    #[must_use]
    pub const fn with_limits(mut self, limits: ResourceLimits) -> Self {
        self.limits = limits;
        self
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
    // A value identical to the stored one (same key, same JSON) was validated when it
    // was stored: it stays where it is. Only the others are taken out and validated, so a
    // PATCH that touches one attribute of a large resource stays cheap.
    let changed: Vec<String> = out
        .iter()
        .filter(|(k, v)| existing.and_then(|e| e.get(*k)) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    for key in changed {
        let Some(value) = out.remove(&key) else {
            continue;
        };
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(ext) = schema.container_schema(&key) {
            // Any spelling of an extension's (or another registered schema's) URN is that
            // schema: validated against it, so readOnly attributes are ignored (RFC 7643
            // §2.2), and kept under the canonical URN, merged with other spellings.
            if let Some(ext_obj) = v.extension(ext, value, existing)? {
                match out.get_mut(&ext.id) {
                    Some(Value::Object(held)) => held.extend(ext_obj),
                    _ => {
                        out.insert(ext.id.clone(), Value::Object(ext_obj));
                    }
                }
            }
            continue;
        }
        if key.eq_ignore_ascii_case(&schema.base().id) {
            // The base schema's URN used as a container: read its attributes as top-level.
            let Value::Object(inner) = value else {
                return Err(ScimError::invalid_value(format!(
                    "`{key}` must be an object of attributes"
                )));
            };
            for (k, val) in inner {
                if has_urn_prefix(&k) {
                    return Err(ScimError::invalid_value(format!(
                        "`{k}` inside `{key}`: its members are attribute names, not URNs"
                    )));
                }
                v.top_level(k, val, existing, &mut out)?;
            }
            continue;
        }
        v.top_level(key, value, existing, &mut out)?;
    }
    v.carry_read_only(existing, &mut out);
    v.check_required(&out)?;
    let mut schemas = vec![Value::from(schema.base().id.clone())];
    for (ext, _) in schema.extensions() {
        if out.contains_key(&ext.id) {
            schemas.push(Value::from(ext.id.clone()));
        }
    }
    out.insert("schemas".to_owned(), Value::Array(schemas));
    let out = Value::Object(out);
    options.limits.check_attributes(&out, context.existing())?;
    Ok(out)
}

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

impl Validator<'_, '_> {
    fn top_level(
        &self,
        key: String,
        value: Value,
        existing: Option<&Map<String, Value>>,
        out: &mut Map<String, Value>,
    ) -> Result<(), ScimError> {
        match self.schema.attribute(None, &key) {
            Some(found) => {
                let def = found.def;
                let old = existing.and_then(|e| get_ci(e, &def.name));
                if let Some(v) = self.attribute(def, value, old, Label::top(&def.name))? {
                    self.check_identifier(&def.name, &v)?;
                    out.insert(def.name.clone(), v);
                }
            }
            None if has_urn_prefix(&key) && value.is_object() => {
                if self.schema.is_strict() {
                    return Err(ScimError::invalid_value(format!(
                        "`{key}` is not a schema extension of {}",
                        self.schema.resource_type().name
                    )));
                }
                out.insert(key, value);
            }
            None => {
                if self.schema.is_strict() {
                    return Err(ScimError::invalid_value(format!(
                        "unknown attribute `{key}` for {}",
                        self.schema.resource_type().name
                    )));
                }
                if !is_unassigned(&value) {
                    let old = existing.and_then(|e| e.get(&key));
                    self.check_count(&key, &value, old)?;
                    out.insert(key, value);
                }
            }
        }
        Ok(())
    }

    /// The limit on values per multi-valued attribute ([`ResourceLimits::check_values`]),
    /// for `value` replacing `old`. A resource's `members` are exempt: a group may have a
    /// hundred thousand.
    fn check_count(
        &self,
        label: impl std::fmt::Display,
        value: &Value,
        old: Option<&Value>,
    ) -> Result<(), ScimError> {
        let Value::Array(items) = value else {
            return Ok(());
        };
        if items.len() <= self.options.limits.max_values_per_attribute {
            return Ok(());
        }
        let before = old.and_then(Value::as_array).map_or(0, Vec::len);
        self.options
            .limits
            .check_values(&label.to_string(), items.len(), before)
    }

    /// RFC 7643 §4.1.1: `userName` is a User's unique identifier, and a Group's
    /// `displayName` (§4.2) names it: neither may be empty, blank or hold control
    /// characters (U+0000–U+001F, U+007F–U+009F), invisible format characters (general
    /// category Cf, such as U+200B or U+202E) or U+2028/U+2029, which would let two names
    /// look alike or one break a log line; `userName` has a length limit
    /// ([`ResourceLimits::max_user_name_chars`]).
    fn check_identifier(&self, name: &str, value: &Value) -> Result<(), ScimError> {
        let base = &self.schema.base().id;
        let max_chars = if base.eq_ignore_ascii_case(crate::schema::urn::USER)
            && name.eq_ignore_ascii_case("userName")
        {
            Some(self.options.limits.max_user_name_chars)
        } else if base.eq_ignore_ascii_case(crate::schema::urn::GROUP)
            && name.eq_ignore_ascii_case("displayName")
        {
            None
        } else {
            return Ok(());
        };
        let Some(text) = value.as_str() else {
            return Ok(());
        };
        if text.trim().is_empty() {
            return Err(ScimError::invalid_value(format!(
                "`{name}` must not be empty or only whitespace"
            )));
        }
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(ScimError::invalid_value(format!(
                "`{name}` must not contain control characters (it contains U+{:04X})",
                u32::from(c)
            )));
        }
        if let Some(c) = text.chars().find(|&c| is_format_or_separator(c)) {
            return Err(ScimError::invalid_value(format!(
                "`{name}` must not contain invisible format or line separator characters \
                 (it contains U+{:04X})",
                u32::from(c)
            )));
        }
        if let Some(max) = max_chars {
            let chars = text.chars().count();
            if chars > max {
                return Err(ScimError::invalid_value(format!(
                    "`{name}` has {chars} characters, more than the limit of {max}"
                )));
            }
        }
        Ok(())
    }

    fn extension(
        &self,
        ext: &crate::schema::Schema,
        value: Value,
        existing: Option<&Map<String, Value>>,
    ) -> Result<Option<Map<String, Value>>, ScimError> {
        let obj = match value {
            Value::Null => return Ok(None),
            Value::Object(o) => o,
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "`{}` must be an object of extension attributes",
                    ext.id
                )))
            }
        };
        let old_ext = existing
            .and_then(|e| get_ci(e, &ext.id))
            .and_then(Value::as_object);
        let mut out = Map::new();
        for (key, val) in obj {
            match ext.attribute(&key) {
                Some(def) => {
                    let old = old_ext.and_then(|o| get_ci(o, &def.name));
                    let label = Label {
                        parent: Some(&ext.id),
                        parent_sep: ":",
                        name: &def.name,
                    };
                    if let Some(v) = self.attribute(def, val, old, label)? {
                        out.insert(def.name.clone(), v);
                    }
                }
                None if self.schema.is_strict() => {
                    return Err(ScimError::invalid_value(format!(
                        "unknown attribute `{key}` in {}",
                        ext.id
                    )))
                }
                None => {
                    if !is_unassigned(&val) {
                        let old = old_ext.and_then(|o| o.get(&key));
                        self.check_count(format_args!("{}:{key}", ext.id), &val, old)?;
                        out.insert(key, val);
                    }
                }
            }
        }
        // readOnly extension attributes survive a replace or patch.
        if let Some(old_ext) = old_ext {
            for def in ext
                .attributes
                .iter()
                .filter(|d| d.mutability == Mutability::ReadOnly)
            {
                if let Some(old) = get_ci(old_ext, &def.name) {
                    out.insert(def.name.clone(), old.clone());
                }
            }
        }
        Ok((!out.is_empty()).then_some(out))
    }

    /// Validates one attribute's value; `None` means unassigned.
    fn attribute(
        &self,
        def: &AttributeDef,
        value: Value,
        old: Option<&Value>,
        label: Label<'_>,
    ) -> Result<Option<Value>, ScimError> {
        if def.mutability == Mutability::ReadOnly {
            // Ignored on input (RFC 7643 §2.2); kept from the stored resource on replace.
            return Ok(None);
        }
        let new = if def.multi_valued {
            let new = self.multi(def, value, label)?;
            let members = label.parent.is_none() && def.name.eq_ignore_ascii_case("members");
            if let (Some(list), false) = (&new, members) {
                self.check_count(label, list, old)?;
            }
            new
        } else {
            self.single(def, value, label, old)?
        };
        if def.mutability == Mutability::Immutable {
            if let (Some(old), Some(new)) = (old.filter(|o| !is_unassigned(o)), &new) {
                if !same_value(def, old, new) {
                    return Err(ScimError::mutability(format!(
                        "`{label}` is immutable and already has a value"
                    )));
                }
            }
        }
        Ok(new)
    }

    fn multi(
        &self,
        def: &AttributeDef,
        value: Value,
        label: Label<'_>,
    ) -> Result<Option<Value>, ScimError> {
        let items = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            // Lenient: a single value where a list is expected.
            single => vec![single],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = self.single(def, item, label, None)? {
                out.push(v);
            }
        }
        let primaries = out
            .iter()
            .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(ScimError::invalid_value(format!(
                "`{label}` has {primaries} values marked primary; at most one may be"
            )));
        }
        Ok((!out.is_empty()).then_some(Value::Array(out)))
    }

    /// Validates one value; `old` is the stored value of a single-valued attribute, whose
    /// readOnly sub-attributes a replace keeps.
    fn single(
        &self,
        def: &AttributeDef,
        value: Value,
        label: Label<'_>,
        old: Option<&Value>,
    ) -> Result<Option<Value>, ScimError> {
        if value.is_null() {
            return Ok(None);
        }
        let wrong = |expected: &str, value: &Value| {
            ScimError::invalid_value(format!(
                "`{label}` must be {expected}, not {}",
                describe(value)
            ))
        };
        let v = match def.attr_type {
            AttributeType::String | AttributeType::Reference => {
                let Value::String(s) = value else {
                    return Err(wrong("a string", &value));
                };
                if def.canonical_only && !def.canonical_values.is_empty() {
                    match def
                        .canonical_values
                        .iter()
                        .find(|c| c.eq_ignore_ascii_case(&s))
                    {
                        Some(c) => Value::from(c.clone()),
                        None => {
                            return Err(ScimError::invalid_value(format!(
                                "`{label}` must be one of {}, not \"{s}\"",
                                def.canonical_values.join(", ")
                            )))
                        }
                    }
                } else {
                    Value::String(s)
                }
            }
            AttributeType::Boolean => match value {
                Value::Bool(_) => value,
                Value::String(ref s) if self.options.string_booleans => {
                    if s.eq_ignore_ascii_case("true") {
                        Value::Bool(true)
                    } else if s.eq_ignore_ascii_case("false") {
                        Value::Bool(false)
                    } else {
                        return Err(wrong("true or false", &value));
                    }
                }
                _ => return Err(wrong("a boolean", &value)),
            },
            AttributeType::Integer => match value.as_number() {
                Some(n) if n.is_i64() || n.is_u64() => value,
                Some(n)
                    if n.as_f64()
                        .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) =>
                {
                    Value::from(n.as_f64().unwrap_or_default() as i64)
                }
                _ => return Err(wrong("an integer", &value)),
            },
            AttributeType::Decimal => match value {
                Value::Number(_) => value,
                _ => return Err(wrong("a number", &value)),
            },
            AttributeType::DateTime => match value.as_str() {
                Some(s) if is_date_time(s) => value,
                _ => {
                    return Err(wrong(
                        "an xsd:dateTime such as 2011-05-13T04:42:34Z",
                        &value,
                    ))
                }
            },
            AttributeType::Binary => match value.as_str() {
                Some(s) if is_base64(s) => value,
                _ => return Err(wrong("base64-encoded binary data", &value)),
            },
            AttributeType::Complex => {
                let Value::Object(obj) = value else {
                    return Err(wrong("an object", &value));
                };
                return self.complex(def, obj, label, old.and_then(Value::as_object));
            }
        };
        Ok(Some(v))
    }

    fn complex(
        &self,
        def: &AttributeDef,
        obj: Map<String, Value>,
        label: Label<'_>,
        old: Option<&Map<String, Value>>,
    ) -> Result<Option<Value>, ScimError> {
        let parent = label.to_string_if_nested();
        let mut out = Map::new();
        for (key, val) in obj {
            match def.sub_attribute(&key) {
                Some(sub) => {
                    if sub.mutability == Mutability::ReadOnly
                        && !matches!(self.context, Context::Patch { .. })
                    {
                        continue;
                    }
                    let sub_label = Label {
                        parent: Some(parent.as_deref().unwrap_or(label.name)),
                        parent_sep: ".",
                        name: &sub.name,
                    };
                    if let Some(v) = self.single(sub, val, sub_label, None)? {
                        out.insert(sub.name.clone(), v);
                    }
                }
                None if self.schema.is_strict() => {
                    return Err(ScimError::invalid_value(format!(
                        "unknown sub-attribute `{key}` of `{label}`"
                    )))
                }
                None => {
                    if !is_unassigned(&val) {
                        out.insert(key, val);
                    }
                }
            }
        }
        if let (Context::Replace { .. }, Some(old)) = (self.context, old) {
            for sub in def
                .sub_attributes
                .iter()
                .filter(|s| s.mutability == Mutability::ReadOnly)
            {
                if let Some(v) = get_ci(old, &sub.name) {
                    out.insert(sub.name.clone(), v.clone());
                }
            }
        }
        if self.options.empty_value_unassigns && !def.multi_valued {
            let empty = |v: &Value| v.as_str().is_some_and(|s| s.trim().is_empty());
            if def.sub_attribute("value").is_some() && out.get("value").is_some_and(empty) {
                return Ok(None);
            }
        }
        for sub in def.sub_attributes.iter().filter(|s| s.required) {
            if !out.contains_key(&sub.name) {
                return Err(ScimError::invalid_value(format!(
                    "`{label}.{}` is required",
                    sub.name
                )));
            }
        }
        Ok((!out.is_empty()).then_some(Value::Object(out)))
    }

    /// On replace, readOnly top-level attributes keep their stored values.
    fn carry_read_only(&self, existing: Option<&Map<String, Value>>, out: &mut Map<String, Value>) {
        let Some(existing) = existing else { return };
        let defs = self
            .schema
            .common()
            .iter()
            .chain(self.schema.base().attributes.iter());
        for def in defs.filter(|d| d.mutability == Mutability::ReadOnly) {
            if let Some(old) = get_ci(existing, &def.name) {
                out.insert(def.name.clone(), old.clone());
            }
        }
    }

    fn check_required(&self, out: &Map<String, Value>) -> Result<(), ScimError> {
        let missing = |name: &str| match self.context {
            Context::Patch { .. } => {
                ScimError::mutability(format!("`{name}` is required and cannot be removed"))
            }
            _ => ScimError::invalid_value(format!("`{name}` is required")),
        };
        for def in self.schema.base().attributes.iter() {
            if def.required
                && def.mutability != Mutability::ReadOnly
                && !out.contains_key(&def.name)
            {
                return Err(missing(&def.name));
            }
        }
        for (ext, required) in self.schema.extensions() {
            let ext_obj = out.get(&ext.id).and_then(Value::as_object);
            if required && ext_obj.is_none() {
                return Err(missing(&ext.id));
            }
            if let Some(ext_obj) = ext_obj {
                for def in ext.attributes.iter().filter(|d| d.required) {
                    if def.mutability != Mutability::ReadOnly && !ext_obj.contains_key(&def.name) {
                        return Err(missing(&format!("{}:{}", ext.id, def.name)));
                    }
                }
            }
        }
        Ok(())
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

/// Whether `c` is invisible or breaks a line without being a control character: a
/// Unicode format character (general category Cf, Unicode 15: soft hyphen, bidirectional
/// overrides and isolates, zero-width spaces and joiners, the byte order mark, tags, …) or
/// the line and paragraph separators U+2028/U+2029 (categories Zl, Zp).
fn is_format_or_separator(c: char) -> bool {
    matches!(
        u32::from(c),
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x890..=0x891
            | 0x8E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
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

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn is_date_time(s: &str) -> bool {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(s, &Rfc3339).is_ok()
        || time::OffsetDateTime::parse(&format!("{s}Z"), &Rfc3339).is_ok()
}

fn is_base64(s: &str) -> bool {
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric()
            || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_' | b'\r' | b'\n' | b' ')
    })
}
