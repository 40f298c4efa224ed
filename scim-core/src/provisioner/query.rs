//! List queries (RFC 7644 §3.4.2): filter, sort, paging and projection, as the service
//! hands them to a provisioner, plus the in-memory evaluation a simple store can use.

use std::cmp::Ordering;

use crate::json::member_ci;
use scim_filter::{AttrPath, CompValue, CompareOp, CompiledFilter, Filter, Predicate};
use serde_json::Value;

use crate::error::ScimError;
use crate::projection::Projection;

/// `sortOrder` (RFC 7644 §3.4.2.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortOrder {
    /// `ascending` (the default).
    #[default]
    Ascending,
    /// `descending`.
    Descending,
}

/// A parsed list query for one resource type.
///
/// `#[non_exhaustive]`: build one from [`ListQuery::default`] and the `with_*` methods.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ListQuery {
    /// The filter as parsed, for stores that translate it (e.g. to SQL).
    pub filter: Option<Filter>,
    /// The filter compiled against the resource type's schema, for in-memory matching.
    pub matcher: Option<CompiledFilter>,
    /// `sortBy`.
    pub sort_by: Option<AttrPath>,
    /// Whether `sortBy`'s attribute compares case-sensitively.
    pub sort_case_exact: bool,
    /// `sortOrder`.
    pub sort_order: SortOrder,
    /// `startIndex`, 1-based (values below 1 already raised to 1).
    pub start_index: u64,
    /// `count`, already capped at the service's page size limit; 0 asks only for the total.
    pub count: u64,
    /// `attributes` / `excludedAttributes`; the service applies it, a store may use it to
    /// fetch less.
    pub projection: Projection,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery {
            filter: None,
            matcher: None,
            sort_by: None,
            sort_case_exact: false,
            sort_order: SortOrder::Ascending,
            start_index: 1,
            count: 100,
            projection: Projection::default(),
        }
    }
}

/// One page of results.
///
/// `#[non_exhaustive]`: build one with [`ListPage::new`].
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ListPage {
    /// How many resources matched in all.
    pub total_results: u64,
    /// The resources on this page.
    pub resources: Vec<Value>,
}

impl ListPage {
    /// A page holding `resources`, of `total_results` matched in all.
    pub fn new(total_results: u64, resources: Vec<Value>) -> Self {
        ListPage {
            total_results,
            resources,
        }
    }
}

impl ListQuery {
    /// Returns this query with its parsed filter set to `filter`.
    #[must_use]
    pub fn with_filter(mut self, filter: Option<Filter>) -> Self {
        self.filter = filter;
        self
    }

    /// Returns this query with its compiled filter set to `matcher`.
    #[must_use]
    pub fn with_matcher(mut self, matcher: Option<CompiledFilter>) -> Self {
        self.matcher = matcher;
        self
    }

    /// Returns this query with `sortBy` set to `sort_by`.
    #[must_use]
    pub fn with_sort_by(mut self, sort_by: Option<AttrPath>) -> Self {
        self.sort_by = sort_by;
        self
    }

    /// Returns this query with whether `sortBy` compares case-sensitively set to `exact`.
    #[must_use]
    pub fn with_sort_case_exact(mut self, exact: bool) -> Self {
        self.sort_case_exact = exact;
        self
    }

    /// Returns this query with `sortOrder` set to `order`.
    #[must_use]
    pub fn with_sort_order(mut self, order: SortOrder) -> Self {
        self.sort_order = order;
        self
    }

    /// Returns this query with the 1-based `startIndex` set to `index`.
    #[must_use]
    pub fn with_start_index(mut self, index: u64) -> Self {
        self.start_index = index;
        self
    }

    /// Returns this query with `count` set to `count`.
    #[must_use]
    pub fn with_count(mut self, count: u64) -> Self {
        self.count = count;
        self
    }

    /// Returns this query with `attributes` / `excludedAttributes` set to `projection`.
    #[must_use]
    pub fn with_projection(mut self, projection: Projection) -> Self {
        self.projection = projection;
        self
    }

    /// If the filter is a single `attr eq "string"` on a top-level attribute (what Entra
    /// ID sends: `userName eq "…"`, `externalId eq "…"`, `displayName eq "…"`), returns
    /// the attribute name as written and the value, so a store can use an index.
    /// Compare the name case-insensitively.
    pub fn equality_lookup(&self) -> Option<(&str, &str)> {
        let Some(Filter::Attribute(expr)) = &self.filter else {
            return None;
        };
        let Predicate::Compare(CompareOp::Eq, CompValue::String(value)) = &expr.predicate else {
            return None;
        };
        let path = &expr.path;
        let core_urn = path
            .urn()
            .is_none_or(|u| u.starts_with(scim_filter::CORE_SCHEMA_PREFIX));
        (path.sub_attr().is_none() && core_urn).then(|| (path.name(), value.as_str()))
    }

    /// Whether `resource` matches the filter (all do without one).
    pub fn matches(&self, resource: &Value) -> Result<bool, ScimError> {
        match &self.matcher {
            Some(m) => Ok(m.matches(resource)?),
            None => Ok(true),
        }
    }

    /// Filters, sorts and pages `resources` in memory: the fallback for a simple store.
    pub fn page(&self, resources: impl IntoIterator<Item = Value>) -> Result<ListPage, ScimError> {
        let mut matched = Vec::new();
        for r in resources {
            if self.matches(&r)? {
                matched.push(r);
            }
        }
        if let Some(path) = &self.sort_by {
            let keyed: Vec<(Option<Value>, Value)> = matched
                .into_iter()
                .map(|r| (sort_key(&r, path), r))
                .collect();
            let mut keyed = keyed;
            let case_exact = self.sort_case_exact;
            let descending = self.sort_order == SortOrder::Descending;
            keyed.sort_by(|(a, _), (b, _)| {
                compare_keys(a.as_ref(), b.as_ref(), case_exact, descending)
            });
            matched = keyed.into_iter().map(|(_, r)| r).collect();
        }
        Ok(self.slice(matched))
    }

    /// Pages an already filtered and sorted list.
    pub fn slice(&self, matched: Vec<Value>) -> ListPage {
        let total_results = matched.len() as u64;
        let skip = usize::try_from(self.start_index.saturating_sub(1)).unwrap_or(usize::MAX);
        let take = usize::try_from(self.count).unwrap_or(usize::MAX);
        let resources = matched.into_iter().skip(skip).take(take).collect();
        ListPage {
            total_results,
            resources,
        }
    }
}

/// The value to sort `resource` by: the attribute at `path`; for a multi-valued
/// attribute, its primary value, else its first (RFC 7644 §3.4.2.3).
fn sort_key(resource: &Value, path: &AttrPath) -> Option<Value> {
    let mut base = resource;
    if let Some(urn) = path.urn() {
        if !urn.starts_with(scim_filter::CORE_SCHEMA_PREFIX) {
            base = member_ci(resource, urn)?;
        }
    }
    let mut v = member_ci(base, path.name())?;
    if let Value::Array(items) = v {
        v = items
            .iter()
            .find(|i| i.get("primary") == Some(&Value::Bool(true)))
            .or_else(|| items.first())?;
    }
    match path.sub_attr() {
        Some(sub) => member_ci(v, sub).cloned(),
        None => match v {
            Value::Object(_) => member_ci(v, "value").cloned(),
            other => Some(other.clone()),
        },
    }
}

/// Orders two sort keys; missing values sort last in either order.
fn compare_keys(
    a: Option<&Value>,
    b: Option<&Value>,
    case_exact: bool,
    descending: bool,
) -> Ordering {
    let (a, b) = match (a, b) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Greater,
        (Some(_), None) => return Ordering::Less,
        (Some(a), Some(b)) => (a, b),
    };
    let ord = match (a, b) {
        (Value::String(x), Value::String(y)) if !case_exact => {
            x.to_lowercase().cmp(&y.to_lowercase())
        }
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => Ordering::Equal,
    };
    if descending {
        ord.reverse()
    } else {
        ord
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim_filter::{parse_filter, NoSchema};
    use serde_json::json;

    fn query(filter: Option<&str>) -> ListQuery {
        let filter = filter.map(|f| parse_filter(f).unwrap());
        let matcher = filter
            .as_ref()
            .map(|f| CompiledFilter::new(f, &NoSchema).unwrap());
        ListQuery {
            filter,
            matcher,
            ..ListQuery::default()
        }
    }

    #[test]
    fn equality_lookups_are_recognised() {
        assert_eq!(
            query(Some(r#"userName eq "Ann""#)).equality_lookup(),
            Some(("userName", "Ann"))
        );
        assert_eq!(
            query(Some(
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#
            ))
            .equality_lookup(),
            Some(("userName", "a"))
        );
        assert_eq!(
            query(Some(r#"userName eq "a" or userName eq "b""#)).equality_lookup(),
            None
        );
        assert_eq!(
            query(Some(r#"name.givenName eq "a""#)).equality_lookup(),
            None
        );
        assert_eq!(query(Some("userName eq 5")).equality_lookup(), None);
        assert_eq!(query(None).equality_lookup(), None);
    }

    #[test]
    fn page_filters_sorts_and_slices() {
        let users: Vec<Value> = ["carol", "Ann", "bob", "dave"]
            .iter()
            .map(|n| json!({"userName": n, "emails": [{"value": format!("{n}@x.com"), "primary": true}]}))
            .chain([json!({"displayName": "no user name"})])
            .collect();
        let mut q = query(Some("userName pr"));
        q.sort_by = Some(AttrPath::new("userName"));
        let page = q.page(users.clone()).unwrap();
        assert_eq!(page.total_results, 4);
        let names: Vec<&str> = page
            .resources
            .iter()
            .map(|r| r["userName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Ann", "bob", "carol", "dave"]);

        q.sort_order = SortOrder::Descending;
        q.start_index = 2;
        q.count = 2;
        let page = q.page(users.clone()).unwrap();
        let names: Vec<&str> = page
            .resources
            .iter()
            .map(|r| r["userName"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["carol", "bob"]);
        assert_eq!(page.total_results, 4);

        // Sorting by a multi-valued attribute uses the primary value; missing sorts last.
        let mut q = query(None);
        q.sort_by = Some(AttrPath::new("emails"));
        let page = q.page(users).unwrap();
        assert_eq!(page.resources[0]["userName"], "Ann");
        assert_eq!(page.resources[4]["displayName"], "no user name");
    }

    #[test]
    fn count_zero_returns_only_the_total() {
        let mut q = query(None);
        q.count = 0;
        let page = q.page(vec![json!({}), json!({})]).unwrap();
        assert_eq!(page.total_results, 2);
        assert!(page.resources.is_empty());
    }
}
