//! Resource metadata (RFC 7643 §3.1 `meta`): stamping `id`, `created`, `lastModified`
//! and `version` on writes, and `location` on the way out.

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::schema::ResourceSchema;
use crate::version::{weak_etag, weak_etag_for};

/// The current time as an xsd:dateTime in UTC, e.g. `2026-11-29T09:07:57Z` (whole
/// seconds, as clients compare `meta.lastModified` textually more often than they should).
pub fn now() -> String {
    let t = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    t.format(&Rfc3339).unwrap_or_default()
}

/// The resource's `meta.version`, if it has one.
pub fn version_of(resource: &Value) -> Option<&str> {
    resource.get("meta")?.get("version")?.as_str()
}

/// 412 when `expected` is given and is not `current`'s version (RFC 7644 §3.14).
pub fn check_version(current: &Value, expected: Option<&str>) -> Result<(), crate::ScimError> {
    match (expected, version_of(current)) {
        (Some(e), Some(actual)) if e != actual => {
            Err(crate::ScimError::precondition_failed(e, actual))
        }
        _ => Ok(()),
    }
}

fn meta_mut(resource: &mut Value) -> Option<&mut Map<String, Value>> {
    let obj = resource.as_object_mut()?;
    let meta = obj
        .entry("meta")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut()
}

/// Sets `id` and a fresh `meta` on a new resource of `resource_type`, its version
/// [`weak_etag`] over all of it. A service stamps with [`stamp_new_for`], whose version
/// does not depend on never-returned values such as a password.
pub fn stamp_new(resource: &mut Value, resource_type: &str, id: &str) {
    stamp_new_with(resource, resource_type, id, weak_etag);
}

/// Sets `id` and a fresh `meta` on a new resource of `schema`'s type, its version
/// [`weak_etag_for`] the schema: no never-returned value (RFC 7643 §2.2, the User's
/// `password`) feeds it, so the ETag reveals nothing of them (RFC 7644 §3.14).
pub fn stamp_new_for(schema: &ResourceSchema<'_>, resource: &mut Value, id: &str) {
    stamp_new_with(resource, &schema.resource_type().name, id, |r| {
        weak_etag_for(schema, r)
    });
}

fn stamp_new_with(
    resource: &mut Value,
    resource_type: &str,
    id: &str,
    version_of: impl FnOnce(&Value) -> String,
) {
    if let Some(obj) = resource.as_object_mut() {
        obj.insert("id".to_owned(), Value::from(id));
    }
    let version = version_of(resource);
    let now = now();
    if let Some(meta) = meta_mut(resource) {
        meta.clear();
        meta.insert("resourceType".to_owned(), Value::from(resource_type));
        meta.insert("created".to_owned(), Value::from(now.clone()));
        meta.insert("lastModified".to_owned(), Value::from(now));
        meta.insert("version".to_owned(), Value::from(version));
    }
}

/// Updates `meta` of `new`, the next state of `old`: `created` and `resourceType` are
/// kept; `version` follows the content ([`weak_etag`] over all of it; a service uses
/// [`stamp_update_for`]); `lastModified` moves only when the version changed (RFC 7644
/// §3.5.2.1: a no-op PATCH does not change the modify timestamp).
pub fn stamp_update(new: &mut Value, old: &Value) {
    stamp_update_with(new, old, weak_etag);
}

/// [`stamp_update`] for a resource of `schema`'s type, its version [`weak_etag_for`] the
/// schema: changing only a never-returned value (a password) changes neither the version
/// nor `lastModified`, so neither reveals it.
pub fn stamp_update_for(schema: &ResourceSchema<'_>, new: &mut Value, old: &Value) {
    stamp_update_with(new, old, |r| weak_etag_for(schema, r));
}

fn stamp_update_with(new: &mut Value, old: &Value, version_of: impl FnOnce(&Value) -> String) {
    let version = version_of(new);
    let old_meta = old
        .get("meta")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let unchanged = old_meta.get("version").and_then(Value::as_str) == Some(version.as_str());
    let last_modified = match (unchanged, old_meta.get("lastModified")) {
        (true, Some(lm)) => lm.clone(),
        _ => Value::from(now()),
    };
    if let Some(meta) = meta_mut(new) {
        *meta = old_meta;
        meta.remove("location");
        meta.insert("lastModified".to_owned(), last_modified);
        meta.insert("version".to_owned(), Value::from(version));
    }
}

/// Sets `meta.location` to `url` (derived per request, never stored).
pub(crate) fn set_location(resource: &mut Value, url: &str) {
    if let Some(meta) = meta_mut(resource) {
        meta.insert("location".to_owned(), Value::from(url));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn new_and_updated_resources_get_meta() {
        let mut r = json!({"userName": "ann"});
        stamp_new(&mut r, "User", "1");
        assert_eq!(r["id"], "1");
        assert_eq!(r["meta"]["resourceType"], "User");
        assert_eq!(r["meta"]["created"], r["meta"]["lastModified"]);
        let v1 = version_of(&r).unwrap().to_owned();

        let mut same = r.clone();
        stamp_update(&mut same, &r);
        assert_eq!(version_of(&same), Some(v1.as_str()));
        assert_eq!(same["meta"]["lastModified"], r["meta"]["lastModified"]);

        let mut changed = r.clone();
        changed["userName"] = json!("bob");
        stamp_update(&mut changed, &r);
        assert_ne!(version_of(&changed), Some(v1.as_str()));
        assert_eq!(changed["meta"]["created"], r["meta"]["created"]);
    }

    #[test]
    fn now_is_an_rfc3339_utc_time() {
        let t = now();
        assert!(t.ends_with('Z') && t.len() == 20, "{t}");
    }
}
