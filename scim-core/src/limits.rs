//! Bounds on the size of one resource, enforced wherever a resource is written (POST,
//! PUT, PATCH; see `docs/limits.md`). Past a bound the client gets 400 `tooMany`
//! (RFC 7644 §3.12) or, for `userName`, 400 `invalidValue`, with a detail naming it.

use serde_json::Value;

use crate::error::ScimError;

/// Bounds on the size of one resource; [`ServiceConfig`](crate::service::ServiceConfig)
/// holds them as `resource_limits`.
///
/// `#[non_exhaustive]`: a bound may be added in a minor release, so build one from
/// [`ResourceLimits::default`] and the `with_*` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceLimits {
    /// Most attributes in a resource: top-level, sub-attributes and extension attributes
    /// at any depth, except the server-managed `schemas`, `id` and `meta`; a multi-valued
    /// attribute counts its widest value once. Default 1,000.
    pub max_attributes: usize,
    /// Most values one multi-valued attribute may hold (e.g. `emails`), except a
    /// resource's `members`, which a group may have by the hundred thousand and whose
    /// size is the store's business. Default 1,000.
    pub max_values_per_attribute: usize,
    /// Longest `userName`, in characters (Unicode scalar values). Default 256.
    pub max_user_name_chars: usize,
}

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits {
            max_attributes: 1000,
            max_values_per_attribute: 1000,
            max_user_name_chars: 256,
        }
    }
}

/// Top-level members the server sets and bounds itself; not counted.
const SERVER_MANAGED: [&str; 3] = ["schemas", "id", "meta"];

/// The number of attributes in `resource`: every member of every object, at any depth
/// (sub-attributes, extension objects and their attributes), except the server-managed
/// `schemas`, `id` and `meta`. A multi-valued attribute counts its widest value once (its
/// number of values is bounded by [`ResourceLimits::max_values_per_attribute`]).
pub(crate) fn count_attributes(resource: &Value) -> usize {
    match resource {
        Value::Object(o) => count_members(o),
        other => count(other),
    }
}

/// The attributes the top-level `members` of a resource count for in
/// [`count_attributes`]: a resource's is the sum of its members'.
pub(crate) fn count_members<'a>(
    members: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> usize {
    members
        .into_iter()
        .filter(|(k, _)| !SERVER_MANAGED.iter().any(|m| m.eq_ignore_ascii_case(k)))
        .map(|(_, v)| 1 + count(v))
        .sum()
}

/// The attributes inside `v`, at any depth.
fn count(v: &Value) -> usize {
    match v {
        Value::Object(o) => o.len() + o.values().map(count).sum::<usize>(),
        Value::Array(a) => a.iter().map(count).max().unwrap_or(0),
        _ => 0,
    }
}

impl ResourceLimits {
    /// Returns these limits with the most attributes in a resource set to `n`.
    #[must_use]
    pub const fn with_max_attributes(mut self, n: usize) -> Self {
        self.max_attributes = n;
        self
    }

    /// Returns these limits with the most values one multi-valued attribute may hold set to `n`.
    #[must_use]
    pub const fn with_max_values_per_attribute(mut self, n: usize) -> Self {
        self.max_values_per_attribute = n;
        self
    }

    /// Returns these limits with the longest `userName`, in characters, set to `n`.
    #[must_use]
    pub const fn with_max_user_name_chars(mut self, n: usize) -> Self {
        self.max_user_name_chars = n;
        self
    }

    /// 400 `tooMany` when `resource` has more attributes than the limit and, when it
    /// replaces `previous`, more than `previous` had: a resource stored before the limit
    /// was lowered can still be changed in ways that do not grow it.
    pub(crate) fn check_attributes(
        &self,
        resource: &Value,
        previous: Option<&Value>,
    ) -> Result<(), ScimError> {
        let count = count_attributes(resource);
        if count <= self.max_attributes {
            return Ok(());
        }
        if previous.is_some_and(|p| count <= count_attributes(p)) {
            return Ok(());
        }
        Err(ScimError::too_many(format!(
            "the resource has {count} attributes (sub-attributes and extension attributes included), more than the limit of {}",
            self.max_attributes
        )))
    }

    /// 400 `tooMany` when the multi-valued attribute `label` would hold `values` values,
    /// more than the limit and (when it had `before`) more than before.
    pub(crate) fn check_values(
        &self,
        label: &str,
        values: usize,
        before: usize,
    ) -> Result<(), ScimError> {
        if values <= self.max_values_per_attribute || values <= before {
            return Ok(());
        }
        Err(ScimError::too_many(format!(
            "`{label}` would hold {values} values, more than the limit of {} values per attribute (max_values_per_attribute)",
            self.max_values_per_attribute
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_members_count_and_server_managed_ones_do_not() {
        let r = json!({
            "schemas": ["x"], "id": "1", "meta": {"version": "v"},
            "userName": "a",
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x"}, {"value": "b@x", "type": "work"}],
            "urn:x:ext": {"a": 1, "b": {"c": 2}}
        });
        // userName 1; name 1+2; emails 1+2; ext 1+2+1.
        assert_eq!(count_attributes(&r), 11);
    }

    #[test]
    fn growing_past_the_limit_is_refused_shrinking_is_not() {
        let limits = ResourceLimits {
            max_attributes: 2,
            ..ResourceLimits::default()
        };
        let big = json!({"a": 1, "b": 2, "c": 3, "d": 4});
        let smaller = json!({"a": 1, "b": 2, "c": 3});
        assert_eq!(
            limits.check_attributes(&big, None).unwrap_err().scim_type(),
            Some(crate::ScimType::TooMany)
        );
        assert!(limits.check_attributes(&smaller, Some(&big)).is_ok());
        assert!(limits.check_attributes(&big, Some(&smaller)).is_err());
        assert!(limits.check_values("emails", 5, 5).is_ok());
    }
}
