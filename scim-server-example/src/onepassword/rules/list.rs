//! Listing: the plan for a query (an index, a page in SQL, or a scan), and scans that
//! read every row of a type in batches while holding only what the answer needs.

use scim2_core::provisioner::{ListPage, ListQuery};
use scim2_core::ScimError;
use serde_json::{Map, Value};

use super::view::{assemble, assemble_all};
use super::{Kind, Result};
use crate::store::Tx;

/// How a list request is answered.
pub(crate) enum Plan<'q> {
    /// No filter, no sort, a bounded page: paged in SQL.
    Page,
    /// `eq` on a unique attribute (`id`, `userName`/`displayName`): (attribute, value).
    Lookup(&'q str, &'q str),
    /// `eq` on `externalId`, which is not unique, with a bounded page and no sort:
    /// counted from the index and only the page read, in SQL.
    External(&'q str),
    /// Everything else: every row of the type read in batches, each evaluated and
    /// dropped unless it matches (see [`scan`]).
    Scan,
}

/// The plan for `query` on `kind`; `max_held` is the most resources one request may hold.
pub(crate) fn plan<'q>(kind: Kind, query: &'q ListQuery, max_held: usize) -> Plan<'q> {
    let unique_attr = kind.unique_attr();
    let bounded = usize::try_from(query.count).is_ok_and(|c| c <= max_held);
    if let Some(lookup) = query.equality_lookup() {
        if lookup.is_core("id") || lookup.is_core(unique_attr) {
            return Plan::Lookup(lookup.attribute, lookup.value);
        }
        // Any number of resources may share an externalId: sorted, or at root (every
        // match asked for), it is a scan, admitted and bounded like any other.
        if lookup.is_core("externalId") && query.sort_by.is_none() && bounded {
            return Plan::External(lookup.value);
        }
    }
    if query.filter.is_none() && query.sort_by.is_none() && bounded {
        Plan::Page
    } else {
        Plan::Scan
    }
}

/// What one [`scan`] may hold in memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeldLimits {
    /// The most resources (or, to sort, sort keys) held.
    pub(crate) resources: usize,
    /// The most bytes of JSON text held.
    pub(crate) bytes: usize,
}

/// A page of resources; `eq` on `id`, `userName`/`displayName` and (unsorted, one bounded
/// page) `externalId` use indexes, anything else is a [`scan`] bounded by `limits`.
pub(crate) fn list(
    tx: &mut dyn Tx,
    kind: Kind,
    query: &ListQuery,
    limits: HeldLimits,
) -> Result<ListPage> {
    let rt = kind.as_str();
    let rows = match plan(kind, query, limits.resources) {
        // No filter, no sort: page in SQL, so listing 100,000 users (as Okta's import
        // does) reads one page, not every row.
        Plan::Page => {
            let total = tx.count(rt)?;
            let rows = tx.page(rt, query.start_index.saturating_sub(1), query.count)?;
            let resources = assemble_all(tx, kind, rows)?;
            return Ok(ListPage::new(total, resources));
        }
        Plan::Lookup(attr, value) if attr.eq_ignore_ascii_case("id") => {
            tx.get(rt, value)?.into_iter().collect()
        }
        Plan::External(value) => {
            let total = tx.count_external(rt, value)?;
            let rows =
                tx.find_external(rt, value, query.start_index.saturating_sub(1), query.count)?;
            let resources = assemble_all(tx, kind, rows)?;
            return Ok(ListPage::new(total, resources));
        }
        Plan::Lookup(_, value) => tx
            .find_unique(rt, &value.to_lowercase())?
            .into_iter()
            .collect(),
        Plan::Scan => return scan(tx, kind, query, limits),
    };
    let resources = assemble_all(tx, kind, rows)?;
    Ok(query.page(resources)?)
}

/// Rows read per batch of a [`scan`].
const SCAN_BATCH: u64 = 256;

/// The key, in a [`sort_key_of`] object, holding the resource's id: no attribute name
/// or schema URN contains a space, so it never collides with what a sort reads.
const SORT_KEY_ID: &str = " id";

/// What sorting by `path` reads of `resource`, and its id: the top-level members named
/// as the path's attribute or schema URN (any casing), the rest of the resource left out.
/// `ListQuery::page` sorts these as it would the whole resources.
fn sort_key_of(resource: &Value, path: &scim2_core::filter::AttrPath, id: &str) -> Value {
    let wanted = |k: &str| {
        k.eq_ignore_ascii_case(path.name()) || path.urn().is_some_and(|u| k.eq_ignore_ascii_case(u))
    };
    let mut key: Map<String, Value> = resource
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| wanted(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    key.insert(SORT_KEY_ID.into(), Value::from(id));
    Value::Object(key)
}

/// The length of `v` as JSON text: the measure of what a [`scan`] holds.
fn json_len(v: &Value) -> usize {
    /// Counts what is written, keeping nothing.
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail, and a `Value` always serializes.
    let _ = serde_json::to_writer(&mut counter, v);
    counter.0
}

/// What a [`scan`] holds so far, against its [`HeldLimits`].
struct Held<'a> {
    rt: &'a str,
    limits: HeldLimits,
    resources: usize,
    bytes: usize,
}

impl<'a> Held<'a> {
    fn new(rt: &'a str, limits: HeldLimits) -> Self {
        Held {
            rt,
            limits,
            resources: 0,
            bytes: 0,
        }
    }

    /// Counts `v` as held; 400 `tooMany` with `advice` past either limit.
    fn hold(&mut self, v: &Value, advice: &str) -> Result<()> {
        let rt = self.rt;
        if self.resources >= self.limits.resources {
            let max = self.limits.resources;
            return Err(ScimError::too_many(format!(
                "more than {max} {rt} resources would have to be held to answer this request; {advice}"
            ))
            .into());
        }
        self.resources += 1;
        self.bytes = self.bytes.saturating_add(json_len(v));
        if self.bytes > self.limits.bytes {
            let max = self.limits.bytes;
            return Err(ScimError::too_many(format!(
                "more than {max} bytes of {rt} resources would have to be held to answer this request; {advice}"
            ))
            .into());
        }
        Ok(())
    }
}

/// Advice for a request refused for holding too much: what it holds is every match's
/// sort key when sorting, else the page.
const NARROW_OR_NO_SORT: &str = "narrow the filter or drop sortBy";
/// See [`NARROW_OR_NO_SORT`].
const NARROW_OR_SMALLER_PAGES: &str = "narrow the filter or ask for smaller pages (count)";

/// Answers `query` by reading every resource of `kind` in batches, evaluating the filter
/// on each and keeping only what the answer needs: the requested page; or, to sort,
/// each match's sort key and id ([`sort_key_of`]), the page's resources being read again
/// once sorted. Holding more than `limits` allow (in count or in bytes of JSON; the
/// sorted page's resources counted again from zero) is refused with 400 `tooMany`.
fn scan(tx: &mut dyn Tx, kind: Kind, query: &ListQuery, limits: HeldLimits) -> Result<ListPage> {
    let rt = kind.as_str();
    let skip = query.start_index.saturating_sub(1);
    let mut total: u64 = 0;
    let mut held = Vec::new();
    let mut budget = Held::new(rt, limits);
    let mut after = 0;
    loop {
        let batch = tx.scan_after(rt, after, SCAN_BATCH)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = *last;
        for (_, row) in batch {
            let id = row.id.clone();
            let resource = assemble(tx, kind, row)?;
            if !query.matches(&resource)? {
                continue;
            }
            total += 1;
            if let Some(path) = &query.sort_by {
                let key = sort_key_of(&resource, path, &id);
                budget.hold(&key, NARROW_OR_NO_SORT)?;
                held.push(key);
            } else if total > skip && total - skip <= query.count {
                budget.hold(&resource, NARROW_OR_SMALLER_PAGES)?;
                held.push(resource);
            }
        }
    }
    if query.sort_by.is_none() {
        return Ok(ListPage::new(total, held));
    }
    // Sorted and paged as whole resources would be; then the page's resources read.
    let keys_only = query.clone().with_filter(None).with_matcher(None);
    let page = keys_only.page(held)?;
    let mut budget = Held::new(rt, limits);
    let mut resources = Vec::with_capacity(page.resources.len());
    for key in &page.resources {
        let Some(id) = key.get(SORT_KEY_ID).and_then(Value::as_str) else {
            continue;
        };
        // Read in the same transaction as the scan: still there.
        let Some(row) = tx.get(rt, id)? else {
            continue;
        };
        let resource = assemble(tx, kind, row)?;
        budget.hold(&resource, NARROW_OR_SMALLER_PAGES)?;
        resources.push(resource);
    }
    Ok(ListPage::new(page.total_results, resources))
}
