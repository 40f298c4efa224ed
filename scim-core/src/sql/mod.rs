//! SCIM filters (RFC 7644 §3.4.2.2) translated to parameterised SQL predicates over a
//! JSON document column, for stores that keep each resource as one JSON document:
//! SQLite (its JSON functions, 3.38 or later) and PostgreSQL (`jsonb`).
//!
//! [`translate`] takes a parsed filter, the resource type's schema and a [`SqlTarget`]
//! (the dialect, the SQL expression of the document column and the first placeholder
//! number) and returns a [`SqlPredicate`]: SQL text to put in a `WHERE` clause, the
//! values to bind to its placeholders, and whether the predicate is exact.
//!
//! ```
//! use rusqlite::{params_from_iter, Connection};
//! use scim2_core::filter::parse_filter;
//! use scim2_core::schema::SchemaRegistry;
//! use scim2_core::sql::{translate, SqlDialect, SqlParam, SqlTarget};
//!
//! let registry = SchemaRegistry::standard();
//! let users = registry.resource_schema("User").unwrap();
//! let filter = parse_filter(r#"userName sw "B" and emails[type eq "work" and value co "@example"]"#)?;
//! let target = SqlTarget::new(SqlDialect::Sqlite, "data");
//! let predicate = translate(&filter, &users, &target)?;
//! // Values are bound, never spliced into the SQL.
//! assert!(!predicate.sql.contains("example"));
//! assert!(predicate.exact);
//!
//! let db = Connection::open_in_memory()?;
//! db.execute_batch("CREATE TABLE users (id TEXT, data TEXT)")?;
//! for (id, data) in [
//!     ("1", r#"{"userName": "bjensen", "emails": [{"type": "work", "value": "b@example.com"}]}"#),
//!     ("2", r#"{"userName": "bob", "emails": [{"type": "home", "value": "b@example.com"}]}"#),
//! ] {
//!     db.execute("INSERT INTO users VALUES (?1, ?2)", [id, data])?;
//! }
//! let values = predicate.params.iter().map(|p| match p {
//!     SqlParam::Text(s) => rusqlite::types::Value::Text(s.clone()),
//!     SqlParam::Integer(i) => rusqlite::types::Value::Integer(*i),
//!     SqlParam::Real(f) => rusqlite::types::Value::Real(*f),
//!     _ => unreachable!("no other kind of value in this version"),
//! });
//! let mut query = db.prepare(&format!("SELECT id FROM users WHERE {}", predicate.sql))?;
//! let ids: Vec<String> = query
//!     .query_map(params_from_iter(values), |row| row.get(0))?
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(ids, ["1"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the predicate means
//!
//! The predicate selects exactly the documents the in-memory evaluator
//! ([`CompiledFilter`]) matches, with the same semantics:
//! `caseExact` and case-insensitive comparison, "any value" of multi-valued attributes,
//! value paths whose conditions hold on one element, `pr` (absent, `null`, `""`, `[]` and
//! `{}` are unassigned), dateTimes compared as instants whatever their offsets, numbers
//! and booleans compared as the evaluator compares them, `not`, `and`, `or`,
//! sub-attributes and extension attributes. The guarantee holds for documents:
//!
//! - whose attribute names are the schema's canonical spelling, as scim-core's validation
//!   writes them (attribute names in the *filter* may be in any case: they are resolved
//!   against the schema, and only the schema's names reach SQL);
//! - whose numbers are as serde_json writes them (integers as integers, floats as the
//!   shortest text of an `f64`);
//! - that hold every attribute the filter reads: the predicate sees only the stored
//!   document, so an attribute a store computes when it reads (a User's `groups`,
//!   derived from the groups' `members`) must be stored, or named in
//!   [`SqlTarget::with_computed`] so that its filters are left to the evaluator;
//! - on which the evaluator does not fail: where it reports an error (a boolean stored in
//!   an attribute of another type and compared with `gt`), the SQL treats the value as
//!   not matching.
//!
//! When a part of the filter cannot be expressed exactly, the predicate is a *superset*
//! of the matches and [`SqlPredicate::exact`] is `false`: the caller must then also run
//! the filter in Rust on the rows the SQL returns. That happens for:
//!
//! - an attribute the schema does not define, or whose name holds characters outside the
//!   attribute-name grammar (RFC 7643 §2.1): it never reaches SQL; likewise an attribute
//!   the caller marks as computed ([`SqlTarget::with_computed`]);
//! - a case-insensitive comparison whose (lower-cased) value is not ASCII, on stored
//!   strings that are not ASCII: SQL has no lower-casing that is the same as Rust's
//!   Unicode one in every engine and locale. With an ASCII value the comparison is exact
//!   (SQL lower-cases ASCII letters itself, and the two non-ASCII letters whose Rust
//!   lower case holds ASCII, KELVIN SIGN and LATIN CAPITAL LETTER I WITH DOT ABOVE, are
//!   replaced first);
//! - a comparison value holding U+0000, which SQL text cannot hold;
//! - in PostgreSQL, a comparison with an integer that no `f64` holds exactly (past
//!   2^53): `jsonb` numbers are decimals that do not say whether they were written as
//!   integers, which decides whether the evaluator compares as integers or as floats.
//!
//! Under `not` the translation uses the matching *subset* of the inexact part, so the
//! whole predicate stays a superset.
//!
//! # Dialects
//!
//! The document expression is the caller's SQL, inserted as given: a column (`data`), a
//! qualified column (`r.data`), or a conversion (`data::jsonb` when PostgreSQL stores
//! the document as `text`). For SQLite it must be valid JSON text; for PostgreSQL, a
//! `jsonb` value. Placeholders are `?N` (SQLite) and `$N` with a type cast (PostgreSQL),
//! numbered from [`SqlTarget::with_first_param`] in the order of
//! [`SqlPredicate::params`]. In SQLite, `lower()` must be the built-in one, which folds
//! ASCII letters only (no ICU extension loaded); in PostgreSQL, string ordering uses
//! `COLLATE "C"` (code point order, as the evaluator orders), and ASCII letters are
//! lower-cased with `translate`, whatever the database's locale. PostgreSQL's JIT
//! compiler (`jit = on`, the default) takes hundreds of milliseconds to compile a large
//! predicate whatever the number of rows; a store answering interactive requests may
//! want `SET jit = off` for these queries.
//!
//! The predicate reads the document once per test (a conversion such as `data::jsonb`
//! runs that often), through subqueries over table functions named `scim_j1`, `scim_j2`…
//! (and `scim_t`, `scim_n`, `scim_e`): the statement around it must not use those names.

mod datetime;
mod dialect;
#[cfg(test)]
mod tests;
mod translate;

use scim2_filter::{CompiledFilter, Filter};

use crate::error::ScimError;
use crate::schema::ResourceSchema;

/// The SQL dialect to write the predicate in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SqlDialect {
    /// SQLite 3.38 or later, with the JSON functions (`->`, `json_each`, `json_type`).
    Sqlite,
    /// PostgreSQL 12 or later, over a `jsonb` document.
    Postgres,
}

/// A value to bind to one placeholder of a [`SqlPredicate`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SqlParam {
    /// A string (PostgreSQL: `text`).
    Text(String),
    /// A 64-bit integer (PostgreSQL: `int8`).
    Integer(i64),
    /// A double-precision number (PostgreSQL: `float8`).
    Real(f64),
}

/// Where and how the predicate is written: the dialect, the document expression and the
/// first placeholder number.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqlTarget {
    /// The SQL dialect.
    pub dialect: SqlDialect,
    /// The SQL expression of the JSON document (inserted as given: it is the caller's
    /// SQL, never a client's input).
    pub document: String,
    /// The number of the first placeholder (`?1`/`$1` by default).
    pub first_param: usize,
    /// Attributes the documents do not hold because the store computes them when it
    /// reads (see [`SqlTarget::with_computed`]).
    pub computed: Vec<String>,
}

impl SqlTarget {
    /// A target in `dialect` over the document expression `document`, numbering
    /// placeholders from 1.
    pub fn new(dialect: SqlDialect, document: impl Into<String>) -> Self {
        SqlTarget {
            dialect,
            document: document.into(),
            first_param: 1,
            computed: Vec::new(),
        }
    }

    /// Returns this target with `attributes` (top-level names as a filter writes them:
    /// `groups`, or URN-qualified for an extension's) marked as computed when read, not
    /// stored in the document: a filter reading one is left to the evaluator, as an
    /// attribute outside the schema is (the predicate is inexact).
    #[must_use]
    pub fn with_computed<I, S>(mut self, attributes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.computed = attributes.into_iter().map(Into::into).collect();
        self
    }

    /// Returns this target with placeholders numbered from `first` (at least 1), for a
    /// statement that binds other values before the predicate's.
    #[must_use]
    pub fn with_first_param(mut self, first: usize) -> Self {
        self.first_param = first.max(1);
        self
    }
}

/// A filter as a SQL predicate.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SqlPredicate {
    /// The condition, for a `WHERE` clause (parenthesised, never SQL `NULL`).
    pub sql: String,
    /// The values of the placeholders, in placeholder order.
    pub params: Vec<SqlParam>,
    /// Whether the condition selects exactly the filter's matches. When `false` it
    /// selects a superset, and the caller evaluates the filter on the rows it returns.
    pub exact: bool,
}

/// Translates `filter` into a SQL predicate over the documents of the resource type
/// `schema` describes (RFC 7644 §3.4.2.2).
///
/// Fails exactly when the evaluator refuses the filter ([`CompiledFilter::new`]: `gt`
/// with a boolean, `co` with a number…), with the same error. See the
/// [module documentation](self) for the semantics and what makes a predicate inexact.
pub fn translate(
    filter: &Filter,
    schema: &ResourceSchema<'_>,
    target: &SqlTarget,
) -> Result<SqlPredicate, ScimError> {
    CompiledFilter::new(filter, schema)?;
    let predicate = translate::predicate(filter, schema, target);
    if !predicate.exact {
        tracing::debug!(
            %filter,
            "part of the filter has no exact SQL form: the rows it selects must be filtered again in Rust"
        );
    }
    Ok(predicate)
}
