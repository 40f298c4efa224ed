//! The stored form of a resource: what is never stored (passwords, client copies of
//! the server-owned extension) and what is computed (`groups`, `members`,
//! `meta.location`) removed, what no engine may hold (U+0000) refused, and the index
//! keys extracted. Every write goes through [`stored_row`], a client's through
//! [`to_row`].

use serde_json::{Map, Value};

use super::{str_at, Kind, RuleError};
use crate::onepassword::EXTENSION;
use crate::store::{Row, StoreError};

/// Whether `key` names the server-owned [`EXTENSION`], an attribute under it
/// (`urn:…:1password:2.0:User:state`) or any part of its namespace, or is a leading part
/// of its URN ending at a colon (`urn:ietf:params:scim:schemas:extension`, under which a
/// path-less PATCH value split at a colon, or a client, could rebuild it), in any casing
/// and with surrounding white space: URNs compare case-insensitively (RFC 8141 §3), so a
/// case variant is the same schema, and no client writes it.
fn is_extension_key(key: &str) -> bool {
    /// The namespace of the bridge's own schemas.
    const NAMESPACE: &str = "urn:ietf:params:scim:schemas:extension:1password";
    let key = key.trim();
    let under_namespace = key
        .get(..NAMESPACE.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(NAMESPACE));
    let leading_part = !key.is_empty()
        && EXTENSION.as_bytes().get(key.len()) == Some(&b':')
        && EXTENSION
            .get(..key.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(key));
    under_namespace || leading_part
}

/// Whether `key` is a `password` (RFC 7643 §4.1.1): bare, or as the last part of a
/// colon-separated name (`urn:…:User:password`, or what is left of one split at another
/// colon), in any casing and with surrounding white space.
fn is_password_key(key: &str) -> bool {
    let last = key.rsplit_once(':').map_or(key, |(_, name)| name);
    last.trim().eq_ignore_ascii_case("password")
}

/// Removes every object member named a password ([`is_password_key`]) at any depth of
/// `value`: however a client or a path-less PATCH nests it (under the core URN, or under
/// a URN split at a colon), no password is stored. Returns whether anything was removed.
fn strip_passwords(value: &mut Value) -> bool {
    let mut removed = false;
    // Depth first without recursion: the depth is the client's.
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(obj) => {
                let before = obj.len();
                obj.retain(|k, _| !is_password_key(k));
                removed |= obj.len() != before;
                stack.extend(obj.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    removed
}

/// Removes what the bridge never stores from a client's resource: every `password`, at
/// any depth ([`strip_passwords`]; people set their own 1Password and the bridge has no
/// use for it), and any client copy of the server-owned [`EXTENSION`]. Returns whether
/// anything was removed.
fn strip_client_data(obj: &mut Map<String, Value>) -> bool {
    let before = obj.len();
    obj.retain(|k, _| !is_password_key(k) && !is_extension_key(k));
    let mut removed = obj.len() != before;
    for v in obj.values_mut() {
        removed |= strip_passwords(v);
    }
    if let Some(Value::Array(schemas)) = obj.get_mut("schemas") {
        schemas.retain(|s| !s.as_str().is_some_and(is_extension_key));
    }
    removed
}

/// Where `value`, reached at `path` (`""` for the root), holds U+0000, in an object
/// member's name or in a string: the path of an attribute that does (`emails[0].value`;
/// in a name, U+0000 is written `\u0000`), if any.
fn nul_at(path: &str, value: &Value) -> Option<String> {
    // Depth first without recursion: the depth is the client's.
    let mut stack = vec![(path.to_owned(), value)];
    while let Some((path, v)) = stack.pop() {
        match v {
            Value::String(s) if s.contains('\0') => return Some(path),
            Value::Object(obj) => {
                for (k, v) in obj.iter().rev() {
                    let name = k.replace('\0', "\\u0000");
                    let path = if path.is_empty() {
                        name
                    } else {
                        format!("{path}.{name}")
                    };
                    if k.contains('\0') {
                        return Some(path);
                    }
                    stack.push((path, v));
                }
            }
            Value::Array(items) => {
                stack.extend(
                    items
                        .iter()
                        .enumerate()
                        .rev()
                        .map(|(i, v)| (format!("{path}[{i}]"), v)),
                );
            }
            _ => {}
        }
    }
    None
}

/// Refuses `value` (reached at `path`, `""` for a whole resource) when an attribute name
/// or a string in it holds U+0000: 400 `invalidValue` naming the attribute. PostgreSQL's
/// text cannot hold it, and its JSON functions fail on a row whose data escapes it (so
/// every member of such a group would become unreadable), so no engine stores it:
/// SQLite and PostgreSQL answer alike, and lookups for a value holding U+0000 find
/// nothing on either.
pub(super) fn refuse_nul(path: &str, value: &Value) -> Result<(), RuleError> {
    match nul_at(path, value) {
        None => Ok(()),
        Some(at) => Err(scim2_core::ScimError::invalid_value(format!(
            "attribute \"{at}\" holds U+0000 (a NUL character), which the bridge does not \
             store: remove it from the value or the attribute name"
        ))
        .with_attribute(at)
        .into()),
    }
}

/// The stored row for a resource a client sent (created, replaced, or the result of a
/// PATCH): [`stored_row`], refused (400 `invalidValue`, [`refuse_nul`]) when what would be
/// stored, a group's members (kept in rows of their own) included, holds U+0000. Every
/// client's write goes through here, on every engine, before anything is written.
pub(super) fn to_row(kind: Kind, id: &str, resource: &Value) -> Result<Row, RuleError> {
    let row = stored_row(kind, id, resource);
    refuse_nul("", &row.data)?;
    if let Some(members) = resource.get("members") {
        refuse_nul("members", members)?;
    }
    Ok(row)
}

/// The stored row for a resource: computed parts and what is never stored (see
/// [`strip_client_data`]) removed, index keys extracted. Every write goes through here:
/// a client's through [`to_row`]; the server's own rewrites of a stored resource (a new
/// `meta` after an account state changed) directly, refusing nothing already stored.
pub(super) fn stored_row(kind: Kind, id: &str, resource: &Value) -> Row {
    let mut data = resource.clone();
    if let Some(obj) = data.as_object_mut() {
        for computed in ["groups", "members"] {
            obj.remove(computed);
        }
        let stripped = strip_client_data(obj);
        if let Some(meta) = obj.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("location");
        }
        if stripped {
            // The version was computed over what was removed: computed again, so that no
            // ETag is a function of a password.
            let version = scim2_core::version::weak_etag(&Value::Object(obj.clone()));
            if let Some(meta) = obj.get_mut("meta").and_then(Value::as_object_mut) {
                meta.insert("version".into(), Value::from(version));
            }
        }
    }
    Row {
        id: id.to_owned(),
        unique_key: str_at(resource, kind.unique_attr()).map(str::to_lowercase),
        external_id: str_at(resource, "externalId").map(str::to_owned),
        data,
    }
}

/// A store failure while writing a resource of `kind`, a taken unique key (409
/// `uniqueness`) named for the client.
pub(super) fn duplicate(kind: Kind, e: StoreError) -> RuleError {
    match e {
        StoreError::Duplicate(_) => {
            let (rt, what) = (kind.as_str(), kind.unique_attr());
            scim2_core::ScimError::uniqueness(format!("another {rt} already has this {what}"))
                .into()
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim2_core::schema::urn;
    use serde_json::json;

    #[test]
    fn extension_keys_match_in_any_casing_and_any_split() {
        for k in [
            EXTENSION.to_owned(),
            EXTENSION.to_uppercase(),
            format!("{}:state", EXTENSION.to_uppercase()),
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:1PASSWORD:2.0".to_owned(),
            format!(" {EXTENSION} "),
            "urn:ietf:params:scim:schemas:extension".to_owned(),
            " URN:IETF:PARAMS:SCIM:SCHEMAS".to_owned(),
        ] {
            assert!(is_extension_key(&k), "{k}");
        }
        for k in [
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "userName",
            "urn:ietf:params:scim:schemas:extension:1pass",
            "urn:ietf:params:scim:schemas:core:2.0",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0",
            "",
            "é",
        ] {
            assert!(!is_extension_key(k), "{k}");
        }
    }

    #[test]
    fn passwords_and_client_extension_copies_are_stripped() {
        let mut v = json!({
            "userName": "a", "password": "p", "PASSWORD": "p",
            format!("{}:PASSWORD", urn::USER.to_uppercase()): "p",
            urn::USER: {"password": "p", "title": "kept"},
            "urn:ietf:params:scim:schemas:core:2.0": {"User": {" Password ": "p", "x": [{"password": "p"}]}},
            "schemas": [urn::USER, EXTENSION.to_lowercase()],
            EXTENSION.to_uppercase(): {"state": "active"},
            "meta": {"version": "W/\"x\""}
        });
        let row = stored_row(Kind::User, "id1", &v);
        assert_eq!(
            row.data,
            json!({"userName": "a", urn::USER: {"title": "kept"}, "schemas": [urn::USER],
                   "urn:ietf:params:scim:schemas:core:2.0": {"User": {"x": [{}]}},
                   "meta": {"version": row.data["meta"]["version"].clone()}})
        );
        assert_ne!(row.data["meta"]["version"], "W/\"x\"", "a new version");
        v.as_object_mut().unwrap().retain(|k, _| k == "userName");
        assert_eq!(
            stored_row(Kind::User, "id1", &v).data,
            json!({"userName": "a"})
        );
    }
}
