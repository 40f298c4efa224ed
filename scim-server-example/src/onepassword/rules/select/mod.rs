//! Which rows a list request reads, in the store's own SQL: the filter translated by
//! [`scim2_core::sql`] (RFC 7644 §3.4.2.2), beside conditions on the indexed columns
//! (`id`, the unique key, `externalId`) that the translated predicate, which reads the
//! JSON document, cannot use an index for.
//!
//! The column conditions are implied by the filter (a superset of its matches), so
//! adding them changes nothing but how many rows the database reads: `userName eq "a"
//! or userName eq "b"` reads two rows through the unique index, `userName sw "j"` a range
//! of it, where the document predicate alone would read every row.

use scim2_core::filter::CompiledFilter;
use scim2_core::filter::{CompValue, CompareOp, Filter, Predicate};
use scim2_core::schema::ResourceSchema;
use scim2_core::sql::{translate, SqlDialect, SqlParam, SqlTarget};

use super::{Kind, Result};
use crate::onepassword::EXTENSION;
use crate::store::{Selection, Tx, EMAIL_VALUES};

/// The rows a filter selects, and whether the selection is exactly the filter's matches
/// (else a superset, which the caller filters again in Rust).
pub(crate) struct Selected {
    /// The SQL selection.
    pub(crate) selection: Selection,
    /// Whether `selection` selects exactly the matches.
    pub(crate) exact: bool,
}

/// The attributes of `kind` the stored document does not hold as clients see them:
/// computed when a resource is read ([`super::view`]), so their filters are left to the
/// evaluator.
fn computed(kind: Kind) -> Vec<String> {
    match kind {
        Kind::User => ["groups", "active"]
            .into_iter()
            .map(str::to_owned)
            .chain(
                ["state", "stateChangedAt"]
                    .into_iter()
                    .map(|a| format!("{EXTENSION}:{a}")),
            )
            .collect(),
        Kind::Group => vec!["members".to_owned()],
    }
}

/// The selection for `filter` (every row without one) over the resources of `kind`.
pub(crate) fn select(
    tx: &dyn Tx,
    kind: Kind,
    schema: &ResourceSchema<'_>,
    filter: Option<&Filter>,
) -> Result<Selected> {
    let Some(filter) = filter else {
        return Ok(Selected {
            selection: Selection::all(),
            exact: true,
        });
    };
    let target = tx.filter_target().with_computed(computed(kind));
    let selected = translated(tx, kind, schema, filter, &target)?;
    if selected.selection.sql.len() <= MAX_SQL {
        return Ok(selected);
    }
    // Too large to hand to the database (dateTime comparisons take kilobytes each):
    // the column conditions alone, the filter evaluated in Rust.
    tracing::debug!(%filter, bytes = selected.selection.sql.len(),
        "the filter's SQL is too large: it is evaluated in Rust");
    let (sql, params) = superset(filter, kind, &target, target.first_param)?;
    Ok(Selected {
        selection: Selection { sql, params },
        exact: false,
    })
}

/// The most SQL text a selection may hand to the database; a longer one is left to the
/// evaluator (see [`select`]).
const MAX_SQL: usize = 256 << 10;

/// The column conditions implied by `filter` as a superset of its matches, placeholders
/// numbered from `first`, with their values; empty when there are none.
fn superset(
    filter: &Filter,
    kind: Kind,
    target: &SqlTarget,
    first: usize,
) -> Result<(String, Vec<SqlParam>)> {
    let mut values = Vec::new();
    let mut none = |_: &Filter, _: usize| Ok((String::new(), Vec::new()));
    let sql = match hint(filter, kind, false) {
        Some(h) => h.write(target.dialect, first, &mut values, &mut none)?,
        None => String::new(),
    };
    Ok((sql, values))
}

/// The selection for `filter`: the column conditions alone when they say the whole
/// filter (the documents read only where a column does not know), else the filter's
/// translation beside the conditions it implies.
fn translated(
    tx: &dyn Tx,
    kind: Kind,
    schema: &ResourceSchema<'_>,
    filter: &Filter,
    target: &SqlTarget,
) -> Result<Selected> {
    let guard = tx.object_guard();
    // A row whose document is not a JSON object is selected whatever the filter, so
    // that reading it fails as corrupted (500, logged with its id) instead of the
    // filter quietly passing over it.
    let guarded = |sql: &str| format!("(CASE WHEN {guard} THEN {sql} ELSE TRUE END)");
    if let Some(cover) = hint(filter, kind, true) {
        // Refused exactly as the translation would refuse it (RFC 7644 §3.4.2.2).
        CompiledFilter::new(filter, schema).map_err(scim2_core::ScimError::from)?;
        let mut params = Vec::new();
        // Exact unless a leaf read from the documents has no exact SQL form.
        let mut exact = true;
        let mut leaf = |leaf: &Filter, first: usize| -> Result<(String, Vec<SqlParam>)> {
            let p = translate(leaf, schema, &target.clone().with_first_param(first))?;
            exact &= p.exact;
            Ok((guarded(&p.sql), p.params))
        };
        let sql = cover.write(target.dialect, target.first_param, &mut params, &mut leaf)?;
        return Ok(Selected {
            selection: Selection { sql, params },
            exact,
        });
    }
    let predicate = translate(filter, schema, target)?;
    let mut params = predicate.params;
    let mut sql = guarded(&predicate.sql);
    let (condition, values) = superset(filter, kind, target, target.first_param + params.len())?;
    if !condition.is_empty() {
        sql = format!("{condition} AND {sql}");
        params.extend(values);
    }
    Ok(Selected {
        selection: Selection { sql, params },
        exact: predicate.exact,
    })
}

/// Whether `filter` on `kind` is answered through an index on an equality (one or a few
/// rows read), so that it need not wait for a full scan's turn.
pub(crate) fn is_selective(filter: &Filter, kind: Kind) -> bool {
    comparisons(filter) <= MAX_SELECTIVE_COMPARISONS
        && hint(filter, kind, false).is_some_and(|h| h.selective())
}

/// The most comparisons a filter with an index equality may hold and still not wait
/// for a full-scan permit: past it, what the database compiles and evaluates on the
/// few rows the index selects costs more than a lookup should.
const MAX_SELECTIVE_COMPARISONS: usize = 16;

/// How many comparisons (`pr`, `op value`, value paths) `filter` holds.
fn comparisons(filter: &Filter) -> usize {
    match filter {
        Filter::Attribute(_) | Filter::ValuePath(_) => 1,
        Filter::Not(f) => comparisons(f),
        Filter::And(a, b) | Filter::Or(a, b) => comparisons(a) + comparisons(b),
    }
}

/// The document predicate of one leaf of a filter, placeholders numbered from the
/// given one, with its values (see [`Hint::write`]).
type LeafPredicate<'a> = dyn FnMut(&Filter, usize) -> Result<(String, Vec<SqlParam>)> + 'a;

/// An indexed column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    /// The resource id (`caseExact`).
    Id,
    /// The lower-cased `userName` or group `displayName`.
    UniqueKey,
    /// `externalId` (`caseExact`).
    ExternalId,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Id => "id",
            Column::UniqueKey => "unique_key",
            Column::ExternalId => "external_id",
        }
    }
}

/// A condition on the indexed columns implied by a filter.
#[derive(Clone, Debug, PartialEq)]
enum Hint {
    /// `column = value`.
    Eq(Column, String),
    /// `column >= low` and, when there is one, `column < high` (code point order).
    Range(Column, String, Option<String>),
    /// `meta.lastModified op instant` on the `last_modified` column (nanoseconds since
    /// 1970, NULL where the document's value is not a dateTime the column can hold: for
    /// those rows the leaf filter is read from the document).
    Instant(CompareOp, i64, Box<Filter>),
    /// `emails.value` equal to this lower-cased value, through the `resource_values`
    /// table (whose NULL rows stand for values it does not hold: for those resources the
    /// leaf filter is read from the document).
    Email(String, Box<Filter>),
    /// Every one holds.
    And(Vec<Hint>),
    /// One of them holds.
    Or(Vec<Hint>),
}

/// The column condition implied by `filter` on `kind`, if there is one: equal to the
/// filter when `exact` (every leaf said by the columns, `and` needing both sides), else
/// a superset of its matches (`and` needing either side). Only top-level `eq`/`sw` on
/// `id`, the unique attribute and `externalId`, and comparisons of `meta.lastModified`
/// with a dateTime, under `and`/`or`, give one; a value holding U+0000 (which no stored
/// key holds, and PostgreSQL cannot bind) gives none.
fn hint(filter: &Filter, kind: Kind, exact: bool) -> Option<Hint> {
    match filter {
        Filter::Attribute(expr) => leaf_hint(filter, expr, kind),
        Filter::And(a, b) => match (hint(a, kind, exact), hint(b, kind, exact)) {
            (Some(a), Some(b)) => Some(Hint::And(vec![a, b])),
            (one, other) if !exact => one.or(other),
            _ => None,
        },
        Filter::Or(a, b) => Some(Hint::Or(vec![hint(a, kind, exact)?, hint(b, kind, exact)?])),
        Filter::ValuePath(vp) if !exact => email_in_value_path(filter, vp, kind),
        Filter::ValuePath(_) | Filter::Not(_) => None,
    }
}

/// A superset of the value path `vp` (the whole `filter`) through the `emails.value`
/// index: `emails[… value eq "x" …]` or Entra's `emails[…].value eq "x"`.
fn email_in_value_path(
    filter: &Filter,
    vp: &scim2_core::filter::ValuePathExpr,
    kind: Kind,
) -> Option<Hint> {
    if kind != Kind::User || !is_core_attr(&vp.attr, kind, "emails") || vp.attr.sub_attr().is_some()
    {
        return None;
    }
    let email = |predicate: &Predicate| match predicate {
        Predicate::Compare(CompareOp::Eq, CompValue::String(v)) if !v.contains('\0') => {
            Some(Hint::Email(v.to_lowercase(), Box::new(filter.clone())))
        }
        _ => None,
    };
    if let Some(sub) = &vp.sub_attr {
        if sub.name.eq_ignore_ascii_case("value") {
            return email(&sub.predicate);
        }
    }
    /// `value eq "x"` among the conjuncts of `f`.
    fn conjunct(f: &Filter) -> Option<&Predicate> {
        match f {
            Filter::Attribute(e)
                if e.path.urn().is_none()
                    && e.path.sub_attr().is_none()
                    && e.path.name().eq_ignore_ascii_case("value") =>
            {
                Some(&e.predicate)
            }
            Filter::And(a, b) => conjunct(a).or_else(|| conjunct(b)),
            _ => None,
        }
    }
    email(conjunct(&vp.filter)?)
}

/// Whether `path` names the core attribute `name` of `kind` (with its URN or without).
fn is_core_attr(path: &scim2_core::filter::AttrPath, kind: Kind, name: &str) -> bool {
    path.urn()
        .is_none_or(|u| u.eq_ignore_ascii_case(&core_urn(kind)))
        && path.name().eq_ignore_ascii_case(name)
}

/// The column condition equal to one comparison `leaf` (`expr`), if there is one.
fn leaf_hint(leaf: &Filter, expr: &scim2_core::filter::AttrExpr, kind: Kind) -> Option<Hint> {
    let path = &expr.path;
    let core = path
        .urn()
        .is_none_or(|u| u.eq_ignore_ascii_case(&core_urn(kind)));
    if !core {
        return None;
    }
    let Predicate::Compare(op, CompValue::String(value)) = &expr.predicate else {
        return None;
    };
    if value.contains('\0') {
        return None;
    }
    let name = path.name();
    if let Some(sub) = path.sub_attr() {
        if kind == Kind::User
            && name.eq_ignore_ascii_case("emails")
            && sub.eq_ignore_ascii_case("value")
        {
            return (*op == CompareOp::Eq)
                .then(|| Hint::Email(value.to_lowercase(), Box::new(leaf.clone())));
        }
        if !(name.eq_ignore_ascii_case("meta") && sub.eq_ignore_ascii_case("lastModified")) {
            return None;
        }
        // Instants, as the evaluator compares dateTimes (`ne` and substrings aside).
        let at = i64::try_from(scim2_core::filter::date_time_instant(value)?).ok()?;
        return matches!(
            op,
            CompareOp::Eq | CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
        .then(|| Hint::Instant(*op, at, Box::new(leaf.clone())));
    }
    let column = if name.eq_ignore_ascii_case("id") {
        Column::Id
    } else if name.eq_ignore_ascii_case(kind.unique_attr()) {
        Column::UniqueKey
    } else if name.eq_ignore_ascii_case("externalId") {
        Column::ExternalId
    } else {
        return None;
    };
    // The unique key is lower-cased as the evaluator folds case-insensitive text
    // (`str::to_lowercase`); `id` and `externalId` are caseExact.
    let value = if column == Column::UniqueKey {
        value.to_lowercase()
    } else {
        value.clone()
    };
    match op {
        CompareOp::Eq => Some(Hint::Eq(column, value)),
        CompareOp::Sw => {
            let high = successor(&value);
            Some(Hint::Range(column, value, high))
        }
        _ => None,
    }
}

/// The core schema URN of `kind`'s resource type (RFC 7643 §4.1, §4.2).
fn core_urn(kind: Kind) -> String {
    format!("urn:ietf:params:scim:schemas:core:2.0:{}", kind.as_str())
}

/// The least string greater than every string starting with `prefix`, in code point
/// order; `None` when there is none (`prefix` empty, or all of `char::MAX`).
fn successor(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

impl Hint {
    /// Whether the condition is equalities only: one or a few rows, through an index.
    fn selective(&self) -> bool {
        match self {
            Hint::Eq(..) | Hint::Email(..) => true,
            Hint::Range(..) | Hint::Instant(..) => false,
            Hint::And(all) => all.iter().any(Hint::selective),
            Hint::Or(all) => all.iter().all(Hint::selective),
        }
    }

    /// The condition in `dialect`, its placeholders numbered from `first`, its values
    /// appended to `values`. `leaf(filter, first)` gives the document predicate of an
    /// [`Hint::Instant`] leaf for the rows whose column is NULL (numbered from `first`),
    /// or an empty text for a superset, which takes every such row.
    fn write(
        &self,
        dialect: SqlDialect,
        first: usize,
        values: &mut Vec<SqlParam>,
        leaf: &mut LeafPredicate<'_>,
    ) -> Result<String> {
        let bind = |v: SqlParam, values: &mut Vec<SqlParam>| {
            let ty = match (&v, dialect) {
                (SqlParam::Integer(_), SqlDialect::Postgres) => "::int8",
                (_, SqlDialect::Postgres) => "::text",
                _ => "",
            };
            values.push(v);
            let n = first + values.len() - 1;
            match dialect {
                SqlDialect::Postgres => format!("${n}{ty}"),
                _ => format!("?{n}"),
            }
        };
        let text = |v: &str| SqlParam::Text(v.to_owned());
        // Ranges in code point order, whatever the database's collation.
        let ordered = |c: Column| match dialect {
            SqlDialect::Postgres => format!("{} COLLATE \"C\"", c.name()),
            _ => c.name().to_owned(),
        };
        Ok(match self {
            Hint::Eq(c, v) => format!("{} = {}", c.name(), bind(text(v), values)),
            Hint::Range(c, low, high) => {
                let col = ordered(*c);
                let mut sql = format!("{col} >= {}", bind(text(low), values));
                if let Some(high) = high {
                    sql += &format!(" AND {col} < {}", bind(text(high), values));
                }
                format!("({sql})")
            }
            Hint::Instant(op, at, filter) => {
                let symbol = match op {
                    CompareOp::Gt => ">",
                    CompareOp::Ge => ">=",
                    CompareOp::Lt => "<",
                    CompareOp::Le => "<=",
                    _ => "=",
                };
                let known = format!(
                    "last_modified {symbol} {}",
                    bind(SqlParam::Integer(*at), values)
                );
                let (unknown, more) = leaf(filter, first + values.len())?;
                values.extend(more);
                if unknown.is_empty() {
                    format!("({known} OR last_modified IS NULL)")
                } else {
                    format!("({known} OR (last_modified IS NULL AND {unknown}))")
                }
            }
            Hint::Email(value, filter) => {
                let rt = match dialect {
                    SqlDialect::Postgres => "$1",
                    _ => "?1",
                };
                let ids = |condition: String| {
                    format!(
                        "id IN (SELECT id FROM resource_values WHERE resource_type = {rt} \
                         AND attr = '{EMAIL_VALUES}' AND {condition})"
                    )
                };
                // The candidates through the index (the value, or a value it does not
                // hold), then, for an exact answer, those with the value or whose
                // document matches: a shape both planners drive from the index.
                let v = bind(text(value), values);
                let candidates = ids(format!("(value = {v} OR value IS NULL)"));
                let (leaf_sql, more) = leaf(filter, first + values.len())?;
                values.extend(more);
                if leaf_sql.is_empty() {
                    candidates
                } else {
                    let known = ids(format!("value = {v}"));
                    format!("({candidates} AND ({known} OR {leaf_sql}))")
                }
            }
            Hint::And(all) | Hint::Or(all) => {
                let joint = if matches!(self, Hint::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let mut parts = Vec::with_capacity(all.len());
                for h in all {
                    parts.push(h.write(dialect, first, values, leaf)?);
                }
                format!("({})", parts.join(joint))
            }
        })
    }
}

#[cfg(test)]
mod tests;
