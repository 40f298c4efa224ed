//! The top level of a resource: its attributes and extensions, readOnly values carried
//! over on replace (RFC 7643 §2.2), required attributes (RFC 7643 §2.4, RFC 7644
//! §3.5.2.2) and the number of values of a multi-valued attribute.

use serde_json::{Map, Value};

use super::{has_urn_prefix, is_unassigned, Context, Label, Validator};
use crate::error::ScimError;
use crate::json::get_ci;
use crate::schema::{Mutability, Schema};

impl Validator<'_, '_> {
    /// Validates the members of `out` that `only` names (all of them, for a whole
    /// resource) and that differ from `existing`'s, then carries readOnly values over
    /// from `existing` and checks the required attributes. A value identical to the
    /// stored one (same key, same JSON) was validated when it was stored: it stays where
    /// it is, so a PATCH that touches one attribute of a large resource stays cheap.
    pub(super) fn settle(
        &self,
        existing: Option<&Map<String, Value>>,
        out: &mut Map<String, Value>,
        only: impl Fn(&str) -> bool,
    ) -> Result<(), ScimError> {
        let changed: Vec<String> = out
            .iter()
            .filter(|(k, v)| only(k) && existing.and_then(|e| e.get(*k)) != Some(*v))
            .map(|(k, _)| k.clone())
            .collect();
        for key in changed {
            let Some(value) = out.remove(&key) else {
                continue;
            };
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(ext) = self.schema.container_schema(&key) {
                // Any spelling of an extension's (or another registered schema's) URN is
                // that schema: validated against it, so readOnly attributes are ignored
                // (RFC 7643 §2.2), and kept under the canonical URN, merged with other
                // spellings.
                if let Some(ext_obj) = self.extension(ext, value, existing)? {
                    match out.get_mut(&ext.id) {
                        Some(Value::Object(held)) => held.extend(ext_obj),
                        _ => {
                            out.insert(ext.id.clone(), Value::Object(ext_obj));
                        }
                    }
                }
                continue;
            }
            if key.eq_ignore_ascii_case(&self.schema.base().id) {
                // The base schema's URN used as a container: read its attributes as
                // top-level.
                let Value::Object(inner) = value else {
                    return Err(ScimError::invalid_value(format!(
                        "`{key}` must be an object of attributes"
                    ))
                    .with_attribute(key));
                };
                for (k, val) in inner {
                    if has_urn_prefix(&k) {
                        return Err(ScimError::invalid_value(format!(
                            "`{k}` inside `{key}`: its members are attribute names, not URNs"
                        ))
                        .with_attribute(k));
                    }
                    self.top_level(k, val, existing, out)?;
                }
                continue;
            }
            self.top_level(key, value, existing, out)?;
        }
        self.carry_read_only(existing, out);
        self.check_required(out)
    }

    pub(super) fn top_level(
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
                    ))
                    .with_attribute(key));
                }
                out.insert(key, value);
            }
            None => {
                if self.schema.is_strict() {
                    return Err(ScimError::invalid_value(format!(
                        "unknown attribute `{key}` for {}",
                        self.schema.resource_type().name
                    ))
                    .with_attribute(key));
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
    pub(super) fn check_count(
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
        let label = label.to_string();
        self.options
            .limits
            .check_values(&label, items.len(), before)
            .map_err(|e| e.with_attribute(label))
    }

    pub(super) fn extension(
        &self,
        ext: &Schema,
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
                ))
                .with_attribute(ext.id.as_str()))
            }
        };
        let old_ext = existing
            .and_then(|e| get_ci(e, &ext.id))
            .and_then(Value::as_object);
        let mut out = Map::new();
        for (key, val) in obj {
            match ext.attribute(&key) {
                // As at the top level: a value identical to the stored one, under the
                // same canonical name, was validated when it was stored.
                Some(def)
                    if key == def.name
                        && !is_unassigned(&val)
                        && old_ext.and_then(|o| o.get(&key)) == Some(&val) =>
                {
                    out.insert(key, val);
                }
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
                    ))
                    .with_attribute(format!("{}:{key}", ext.id)))
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

    /// On replace, readOnly top-level attributes keep their stored values.
    pub(super) fn carry_read_only(
        &self,
        existing: Option<&Map<String, Value>>,
        out: &mut Map<String, Value>,
    ) {
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

    pub(super) fn check_required(&self, out: &Map<String, Value>) -> Result<(), ScimError> {
        let missing = |name: &str| {
            match self.context {
                Context::Patch { .. } => {
                    ScimError::mutability(format!("`{name}` is required and cannot be removed"))
                }
                _ => ScimError::invalid_value(format!("`{name}` is required")),
            }
            .with_attribute(name)
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
