//! List queries (RFC 7644 §3.4.2): filter, sort, paging and projection, as the service
//! hands them to a provisioner, plus the in-memory evaluation a simple store can use.

use std::cmp::Ordering;

use crate::json::member_ci;
use scim2_filter::{AttrPath, CompValue, CompareOp, CompiledFilter, Filter, Predicate};
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

/// An `attribute eq "value"` filter on a top-level attribute, as
/// [`ListQuery::equality_lookup`] finds it. Names are as the client wrote them: compare
/// them case-insensitively ([`is_core`](Self::is_core),
/// [`is_extension`](Self::is_extension) do), and the value as the attribute's `caseExact`
/// says (`userName` and `displayName` case-insensitively, `id` and `externalId` exactly).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EqualityLookup<'q> {
    /// The URN of the extension schema the attribute belongs to, as written (e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`); `None` for an
    /// attribute of the core schema, written with its URN or without.
    pub schema: Option<&'q str>,
    /// The attribute's name, e.g. `userName` or `costCenter`.
    pub attribute: &'q str,
    /// The value compared with.
    pub value: &'q str,
}

impl EqualityLookup<'_> {
    /// Whether this is the core schema's attribute `name` (case-insensitively).
    pub fn is_core(&self, name: &str) -> bool {
        self.schema.is_none() && self.attribute.eq_ignore_ascii_case(name)
    }

    /// Whether this is the attribute `name` of the extension schema `urn`
    /// (both case-insensitively).
    pub fn is_extension(&self, urn: &str, name: &str) -> bool {
        self.schema.is_some_and(|s| s.eq_ignore_ascii_case(urn))
            && self.attribute.eq_ignore_ascii_case(name)
    }
}

/// Whether `urn` is a core schema's (`urn:ietf:params:scim:schemas:core:…`), in any case.
fn is_core_urn(urn: &str) -> bool {
    let prefix = scim2_filter::CORE_SCHEMA_PREFIX;
    urn.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
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

    /// If the filter is a single `attr eq "string"` on a top-level attribute, of the core
    /// schema or of an extension (what identity providers send to find one resource:
    /// `userName eq "…"`, `externalId eq "…"`, `displayName eq "…"`,
    /// `urn:…:enterprise:2.0:User:employeeNumber eq "…"`), returns it, so that a store
    /// can answer from an index. Anything else (`and`, `or`, `not`, a sub-attribute, a
    /// value path, another operator, a non-string value) is `None`.
    ///
    /// ```
    /// use scim2_core::filter::{parse_filter, CompiledFilter, NoSchema};
    /// use scim2_core::provisioner::ListQuery;
    ///
    /// let mut query = ListQuery::default();
    /// query.filter = Some(parse_filter(
    ///     r#"urn:example:params:scim:schemas:extension:acme:2.0:User:costCenter eq "42""#,
    /// )?);
    /// let lookup = query.equality_lookup().unwrap();
    /// assert!(lookup.is_extension("urn:example:params:scim:schemas:extension:acme:2.0:User", "costCenter"));
    /// assert!(!lookup.is_core("costCenter"));
    /// assert_eq!(lookup.value, "42");
    /// # Ok::<(), scim2_core::filter::ParseError>(())
    /// ```
    pub fn equality_lookup(&self) -> Option<EqualityLookup<'_>> {
        let Some(Filter::Attribute(expr)) = &self.filter else {
            return None;
        };
        let Predicate::Compare(CompareOp::Eq, CompValue::String(value)) = &expr.predicate else {
            return None;
        };
        let path = &expr.path;
        if path.sub_attr().is_some() {
            return None;
        }
        let schema = path.urn().filter(|urn| !is_core_urn(urn));
        Some(EqualityLookup {
            schema,
            attribute: path.name(),
            value: value.as_str(),
        })
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
        self.sort(&mut matched, |r| r);
        Ok(self.slice(matched))
    }

    /// Sorts `items` by `sortBy`/`sortOrder` (RFC 7644 §3.4.2.3) of the resource each
    /// holds (`resource`), stably; leaves them as they are without `sortBy`.
    pub fn sort<T>(&self, items: &mut Vec<T>, resource: impl Fn(&T) -> &Value) {
        let Some(path) = &self.sort_by else {
            return;
        };
        let mut keyed: Vec<(Option<Value>, T)> = std::mem::take(items)
            .into_iter()
            .map(|item| (sort_key(resource(&item), path), item))
            .collect();
        let case_exact = self.sort_case_exact;
        let descending = self.sort_order == SortOrder::Descending;
        keyed
            .sort_by(|(a, _), (b, _)| compare_keys(a.as_ref(), b.as_ref(), case_exact, descending));
        *items = keyed.into_iter().map(|(_, item)| item).collect();
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
        if !urn.starts_with(scim2_filter::CORE_SCHEMA_PREFIX) {
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

/// Orders two sort keys. Missing values are ordered as if greater than any value: last
/// when ascending, first when descending (RFC 7644 §3.4.2.3).
fn compare_keys(
    a: Option<&Value>,
    b: Option<&Value>,
    case_exact: bool,
    descending: bool,
) -> Ordering {
    let ord = match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => compare_values(a, b, case_exact),
    };
    if descending {
        ord.reverse()
    } else {
        ord
    }
}

/// Orders two present sort keys: strings (folded unless `case_exact`), numbers,
/// booleans; values of different types are equal.
fn compare_values(a: &Value, b: &Value, case_exact: bool) -> Ordering {
    match (a, b) {
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim2_filter::{parse_filter, NoSchema};
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

    fn lookup(filter: &str) -> Option<(Option<String>, String, String)> {
        let q = query(Some(filter));
        let l = q.equality_lookup()?;
        Some((
            l.schema.map(str::to_owned),
            l.attribute.to_owned(),
            l.value.to_owned(),
        ))
    }

    #[test]
    fn equality_lookups_are_recognised() {
        let core = |attr: &str, value: &str| Some((None, attr.to_owned(), value.to_owned()));
        assert_eq!(lookup(r#"userName eq "Ann""#), core("userName", "Ann"));
        assert_eq!(
            lookup(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#),
            core("userName", "a")
        );
        assert_eq!(
            lookup(r#"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:User:externalId eq "x""#),
            core("externalId", "x")
        );
        assert_eq!(lookup(r#"userName eq "a" or userName eq "b""#), None);
        assert_eq!(lookup(r#"userName eq "a" and active eq true"#), None);
        assert_eq!(lookup(r#"not (userName eq "a")"#), None);
        assert_eq!(lookup(r#"userName ne "a""#), None);
        assert_eq!(lookup(r#"name.givenName eq "a""#), None);
        assert_eq!(lookup(r#"emails[value eq "a"]"#), None);
        assert_eq!(lookup("userName eq 5"), None);
        assert_eq!(query(None).equality_lookup(), None);
    }

    #[test]
    fn extension_equality_lookups_carry_the_schema() {
        const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        assert_eq!(
            lookup(&format!(r#"{ENTERPRISE}:employeeNumber eq "42""#)),
            Some((
                Some(ENTERPRISE.to_owned()),
                "employeeNumber".to_owned(),
                "42".to_owned()
            ))
        );
        let q = query(Some(&format!(
            r#"{}:CostCenter eq "42""#,
            ENTERPRISE.to_uppercase()
        )));
        let l = q.equality_lookup().unwrap();
        assert!(l.is_extension(ENTERPRISE, "costCenter"));
        assert!(!l.is_core("costCenter"));
        assert!(!l.is_extension("urn:example:other", "costCenter"));
        assert_eq!(l.value, "42");

        let q = query(Some(r#"USERNAME eq "ann""#));
        let l = q.equality_lookup().unwrap();
        assert!(l.is_core("userName"));
        assert!(!l.is_extension(ENTERPRISE, "userName"));

        // A sub-attribute of an extension's complex attribute is not a lookup.
        assert_eq!(
            lookup(&format!(r#"{ENTERPRISE}:manager.value eq "m""#)),
            None
        );
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

        // Sorting by a multi-valued attribute uses the primary value; missing sorts last
        // when ascending and first when descending (RFC 7644 §3.4.2.3).
        let mut q = query(None);
        q.sort_by = Some(AttrPath::new("emails"));
        let page = q.page(users.clone()).unwrap();
        assert_eq!(page.resources[0]["userName"], "Ann");
        assert_eq!(page.resources[4]["displayName"], "no user name");
        q.sort_order = SortOrder::Descending;
        let page = q.page(users).unwrap();
        assert_eq!(page.resources[0]["displayName"], "no user name");
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
