//! The SQL each dialect needs: JSON member access, the values at a path as rows, type
//! tests, string and number comparison, placeholders.
//!
//! Every boolean written here is `TRUE` or `FALSE`, never SQL `NULL`, so `NOT` and the
//! translator's other combinations mean what they say.

use scim2_filter::CompareOp;

use super::translate::Side;
use super::{SqlDialect, SqlParam};

/// The dialect the SQL is written in.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dialect(SqlDialect);

/// One JSON value in SQL: an element of the values at a path, or the `value` member of
/// one.
#[derive(Clone, Debug)]
pub(super) enum Val {
    /// SQLite: the JSON type name (`json_type`'s) and the SQL value (text for strings,
    /// numbers, JSON text for objects and arrays).
    Sqlite { ty: String, val: String },
    /// PostgreSQL: a `jsonb` expression.
    Postgres { json: String },
}

/// The values at a path as rows: a `FROM` list and the value of one row.
#[derive(Debug)]
pub(super) struct Elements {
    /// The `FROM` list (table functions over the JSON value).
    pub(super) from: String,
    /// The value of one row.
    pub(super) value: Val,
}

/// ASCII upper-case letters, for PostgreSQL's `translate` (whose `lower` depends on the
/// locale).
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// ASCII lower-case letters, in the order of [`UPPER`].
const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

impl Dialect {
    /// The dialect `d`.
    pub(super) fn new(d: SqlDialect) -> Self {
        Dialect(d)
    }

    /// Whether this is PostgreSQL.
    pub(super) fn is_postgres(self) -> bool {
        self.0 == SqlDialect::Postgres
    }

    /// The placeholder numbered `n` for `param`.
    pub(super) fn placeholder(self, n: usize, param: &SqlParam) -> String {
        if !self.is_postgres() {
            return format!("?{n}");
        }
        let ty = match param {
            SqlParam::Text(_) => "text",
            SqlParam::Integer(_) => "int8",
            SqlParam::Real(_) => "float8",
        };
        format!("${n}::{ty}")
    }

    /// The member `name` of the JSON object `json` (SQL `NULL` when `json` is not an
    /// object or has no such member). `name` is a schema name already checked to be safe
    /// inside quotes.
    pub(super) fn child(self, json: &str, name: &str) -> String {
        if self.is_postgres() {
            format!("({json} -> '{name}')")
        } else {
            format!("({json} -> '$.\"{name}\"')")
        }
    }

    /// The values of `json` as rows named `alias`: its elements if it is an array, else
    /// the value itself; none when it is absent (SQL `NULL`).
    pub(super) fn each(self, json: &str, alias: &str) -> Elements {
        if self.is_postgres() {
            Elements {
                from: format!(
                    "jsonb_array_elements(CASE WHEN jsonb_typeof({json}) = 'array' THEN {json} \
                     WHEN {json} IS NULL THEN '[]'::jsonb ELSE jsonb_build_array({json}) END) \
                     AS {alias}(v)"
                ),
                value: Val::Postgres {
                    json: format!("{alias}.v"),
                },
            }
        } else {
            Elements {
                from: format!(
                    "json_each(CASE WHEN json_type({json}) = 'array' THEN {json} \
                     ELSE '[' || {json} || ']' END) AS {alias}"
                ),
                value: Val::Sqlite {
                    ty: format!("{alias}.type"),
                    val: format!("{alias}.value"),
                },
            }
        }
    }

    /// `pr` for one value (RFC 7643 §2.5: unassigned is `null`, `""`, `[]`, `{}`): an
    /// array nested in the array of values is present when any value inside it, at any
    /// depth of arrays, is.
    pub(super) fn present(self, v: &Val) -> String {
        match v {
            Val::Sqlite { ty, val } => {
                // json_tree's rows reached through object members have a `.` in their
                // path; only those reached through arrays count.
                let leaf = sqlite_present("scim_t.type", "scim_t.value", "FALSE");
                let nested = format!(
                    "EXISTS (SELECT 1 FROM json_tree({val}) AS scim_t \
                     WHERE scim_t.fullkey NOT GLOB '*.*' AND {leaf})"
                );
                sqlite_present(ty, val, &nested)
            }
            Val::Postgres { json } => {
                let leaf = postgres_present("scim_n.v", "FALSE");
                let nested = format!(
                    "EXISTS (WITH RECURSIVE scim_n(v) AS (SELECT {json} UNION ALL \
                     SELECT scim_e.v FROM scim_n, jsonb_array_elements(CASE WHEN \
                     jsonb_typeof(scim_n.v) = 'array' THEN scim_n.v ELSE '[]'::jsonb END) \
                     AS scim_e(v)) SELECT 1 FROM scim_n WHERE {leaf})"
                );
                postgres_present(json, &nested)
            }
        }
    }

    /// `text` with its ASCII letters lower-cased, whatever the engine's locale.
    pub(super) fn ascii_lower(self, text: &str) -> String {
        if self.is_postgres() {
            format!("translate({text}, '{UPPER}', '{LOWER}')")
        } else {
            // SQLite's built-in lower() folds ASCII letters only.
            format!("lower({text})")
        }
    }

    /// `text` lower-cased as Rust lower-cases it, for comparison with an ASCII value: the
    /// ASCII letters, and the two letters whose lower case holds ASCII (KELVIN SIGN to
    /// `k`, CAPITAL I WITH DOT ABOVE to `i` and COMBINING DOT ABOVE). Other letters keep
    /// their case, which changes no comparison with ASCII text: their lower case is
    /// non-ASCII too (a unit test checks this over all of Unicode).
    pub(super) fn fold(self, text: &str) -> String {
        self.ascii_lower(&format!(
            "replace(replace({text}, '\u{212A}', 'k'), '\u{130}', 'i\u{307}')"
        ))
    }

    /// Whether `text` is ASCII.
    pub(super) fn is_ascii(self, text: &str) -> String {
        if self.is_postgres() {
            format!("(octet_length({text}) = char_length({text}))")
        } else {
            format!("(length(CAST({text} AS BLOB)) = length({text}))")
        }
    }

    /// `hay op needle` on exact text, ordering by code point; `needle` is a non-empty
    /// placeholder for `co`, `sw` and `ew`; `op` is not `ne`.
    pub(super) fn text_compare(self, hay: &str, op: CompareOp, needle: &str) -> String {
        let pg = self.is_postgres();
        match op {
            CompareOp::Eq | CompareOp::Ne => format!("({hay} = {needle})"),
            CompareOp::Co if pg => format!("(strpos({hay}, {needle}) > 0)"),
            CompareOp::Co => format!("(instr({hay}, {needle}) > 0)"),
            CompareOp::Sw if pg => format!("(left({hay}, length({needle})) = {needle})"),
            CompareOp::Sw => format!("(substr({hay}, 1, length({needle})) = {needle})"),
            CompareOp::Ew if pg => format!("(right({hay}, length({needle})) = {needle})"),
            CompareOp::Ew => format!("(substr({hay}, -length({needle})) = {needle})"),
            _ => {
                let sym = ordering_symbol(op);
                if pg {
                    format!("(({hay}) COLLATE \"C\" {sym} {needle})")
                } else {
                    format!("({hay} {sym} {needle})")
                }
            }
        }
    }

    /// `v op number` for a JSON number `v`, as the evaluator compares numbers: as integers
    /// when both are, else as `f64`. `int` is the constant's integer placeholder when it is
    /// one (`float_exact` when that integer is also exactly an `f64`), `float` its `f64`
    /// one.
    ///
    /// PostgreSQL's `jsonb` numbers are decimals that do not say whether they were written
    /// as integers. For documents serde_json wrote (integers as integers, floats as the
    /// shortest text of an `f64`), comparing exactly with an integer that is exactly an
    /// `f64` gives the evaluator's answer either way; an integer beyond that (past 2^53)
    /// is unknown. A float constant compares in `float8`, into which PostgreSQL converts
    /// as Rust parses (correctly rounded); a number no `f64` holds (which serde_json
    /// cannot read either) matches nothing rather than failing the statement.
    pub(super) fn number_holds(
        self,
        v: &Val,
        op: CompareOp,
        int: Option<&str>,
        float_exact: bool,
        float: &str,
        side: Side,
    ) -> String {
        let sym = ordering_symbol(op);
        match v {
            Val::Sqlite { ty, val } => {
                let as_float = format!("(CAST({val} AS REAL) {sym} {float})");
                match int {
                    Some(int) => format!(
                        "CASE WHEN {ty} IS 'integer' THEN ({val} {sym} {int}) ELSE {as_float} END"
                    ),
                    None => as_float,
                }
            }
            Val::Postgres { json } => {
                let n = format!("({json})::numeric");
                match int {
                    Some(int) if float_exact => format!("({n} {sym} {int})"),
                    Some(_) => side.unknown().to_owned(),
                    None => format!(
                        "CASE WHEN abs({n}) <= 1.7976931348623157e308 AND ({n} = 0 \
                         OR abs({n}) >= 4.9406564584124654e-324) \
                         THEN (({n})::float8 {sym} {float}) ELSE FALSE END"
                    ),
                }
            }
        }
    }
}

/// The SQL operator of `op` (`=` for `eq`; only comparison operators).
fn ordering_symbol(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        _ => "=",
    }
}

/// SQLite: whether a value of JSON type `ty` and SQL value `val` is present, `array`
/// saying for an array.
fn sqlite_present(ty: &str, val: &str, array: &str) -> String {
    format!(
        "CASE {ty} WHEN 'null' THEN FALSE WHEN 'text' THEN {val} <> '' \
         WHEN 'object' THEN EXISTS (SELECT 1 FROM json_each({val})) \
         WHEN 'array' THEN {array} ELSE TRUE END"
    )
}

/// PostgreSQL: whether the `jsonb` value `json` is present, `array` saying for an array.
fn postgres_present(json: &str, array: &str) -> String {
    format!(
        "CASE jsonb_typeof({json}) WHEN 'null' THEN FALSE \
         WHEN 'string' THEN {json} <> '\"\"'::jsonb \
         WHEN 'object' THEN {json} <> '{{}}'::jsonb \
         WHEN 'array' THEN {array} ELSE TRUE END"
    )
}

impl Val {
    /// This value as a JSON object expression (SQL `NULL` or a non-object when it is not
    /// one; member access then gives `NULL`).
    pub(super) fn object(&self) -> String {
        match self {
            Val::Sqlite { ty, val } => format!("(CASE WHEN {ty} = 'object' THEN {val} END)"),
            Val::Postgres { json } => json.clone(),
        }
    }

    /// Whether this value is a JSON object.
    pub(super) fn is_object(&self) -> String {
        self.type_is("object", "object")
    }

    /// Whether this value is not JSON `null`.
    pub(super) fn is_not_null(&self) -> String {
        format!("(NOT {})", self.type_is("null", "null"))
    }

    /// Whether this value is a JSON string.
    pub(super) fn is_text(&self) -> String {
        self.type_is("text", "string")
    }

    /// Whether this value is a JSON number.
    pub(super) fn is_number(&self) -> String {
        match self {
            Val::Sqlite { ty, .. } => format!("({ty} IS 'integer' OR {ty} IS 'real')"),
            Val::Postgres { .. } => self.type_is("", "number"),
        }
    }

    /// Whether this value is the JSON boolean `b`.
    pub(super) fn is_bool(&self, b: bool) -> String {
        match self {
            Val::Sqlite { ty, .. } => format!("({ty} IS '{b}')"),
            Val::Postgres { json } => format!("COALESCE({json} = '{b}'::jsonb, FALSE)"),
        }
    }

    /// Whether the JSON type is `sqlite` (SQLite's name) or `postgres` (PostgreSQL's).
    fn type_is(&self, sqlite: &str, postgres: &str) -> String {
        match self {
            Val::Sqlite { ty, .. } => format!("({ty} IS '{sqlite}')"),
            Val::Postgres { json } => {
                format!("COALESCE(jsonb_typeof({json}) = '{postgres}', FALSE)")
            }
        }
    }

    /// The SQL text of this value when it is a JSON string.
    pub(super) fn text(&self) -> String {
        match self {
            Val::Sqlite { val, .. } => val.clone(),
            Val::Postgres { json } => format!("({json} #>> '{{}}')"),
        }
    }

    /// The `value` member of this value when it is an object (the evaluator compares a
    /// complex value through it).
    pub(super) fn value_member(&self) -> Val {
        match self {
            Val::Sqlite { .. } => {
                let obj = self.object();
                Val::Sqlite {
                    ty: format!("json_type({obj}, '$.\"value\"')"),
                    val: format!("json_extract({obj}, '$.\"value\"')"),
                }
            }
            Val::Postgres { json } => Val::Postgres {
                json: format!("({json} -> 'value')"),
            },
        }
    }
}
