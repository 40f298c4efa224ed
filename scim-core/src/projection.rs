//! Projection (RFC 7644 §3.4.2.5, §3.9): `attributes` and `excludedAttributes`, applied
//! with each attribute's `returned` characteristic (RFC 7643 §2.2).
//!
//! - `always` attributes (`id`, `schemas`) are returned even when excluded or not named;
//! - `never` attributes (`password`) are never returned;
//! - `request` attributes only when `attributes` names them;
//! - `default` attributes unless excluded, or unless `attributes` names others.
//!
//! Names may be sub-attributes (`name.givenName`), URN-qualified
//! (`urn:…:enterprise:2.0:User:department`), or a whole extension's URN.

use scim2_filter::AttrPath;
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::{AttributeDef, ResourceSchema, Returned};

/// A parsed `attributes`/`excludedAttributes` pair.
///
/// ```
/// use scim2_core::projection::Projection;
/// use scim2_core::schema::SchemaRegistry;
/// use serde_json::json;
/// let registry = SchemaRegistry::standard();
/// let users = registry.resource_schema("User").unwrap();
/// let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1",
///                   "userName": "ann", "password": "secret", "name": {"givenName": "Ann", "familyName": "Lee"}});
/// let p = Projection::parse(Some("name.givenName"), None)?;
/// assert_eq!(p.apply(&users, &user), json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1", "name": {"givenName": "Ann"}}));
/// let all = Projection::default().apply(&users, &user);
/// assert!(all.get("password").is_none()); // returned: never
/// # Ok::<(), scim2_core::ScimError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Projection {
    attributes: Vec<AttrPath>,
    excluded: Vec<AttrPath>,
}

impl Projection {
    /// Parses the comma-separated `attributes` and `excludedAttributes` query values. A
    /// name that is not an attribute path is `invalidPath`.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Self, ScimError> {
        Ok(Projection {
            attributes: parse_list(attributes)?,
            excluded: parse_list(excluded)?,
        })
    }

    /// A projection from lists of names, as in a `/.search` body.
    pub fn from_lists(attributes: &[String], excluded: &[String]) -> Result<Self, ScimError> {
        Projection::parse(Some(&attributes.join(",")), Some(&excluded.join(",")))
    }

    /// Whether neither list names anything.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Applies the projection to one resource of `schema`'s type.
    pub fn apply(&self, schema: &ResourceSchema<'_>, resource: &Value) -> Value {
        map_attributes(schema, resource, |ext, name, def, value| {
            self.project(ext, name, def, value, schema)
        })
    }

    /// Projects one top-level attribute (`ext` is the extension URN holding it).
    fn project(
        &self,
        ext: Option<&str>,
        name: &str,
        def: Option<&AttributeDef>,
        value: &Value,
        schema: &ResourceSchema<'_>,
    ) -> Option<Value> {
        let returned = def.map_or(Returned::Default, |d| d.returned);
        let value = def.map_or_else(|| value.clone(), |d| drop_never_subs(d, value));
        match returned {
            Returned::Never => None,
            Returned::Always => Some(value),
            Returned::Request | Returned::Default => {
                if !self.attributes.is_empty() {
                    let subs = named(&self.attributes, ext, name, schema)?;
                    Some(keep_subs(def, value, &subs))
                } else if returned == Returned::Request {
                    None
                } else {
                    match named(&self.excluded, ext, name, schema) {
                        Some(subs) if subs.is_empty() => None,
                        Some(subs) => Some(drop_subs(value, &subs)),
                        None => Some(value),
                    }
                }
            }
        }
    }
}

/// `resource` without what its schema says is never returned (RFC 7643 §2.2
/// `returned: never`, e.g. a User's `password`), attributes and sub-attributes alike, and
/// with everything else, `returned: request` attributes included: the content a
/// resource's version may depend on (RFC 7644 §3.14), since a version that changed with a
/// never-returned value would reveal it to anyone who can guess it.
///
/// ```
/// use scim2_core::projection::without_never_returned;
/// use scim2_core::schema::SchemaRegistry;
/// use serde_json::json;
/// let registry = SchemaRegistry::standard();
/// let users = registry.resource_schema("User").unwrap();
/// let user = json!({"userName": "ann", "password": "secret"});
/// assert_eq!(without_never_returned(&users, &user), json!({"userName": "ann"}));
/// ```
pub fn without_never_returned(schema: &ResourceSchema<'_>, resource: &Value) -> Value {
    map_attributes(schema, resource, |_, _, def, value| match def {
        Some(d) if d.returned == Returned::Never => None,
        Some(d) => Some(drop_never_subs(d, value)),
        None => Some(value.clone()),
    })
}

/// Rebuilds `resource` (of `schema`'s type) attribute by attribute: `each(ext, name,
/// def, value)` gives the new value of each top-level attribute (`ext` `None`) and of
/// each attribute of an extension object (`ext` its URN), or `None` to leave it out.
/// `schemas` is kept as it is; an extension object left empty, or that is not an object,
/// is left out.
fn map_attributes(
    schema: &ResourceSchema<'_>,
    resource: &Value,
    mut each: impl FnMut(Option<&str>, &str, Option<&AttributeDef>, &Value) -> Option<Value>,
) -> Value {
    let Some(obj) = resource.as_object() else {
        return resource.clone();
    };
    let mut out = Map::new();
    for (key, value) in obj {
        if key.eq_ignore_ascii_case("schemas") {
            out.insert(key.clone(), value.clone());
            continue;
        }
        // An object under a schema URN: one of the type's extensions, or another
        // registered schema a service attaches (its attributes' `returned` apply).
        let ext = schema.extension(key).or_else(|| {
            schema
                .registered(key)
                .filter(|s| !s.id.eq_ignore_ascii_case(&schema.base().id))
        });
        if let Some(ext) = ext {
            let Some(inner) = value.as_object() else {
                continue;
            };
            let mut kept = Map::new();
            for (k, v) in inner {
                if let Some(v) = each(Some(&ext.id), k, ext.attribute(k), v) {
                    kept.insert(k.clone(), v);
                }
            }
            if !kept.is_empty() {
                out.insert(key.clone(), Value::Object(kept));
            }
            continue;
        }
        let def = schema.attribute(None, key).map(|l| l.def);
        if let Some(v) = each(None, key, def, value) {
            out.insert(key.clone(), v);
        }
    }
    Value::Object(out)
}

fn parse_list(text: Option<&str>) -> Result<Vec<AttrPath>, ScimError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| AttrPath::parse(s).map_err(ScimError::from))
        .collect()
}

/// Whether `list` names the attribute `name` (in extension `ext`): `None` if not;
/// `Some([])` if it names the whole attribute; `Some(subs)` if only these sub-attributes.
fn named(
    list: &[AttrPath],
    ext: Option<&str>,
    name: &str,
    schema: &ResourceSchema<'_>,
) -> Option<Vec<String>> {
    let mut subs = Vec::new();
    let mut found = false;
    for p in list {
        // A whole extension named by its URN.
        if let Some(e) = ext {
            if p.as_str().eq_ignore_ascii_case(e) {
                return Some(Vec::new());
            }
        }
        let same_container = match (p.urn(), ext) {
            (None, None) => true,
            (Some(u), None) => u.eq_ignore_ascii_case(&schema.base().id),
            (Some(u), Some(e)) => u.eq_ignore_ascii_case(e),
            (None, Some(_)) => false,
        };
        if !same_container || !p.name().eq_ignore_ascii_case(name) {
            continue;
        }
        match p.sub_attr() {
            None => return Some(Vec::new()),
            Some(sub) => {
                found = true;
                subs.push(sub.to_owned());
            }
        }
    }
    found.then_some(subs)
}

/// Applies `f` to the object, or to each object of an array.
fn each_object(value: Value, f: impl Fn(Map<String, Value>) -> Map<String, Value>) -> Value {
    match value {
        Value::Object(o) => Value::Object(f(o)),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| match i {
                    Value::Object(o) => Value::Object(f(o)),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Keeps only the named sub-attributes (and those returned `always`); all when `subs` is
/// empty.
fn keep_subs(def: Option<&AttributeDef>, value: Value, subs: &[String]) -> Value {
    if subs.is_empty() {
        return value;
    }
    each_object(value, |o| {
        o.into_iter()
            .filter(|(k, _)| {
                subs.iter().any(|s| s.eq_ignore_ascii_case(k))
                    || def
                        .and_then(|d| d.sub_attribute(k))
                        .is_some_and(|s| s.returned == Returned::Always)
            })
            .collect()
    })
}

/// Drops the named sub-attributes.
fn drop_subs(value: Value, subs: &[String]) -> Value {
    each_object(value, |o| {
        o.into_iter()
            .filter(|(k, _)| !subs.iter().any(|s| s.eq_ignore_ascii_case(k)))
            .collect()
    })
}

/// Drops sub-attributes that are never returned.
fn drop_never_subs(def: &AttributeDef, value: &Value) -> Value {
    if !def
        .sub_attributes
        .iter()
        .any(|s| s.returned == Returned::Never)
    {
        return value.clone();
    }
    each_object(value.clone(), |o| {
        o.into_iter()
            .filter(|(k, _)| {
                def.sub_attribute(k)
                    .is_none_or(|s| s.returned != Returned::Never)
            })
            .collect()
    })
}
