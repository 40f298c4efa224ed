//! The add and replace operations (RFC 7644 §3.5.2.1, §3.5.2.3) on a resource's JSON, and
//! the dispatch of each operation; `remove` (§3.5.2.2) is in its own module.

use serde_json::{Map, Value};

use super::journal::Journal;
use super::multi::{add_values, is_true, keep_one_primary, merge_element, ValueCap};
use super::remove::remove;
use super::request::{OpKind, PatchOperation};
use super::target::{resolve, AttrTarget, Selector, SubTarget, Target};
use super::Compat;
use crate::error::ScimError;
use crate::json::{get_ci, key_ci, remove_ci, set_ci, take_ci};
use crate::limits::ResourceLimits;
use crate::schema::{Mutability, ResourceSchema};

/// Applies one operation to `doc`, each top-level member saved in the journal before
/// the operation changes it.
pub(super) fn apply_op(
    schema: &ResourceSchema<'_>,
    doc: &mut Journal<'_>,
    op: &PatchOperation,
    compat: &Compat,
    limits: ResourceLimits,
) -> Result<(), ScimError> {
    match (&op.path, op.op) {
        (None, OpKind::Remove) => Err(ScimError::no_target(
            "remove needs a `path` (RFC 7644 §3.5.2.2)",
        )),
        (None, kind) => pathless(schema, doc, kind, required_value(op)?, compat, limits),
        (Some(path), OpKind::Remove) => {
            let target = resolve(schema, path)?;
            let (map, _) = doc.touch(target.member());
            remove(map, target, op.value.as_ref(), compat)
        }
        (Some(path), kind) => {
            let value = required_value(op)?;
            match resolve(schema, path)? {
                Target::Extension(urn) => {
                    whole_extension(schema, doc, kind, &urn, value, compat, limits)
                }
                Target::Attribute(t) => write_to(doc, *t, kind, value, compat, limits),
            }
        }
    }
}

/// [`write`] of `t`, its top-level member saved first; the values cap is judged against
/// the member as stored.
fn write_to(
    doc: &mut Journal<'_>,
    t: AttrTarget<'_>,
    kind: OpKind,
    value: &Value,
    compat: &Compat,
    limits: ResourceLimits,
) -> Result<(), ScimError> {
    let (map, original) = doc.touch(t.member());
    let cap = ValueCap { limits, original };
    write(map, t, kind, value, compat, &cap)
}

fn required_value(op: &PatchOperation) -> Result<&Value, ScimError> {
    match &op.value {
        Some(v) if !(op.op == OpKind::Add && v.is_null()) => Ok(v),
        _ => Err(ScimError::invalid_value(format!(
            "{} needs a `value`",
            op.op.as_str()
        ))),
    }
}

/// `add`/`replace` without a path: each member of the value object is an attribute to
/// add or replace (§3.5.2.1, §3.5.2.3). With [`Compat::pathless_attribute_paths`], a
/// member name that is a path (`name.givenName`, `urn:…:User:department`) is applied as
/// one. readOnly attributes in the object are ignored, as on create.
///
/// A member named (in any case) by a schema URN holds that schema's attributes: an
/// extension's object is applied to the extension, and the base schema's object (`{"urn:
/// …:core:2.0:User": {"displayName": "X"}}`) to the resource itself, each of its members
/// an attribute path relative to the base schema. A URN inside the base schema's object
/// is refused (`invalidPath`): it names no attribute of that schema.
fn pathless(
    schema: &ResourceSchema<'_>,
    doc: &mut Journal<'_>,
    kind: OpKind,
    value: &Value,
    compat: &Compat,
    limits: ResourceLimits,
) -> Result<(), ScimError> {
    let Some(obj) = value.as_object() else {
        return Err(ScimError::invalid_value(format!(
            "{} without a `path` needs an object of attributes as its `value`",
            kind.as_str()
        )));
    };
    let base = &schema.base().id;
    for (key, val) in obj {
        if !key.eq_ignore_ascii_case(base) {
            pathless_member(schema, doc, kind, key, val, compat, limits)?;
            continue;
        }
        let Some(inner) = val.as_object() else {
            return Err(ScimError::invalid_value(format!(
                "the value for `{key}` must be an object of its attributes"
            )));
        };
        for (k, v) in inner {
            if crate::validate::has_urn_prefix(k) {
                return Err(ScimError::invalid_path(format!(
                    "`{k}` inside `{base}`: its members are attribute paths relative to it, not URNs"
                )));
            }
            pathless_member(schema, doc, kind, k, v, compat, limits)?;
        }
    }
    Ok(())
}

/// One member of a path-less `add`/`replace` value (see [`pathless`]).
fn pathless_member(
    schema: &ResourceSchema<'_>,
    doc: &mut Journal<'_>,
    kind: OpKind,
    key: &str,
    val: &Value,
    compat: &Compat,
    limits: ResourceLimits,
) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    if let Some(ext) = schema.container_schema(key) {
        let urn = ext.id.clone();
        return whole_extension(schema, doc, kind, &urn, val, compat, limits);
    }
    let looks_like_path = key.contains(['.', '[', ':']);
    if looks_like_path && !compat.pathless_attribute_paths {
        // Without the quirk the key is a literal attribute name.
        if schema.is_strict() {
            return Err(ScimError::invalid_path(format!("no attribute `{key}`")));
        }
        let (map, _) = doc.touch(key);
        set_ci(map, key, val.clone());
        return Ok(());
    }
    let target = match resolve(schema, key)? {
        Target::Extension(urn) => {
            return whole_extension(schema, doc, kind, &urn, val, compat, limits)
        }
        Target::Attribute(t) => *t,
    };
    if target.read_only() {
        return Ok(());
    }
    write_to(doc, target, kind, val, compat, limits)
}

/// `add`/`replace` of a whole extension object: each member is applied to the extension.
fn whole_extension(
    schema: &ResourceSchema<'_>,
    doc: &mut Journal<'_>,
    kind: OpKind,
    urn: &str,
    value: &Value,
    compat: &Compat,
    limits: ResourceLimits,
) -> Result<(), ScimError> {
    let Some(obj) = value.as_object() else {
        if value.is_null() && kind == OpKind::Replace {
            let (map, _) = doc.touch(urn);
            remove_ci(map, urn);
            return Ok(());
        }
        return Err(ScimError::invalid_value(format!(
            "the value for `{urn}` must be an object of its attributes"
        )));
    };
    for (key, val) in obj {
        let path = format!("{urn}:{key}");
        match resolve(schema, &path)? {
            Target::Attribute(t) if t.read_only() => continue,
            Target::Attribute(t) => write_to(doc, *t, kind, val, compat, limits)?,
            Target::Extension(_) => {
                return Err(ScimError::invalid_path(format!(
                    "`{path}` is not an attribute"
                )))
            }
        }
    }
    Ok(())
}

/// `add` or `replace` at an attribute target: the shape of the path picks the rule. An
/// error names the target's attribute ([`ScimError::attribute`]) unless it names a
/// more precise one.
fn write(
    doc: &mut Map<String, Value>,
    t: AttrTarget<'_>,
    kind: OpKind,
    value: &Value,
    compat: &Compat,
    cap: &ValueCap<'_>,
) -> Result<(), ScimError> {
    write_at(doc, &t, kind, value, compat, cap).map_err(|e| e.with_attribute(t.attribute_path()))
}

/// [`write`] without the attribute attached to its errors.
fn write_at(
    doc: &mut Map<String, Value>,
    t: &AttrTarget<'_>,
    kind: OpKind,
    value: &Value,
    compat: &Compat,
    cap: &ValueCap<'_>,
) -> Result<(), ScimError> {
    if t.read_only() {
        return Err(ScimError::mutability(format!("`{}` is readOnly", t.label)));
    }
    let container = container_mut(doc, t.extension.as_deref(), true)
        .ok_or_else(|| ScimError::invalid_value(format!("`{}` is not an object", t.label)))?;
    // Taken out rather than copied: every successful rule below puts the attribute back,
    // and a failure discards the whole working copy anyway.
    let current = take_ci(container, &t.name);
    let multi = t.multi_valued(current.as_ref());
    let w = Write {
        container,
        t,
        current,
        kind,
        value,
    };
    match (&t.filter, &t.sub) {
        (None, None) if multi => w.values(cap),
        (None, None) if t.complex(w.current.as_ref()) || value.is_object() => w.complex(compat),
        (None, None) => {
            set_ci(w.container, &t.name, value.clone());
            Ok(())
        }
        (None, Some(sub)) if multi => w.sub_of_every_value(sub),
        (None, Some(sub)) => w.sub(sub),
        (Some(selector), sub) => w.filtered(selector, sub.as_ref(), compat),
    }
}

/// One `add` or `replace` being written: where, what was there, and what comes.
struct Write<'a, 't> {
    /// The object the attribute lives in.
    container: &'a mut Map<String, Value>,
    /// The attribute the path names.
    t: &'a AttrTarget<'t>,
    /// The attribute's value before the operation, taken out of `container`.
    current: Option<Value>,
    /// `add` or `replace`.
    kind: OpKind,
    /// The operation's value.
    value: &'a Value,
}

impl Write<'_, '_> {
    /// The whole of a multi-valued attribute: `replace` sets the list, `add` merges the
    /// values into it (RFC 7644 §3.5.2.1), within the value cap.
    fn values(self, cap: &ValueCap<'_>) -> Result<(), ScimError> {
        let (t, container, current, kind, value) =
            (self.t, self.container, self.current, self.kind, self.value);
        let items: Vec<Value> = match value {
            Value::Array(items) => items.clone(),
            Value::Null => Vec::new(),
            single => vec![single.clone()],
        };
        if kind == OpKind::Replace {
            set_ci(container, &t.name, Value::Array(items));
            return Ok(());
        }
        let list = match current {
            Some(Value::Array(list)) => list,
            _ => Vec::new(),
        };
        let bound = cap.bound(t, list.len());
        let merged = add_values(list, items, bound).map_err(|values| {
            let (limit, before) = bound.unwrap_or_default();
            cap.limits
                .check_values(&t.label, values, before)
                .err()
                .unwrap_or_else(|| {
                    ScimError::too_many(format!(
                        "`{}` would hold more than {limit} values",
                        t.label
                    ))
                })
        })?;
        set_ci(container, &t.name, Value::Array(merged));
        Ok(())
    }

    /// The whole of a single-valued complex attribute: an object merges into it, `null`
    /// or an empty reference unassigns it, a scalar may become `{"value": …}`.
    fn complex(self, compat: &Compat) -> Result<(), ScimError> {
        let (t, container, current, value) = (self.t, self.container, self.current, self.value);
        let incoming = complex_value(t, value, compat)?;
        match incoming {
            Incoming::Whole(v) => set_ci(container, &t.name, v),
            Incoming::Merge(fields) => {
                let mut obj = match current {
                    Some(Value::Object(o)) => o,
                    _ => Map::new(),
                };
                for (k, v) in fields {
                    set_ci(&mut obj, k, v.clone());
                }
                set_ci(container, &t.name, Value::Object(obj));
            }
        }
        Ok(())
    }

    /// A sub-attribute of a multi-valued attribute without a filter (`emails.type`).
    fn sub_of_every_value(self, sub: &SubTarget<'_>) -> Result<(), ScimError> {
        let (t, container, current, value) = (self.t, self.container, self.current, self.value);
        // RFC 7644 §3.5.2.3: without a filter the path selects every value, and the
        // sub-attribute of each is set; `add` does the same (§3.5.2.1: a
        // single-valued target's value is replaced). With no value there is nothing
        // to set the sub-attribute of, and an element holding only it would be no
        // value of the attribute: `noTarget`, as for a value path matching nothing.
        let mut list = values_of(current);
        if !list.iter().any(Value::is_object) {
            return Err(ScimError::no_target(format!(
                "`{}`: `{}` has no values to set `{}` on",
                t.label, t.name, sub.name
            )));
        }
        for element in &mut list {
            if let Value::Object(obj) = element {
                check_immutable_sub(t, sub, obj, value)?;
                set_ci(obj, &sub.name, value.clone());
            }
        }
        set_ci(container, &t.name, Value::Array(list));
        Ok(())
    }

    /// A sub-attribute of a single-valued complex attribute (`name.givenName`).
    fn sub(self, sub: &SubTarget<'_>) -> Result<(), ScimError> {
        let (t, container, current, value) = (self.t, self.container, self.current, self.value);
        let mut obj = match current {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        check_immutable_sub(t, sub, &obj, value)?;
        set_ci(&mut obj, &sub.name, value.clone());
        set_ci(container, &t.name, Value::Object(obj));
        Ok(())
    }

    /// The values a value path selects (`emails[type eq "work"]`, or one of their
    /// sub-attributes): each is written; when none matches, the element may be created
    /// ([`Compat::add_creates_filtered_element`]), else `noTarget` (RFC 7644 §3.5.2.3).
    fn filtered(
        self,
        selector: &Selector,
        sub: Option<&SubTarget<'_>>,
        compat: &Compat,
    ) -> Result<(), ScimError> {
        let (t, container, current, kind, value) =
            (self.t, self.container, self.current, self.kind, self.value);
        let mut list = values_of(current);
        let mut matched = Vec::new();
        for (i, element) in list.iter().enumerate() {
            if selector.matches(element)? {
                matched.push(i);
            }
        }
        let mut created = false;
        if matched.is_empty() {
            let may_create = match kind {
                OpKind::Add => compat.add_creates_filtered_element,
                _ => compat.replace_creates_filtered_element,
            };
            let seed = if may_create {
                filtered_element(t, selector)?
            } else {
                None
            };
            let Some(seed) = seed else {
                return Err(ScimError::no_target(format!(
                    "`{}` matches no value of `{}` (RFC 7644 §3.5.2.3)",
                    t.label, t.name
                )));
            };
            list.push(seed);
            matched.push(list.len() - 1);
            created = true;
        }
        for &i in &matched {
            match sub {
                Some(sub) => {
                    if let Value::Object(element) = &mut list[i] {
                        check_immutable_sub(t, sub, element, value)?;
                        set_ci(element, &sub.name, value.clone());
                    }
                }
                None => {
                    let Some(fields) = value.as_object() else {
                        return Err(ScimError::invalid_value(format!(
                            "`{}` selects whole values, so `value` must be an object",
                            t.label
                        )));
                    };
                    if kind == OpKind::Replace && !created && !list[i].is_null() {
                        list[i] = Value::Object(fields.clone());
                    } else {
                        merge_element(&mut list[i], value);
                    }
                }
            }
        }
        // A created element must still be what the filter names once written
        // (`emails[value eq "a"].value` set to "b" would make a value nobody asked for).
        if created && !selector.matches(&list[list.len() - 1])? {
            return Err(ScimError::no_target(format!(
                "`{}` matches no value of `{}`, and the value written would not match it \
                 either, so none is created (RFC 7644 §3.5.2.3)",
                t.label, t.name
            )));
        }
        if let Some(&last) = matched.last() {
            if is_true(list[last].get("primary")) {
                keep_one_primary(&mut list, last);
            }
        }
        set_ci(container, &t.name, Value::Array(list));
        Ok(())
    }
}

/// The values an attribute holds, as a list: its array, a single value taken as one
/// (lenient storage), none when unassigned.
fn values_of(current: Option<Value>) -> Vec<Value> {
    match current {
        Some(Value::Array(list)) => list,
        Some(other) if !other.is_null() => vec![other],
        _ => Vec::new(),
    }
}

/// The element a value path that matches nothing creates (see
/// [`Compat::add_creates_filtered_element`]): the filter's `attr eq literal` terms, under
/// their schema names. `None` when the filter is not made only of such terms, or when
/// the element they make does not match it (`type eq "a" and type eq "b"`).
fn filtered_element(t: &AttrTarget<'_>, selector: &Selector) -> Result<Option<Value>, ScimError> {
    let Some(terms) = selector.equality_terms() else {
        return Ok(None);
    };
    let mut element = Map::new();
    for (name, literal) in terms {
        let name = match t.def {
            Some(def) if !def.sub_attributes.is_empty() => match def.sub_attribute(&name) {
                Some(sub) => sub.name.clone(),
                None => {
                    return Err(ScimError::invalid_path(format!(
                        "`{}`: `{name}` is not a sub-attribute of `{}`, so no value can be \
                         made from the filter",
                        t.label, t.name
                    )))
                }
            },
            _ => name,
        };
        set_ci(&mut element, &name, literal);
    }
    let element = Value::Object(element);
    Ok(selector.matches(&element)?.then_some(element))
}

/// RFC 7644 §3.5.2: an immutable sub-attribute may be set only while it has no value.
fn check_immutable_sub(
    t: &AttrTarget<'_>,
    sub: &SubTarget<'_>,
    element: &Map<String, Value>,
    value: &Value,
) -> Result<(), ScimError> {
    let Some(def) = sub.def.filter(|d| d.mutability == Mutability::Immutable) else {
        return Ok(());
    };
    match get_ci(element, &sub.name) {
        Some(old) if !old.is_null() && !crate::validate::same_value(def, old, value) => {
            Err(ScimError::mutability(format!(
                "`{}` is immutable and already has a value",
                t.label
            )))
        }
        _ => Ok(()),
    }
}

/// What a value written to a single-valued complex attribute does.
enum Incoming<'v> {
    /// Replace the attribute with this value.
    Whole(Value),
    /// Set these sub-attributes, leaving the others.
    Merge(&'v Map<String, Value>),
}

fn complex_value<'v>(
    t: &AttrTarget<'_>,
    value: &'v Value,
    compat: &Compat,
) -> Result<Incoming<'v>, ScimError> {
    match value {
        Value::Object(fields) => Ok(Incoming::Merge(fields)),
        Value::Null => Ok(Incoming::Whole(Value::Null)),
        scalar => {
            let has_value_sub = t.def.is_none_or(|d| d.sub_attribute("value").is_some());
            if compat.complex_scalar_value && has_value_sub {
                let mut obj = Map::new();
                obj.insert("value".to_owned(), scalar.clone());
                Ok(Incoming::Whole(Value::Object(obj)))
            } else {
                Err(ScimError::invalid_value(format!(
                    "`{}` is complex, so `value` must be an object of its sub-attributes",
                    t.label
                )))
            }
        }
    }
}

/// The object the attribute lives in: the resource, or the extension object under `urn`
/// (created when `create`).
pub(super) fn container_mut<'d>(
    doc: &'d mut Map<String, Value>,
    extension: Option<&str>,
    create: bool,
) -> Option<&'d mut Map<String, Value>> {
    let Some(urn) = extension else {
        return Some(doc);
    };
    let key = match key_ci(doc, urn) {
        Some(k) => k,
        None if create => {
            doc.insert(urn.to_owned(), Value::Object(Map::new()));
            urn.to_owned()
        }
        None => return None,
    };
    let slot = doc.get_mut(&key)?;
    if !slot.is_object() {
        if !create {
            return None;
        }
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut()
}
