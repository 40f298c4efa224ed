//! Listing: the plan for a query, answered in SQL where the store can (the filter
//! translated, counted and paged by the database, [`super::select`]) and otherwise by
//! scans that read the selected rows in batches while holding only what the answer
//! needs.

use std::sync::atomic::{AtomicBool, Ordering};

use scim2_core::provisioner::{ListPage, ListQuery, SortOrder};
use scim2_core::schema::ResourceSchema;
use scim2_core::ScimError;
use serde_json::{Map, Value};

use super::select::{is_selective, select, Selected};
use super::view::assemble_all;
use super::{Kind, Result};
use crate::store::{After, Order, Row, Selection, Tx};

/// How a list request is admitted.
pub(crate) enum Plan {
    /// Through an index, and sorted by the database (in creation order or by the unique
    /// key): no filter, or equalities on `id`, `userName`/`displayName` or `externalId`.
    Indexed,
    /// Possibly reading every row of the type: admitted only while a full-scan slot is
    /// free, so that such requests cannot take every read connection from indexed ones.
    Scan,
}

/// The plan for `query` on `kind`; `max_held` is the most resources one request may hold.
pub(crate) fn plan(kind: Kind, query: &ListQuery, max_held: usize) -> Plan {
    let bounded = usize::try_from(query.count).is_ok_and(|c| c <= max_held);
    let in_sql = bounded && sql_order(kind, query).is_some();
    match &query.filter {
        Some(filter) if in_sql && is_selective(filter, kind) => Plan::Indexed,
        None if in_sql => Plan::Indexed,
        _ => Plan::Scan,
    }
}

/// The order of `query`'s results when the database can sort them as `sortBy` does
/// (RFC 7644 §3.4.2.3): creation order without `sortBy`, or the unique key for
/// `userName`/`displayName` (compared case-insensitively, which the lower-cased key
/// orders). `None` for any other `sortBy`.
fn sql_order(kind: Kind, query: &ListQuery) -> Option<Order> {
    let Some(path) = &query.sort_by else {
        return Some(Order::Created);
    };
    let core = path.urn().is_none_or(|u| {
        u.eq_ignore_ascii_case(&format!(
            "urn:ietf:params:scim:schemas:core:2.0:{}",
            kind.as_str()
        ))
    });
    (core
        && path.sub_attr().is_none()
        && path.name().eq_ignore_ascii_case(kind.unique_attr())
        && !query.sort_case_exact)
        .then_some(Order::UniqueKey {
            descending: query.sort_order == SortOrder::Descending,
        })
}

/// What one [`scan`] may hold in memory.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HeldLimits {
    /// The most resources (or, to sort, sort keys) held.
    pub(crate) resources: usize,
    /// The most bytes of JSON text held.
    pub(crate) bytes: usize,
}

/// A page of resources. The filter is translated to SQL; when the translation is exact
/// and the database can sort as asked, it counts the matches and reads only the page;
/// otherwise a [`scan`] reads the selected rows in batches, bounded by `limits`, and
/// stops once `abandoned` is set (the client gone).
pub(crate) fn list(
    tx: &mut dyn Tx,
    kind: Kind,
    schema: &ResourceSchema<'_>,
    query: &ListQuery,
    limits: HeldLimits,
    abandoned: &AtomicBool,
) -> Result<ListPage> {
    let rt = kind.as_str();
    // A cursor of another query is refused before anything is read (RFC 9865 §2.1).
    let position = query.cursor_position()?;
    let selected = select(tx, kind, schema, query.filter.as_ref())?;
    let (selection, exact) = (&selected.selection, selected.exact);
    let bounded = usize::try_from(query.count).is_ok_and(|c| c <= limits.resources);
    match sql_order(kind, query) {
        Some(order) if exact && bounded => {
            let skip = query.start_index.saturating_sub(1);
            let mut budget = Held::new(rt, limits);
            if query.by_cursor() {
                let after = after_of(position.as_deref(), order)?;
                return seek_page(tx, kind, query, selection, order, after, &mut budget);
            }
            // Without a filter (Okta's import pages through every user): counted from
            // the index, the page read by offset in the index's order. Otherwise the
            // matches' positions in one pass, then the page's rows.
            if *selection == Selection::all() {
                let total = tx.count(rt, selection)?;
                let wanted = query.count.min(total.saturating_sub(skip));
                let rows = read_chunked(wanted, &mut budget, |done, limit| {
                    tx.page(rt, selection, order, skip + done, limit)
                })?;
                return Ok(ListPage::new(total, assemble_all(tx, kind, rows)?));
            }
            let positions = tx.positions(rt, selection, order)?;
            let total = positions.len() as u64;
            let page: Vec<i64> = positions
                .into_iter()
                .skip(usize::try_from(skip).unwrap_or(usize::MAX))
                .take(usize::try_from(query.count).unwrap_or(usize::MAX))
                .collect();
            let mut chunks = page.chunks(PAGE_CHUNK as usize);
            let rows = read_chunked(page.len() as u64, &mut budget, |_, _| {
                chunks.next().map_or(Ok(Vec::new()), |c| tx.rows_at(rt, c))
            })?;
            Ok(ListPage::new(total, assemble_all(tx, kind, rows)?))
        }
        _ => scan(
            tx,
            kind,
            query,
            &selected,
            limits,
            abandoned,
            position.as_deref(),
        ),
    }
}

/// The tags of the positions the bridge's cursors carry (RFC 9865: opaque to clients;
/// [`ListQuery::cursor_at`] adds a version and binds them to their query).
const START_TAG: u8 = b'B';
/// See [`START_TAG`]: after a creation position (`seq`, 8 bytes big-endian).
const SEQ_TAG: u8 = b'S';
/// See [`START_TAG`]: after a unique key (UTF-8).
const KEY_TAG: u8 = b'K';

/// The bytes of `after`, for a cursor.
fn position_bytes(after: &After) -> Vec<u8> {
    match after {
        After::Seq(seq) => std::iter::once(SEQ_TAG).chain(seq.to_be_bytes()).collect(),
        After::Key(key) => std::iter::once(KEY_TAG).chain(key.bytes()).collect(),
        _ => vec![START_TAG],
    }
}

/// Where a page in `order` continues from a cursor's `position` (`None`: the first
/// page); 400 `invalidCursor` for a position that is not one of this order's (RFC 9865
/// §2.1).
fn after_of(position: Option<&[u8]>, order: Order) -> Result<After> {
    let Some(position) = position else {
        return Ok(After::Start);
    };
    let after = match position.split_first() {
        Some((&START_TAG, [])) => Some(After::Start),
        Some((&SEQ_TAG, seq)) => <[u8; 8]>::try_from(seq)
            .ok()
            .map(|b| After::Seq(i64::from_be_bytes(b))),
        Some((&KEY_TAG, key)) => std::str::from_utf8(key)
            .ok()
            .map(|k| After::Key(k.to_owned())),
        _ => None,
    };
    match (after, order) {
        (Some(After::Start), _) => Ok(After::Start),
        (Some(after @ After::Seq(_)), Order::Created) => Ok(after),
        (Some(after @ After::Key(_)), Order::UniqueKey { .. }) => Ok(after),
        _ => Err(ScimError::invalid_cursor(
            "the cursor is not a position in this list (was it handed out for another count or sortBy?); start again from the first page with an empty cursor",
        )
        .into()),
    }
}

/// The position of `row` (created at `seq`) in `order`.
fn position_in(order: Order, seq: i64, row: &Row) -> After {
    match order {
        Order::Created => After::Seq(seq),
        _ => After::Key(row.unique_key.clone().unwrap_or_default()),
    }
}

/// A page by cursor (RFC 9865) the database selects and sorts: read by index seek
/// after `after` ([`Tx::seek`]), one row more than asked to know whether a page
/// follows (`nextCursor`, after the page's last row), whatever the depth. The total is
/// counted by the database (for every resource of the type, from its index).
fn seek_page(
    tx: &mut dyn Tx,
    kind: Kind,
    query: &ListQuery,
    selection: &Selection,
    order: Order,
    after: After,
    budget: &mut Held<'_>,
) -> Result<ListPage> {
    let rt = kind.as_str();
    let total = tx.count(rt, selection)?;
    let wanted = query.count.saturating_add(1);
    let mut rows: Vec<Row> = Vec::new();
    let mut last = after;
    let mut more = false;
    while !more && (rows.len() as u64) < wanted {
        let limit = PAGE_CHUNK.min(wanted - rows.len() as u64);
        let chunk = tx.seek(rt, selection, order, &last, limit)?;
        if chunk.is_empty() {
            break;
        }
        for (seq, row) in chunk {
            if rows.len() as u64 == query.count {
                more = true;
                break;
            }
            budget.hold(&row.data, NARROW_OR_SMALLER_PAGES)?;
            last = position_in(order, seq, &row);
            rows.push(row);
        }
    }
    let next = more.then(|| query.cursor_at(&position_bytes(&last)));
    Ok(ListPage::new(total, assemble_all(tx, kind, rows)?).with_next_cursor(next))
}

/// Which matches of a [`scan`] in creation order make the page: the `startIndex`
/// window, or, by cursor, the first `count` created after the cursor's position, noting
/// whether any match follows them.
struct Window {
    /// `startIndex - 1`.
    skip: u64,
    /// `count`.
    count: u64,
    /// By cursor: the position the page follows.
    after: Option<i64>,
    /// Matches taken by cursor.
    taken: u64,
    /// The position of the last match taken.
    last: i64,
    /// Whether a match follows the page (by cursor).
    more: bool,
}

impl Window {
    /// Whether the match created at `seq`, the `nth` (1-based), is on the page.
    fn admit(&mut self, nth: u64, seq: i64) -> bool {
        let Some(after) = self.after else {
            return nth > self.skip && nth - self.skip <= self.count;
        };
        if seq <= after {
            return false;
        }
        if self.taken == self.count {
            self.more = true;
            return false;
        }
        self.taken += 1;
        self.last = seq;
        true
    }

    /// The cursor of the next page, if one follows.
    fn next_cursor(&self, query: &ListQuery) -> Option<String> {
        self.more
            .then(|| query.cursor_at(&position_bytes(&After::Seq(self.last))))
    }
}

/// Reads up to `wanted` rows with `read(done, limit)` (`done` read so far, at most
/// `limit` more), [`PAGE_CHUNK`] at a time, so that a page of large resources is refused
/// once it holds more than `budget` allows, not after it is all read.
fn read_chunked(
    wanted: u64,
    budget: &mut Held<'_>,
    mut read: impl FnMut(u64, u64) -> std::result::Result<Vec<Row>, crate::store::StoreError>,
) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    while (rows.len() as u64) < wanted {
        let done = rows.len() as u64;
        let chunk = read(done, PAGE_CHUNK.min(wanted - done))?;
        if chunk.is_empty() {
            break;
        }
        for row in chunk {
            budget.hold(&row.data, NARROW_OR_SMALLER_PAGES)?;
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Rows read per query of a page the database selects and sorts.
const PAGE_CHUNK: u64 = 32;

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

/// Answers `query` by reading the rows `selection` selects in batches, evaluating the
/// filter on each unless the selection is `exact`, and keeping only what the answer
/// needs: the requested page; or, to sort, each match's sort key and id
/// ([`sort_key_of`]), the page's resources being read again once sorted. Holding more
/// than `limits` allow (in count or in bytes of JSON; the sorted page's resources counted
/// again from zero) is refused with 400 `tooMany`. By cursor (RFC 9865), the page is
/// the matches after the cursor's position: in creation order, those created after it
/// ([`Window`]); sorted, those after the last id returned ([`ListQuery::slice_by`]).
fn scan(
    tx: &mut dyn Tx,
    kind: Kind,
    query: &ListQuery,
    selected: &Selected,
    limits: HeldLimits,
    abandoned: &AtomicBool,
    position: Option<&[u8]>,
) -> Result<ListPage> {
    let rt = kind.as_str();
    let (selection, exact) = (&selected.selection, selected.exact);
    let after = match (query.by_cursor(), &query.sort_by) {
        // Sorted in memory: the sorted keys are paged by ListQuery::slice_by.
        (true, None) => match after_of(position, Order::Created)? {
            After::Seq(seq) => Some(seq),
            _ => Some(0),
        },
        _ => None,
    };
    let mut window = Window {
        skip: query.start_index.saturating_sub(1),
        count: query.count,
        after,
        taken: 0,
        last: after.unwrap_or(0),
        more: false,
    };
    let mut total: u64 = 0;
    let mut keys = Vec::new();
    // The page: rows of an exact selection, assembled at the end; or resources assembled
    // to be evaluated.
    let mut page_rows: Vec<Row> = Vec::new();
    let mut page: Vec<Value> = Vec::new();
    let mut budget = Held::new(rt, limits);
    let mut scanned = 0;
    loop {
        if abandoned.load(Ordering::Relaxed) {
            tracing::info!(
                resource_type = rt,
                "a list request's client went away: its scan stopped"
            );
            return Err(ScimError::new(
                http::StatusCode::SERVICE_UNAVAILABLE,
                None,
                "the client went away",
            )
            .into());
        }
        let batch = tx.scan_after(rt, selection, scanned, SCAN_BATCH)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        scanned = *last;
        let (seqs, rows): (Vec<i64>, Vec<Row>) = batch.into_iter().unzip();
        // An exact selection needs no evaluation: only the page's rows are assembled.
        if exact && query.sort_by.is_none() {
            for (seq, row) in seqs.into_iter().zip(rows) {
                total += 1;
                if window.admit(total, seq) {
                    budget.hold(&row.data, NARROW_OR_SMALLER_PAGES)?;
                    page_rows.push(row);
                }
            }
            continue;
        }
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let assembled = assemble_all(tx, kind, rows)?.into_iter().zip(ids).zip(seqs);
        for ((resource, id), seq) in assembled {
            if !exact && !query.matches(&resource)? {
                continue;
            }
            total += 1;
            if let Some(path) = &query.sort_by {
                let key = sort_key_of(&resource, path, &id);
                budget.hold(&key, NARROW_OR_NO_SORT)?;
                keys.push(key);
            } else if window.admit(total, seq) {
                budget.hold(&resource, NARROW_OR_SMALLER_PAGES)?;
                page.push(resource);
            }
        }
    }
    if query.sort_by.is_none() {
        page.extend(assemble_all(tx, kind, page_rows)?);
        let next = window.next_cursor(query);
        return Ok(ListPage::new(total, page).with_next_cursor(next));
    }
    // Sorted and paged as whole resources would be (by cursor, from the id of the last
    // key returned); then the page's resources read.
    let keys_only = query.clone().with_filter(None).with_matcher(None);
    keys_only.sort(&mut keys, |k| k);
    let sorted = keys_only.slice_by(keys, |k| k.get(SORT_KEY_ID).and_then(Value::as_str))?;
    let mut budget = Held::new(rt, limits);
    let mut rows = Vec::with_capacity(sorted.resources.len());
    for key in &sorted.resources {
        let Some(id) = key.get(SORT_KEY_ID).and_then(Value::as_str) else {
            continue;
        };
        // Read in the same transaction as the scan: still there.
        let Some(row) = tx.get(rt, id)? else {
            continue;
        };
        budget.hold(&row.data, NARROW_OR_SMALLER_PAGES)?;
        rows.push(row);
    }
    Ok(
        ListPage::new(sorted.total_results, assemble_all(tx, kind, rows)?)
            .with_next_cursor(sorted.next_cursor),
    )
}
