//! Case-insensitive access to JSON object members: SCIM attribute names are
//! case-insensitive (RFC 7643 §2.1), so every lookup, write and removal of an attribute
//! in a resource goes through these.

use serde_json::{Map, Value};

/// The member `name` of `obj`: the exact spelling first, then any spelling.
pub(crate) fn get_ci<'v>(obj: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// [`get_ci`] on a value that may not be an object (`None` then).
pub(crate) fn member_ci<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    get_ci(v.as_object()?, name)
}

/// The key under which `map` holds `name` (the exact spelling first, then any).
pub(crate) fn key_ci(map: &Map<String, Value>, name: &str) -> Option<String> {
    if map.contains_key(name) {
        return Some(name.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Removes and returns the value of `name` (any spelling; other spellings are dropped).
pub(crate) fn take_ci(map: &mut Map<String, Value>, name: &str) -> Option<Value> {
    let key = key_ci(map, name)?;
    let value = map.remove(&key);
    remove_ci(map, name);
    value
}

/// Removes every key equal to `name` ignoring case.
pub(crate) fn remove_ci(map: &mut Map<String, Value>, name: &str) {
    map.retain(|k, _| !k.eq_ignore_ascii_case(name));
}

/// Sets `name` (replacing any spelling of it); `null` removes it.
pub(crate) fn set_ci(map: &mut Map<String, Value>, name: &str, value: Value) {
    remove_ci(map, name);
    if !value.is_null() {
        map.insert(name.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn members_are_found_written_and_removed_in_any_case() {
        let mut m = json!({"userName": "a", "USERNAME": "b"})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(get_ci(&m, "userName"), Some(&json!("a")));
        assert!(get_ci(&m, "username").is_some());
        set_ci(&mut m, "UserName", json!("c"));
        assert_eq!(m, *json!({"UserName": "c"}).as_object().unwrap());
        assert_eq!(take_ci(&mut m, "username"), Some(json!("c")));
        assert!(m.is_empty());
        set_ci(&mut m, "x", Value::Null);
        assert!(m.is_empty());
        assert_eq!(member_ci(&json!(1), "x"), None);
    }
}
