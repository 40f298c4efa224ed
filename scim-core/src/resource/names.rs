//! Attribute names matched case-insensitively on input (RFC 7643 §2.1) and rewritten to
//! their canonical spelling, so typed models can deserialise any client's casing.

use serde_json::{Map, Value};

use crate::schema::{AttributeDef, ResourceSchema};

/// Rewrites the attribute and sub-attribute names of `resource` (and of its extension
/// objects) to the spelling the schema defines; unknown names are left as they are.
///
/// ```
/// use scim2_core::resource::{canonicalize, User};
/// use scim2_core::schema::SchemaRegistry;
/// use serde_json::json;
/// let registry = SchemaRegistry::standard();
/// let users = registry.resource_schema("User").unwrap();
/// let mut v = json!({"schemas": [], "USERNAME": "ann", "Name": {"GIVENNAME": "Ann"}});
/// canonicalize(&users, &mut v);
/// let user: User = serde_json::from_value(v).unwrap();
/// assert_eq!(user.name.unwrap().given_name.as_deref(), Some("Ann"));
/// ```
pub fn canonicalize(schema: &ResourceSchema<'_>, resource: &mut Value) {
    let Some(obj) = resource.as_object_mut() else {
        return;
    };
    let taken = std::mem::take(obj);
    for (key, mut value) in taken {
        if let Some(ext) = schema.extension(&key) {
            if let Some(inner) = value.as_object_mut() {
                rename_all(inner, |name| ext.attribute(name));
            }
            obj.insert(ext.id.clone(), value);
            continue;
        }
        let canonical = match schema.attribute(None, &key) {
            Some(found) => {
                fix_subs(found.def, &mut value);
                found.def.name.clone()
            }
            None if key.eq_ignore_ascii_case("schemas") => "schemas".to_owned(),
            None => key,
        };
        obj.insert(canonical, value);
    }
}

fn rename_all<'a>(obj: &mut Map<String, Value>, lookup: impl Fn(&str) -> Option<&'a AttributeDef>) {
    let taken = std::mem::take(obj);
    for (key, mut value) in taken {
        match lookup(&key) {
            Some(def) => {
                fix_subs(def, &mut value);
                obj.insert(def.name.clone(), value);
            }
            None => {
                obj.insert(key, value);
            }
        }
    }
}

fn fix_subs(def: &AttributeDef, value: &mut Value) {
    if !def.is_complex() {
        return;
    }
    match value {
        Value::Object(o) => rename_all(o, |n| def.sub_attribute(n)),
        Value::Array(items) => {
            for item in items {
                if let Value::Object(o) = item {
                    rename_all(o, |n| def.sub_attribute(n));
                }
            }
        }
        _ => {}
    }
}
