//! The add, replace and remove operations (RFC 7644 §3.5.2.1–3) on a resource's JSON.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::request::{OpKind, PatchOperation};
use super::target::{resolve, AttrTarget, Selector, SubTarget, Target};
use super::Compat;
use crate::error::ScimError;
use crate::json::{get_ci, key_ci, remove_ci, set_ci, take_ci};
use crate::limits::ResourceLimits;
use crate::schema::{Mutability, ResourceSchema};

/// Applies one operation to `doc`.
pub(super) fn apply_op(
    schema: &ResourceSchema<'_>,
    doc: &mut Map<String, Value>,
    op: &PatchOperation,
    compat: &Compat,
    cap: &ValueCap<'_>,
) -> Result<(), ScimError> {
    match (&op.path, op.op) {
        (None, OpKind::Remove) => Err(ScimError::no_target(
            "remove needs a `path` (RFC 7644 §3.5.2.2)",
        )),
        (None, kind) => pathless(schema, doc, kind, required_value(op)?, compat, cap),
        (Some(path), OpKind::Remove) => {
            let target = resolve(schema, path)?;
            remove(doc, target, op.value.as_ref(), compat)
        }
        (Some(path), kind) => {
            let value = required_value(op)?;
            match resolve(schema, path)? {
                Target::Extension(urn) => {
                    whole_extension(schema, doc, kind, &urn, value, compat, cap)
                }
                Target::Attribute(t) => write(doc, *t, kind, value, compat, cap),
            }
        }
    }
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
    doc: &mut Map<String, Value>,
    kind: OpKind,
    value: &Value,
    compat: &Compat,
    cap: &ValueCap<'_>,
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
            pathless_member(schema, doc, kind, key, val, compat, cap)?;
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
            pathless_member(schema, doc, kind, k, v, compat, cap)?;
        }
    }
    Ok(())
}

/// One member of a path-less `add`/`replace` value (see [`pathless`]).
fn pathless_member(
    schema: &ResourceSchema<'_>,
    doc: &mut Map<String, Value>,
    kind: OpKind,
    key: &str,
    val: &Value,
    compat: &Compat,
    cap: &ValueCap<'_>,
) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    if let Some(ext) = schema.container_schema(key) {
        let urn = ext.id.clone();
        return whole_extension(schema, doc, kind, &urn, val, compat, cap);
    }
    let looks_like_path = key.contains(['.', '[', ':']);
    if looks_like_path && !compat.pathless_attribute_paths {
        // Without the quirk the key is a literal attribute name.
        if schema.is_strict() {
            return Err(ScimError::invalid_path(format!("no attribute `{key}`")));
        }
        set_ci(doc, key, val.clone());
        return Ok(());
    }
    let target = match resolve(schema, key)? {
        Target::Extension(urn) => {
            return whole_extension(schema, doc, kind, &urn, val, compat, cap)
        }
        Target::Attribute(t) => *t,
    };
    if target.read_only() {
        return Ok(());
    }
    write(doc, target, kind, val, compat, cap)
}

/// `add`/`replace` of a whole extension object: each member is applied to the extension.
fn whole_extension(
    schema: &ResourceSchema<'_>,
    doc: &mut Map<String, Value>,
    kind: OpKind,
    urn: &str,
    value: &Value,
    compat: &Compat,
    cap: &ValueCap<'_>,
) -> Result<(), ScimError> {
    let Some(obj) = value.as_object() else {
        if value.is_null() && kind == OpKind::Replace {
            remove_ci(doc, urn);
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
            Target::Attribute(t) => write(doc, *t, kind, val, compat, cap)?,
            Target::Extension(_) => {
                return Err(ScimError::invalid_path(format!(
                    "`{path}` is not an attribute"
                )))
            }
        }
    }
    Ok(())
}

/// `add` or `replace` at an attribute target.
fn write(
    doc: &mut Map<String, Value>,
    t: AttrTarget<'_>,
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
    // Taken out rather than copied: every successful branch below puts the attribute
    // back, and a failure discards the whole working copy anyway.
    let current = take_ci(container, &t.name);
    let multi = t.multi_valued(current.as_ref());
    match (&t.filter, &t.sub) {
        (None, None) if multi => {
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
            let bound = cap.bound(&t, list.len());
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
        }
        (None, None) if t.complex(current.as_ref()) || value.is_object() => {
            let incoming = complex_value(&t, value, compat)?;
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
        }
        (None, None) => set_ci(container, &t.name, value.clone()),
        (None, Some(sub)) if multi => {
            // RFC 7644 §3.5.2.3: without a filter the path selects every value, and the
            // sub-attribute of each is set; `add` does the same (§3.5.2.1: a
            // single-valued target's value is replaced). With no value there is nothing
            // to set the sub-attribute of, and an element holding only it would be no
            // value of the attribute: `noTarget`, as for a value path matching nothing.
            let mut list = match current {
                Some(Value::Array(list)) => list,
                Some(other) if !other.is_null() => vec![other],
                _ => Vec::new(),
            };
            if !list.iter().any(Value::is_object) {
                return Err(ScimError::no_target(format!(
                    "`{}`: `{}` has no values to set `{}` on",
                    t.label, t.name, sub.name
                )));
            }
            for element in &mut list {
                if let Value::Object(obj) = element {
                    check_immutable_sub(&t, sub, obj, value)?;
                    set_ci(obj, &sub.name, value.clone());
                }
            }
            set_ci(container, &t.name, Value::Array(list));
        }
        (None, Some(sub)) => {
            let mut obj = match current {
                Some(Value::Object(o)) => o,
                _ => Map::new(),
            };
            check_immutable_sub(&t, sub, &obj, value)?;
            set_ci(&mut obj, &sub.name, value.clone());
            set_ci(container, &t.name, Value::Object(obj));
        }
        (Some(selector), sub) => {
            let mut list = match current {
                Some(Value::Array(list)) => list,
                Some(other) if !other.is_null() => vec![other],
                _ => Vec::new(),
            };
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
                    filtered_element(&t, selector)?
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
                            check_immutable_sub(&t, sub, element, value)?;
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
            if let Some(&last) = matched.last() {
                if is_true(list[last].get("primary")) {
                    keep_one_primary(&mut list, last);
                }
            }
            set_ci(container, &t.name, Value::Array(list));
        }
    }
    Ok(())
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
        let name = t
            .def
            .and_then(|d| d.sub_attribute(&name))
            .map_or(name, |d| d.name.clone());
        set_ci(&mut element, &name, literal);
    }
    let element = Value::Object(element);
    Ok(selector.matches(&element)?.then_some(element))
}

/// RFC 7644 §3.5.2.2: removing a required sub-attribute, or an immutable one that has a
/// value, is `mutability` (an immutable value may not change once set, RFC 7643 §2.2).
fn check_sub_removable(
    t: &AttrTarget<'_>,
    sub: &SubTarget<'_>,
    element: &Map<String, Value>,
) -> Result<(), ScimError> {
    refuse_required(sub.def, &t.label)?;
    let Some(def) = sub.def else {
        return Ok(());
    };
    let set = get_ci(element, &sub.name).is_some_and(|v| !v.is_null());
    if def.mutability == Mutability::Immutable && set {
        return Err(ScimError::mutability(format!(
            "`{}` is immutable and already has a value, so it cannot be removed",
            t.label
        )));
    }
    Ok(())
}

/// RFC 7644 §3.5.2.2: a required (client-writable) attribute or sub-attribute cannot be
/// removed; `label` names it in the error.
fn refuse_required(
    def: Option<&crate::schema::AttributeDef>,
    label: &str,
) -> Result<(), ScimError> {
    if def.is_some_and(|d| d.required && d.mutability != Mutability::ReadOnly) {
        return Err(ScimError::mutability(format!(
            "`{label}` is required and cannot be removed"
        )));
    }
    Ok(())
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
    let has_value_sub = t.def.is_none_or(|d| d.sub_attribute("value").is_some());
    if compat.empty_value_unassigns && has_value_sub && is_empty_reference(value) {
        return Ok(Incoming::Whole(Value::Null));
    }
    match value {
        Value::Object(fields) => Ok(Incoming::Merge(fields)),
        Value::Null => Ok(Incoming::Whole(Value::Null)),
        scalar => {
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

/// Whether `value` names no referenced resource: `""`, or an object whose only member
/// is `value` holding `""` or null ([`Compat::empty_value_unassigns`]).
fn is_empty_reference(value: &Value) -> bool {
    let empty = |v: &Value| v.is_null() || v.as_str() == Some("");
    match value {
        Value::String(s) => s.is_empty(),
        Value::Object(fields) => {
            fields.len() == 1
                && fields
                    .iter()
                    .all(|(k, v)| k.eq_ignore_ascii_case("value") && empty(v))
        }
        _ => false,
    }
}

/// `remove` at a target (§3.5.2.2).
fn remove(
    doc: &mut Map<String, Value>,
    target: Target<'_>,
    value: Option<&Value>,
    compat: &Compat,
) -> Result<(), ScimError> {
    let t = match target {
        Target::Extension(urn) => {
            remove_ci(doc, &urn);
            return Ok(());
        }
        Target::Attribute(t) => *t,
    };
    if t.read_only() {
        return Err(ScimError::mutability(format!("`{}` is readOnly", t.label)));
    }
    let Some(container) = container_mut(doc, t.extension.as_deref(), false) else {
        return Ok(());
    };
    let Some(current) = get_ci(container, &t.name).cloned() else {
        return Ok(());
    };
    let multi = t.multi_valued(Some(&current));
    match (&t.filter, &t.sub) {
        (None, None) => {
            refuse_required(t.def, &t.label)?;
            let by_value = value.filter(|v| !v.is_null() && multi && compat.remove_by_value);
            match (by_value, current) {
                (Some(which), Value::Array(mut list)) => {
                    let gone: Vec<Value> = match which {
                        Value::Array(items) => items.clone(),
                        single => vec![single.clone()],
                    };
                    // Indexed, not scanned: removing thousands of members from a
                    // group of a hundred thousand stays linear.
                    let mut index = IdentityIndex::default();
                    for (i, g) in gone.iter().enumerate() {
                        index.insert(Identity::of(g), i);
                    }
                    list.retain(|e| index.first_same(&Identity::of(e)).is_none());
                    put_list(container, &t.name, list);
                }
                _ => remove_ci(container, &t.name),
            }
        }
        (None, Some(sub)) if multi => {
            // RFC 7644 §3.5.2.2: the path selects the sub-attribute of every value;
            // values left empty are removed, and an attribute left with none is
            // unassigned.
            let list = match current {
                Value::Array(list) => list,
                other => vec![other],
            };
            let mut kept = Vec::with_capacity(list.len());
            for mut element in list {
                if let Value::Object(obj) = &mut element {
                    check_sub_removable(&t, sub, obj)?;
                    remove_ci(obj, &sub.name);
                    if obj.is_empty() {
                        continue;
                    }
                }
                kept.push(element);
            }
            put_list(container, &t.name, kept);
        }
        (None, Some(sub)) => {
            refuse_required(sub.def, &t.label)?;
            if let Value::Object(mut obj) = current {
                remove_ci(&mut obj, &sub.name);
                if obj.is_empty() {
                    remove_ci(container, &t.name);
                } else {
                    set_ci(container, &t.name, Value::Object(obj));
                }
            }
        }
        (Some(selector), sub) => {
            let list = match current {
                Value::Array(list) => list,
                other => vec![other],
            };
            let mut kept = Vec::with_capacity(list.len());
            for mut element in list {
                if !selector.matches(&element)? {
                    kept.push(element);
                    continue;
                }
                if let (Some(sub), Value::Object(obj)) = (sub, &mut element) {
                    check_sub_removable(&t, sub, obj)?;
                    remove_ci(obj, &sub.name);
                    if !obj.is_empty() {
                        kept.push(element);
                    }
                }
            }
            put_list(container, &t.name, kept);
        }
    }
    Ok(())
}

/// Stores a list, or removes the attribute when the list is empty (unassigned).
fn put_list(container: &mut Map<String, Value>, name: &str, list: Vec<Value>) {
    if list.is_empty() {
        remove_ci(container, name);
    } else {
        set_ci(container, name, Value::Array(list));
    }
}

/// The object the attribute lives in: the resource, or the extension object under `urn`
/// (created when `create`).
fn container_mut<'d>(
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

/// Whether two elements of a multi-valued attribute are the same value: complex values
/// with a `value` sub-attribute are the same when their `value`s are equal (ignoring
/// case) and their `type`s do not differ; anything else when equal.
pub(super) fn same_element(a: &Value, b: &Value) -> bool {
    #[cfg(test)]
    tests::COMPARISONS.with(|c| c.set(c.get() + 1));
    fn text_eq(x: &Value, y: &Value) -> bool {
        match (x, y) {
            (Value::String(p), Value::String(q)) => p.eq_ignore_ascii_case(q),
            _ => x == y,
        }
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => match (get_ci(x, "value"), get_ci(y, "value")) {
            (Some(vx), Some(vy)) => {
                let types_agree = match (get_ci(x, "type"), get_ci(y, "type")) {
                    (Some(tx), Some(ty)) => text_eq(tx, ty),
                    _ => true,
                };
                text_eq(vx, vy) && types_agree
            }
            _ => a == b,
        },
        _ => text_eq(a, b),
    }
}

/// The bound on values per multi-valued attribute an `add` must keep
/// ([`ResourceLimits::max_values_per_attribute`]), checked while values are merged so
/// that a refused request costs no more than the values it sent.
pub(super) struct ValueCap<'a> {
    /// The request's limits.
    pub limits: ResourceLimits,
    /// The stored resource the PATCH applies to: an attribute that already held more
    /// values than the limit may keep as many (the grow-only rule of
    /// [`ResourceLimits::check_values`]).
    pub original: &'a Map<String, Value>,
}

impl ValueCap<'_> {
    /// How many values `t` may hold after an `add` to a list of `len_before` values, or
    /// `None` when it is not bounded (a resource's `members`, as in validation).
    fn bound(&self, t: &AttrTarget<'_>, len_before: usize) -> Option<(usize, usize)> {
        let members =
            t.def.is_some() && t.extension.is_none() && t.name.eq_ignore_ascii_case("members");
        if members {
            return None;
        }
        let container = match &t.extension {
            None => Some(self.original),
            Some(urn) => get_ci(self.original, urn).and_then(Value::as_object),
        };
        let stored = container
            .and_then(|c| get_ci(c, &t.name))
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        let before = stored.max(len_before);
        Some((self.limits.max_values_per_attribute.max(before), before))
    }
}

/// Whether `v` is certain to be kept as a value by validation (a non-null scalar, or an
/// object whose `value` is a non-null scalar), so counts toward the values cap. Values
/// validation might drop are not counted: the check during the merge never refuses
/// what the check after validation would accept.
fn counts_toward_cap(v: &Value) -> bool {
    let scalar = |v: &Value| !(v.is_null() || v.is_array() || v.is_object());
    match v {
        Value::Object(o) => get_ci(o, "value").is_some_and(scalar),
        other => scalar(other),
    }
}

/// `add` of `items` to the multi-valued attribute `list` (RFC 7644 §3.5.2.1): an item
/// equal to an existing value ([`same_element`]) is merged into the first such value, any
/// other is appended; an item left `primary` clears `primary` on the others (§3.5.2).
///
/// With `bound` = `Some((most, _))`, stops with `Err(count)` as soon as more than `most`
/// values that [count](counts_toward_cap) are held.
///
/// Linear in `list` and `items` (up to a logarithm): existing values are indexed by
/// their full [`Identity`], so an item finds the value it merges into without comparing
/// it with any other, whatever the shape of the input (a scan per item made one 263 KB
/// PATCH of thousands of emails take seconds, and indexing by `value` alone left the
/// same cost for thousands of values sharing one `value` with different `type`s). The
/// values marked primary are tracked instead of rescanned.
fn add_values(
    mut list: Vec<Value>,
    items: Vec<Value>,
    bound: Option<(usize, usize)>,
) -> Result<Vec<Value>, usize> {
    use std::collections::HashSet;
    let mut index = IdentityIndex::default();
    let mut primaries: HashSet<usize> = HashSet::new();
    let mut counted = 0;
    for (i, element) in list.iter().enumerate() {
        index.insert(Identity::of(element), i);
        counted += usize::from(counts_toward_cap(element));
        if element
            .as_object()
            .is_some_and(|o| is_true(get_ci(o, "primary")))
        {
            primaries.insert(i);
        }
    }
    for item in items {
        let identity = Identity::of(&item);
        let at = match index.first_same(&identity) {
            Some(i) => {
                debug_assert!(same_element(&list[i], &item));
                let before = Identity::of(&list[i]);
                merge_element(&mut list[i], &item);
                let after = Identity::of(&list[i]);
                if after != before {
                    // Merging can give the value a `type` it lacked (or, with members
                    // differing only in case, another `value`): index it anew.
                    index.remove(&before, i);
                    index.insert(after, i);
                }
                i
            }
            None => {
                counted += usize::from(counts_toward_cap(&item));
                list.push(item);
                index.insert(identity, list.len() - 1);
                if bound.is_some_and(|(most, _)| counted > most) {
                    return Err(counted);
                }
                list.len() - 1
            }
        };
        if is_true(list[at].get("primary")) {
            // What `keep_one_primary` does, touching only the values known to be primary.
            for &i in primaries.iter().filter(|&&i| i != at) {
                let before = Identity::of(&list[i]);
                if let Some(obj) = list[i].as_object_mut() {
                    if is_true(get_ci(obj, "primary")) {
                        set_ci(obj, "primary", Value::Bool(false));
                    }
                }
                // A value without `value` is keyed by all of it, `primary` included.
                let after = Identity::of(&list[i]);
                if after != before {
                    index.remove(&before, i);
                    index.insert(after, i);
                }
            }
            primaries.clear();
            primaries.insert(at);
        } else if list[at]
            .as_object()
            .is_some_and(|o| is_true(get_ci(o, "primary")))
        {
            // Primary in another spelling (`"Primary"`): tracked, not acted on.
            primaries.insert(at);
        } else {
            primaries.remove(&at);
        }
    }
    Ok(list)
}

/// Everything [`same_element`] looks at, as text: two values are the same exactly when
/// their `value` keys are equal and their `type` keys are equal or either is absent.
///
/// A complex value with a `value` sub-attribute is keyed by that `value` (strings
/// ASCII-lowercased) and its `type` (likewise; `None` when it has none); a string by its
/// lowercase form; anything else by its JSON text with object members in sorted order
/// (and no `type` key: such values are the same only when equal).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Identity {
    value: String,
    kind: Option<String>,
}

impl Identity {
    fn of(v: &Value) -> Identity {
        fn text(v: &Value) -> String {
            match v {
                Value::String(s) => format!("s{}", s.to_ascii_lowercase()),
                other => format!("j{}", canonical_json(other)),
            }
        }
        match v {
            Value::Object(o) => match get_ci(o, "value") {
                Some(inner) => Identity {
                    value: format!("v{}", text(inner)),
                    kind: get_ci(o, "type").map(text),
                },
                None => Identity {
                    value: format!("o{}", canonical_json(v)),
                    kind: None,
                },
            },
            other => Identity {
                value: text(other),
                kind: None,
            },
        }
    }
}

/// Positions of a list's values by [`Identity`], answering "the first value
/// [`same_element`] calls the same as this one" without comparing values.
#[derive(Default)]
struct IdentityIndex {
    /// Every position, by `value` key: a value without `type` is the same as all of them.
    by_value: HashMap<String, BTreeSet<usize>>,
    /// Positions by full identity: a value with `type` is the same as those with the
    /// same `value` and either no `type` or the same one.
    by_identity: HashMap<Identity, BTreeSet<usize>>,
}

impl IdentityIndex {
    fn insert(&mut self, identity: Identity, at: usize) {
        self.by_value
            .entry(identity.value.clone())
            .or_default()
            .insert(at);
        self.by_identity.entry(identity).or_default().insert(at);
    }

    fn remove(&mut self, identity: &Identity, at: usize) {
        if let Some(set) = self.by_value.get_mut(&identity.value) {
            set.remove(&at);
        }
        if let Some(set) = self.by_identity.get_mut(identity) {
            set.remove(&at);
        }
    }

    /// The first position holding a value the same as one with `identity`.
    fn first_same(&self, identity: &Identity) -> Option<usize> {
        let first = |set: Option<&BTreeSet<usize>>| set.and_then(|s| s.first().copied());
        if identity.kind.is_none() {
            return first(self.by_value.get(&identity.value));
        }
        let untyped = Identity {
            value: identity.value.clone(),
            kind: None,
        };
        let same_type = first(self.by_identity.get(identity));
        match (first(self.by_identity.get(&untyped)), same_type) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// JSON text with object members sorted by name, so that equal values have equal text
/// whatever their member order.
fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(o) => {
            let mut members: Vec<(&String, &Value)> = o.iter().collect();
            members.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), canonical_json(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => {
            let inner: Vec<String> = a.iter().map(canonical_json).collect();
            format!("[{}]", inner.join(","))
        }
        // `-0.0 == 0.0` as JSON values (serde_json compares floats with `==`).
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => "0.0".to_owned(),
        other => other.to_string(),
    }
}

/// Merges the sub-attributes of `src` into `dst` (an element of a multi-valued attribute).
fn merge_element(dst: &mut Value, src: &Value) {
    match (dst.as_object_mut(), src.as_object()) {
        (Some(d), Some(s)) => {
            for (k, v) in s {
                if !v.is_null() {
                    set_ci(d, k, v.clone());
                }
            }
        }
        _ => *dst = src.clone(),
    }
}

fn is_true(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// RFC 7644 §3.5.2: setting one value's `primary` to true sets it false on the others.
fn keep_one_primary(list: &mut [Value], keep: usize) {
    for (i, element) in list.iter_mut().enumerate() {
        if i != keep {
            if let Some(obj) = element.as_object_mut() {
                if is_true(get_ci(obj, "primary")) {
                    set_ci(obj, "primary", Value::Bool(false));
                }
            }
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;
    use std::cell::Cell;

    thread_local! {
        /// Calls of [`same_element`] on this thread, for tests that bound them.
        pub(in crate::patch) static COMPARISONS: Cell<usize> = const { Cell::new(0) };
    }

    /// The merge as it was before it was made linear: a scan per added item.
    fn add_values_by_scan(mut list: Vec<Value>, items: Vec<Value>) -> Vec<Value> {
        for item in items {
            let at = match list.iter().position(|e| same_element(e, &item)) {
                Some(i) => {
                    merge_element(&mut list[i], &item);
                    i
                }
                None => {
                    list.push(item);
                    list.len() - 1
                }
            };
            if is_true(list[at].get("primary")) {
                keep_one_primary(&mut list, at);
            }
        }
        list
    }

    /// Small pseudo-random values: few `value`s, so that many collide, with `type`s that
    /// differ, are absent, `null`, numbers (`0.0` and `-0.0`) or spelled in other cases,
    /// and now and then a second spelling of `value` or `type` in one object.
    fn element(seed: &mut u64) -> Value {
        let mut next = |n: u64| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) % n
        };
        let values = ["a@x", "A@X", "b@x", "c@x"];
        let types = [
            json!("work"),
            json!("WORK"),
            json!("home"),
            json!("other"),
            Value::Null,
            json!(0.0),
            json!(-0.0),
        ];
        let mut obj = serde_json::Map::new();
        match next(8) {
            0 => return json!("plain"),
            1 => return json!("PLAIN"),
            2 => return json!(7),
            _ => {}
        }
        if next(6) != 0 {
            obj.insert("value".into(), json!(values[next(4) as usize]));
            if next(10) == 0 {
                obj.insert("VALUE".into(), json!(values[next(4) as usize]));
            }
        } else {
            obj.insert("display".into(), json!("d"));
        }
        match next(4) {
            0 => {}
            1 => {
                obj.insert("Type".into(), types[next(7) as usize].clone());
            }
            _ => {
                obj.insert("type".into(), types[next(7) as usize].clone());
                if next(10) == 0 {
                    obj.insert("TYPE".into(), types[next(7) as usize].clone());
                }
            }
        }
        match next(6) {
            0 | 1 => {
                obj.insert("primary".into(), json!(true));
            }
            2 => {
                obj.insert("primary".into(), json!(false));
            }
            3 => {
                obj.insert("Primary".into(), json!("true"));
            }
            _ => {}
        }
        Value::Object(obj)
    }

    #[test]
    fn the_indexed_merge_equals_the_scanning_one() {
        let mut seed = 42;
        for _ in 0..20_000 {
            let list: Vec<Value> = (0..(seed % 5)).map(|_| element(&mut seed)).collect();
            let items: Vec<Value> = (0..(seed % 13)).map(|_| element(&mut seed)).collect();
            assert_eq!(
                add_values(list.clone(), items.clone(), None),
                Ok(add_values_by_scan(list.clone(), items.clone())),
                "list {list:?} items {items:?}"
            );
        }
    }

    #[test]
    fn the_indexed_removal_equals_the_scanning_one() {
        let mut seed = 7;
        for _ in 0..20_000 {
            let list: Vec<Value> = (0..(seed % 9)).map(|_| element(&mut seed)).collect();
            let gone: Vec<Value> = (0..(seed % 5)).map(|_| element(&mut seed)).collect();
            let mut doc = Map::new();
            doc.insert("emails".into(), Value::Array(list.clone()));
            let registry = crate::schema::SchemaRegistry::standard();
            let users = registry
                .resource_schema("User")
                .unwrap_or_else(|| unreachable!());
            let target = resolve(&users, "emails").unwrap_or_else(|e| panic!("{e}"));
            remove(
                &mut doc,
                target,
                Some(&Value::Array(gone.clone())),
                &Compat::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let mut scanned = list.clone();
            scanned.retain(|e| !gone.iter().any(|g| same_element(e, g)));
            let expected = (!scanned.is_empty()).then_some(Value::Array(scanned));
            assert_eq!(
                doc.get("emails"),
                expected.as_ref(),
                "list {list:?} gone {gone:?}"
            );
        }
    }

    /// 5,000 values sharing one `value` with 5,000 different `type`s, added to as many
    /// already there: each is compared with the one it merges into at most, never with
    /// the rest of its `value`'s values (indexed by `value` alone, this took 12.5
    /// million comparisons).
    #[test]
    fn values_sharing_a_value_are_not_compared_with_each_other() {
        let n = 5000;
        let same = |from: usize| -> Vec<Value> {
            (from..from + n)
                .map(|i| json!({"value": "shared@example.com", "type": format!("t{i}")}))
                .collect()
        };
        for (list, items) in [
            (Vec::new(), same(0)),
            (same(0), same(0)),
            (same(0), same(n)),
            (same(0), vec![json!({"value": "SHARED@example.com"}); n]),
        ] {
            COMPARISONS.with(|c| c.set(0));
            let merged = add_values(list.clone(), items, None).unwrap_or_default();
            let comparisons = COMPARISONS.with(Cell::get);
            assert!(merged.len() >= list.len());
            assert!(
                comparisons <= 2 * n,
                "{comparisons} comparisons for {n} values"
            );
        }
    }

    #[test]
    fn the_merge_stops_once_past_the_cap_and_the_previous_length() {
        let items: Vec<Value> = (0..10_000)
            .map(|i| json!({"value": "shared@example.com", "type": format!("t{i}")}))
            .collect();
        COMPARISONS.with(|c| c.set(0));
        assert_eq!(
            add_values(Vec::new(), items.clone(), Some((1000, 0))),
            Err(1001)
        );
        assert!(COMPARISONS.with(Cell::get) <= 1001);
        // An attribute already past the cap may change without growing...
        let big: Vec<Value> = items[..1500].to_vec();
        assert_eq!(
            add_values(big.clone(), items[..1500].to_vec(), Some((1500, 1500))).map(|l| l.len()),
            Ok(1500)
        );
        // ...but not grow.
        assert_eq!(
            add_values(big, items[..1501].to_vec(), Some((1500, 1500))),
            Err(1501)
        );
        // Values validation may drop do not count.
        let nulls = vec![json!({"type": "work", "display": "x"}); 5];
        assert!(add_values(Vec::new(), nulls, Some((1, 0))).is_ok());
    }
}
