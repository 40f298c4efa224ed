//! dateTime comparison in SQL (RFC 7643 §2.3.5; RFC 7644 §3.4.2.2 compares dateTimes as
//! the instants they denote).
//!
//! A stored string is read as the evaluator reads it: RFC 3339 `YYYY-MM-DDTHH:MM:SS`, an
//! optional fraction, an optional offset (`Z` or `±HH:MM`; none means UTC), with a real
//! calendar date and in-range fields. The SQL checks the shape with `GLOB` (SQLite) or a
//! regular expression (PostgreSQL) before converting any digit, and computes the instant
//! with integer arithmetic (days from the civil date), so no stored string can make the
//! statement fail, as a PostgreSQL cast to `timestamptz` would. A string that is not a
//! dateTime compares as text, as in the evaluator.

use scim2_filter::CompareOp;

use super::translate::{Side, Writer};
use super::SqlParam;

/// Nanoseconds per second.
const NANOS: i128 = 1_000_000_000;

/// `text op at` for the SQL string `text`: as instants when `text` is a dateTime, else
/// `fallback` (the text comparison). `op` is not `ne`, `co`, `sw` or `ew`.
pub(super) fn holds(
    w: &mut Writer<'_, '_>,
    text: &str,
    op: CompareOp,
    at: i128,
    fallback: &str,
    side: Side,
) -> String {
    let (Ok(secs), Ok(nanos)) = (
        i64::try_from(at.div_euclid(NANOS)),
        i64::try_from(at.rem_euclid(NANOS)),
    ) else {
        return side.unknown().to_owned();
    };
    let secs = w.param(SqlParam::Integer(secs));
    let nanos = w.param(SqlParam::Integer(nanos));
    let pg = w.dialect.is_postgres();
    let s = text;
    let int = |x: String| {
        if pg {
            format!("({x})::int8")
        } else {
            format!("CAST({x} AS INTEGER)")
        }
    };
    let len = format!("length({s})");
    let (grammar, tz) = if pg {
        (
            format!(
                "({s} COLLATE \"C\" ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}[Tt][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}([.][0-9]+)?([Zz]|[+-][0-9]{{2}}:[0-9]{{2}})?$')"
            ),
            format!(
                "(CASE WHEN right({s}, 1) IN ('Z', 'z') THEN 1 \
                 WHEN substr({s}, {len} - 5, 1) IN ('+', '-') THEN 6 ELSE 0 END)"
            ),
        )
    } else {
        let tz = format!(
            "(CASE WHEN {s} GLOB '*[Zz]' THEN 1 \
             WHEN {s} GLOB '*[+-][0-9][0-9]:[0-9][0-9]' THEN 6 ELSE 0 END)"
        );
        let rest = format!("({len} - 19 - {tz})");
        (
            format!(
                "({s} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][Tt][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*' \
                 AND {rest} >= 0 AND ({rest} = 0 OR (substr({s}, 20, 1) = '.' AND {rest} >= 2 \
                 AND substr({s}, 21, {rest} - 1) NOT GLOB '*[^0-9]*')))"
            ),
            tz,
        )
    };
    let field = |start: &str, len: usize| int(format!("substr({s}, {start}, {len})"));
    let year = field("1", 4);
    let month = field("6", 2);
    let day = field("9", 2);
    let hour = field("12", 2);
    let minute = field("15", 2);
    let second = field("18", 2);
    let off_hour = field(&format!("{len} - 4"), 2);
    let off_minute = field(&format!("{len} - 1"), 2);
    let sign = format!("substr({s}, {len} - 5, 1)");
    let greatest = if pg { "GREATEST" } else { "max" };
    let digits = format!("substr({s}, 21, {greatest}({len} - 20 - {tz}, 0))");
    let nanos_of = int(format!("substr({digits} || '000000000', 1, 9)"));
    let offset = format!(
        "(CASE WHEN {tz} = 6 THEN (CASE WHEN {sign} = '-' THEN -1 ELSE 1 END) \
         * ({off_hour} * 3600 + {off_minute} * 60) ELSE 0 END)"
    );
    let month_days = format!(
        "(CASE WHEN {month} = 2 THEN (CASE WHEN ({year} % 4 = 0 AND {year} % 100 <> 0) \
         OR {year} % 400 = 0 THEN 29 ELSE 28 END) ELSE 30 + ({month} + {month} / 8) % 2 END)"
    );
    let valid = format!(
        "({month} BETWEEN 1 AND 12 AND {day} >= 1 AND {day} <= {month_days} AND {hour} <= 23 \
         AND {minute} <= 59 AND ({tz} <> 6 OR ({off_hour} <= 23 AND {off_minute} <= 59)))"
    );
    // Days since 1970-01-01 of the civil date (H. Hinnant's algorithm), with the year
    // moved 400 years (146097 days) up so that every division is of a positive number.
    let shifted = format!("({year} - (CASE WHEN {month} <= 2 THEN 1 ELSE 0 END) + 400)");
    let era = format!("({shifted} / 400)");
    let year_of_era = format!("({shifted} - {era} * 400)");
    let day_of_year = format!("((153 * (({month} + 9) % 12) + 2) / 5 + {day} - 1)");
    let day_of_era =
        format!("({year_of_era} * 365 + {year_of_era} / 4 - {year_of_era} / 100 + {day_of_year})");
    let days = format!("({era} * 146097 + {day_of_era} - 719468 - 146097)");
    // A leap second (`:60`) is read as :59.999999999, and only where it can be one: at
    // 23:59:60 UTC on the last day of a month (the evaluator's reading). Within the
    // local day, 23:59:59 UTC is at `clock` 86399 on that day, or -1 on the day after.
    let leap = format!("({second} = 60)");
    let clock = format!("({hour} * 3600 + {minute} * 60 + 59 - {offset})");
    let leap_valid =
        format!("(({clock} = 86399 AND {day} = {month_days}) OR ({clock} = -1 AND {day} = 1))");
    let second_of = format!("(CASE WHEN {leap} THEN 59 ELSE {second} END)");
    let nanos_of = format!("(CASE WHEN {leap} THEN 999999999 ELSE {nanos_of} END)");
    let seconds_of =
        format!("({days} * 86400 + {hour} * 3600 + {minute} * 60 + {second_of} - {offset})");
    let sym = match op {
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        _ => "=",
    };
    format!(
        "(CASE WHEN NOT {grammar} THEN {fallback} WHEN NOT {valid} THEN {fallback} \
         WHEN {second} > 60 THEN {fallback} WHEN {leap} AND NOT {leap_valid} THEN {fallback} \
         ELSE (({seconds_of}, {nanos_of}) {sym} ({secs}, {nanos})) END)"
    )
}
