//! Query parameters on PostgreSQL: typed values (so that every statement is parsed,
//! bound and run in one round trip), a list request's [`Selection`] values, and counts.

use postgres::types::{ToSql, Type};
use scim2_core::sql::SqlParam;

use super::tx::storable;
use crate::store::Selection;

/// A query parameter that names its PostgreSQL type, so that every statement goes to the
/// server typed, parsed, bound and run in one round trip (an untyped one takes two: the
/// server first describes what it expects).
pub(super) trait Param: Sync {
    /// The parameter's type.
    fn pg_type(&self) -> Type;
    /// The parameter as the driver takes it.
    fn as_sql(&self) -> &(dyn ToSql + Sync);
}

/// [`Param`] for each Rust type the statements here bind.
macro_rules! param {
    ($($t:ty => $pg:expr),* $(,)?) => {$(
        impl Param for $t {
            fn pg_type(&self) -> Type {
                $pg
            }
            fn as_sql(&self) -> &(dyn ToSql + Sync) {
                self
            }
        }
    )*};
}

param!(
    &str => Type::TEXT,
    String => Type::TEXT,
    Option<&str> => Type::TEXT,
    Option<String> => Type::TEXT,
    i64 => Type::INT8,
    Option<i64> => Type::INT8,
    f64 => Type::FLOAT8,
    Vec<i64> => Type::INT8_ARRAY,
    Vec<String> => Type::TEXT_ARRAY,
);

impl Param for crate::store::journal::AuditParam {
    fn pg_type(&self) -> Type {
        match self {
            crate::store::journal::AuditParam::Integer(_) => Type::INT8,
            crate::store::journal::AuditParam::Text(_) => Type::TEXT,
        }
    }
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            crate::store::journal::AuditParam::Integer(v) => v,
            crate::store::journal::AuditParam::Text(v) => v,
        }
    }
}

/// A value of a [`Selection`], as the driver binds it.
pub(super) enum Value {
    /// `text`.
    Text(String),
    /// `int8`.
    Integer(i64),
    /// `float8`.
    Real(f64),
    /// A kind of value a later scim2-core may add: bound as a `NULL` `text`, which no
    /// row matches.
    Null(Option<String>),
}

impl Param for Value {
    fn pg_type(&self) -> Type {
        match self {
            Value::Text(_) | Value::Null(_) => Type::TEXT,
            Value::Integer(_) => Type::INT8,
            Value::Real(_) => Type::FLOAT8,
        }
    }
    fn as_sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Value::Text(v) => v,
            Value::Integer(v) => v,
            Value::Real(v) => v,
            Value::Null(v) => v,
        }
    }
}

/// The values of a statement over `selection`: the resource type, the selection's
/// values, then `rest`.
pub(super) fn bind(
    rt: &str,
    selection: &Selection,
    rest: impl IntoIterator<Item = Value>,
) -> Vec<Value> {
    let values = selection.params.iter().map(|p| match p {
        SqlParam::Text(s) => Value::Text(s.clone()),
        SqlParam::Integer(i) => Value::Integer(*i),
        SqlParam::Real(f) => Value::Real(*f),
        _ => Value::Null(None),
    });
    std::iter::once(Value::Text(rt.to_owned()))
        .chain(values)
        .chain(rest)
        .collect()
}

/// `values` as references, as the statements here take them.
pub(super) fn refs(values: &[Value]) -> Vec<&dyn Param> {
    values.iter().map(|v| v as &dyn Param).collect()
}

/// `values` that may be stored (none holding U+0000), as one array value for
/// `= ANY($n)`, which the planner answers from an index.
pub(super) fn storable_list(values: &[String]) -> Vec<String> {
    values.iter().filter(|v| storable(v)).cloned().collect()
}

/// Query parameters.
pub(super) type Params<'a> = [&'a dyn Param];

/// `args` with their types, as the driver's typed calls take them.
pub(super) fn typed<'a>(args: &'a Params<'a>) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    args.iter().map(|a| (a.as_sql(), a.pg_type())).collect()
}

/// A count or bound as the database takes it.
pub(super) fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A count as the database returns it.
pub(super) fn count_of(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}
