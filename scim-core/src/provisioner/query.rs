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
    /// `cursor` (RFC 9865 §2, §3): `None` when the client pages by `startIndex`;
    /// `Some("")` for the first page by cursor; otherwise a `nextCursor` (or
    /// `previousCursor`) this store handed out. Read the position it carries with
    /// [`cursor_position`](Self::cursor_position); answer with
    /// [`ListPage::with_next_cursor`] (the service only sends cursor queries to a store
    /// when `ServiceConfig::with_cursor_pagination` says it pages by cursor).
    pub cursor: Option<String>,
    /// The resource type queried (its `name`, e.g. `User`), so that a cursor is refused
    /// on another type's list; empty when the query was built by hand.
    pub resource_type: String,
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
            cursor: None,
            resource_type: String::new(),
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
/// `#[non_exhaustive]`: build one with [`ListPage::new`] and the `with_*` methods.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ListPage {
    /// How many resources matched in all.
    pub total_results: u64,
    /// The resources on this page.
    pub resources: Vec<Value>,
    /// For a query by cursor: the cursor of the next page, `None` on the last page
    /// (RFC 9865 §2: `nextCursor` is left out only when no page follows).
    pub next_cursor: Option<String>,
    /// For a query by cursor: the cursor of the previous page, if the store can page
    /// backwards (OPTIONAL, RFC 9865 §2; never on the first page).
    pub previous_cursor: Option<String>,
}

impl ListPage {
    /// A page holding `resources`, of `total_results` matched in all.
    pub fn new(total_results: u64, resources: Vec<Value>) -> Self {
        ListPage {
            total_results,
            resources,
            next_cursor: None,
            previous_cursor: None,
        }
    }

    /// Returns this page with the cursor of the next page set to `cursor`.
    #[must_use]
    pub fn with_next_cursor(mut self, cursor: Option<String>) -> Self {
        self.next_cursor = cursor;
        self
    }

    /// Returns this page with the cursor of the previous page set to `cursor`.
    #[must_use]
    pub fn with_previous_cursor(mut self, cursor: Option<String>) -> Self {
        self.previous_cursor = cursor;
        self
    }
}

/// The version byte every cursor this crate encodes starts with; a cursor with another
/// is refused (`invalidCursor`), so that a later format cannot be misread.
const CURSOR_VERSION: u8 = 1;

/// The tag of the position [`ListQuery::page`] puts in its cursors: the index of the
/// next resource and the id of the last one returned.
const IN_MEMORY_POSITION: u8 = b'I';

/// Encodes `bytes` as base64url without padding (RFC 4648 §5), whose alphabet is
/// within the unreserved characters RFC 9865 §2 asks cursors to keep to.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Decodes base64url without padding; `None` for any other text.
fn from_base64url(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= u32::from(value(*c)?) << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
        // The bits past the last whole byte must be zero: one text per byte string.
        let len = chunk.len() as u32;
        if len < 4 {
            let spare = 8 - 2 * len;
            if n & (((1 << spare) - 1) << (24 - 6 * len)) != 0 {
                return None;
            }
        }
    }
    Some(out)
}

/// FNV-1a, 64 bits: a digest that is the same in every process and release, for
/// telling one query's cursors from another's (not a secret: a cursor only positions a
/// client in a list it may read anyway).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain(std::iter::once(&0xff)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl ListQuery {
    /// The longest `cursor` accepted, in characters: a cursor holds a version, a digest
    /// of its query and a position (e.g. a unique key of at most a few hundred
    /// characters); a longer one is refused with 400 `invalidCursor`.
    pub const MAX_CURSOR_CHARS: usize = 4096;

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

    /// Returns this query with `cursor` set to `cursor` (`Some("")`: the first page by
    /// cursor, RFC 9865 §2).
    #[must_use]
    pub fn with_cursor(mut self, cursor: Option<String>) -> Self {
        self.cursor = cursor;
        self
    }

    /// Returns this query with the resource type queried set to `name`.
    #[must_use]
    pub fn with_resource_type(mut self, name: impl Into<String>) -> Self {
        self.resource_type = name.into();
        self
    }

    /// Whether the client pages by cursor (RFC 9865 §2): the answer then carries a
    /// `nextCursor` unless it is the last page.
    pub fn by_cursor(&self) -> bool {
        self.cursor.is_some()
    }

    /// What a cursor at `position` is bound to: the resource type, filter, `sortBy` and
    /// `sortOrder` (RFC 9865 §2: every other parameter is the same from page to page;
    /// `count` may change, `attributes` too, neither moving the position), and the
    /// position itself, so that an altered cursor is refused rather than read as
    /// another position.
    fn cursor_digest(&self, position: &[u8]) -> u64 {
        let filter = self.filter.as_ref().map(ToString::to_string);
        let sort_by = self
            .sort_by
            .as_ref()
            .map(|p| p.to_string().to_ascii_lowercase());
        let order: &[u8] = match self.sort_order {
            SortOrder::Ascending => b"a",
            SortOrder::Descending => b"d",
        };
        fnv1a(&[
            self.resource_type.to_ascii_lowercase().as_bytes(),
            filter.as_deref().unwrap_or("\0").as_bytes(),
            sort_by.as_deref().unwrap_or("\0").as_bytes(),
            order,
            position,
        ])
    }

    /// A cursor for this query that carries `position` (the store's own bytes, e.g. the
    /// sort key of the last resource returned): versioned, bound to the query (see
    /// [`cursor_position`](Self::cursor_position)), base64url text a client may put in a
    /// URL as it is (RFC 9865 §2). No state is kept: any replica reads it back.
    pub fn cursor_at(&self, position: &[u8]) -> String {
        let mut bytes = Vec::with_capacity(9 + position.len());
        bytes.push(CURSOR_VERSION);
        bytes.extend_from_slice(&self.cursor_digest(position).to_be_bytes());
        bytes.extend_from_slice(position);
        base64url(&bytes)
    }

    /// The position the query's cursor carries: `None` without a cursor or for the first
    /// page (`cursor` empty). 400 `invalidCursor` (RFC 9865 §2.1) for a cursor that is too
    /// long, not base64url, of another version, altered, or made for another query
    /// (another resource type, filter, `sortBy` or `sortOrder`).
    pub fn cursor_position(&self) -> Result<Option<Vec<u8>>, ScimError> {
        let Some(text) = self.cursor.as_deref().filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let restart = "; start again from the first page (an empty cursor) and pass each response's nextCursor unchanged";
        if text.len() > Self::MAX_CURSOR_CHARS {
            return Err(ScimError::invalid_cursor(format!(
                "the cursor is longer than {} characters, so not one this server handed out{restart}",
                Self::MAX_CURSOR_CHARS
            )));
        }
        let bytes = from_base64url(text)
            .filter(|b| b.len() >= 9 && b[0] == CURSOR_VERSION)
            .ok_or_else(|| {
                ScimError::invalid_cursor(format!(
                    "the cursor is not one this server handed out (malformed or truncated){restart}"
                ))
            })?;
        let digest = u64::from_be_bytes(bytes[1..9].try_into().unwrap_or_default());
        let position = &bytes[9..];
        if digest != self.cursor_digest(position) {
            return Err(ScimError::invalid_cursor(format!(
                "the cursor was handed out for another query, or altered: a cursor continues only the query it came from (same resource type, filter, sortBy and sortOrder){restart}"
            )));
        }
        Ok(Some(position.to_vec()))
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
    /// Pages by `startIndex`, or by cursor (RFC 9865) as [`slice_by`](Self::slice_by)
    /// does, the resources' `id` marking the position.
    pub fn page(&self, resources: impl IntoIterator<Item = Value>) -> Result<ListPage, ScimError> {
        let mut matched = Vec::new();
        for r in resources {
            if self.matches(&r)? {
                matched.push(r);
            }
        }
        self.sort(&mut matched, |r| r);
        self.slice_by(matched, |r| r.get("id").and_then(Value::as_str))
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

    /// Pages an already filtered and sorted list by `startIndex` (a cursor, if any, is
    /// not read: see [`slice_by`](Self::slice_by)).
    pub fn slice(&self, matched: Vec<Value>) -> ListPage {
        let total_results = matched.len() as u64;
        let skip = usize::try_from(self.start_index.saturating_sub(1)).unwrap_or(usize::MAX);
        let take = usize::try_from(self.count).unwrap_or(usize::MAX);
        let resources = matched.into_iter().skip(skip).take(take).collect();
        ListPage::new(total_results, resources)
    }

    /// Pages an already filtered and sorted list: by `startIndex`, or, for a query
    /// [`by_cursor`](Self::by_cursor), from the cursor's position with a `nextCursor`
    /// unless the page is the last (RFC 9865 §2). The position is the id of the last
    /// resource returned (`id` reads it), and its index for when that resource has gone
    /// since: resources added or removed elsewhere in the list neither repeat nor skip
    /// one. 400 `invalidCursor` for a cursor that is not this query's.
    pub fn slice_by(
        &self,
        matched: Vec<Value>,
        id: impl Fn(&Value) -> Option<&str>,
    ) -> Result<ListPage, ScimError> {
        if !self.by_cursor() {
            return Ok(self.slice(matched));
        }
        let total = matched.len();
        let start = match self.cursor_position()? {
            None => 0,
            Some(position) => {
                let (index, last) = split_in_memory_position(&position).ok_or_else(|| {
                    ScimError::invalid_cursor(
                        "the cursor is not a position in this list; start again from the first page (an empty cursor)",
                    )
                })?;
                let after = (!last.is_empty())
                    .then(|| matched.iter().position(|r| id(r) == Some(last)))
                    .flatten();
                after.map_or(
                    usize::try_from(index).unwrap_or(usize::MAX).min(total),
                    |i| i + 1,
                )
            }
        };
        let take = usize::try_from(self.count).unwrap_or(usize::MAX);
        let end = start.saturating_add(take).min(total);
        let next = (end < total).then(|| {
            let last = end
                .checked_sub(1)
                .and_then(|i| id(&matched[i]))
                .unwrap_or("");
            let mut position = vec![IN_MEMORY_POSITION];
            position.extend_from_slice(&(end as u64).to_be_bytes());
            position.extend_from_slice(last.as_bytes());
            self.cursor_at(&position)
        });
        let resources = matched.into_iter().skip(start).take(end - start).collect();
        Ok(ListPage::new(total as u64, resources).with_next_cursor(next))
    }
}

/// The index and last id an in-memory position holds (see [`ListQuery::slice_by`]).
fn split_in_memory_position(position: &[u8]) -> Option<(u64, &str)> {
    let (&tag, rest) = position.split_first()?;
    if tag != IN_MEMORY_POSITION || rest.len() < 8 {
        return None;
    }
    let index = u64::from_be_bytes(rest[..8].try_into().ok()?);
    Some((index, std::str::from_utf8(&rest[8..]).ok()?))
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
    fn base64url_round_trips_and_refuses_other_text() {
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37).wrapping_add(n)).collect();
            let text = base64url(&bytes);
            assert!(text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            assert_eq!(from_base64url(&text), Some(bytes), "{text}");
        }
        assert_eq!(base64url(b"\xfb\xff"), "-_8");
        for bad in ["A", "AB=", "A+B/", "é", "AB", "AAB"] {
            // "AB" and "AAB" leave bits set past the last byte.
            assert_eq!(from_base64url(bad), None, "{bad}");
        }
        assert_eq!(from_base64url("AA"), Some(vec![0]));
    }

    #[test]
    fn cursors_are_bound_to_their_query() {
        let users = query(Some("userName pr")).with_resource_type("User");
        let cursor = users.cursor_at(b"position");
        let again = users.clone().with_cursor(Some(cursor.clone()));
        assert_eq!(again.cursor_position().unwrap(), Some(b"position".to_vec()));
        // The first page: no position.
        let first = users.clone().with_cursor(Some(String::new()));
        assert_eq!(first.cursor_position().unwrap(), None);
        assert!(first.by_cursor());
        assert!(!users.by_cursor());
        // Another filter, type or order; garbage; too long; another version.
        let others = [
            query(None)
                .with_resource_type("User")
                .with_cursor(Some(cursor.clone())),
            users
                .clone()
                .with_resource_type("Group")
                .with_cursor(Some(cursor.clone())),
            users
                .clone()
                .with_sort_order(SortOrder::Descending)
                .with_cursor(Some(cursor.clone())),
            users.clone().with_cursor(Some("!!".into())),
            users.clone().with_cursor(Some(cursor[..10].into())),
            users
                .clone()
                .with_cursor(Some("A".repeat(ListQuery::MAX_CURSOR_CHARS + 4))),
            users.clone().with_cursor(Some(base64url(&[2; 12]))),
            // The position altered: the digest covers it.
            users.clone().with_cursor(Some({
                let mut bytes = from_base64url(&cursor).unwrap();
                *bytes.last_mut().unwrap() ^= 1;
                base64url(&bytes)
            })),
        ];
        for q in others {
            let e = q.cursor_position().unwrap_err();
            assert_eq!(e.scim_type(), Some(crate::ScimType::InvalidCursor), "{q:?}");
        }
    }

    #[test]
    fn in_memory_cursors_continue_after_the_last_id() {
        let users: Vec<Value> = (0..7).map(|i| json!({"id": format!("u{i}")})).collect();
        let mut q = ListQuery::default()
            .with_count(3)
            .with_cursor(Some(String::new()));
        let mut seen = Vec::new();
        loop {
            let page = q.page(users.clone()).unwrap();
            assert_eq!(page.total_results, 7);
            seen.extend(page.resources.iter().map(|r| r["id"].clone()));
            match page.next_cursor {
                Some(next) => q = q.with_cursor(Some(next)),
                None => break,
            }
        }
        assert_eq!(
            seen,
            users.iter().map(|r| r["id"].clone()).collect::<Vec<_>>()
        );
        // The last id returned gone: its index is used.
        let q = ListQuery::default()
            .with_count(3)
            .with_cursor(Some(String::new()));
        let next = q.page(users.clone()).unwrap().next_cursor.unwrap();
        let fewer: Vec<Value> = users.iter().filter(|u| u["id"] != "u2").cloned().collect();
        let page = q.with_cursor(Some(next)).page(fewer).unwrap();
        assert_eq!(page.resources[0]["id"], "u4");
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
