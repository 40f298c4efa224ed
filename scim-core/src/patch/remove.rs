//! The `remove` operation (RFC 7644 §3.5.2.2) on a resource's JSON: a whole attribute,
//! some of its values (through a value path, or by value with
//! [`Compat::remove_by_value`]), or a sub-attribute of one value or of each.

use serde_json::{Map, Value};

use super::multi::{Identity, IdentityIndex};
use super::ops::container_mut;
use super::target::{AttrTarget, SubTarget, Target};
use super::Compat;
use crate::error::ScimError;
use crate::json::{get_ci, remove_ci, set_ci};
use crate::schema::Mutability;

/// `remove` at a target (§3.5.2.2).
pub(super) fn remove(
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
    remove_at(doc, &t, value, compat).map_err(|e| e.with_attribute(t.attribute_path()))
}

/// [`remove`] at an attribute target, without the attribute attached to its errors.
fn remove_at(
    doc: &mut Map<String, Value>,
    t: &AttrTarget<'_>,
    value: Option<&Value>,
    compat: &Compat,
) -> Result<(), ScimError> {
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
                    check_sub_removable(t, sub, obj)?;
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
                    check_sub_removable(t, sub, obj)?;
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

/// Stores a list, or removes the attribute when the list is empty (unassigned).
fn put_list(container: &mut Map<String, Value>, name: &str, list: Vec<Value>) {
    if list.is_empty() {
        remove_ci(container, name);
    } else {
        set_ci(container, name, Value::Array(list));
    }
}
