//! The add, replace and remove operations (RFC 7644 §3.5.2.1–3) on a resource's JSON.

use serde_json::{Map, Value};

use super::request::{OpKind, PatchOperation};
use super::target::{resolve, AttrTarget, SubTarget, Target};
use super::Compat;
use crate::error::ScimError;
use crate::schema::{Mutability, ResourceSchema};

/// Applies one operation to `doc`.
pub(super) fn apply_op(
    schema: &ResourceSchema<'_>,
    doc: &mut Map<String, Value>,
    op: &PatchOperation,
    compat: &Compat,
) -> Result<(), ScimError> {
    match (&op.path, op.op) {
        (None, OpKind::Remove) => Err(ScimError::no_target(
            "remove needs a `path` (RFC 7644 §3.5.2.2)",
        )),
        (None, kind) => pathless(schema, doc, kind, required_value(op)?, compat),
        (Some(path), OpKind::Remove) => {
            let target = resolve(schema, path)?;
            remove(doc, target, op.value.as_ref(), compat)
        }
        (Some(path), kind) => {
            let value = required_value(op)?;
            match resolve(schema, path)? {
                Target::Extension(urn) => whole_extension(schema, doc, kind, &urn, value, compat),
                Target::Attribute(t) => write(doc, *t, kind, value, compat),
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
            pathless_member(schema, doc, kind, key, val, compat)?;
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
            pathless_member(schema, doc, kind, k, v, compat)?;
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
) -> Result<(), ScimError> {
    if key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    if let Some(ext) = schema.container_schema(key) {
        let urn = ext.id.clone();
        return whole_extension(schema, doc, kind, &urn, val, compat);
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
        Target::Extension(urn) => return whole_extension(schema, doc, kind, &urn, val, compat),
        Target::Attribute(t) => *t,
    };
    if target.read_only() {
        return Ok(());
    }
    write(doc, target, kind, val, compat)
}

/// `add`/`replace` of a whole extension object: each member is applied to the extension.
fn whole_extension(
    schema: &ResourceSchema<'_>,
    doc: &mut Map<String, Value>,
    kind: OpKind,
    urn: &str,
    value: &Value,
    compat: &Compat,
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
            Target::Attribute(t) => write(doc, *t, kind, val, compat)?,
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
            set_ci(container, &t.name, Value::Array(add_values(list, items)));
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
        (None, Some(sub)) => {
            if multi {
                return Err(ScimError::invalid_path(format!(
                    "`{}`: `{}` is multi-valued; select values with a filter, e.g. {}[type eq \"work\"].{}",
                    t.label, t.name, t.name, sub.name
                )));
            }
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
            if matched.is_empty() {
                let may_create = match kind {
                    OpKind::Add => compat.add_creates_filtered_element,
                    _ => compat.replace_creates_filtered_element,
                };
                let seed = selector.equality_terms().filter(|_| may_create);
                let Some(seed) = seed else {
                    return Err(ScimError::no_target(format!(
                        "`{}` matches no value of `{}`",
                        t.label, t.name
                    )));
                };
                list.push(Value::Object(seed));
                matched.push(list.len() - 1);
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
                        if kind == OpKind::Replace && !list[i].is_null() {
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
    let required = |d: Option<&crate::schema::AttributeDef>| {
        d.is_some_and(|d| d.required && d.mutability != Mutability::ReadOnly)
    };
    match (&t.filter, &t.sub) {
        (None, None) => {
            if required(t.def) {
                return Err(ScimError::mutability(format!(
                    "`{}` is required and cannot be removed",
                    t.label
                )));
            }
            let by_value = value.filter(|v| !v.is_null() && multi && compat.remove_by_value);
            match (by_value, current) {
                (Some(which), Value::Array(mut list)) => {
                    let gone: Vec<Value> = match which {
                        Value::Array(items) => items.clone(),
                        single => vec![single.clone()],
                    };
                    list.retain(|e| !gone.iter().any(|g| same_element(e, g)));
                    put_list(container, &t.name, list);
                }
                _ => remove_ci(container, &t.name),
            }
        }
        (None, Some(sub)) => {
            if multi {
                return Err(ScimError::invalid_path(format!(
                    "`{}`: `{}` is multi-valued; select values with a filter",
                    t.label, t.name
                )));
            }
            if required(sub.def) {
                return Err(ScimError::mutability(format!(
                    "`{}` is required and cannot be removed",
                    t.label
                )));
            }
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

fn key_ci(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

fn get_ci<'m>(map: &'m Map<String, Value>, name: &str) -> Option<&'m Value> {
    crate::validate::get_ci(map, name)
}

/// Removes every key equal to `name` ignoring case.
/// Removes and returns the value of `name` (any spelling; other spellings are dropped).
fn take_ci(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = key_ci(map, name)?;
    let value = map.remove(&key);
    remove_ci(map, name);
    value
}

fn remove_ci(map: &mut Map<String, Value>, name: &str) {
    map.retain(|k, _| !k.eq_ignore_ascii_case(name));
}

/// Sets `name` (replacing any spelling of it); `null` removes it.
fn set_ci(map: &mut Map<String, Value>, name: &str, value: Value) {
    remove_ci(map, name);
    if !value.is_null() {
        map.insert(name.to_owned(), value);
    }
}

/// Whether two elements of a multi-valued attribute are the same value: complex values
/// with a `value` sub-attribute are the same when their `value`s are equal (ignoring
/// case) and their `type`s do not differ; anything else when equal.
pub(super) fn same_element(a: &Value, b: &Value) -> bool {
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

/// `add` of `items` to the multi-valued attribute `list` (RFC 7644 §3.5.2.1): an item
/// equal to an existing value ([`same_element`]) is merged into it, any other is
/// appended; an item left `primary` clears `primary` on the others (§3.5.2).
///
/// Linear in `list` and `items`: existing values are indexed by [`identity_key`], so an
/// item is compared only with values sharing its key, and the values marked primary are
/// tracked instead of rescanned. (A scan per item made one 263 KB PATCH of thousands of
/// emails take seconds, and every repeat longer.)
fn add_values(mut list: Vec<Value>, items: Vec<Value>) -> Vec<Value> {
    use std::collections::{HashMap, HashSet};
    let mut index: HashMap<String, Vec<usize>> = HashMap::with_capacity(list.len() + items.len());
    let mut primaries: HashSet<usize> = HashSet::new();
    for (i, element) in list.iter().enumerate() {
        index.entry(identity_key(element)).or_default().push(i);
        if element
            .as_object()
            .is_some_and(|o| is_true(get_ci(o, "primary")))
        {
            primaries.insert(i);
        }
    }
    for item in items {
        let key = identity_key(&item);
        let bucket = index.entry(key).or_default();
        let at = match bucket
            .iter()
            .copied()
            .find(|&i| same_element(&list[i], &item))
        {
            Some(i) => {
                merge_element(&mut list[i], &item);
                i
            }
            None => {
                list.push(item);
                bucket.push(list.len() - 1);
                list.len() - 1
            }
        };
        if is_true(list[at].get("primary")) {
            // What `keep_one_primary` does, touching only the values known to be primary.
            for &i in primaries.iter().filter(|&&i| i != at) {
                if let Some(obj) = list[i].as_object_mut() {
                    if is_true(get_ci(obj, "primary")) {
                        set_ci(obj, "primary", Value::Bool(false));
                    }
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
    list
}

/// A key equal for any two values [`same_element`] calls the same (the converse need not
/// hold): a complex value with a `value` sub-attribute is keyed by that `value` alone
/// (strings ASCII-lowercased; `type` is compared afterwards), a string by its lowercase
/// form, anything else by its JSON text with object members in sorted order.
fn identity_key(v: &Value) -> String {
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => format!("s{}", s.to_ascii_lowercase()),
            other => format!("j{}", canonical_json(other)),
        }
    }
    match v {
        Value::Object(o) => match get_ci(o, "value") {
            Some(inner) => format!("v{}", text(inner)),
            None => format!("o{}", canonical_json(v)),
        },
        other => text(other),
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
mod tests {
    use super::*;
    use serde_json::json;

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

    /// Small pseudo-random values: few `value`s, so that many collide.
    fn element(seed: &mut u64) -> Value {
        let mut next = |n: u64| {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (*seed >> 33) % n
        };
        let values = ["a@x", "A@X", "b@x", "c@x"];
        let mut obj = serde_json::Map::new();
        match next(8) {
            0 => return json!("plain"),
            1 => return json!("PLAIN"),
            2 => return json!(7),
            _ => {}
        }
        if next(6) != 0 {
            obj.insert("value".into(), json!(values[next(4) as usize]));
        } else {
            obj.insert("display".into(), json!("d"));
        }
        match next(3) {
            0 => {
                obj.insert("type".into(), json!("work"));
            }
            1 => {
                obj.insert("type".into(), json!("home"));
            }
            _ => {}
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
        for _ in 0..2000 {
            let list: Vec<Value> = (0..(seed % 5)).map(|_| element(&mut seed)).collect();
            let items: Vec<Value> = (0..(seed % 9)).map(|_| element(&mut seed)).collect();
            assert_eq!(
                add_values(list.clone(), items.clone()),
                add_values_by_scan(list.clone(), items.clone()),
                "list {list:?} items {items:?}"
            );
        }
    }
}
