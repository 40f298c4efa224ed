//! One attribute's value (RFC 7643 §2.3, §2.4): its type, canonical values, immutability,
//! at most one `primary` value, and the sub-attributes of a complex value.

use serde_json::{Map, Value};

use super::{is_unassigned, same_value, Context, Label, Validator};
use crate::error::ScimError;
use crate::json::get_ci;
use crate::schema::{AttributeDef, AttributeType, Mutability};

impl Validator<'_, '_> {
    /// Validates one attribute's value; `None` means unassigned. An error names the
    /// attribute ([`ScimError::attribute`]) unless it names a sub-attribute.
    pub(super) fn attribute(
        &self,
        def: &AttributeDef,
        value: Value,
        old: Option<&Value>,
        label: Label<'_>,
    ) -> Result<Option<Value>, ScimError> {
        self.attribute_value(def, value, old, label)
            .map_err(|e| e.with_attribute(label.to_string()))
    }

    /// [`Validator::attribute`] without the attribute attached to its errors.
    fn attribute_value(
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
    /// readOnly sub-attributes a replace keeps. An error names `label`'s attribute unless
    /// it names a sub-attribute.
    fn single(
        &self,
        def: &AttributeDef,
        value: Value,
        label: Label<'_>,
        old: Option<&Value>,
    ) -> Result<Option<Value>, ScimError> {
        self.single_value(def, value, label, old)
            .map_err(|e| e.with_attribute(label.to_string()))
    }

    /// [`Validator::single`] without the attribute attached to its errors.
    fn single_value(
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
                    ))
                    .with_attribute(format!("{label}.{key}")))
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
                ))
                .with_attribute(format!("{label}.{}", sub.name)));
            }
        }
        Ok((!out.is_empty()).then_some(Value::Object(out)))
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
