//! Helpers for a store's membership duties: a User's read-only `groups` follows the
//! groups that list it (RFC 7643 §4.1.2), and a deleted resource leaves every group.
//!
//! A store that keeps resources as JSON can use them as they are; a store with a
//! membership table uses [`group_ref`] and [`set_groups`] to present what it joined.

use serde_json::{json, Value};

/// The ids in a Group's `members` (each member's `value`), in order.
///
/// ```
/// use scim2_core::provisioner::member_ids;
/// let group = serde_json::json!({"id": "g1", "members": [{"value": "u1"}, {"value": "u2"}]});
/// assert_eq!(member_ids(&group).collect::<Vec<_>>(), ["u1", "u2"]);
/// ```
pub fn member_ids(group: &Value) -> impl Iterator<Item = &str> {
    group
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
}

/// The entry for `group` in a member's `groups`: its `value` (the group's id),
/// `display` (its `displayName`, when it has one) and `type` `"direct"`.
pub fn group_ref(group: &Value) -> Value {
    let mut r = json!({"value": group.get("id"), "type": "direct"});
    if let Some(name) = group.get("displayName").and_then(Value::as_str) {
        r["display"] = Value::from(name);
    }
    r
}

/// The `groups` value of the resource `member_id`: a [`group_ref`] for each of `groups`
/// whose `members` list it, in the order given. Pass every Group of the store (or those
/// an index says hold the member).
///
/// ```
/// use scim2_core::provisioner::groups_of;
/// use serde_json::json;
/// let groups = [
///     json!({"id": "g1", "displayName": "Sales", "members": [{"value": "u1"}]}),
///     json!({"id": "g2", "displayName": "Ops", "members": [{"value": "u2"}]}),
/// ];
/// assert_eq!(groups_of("u1", &groups),
///            [json!({"value": "g1", "display": "Sales", "type": "direct"})]);
/// ```
pub fn groups_of<'g>(member_id: &str, groups: impl IntoIterator<Item = &'g Value>) -> Vec<Value> {
    groups
        .into_iter()
        .filter(|g| member_ids(g).any(|m| m == member_id))
        .map(group_ref)
        .collect()
}

/// Sets a User's `groups` to `refs`, or removes the attribute when there are none
/// (an empty multi-valued attribute is unassigned, RFC 7643 §2.5). Whatever `groups` the
/// resource held before is replaced: clients cannot write it (it is read-only), so call
/// this on every User a store returns.
pub fn set_groups(user: &mut Value, refs: Vec<Value>) {
    let Some(obj) = user.as_object_mut() else {
        return;
    };
    if refs.is_empty() {
        obj.remove("groups");
    } else {
        obj.insert("groups".to_owned(), Value::Array(refs));
    }
}

/// Removes `member_id` from a Group's `members` (the attribute goes when it empties) and,
/// if it was there, updates the group's `meta` ([`stamp_update`](crate::meta::stamp_update):
/// a new `version` and `lastModified`). Returns whether the group changed. Call it on every
/// group when a resource is deleted, in the same transaction as the delete.
///
/// ```
/// use scim2_core::provisioner::remove_member;
/// let mut group = serde_json::json!({"id": "g1", "members": [{"value": "u1"}]});
/// assert!(remove_member(&mut group, "u1"));
/// assert!(group.get("members").is_none());
/// assert!(!remove_member(&mut group, "u1"));
/// ```
pub fn remove_member(group: &mut Value, member_id: &str) -> bool {
    let old = group.clone();
    let Some(members) = group.get_mut("members").and_then(Value::as_array_mut) else {
        return false;
    };
    let before = members.len();
    members.retain(|m| m.get("value").and_then(Value::as_str) != Some(member_id));
    if members.len() == before {
        return false;
    }
    if members.is_empty() {
        if let Some(obj) = group.as_object_mut() {
            obj.remove("members");
        }
    }
    crate::meta::stamp_update(group, &old);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_membership() {
        let groups = [
            json!({"id": "g1", "displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]}),
            json!({"id": "g2", "members": [{"value": "u1"}]}),
            json!({"id": "g3", "displayName": "Empty"}),
        ];
        let refs = groups_of("u1", &groups);
        assert_eq!(
            refs,
            [
                json!({"value": "g1", "display": "Sales", "type": "direct"}),
                json!({"value": "g2", "type": "direct"}),
            ]
        );
        let mut user = json!({"id": "u1", "groups": [{"value": "stale"}]});
        set_groups(&mut user, refs);
        assert_eq!(user["groups"][1]["value"], "g2");
        set_groups(&mut user, groups_of("u1", &groups[2..]));
        assert!(user.get("groups").is_none());
    }

    #[test]
    fn removing_a_member_restamps_the_group() {
        let mut group = json!({"id": "g1", "members": [{"value": "u1"}, {"value": "u2"}]});
        crate::meta::stamp_new(&mut group, "Group", "g1");
        let version = crate::meta::version_of(&group).unwrap().to_owned();
        assert!(remove_member(&mut group, "u1"));
        assert_eq!(member_ids(&group).collect::<Vec<_>>(), ["u2"]);
        assert_ne!(crate::meta::version_of(&group), Some(version.as_str()));
        let version = crate::meta::version_of(&group).unwrap().to_owned();
        assert!(!remove_member(&mut group, "nobody"));
        assert_eq!(crate::meta::version_of(&group), Some(version.as_str()));
    }
}
