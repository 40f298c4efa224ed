//! The rules for the values of a multi-valued attribute (RFC 7644 §3.5.2.1): when two
//! values are the same value, merging added values into a list in linear time, keeping
//! one `primary` (RFC 7643 §2.4), and the bound on how many values a list may hold.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Map, Value};

use super::target::AttrTarget;
use crate::json::{get_ci, set_ci};
use crate::limits::ResourceLimits;

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
    /// The stored resource the PATCH applies to, or at least the top-level member being
    /// written as stored: an attribute that already held more values than the limit may
    /// keep as many (the grow-only rule of [`ResourceLimits::check_values`]).
    pub original: &'a Map<String, Value>,
}

impl ValueCap<'_> {
    /// How many values `t` may hold after an `add` to a list of `len_before` values, or
    /// `None` when it is not bounded (a resource's `members`, as in validation).
    pub(super) fn bound(&self, t: &AttrTarget<'_>, len_before: usize) -> Option<(usize, usize)> {
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
pub(super) fn counts_toward_cap(v: &Value) -> bool {
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
pub(super) fn add_values(
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
pub(super) struct Identity {
    value: String,
    kind: Option<String>,
}

impl Identity {
    pub(super) fn of(v: &Value) -> Identity {
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
pub(super) struct IdentityIndex {
    /// Every position, by `value` key: a value without `type` is the same as all of them.
    by_value: HashMap<String, BTreeSet<usize>>,
    /// Positions by full identity: a value with `type` is the same as those with the
    /// same `value` and either no `type` or the same one.
    by_identity: HashMap<Identity, BTreeSet<usize>>,
}

impl IdentityIndex {
    pub(super) fn insert(&mut self, identity: Identity, at: usize) {
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
    pub(super) fn first_same(&self, identity: &Identity) -> Option<usize> {
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
pub(super) fn canonical_json(v: &Value) -> String {
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
pub(super) fn merge_element(dst: &mut Value, src: &Value) {
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

pub(super) fn is_true(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// RFC 7644 §3.5.2: setting one value's `primary` to true sets it false on the others.
pub(super) fn keep_one_primary(list: &mut [Value], keep: usize) {
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
    use crate::patch::remove::remove;
    use crate::patch::target::resolve;
    use crate::patch::Compat;
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
        let mut obj = Map::new();
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
