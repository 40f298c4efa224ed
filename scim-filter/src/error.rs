//! The two errors of this crate: [`ParseError`] (the text does not follow the grammar or
//! exceeds a limit) and [`EvalError`] (a filter that cannot be evaluated).
//!
//! Both keep their fields private behind accessors, as `serde_json::Error` does, so that a
//! field can be added without breaking anyone. Neither knows about HTTP or SCIM's
//! `scimType` keywords: an embedding crate maps [`ParseError::grammar`],
//! [`ParseError::kind`] and [`EvalError::kind`] to its own error responses.

use std::fmt;

use crate::ast::{AttrPath, CompareOp};
use crate::limits::Limit;

/// Which grammar an input was parsed against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Grammar {
    /// A `filter` query parameter or `/.search` body (RFC 7644 §3.4.2.2).
    Filter,
    /// A PATCH operation's `path` (RFC 7644 §3.5.2), or an attribute path.
    Path,
}

impl fmt::Display for Grammar {
    /// The word for what was parsed: `filter` or `path`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Grammar::Filter => "filter",
            Grammar::Path => "path",
        })
    }
}

/// What kind of failure a [`ParseError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input does not follow the grammar.
    Syntax,
    /// The input exceeds one of the configured [`Limits`](crate::Limits).
    LimitExceeded(Limit),
}

/// A filter or path that could not be parsed.
///
/// It says where parsing stopped ([`offset`](ParseError::offset), in bytes) and what was
/// expected there ([`message`](ParseError::message)); its `Display` puts both in one line
/// a person can act on.
///
/// ```
/// use scim2_filter::{parse_filter, Grammar, ParseErrorKind};
/// let err = parse_filter(r#"userName eq "a" extra"#).unwrap_err();
/// assert_eq!(err.grammar(), Grammar::Filter);
/// assert_eq!(err.kind(), ParseErrorKind::Syntax);
/// assert_eq!(err.offset(), 15);
/// assert_eq!(err.message(), "expected `and`, `or` or the end of the filter");
/// assert_eq!(
///     err.to_string(),
///     "invalid filter at byte 15: expected `and`, `or` or the end of the filter"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    grammar: Grammar,
    kind: ParseErrorKind,
    offset: usize,
    message: String,
}

impl ParseError {
    pub(crate) fn new(
        grammar: Grammar,
        kind: ParseErrorKind,
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        ParseError {
            grammar,
            kind,
            offset,
            message: message.into(),
        }
    }

    /// Which grammar was being parsed: a filter or a path.
    pub fn grammar(&self) -> Grammar {
        self.grammar
    }

    /// The kind of failure: a syntax error or an exceeded limit.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// Byte offset into the input at which the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong or was expected at [`offset`](ParseError::offset), e.g.
    /// ``unknown operator: expected one of eq, ne, co, sw, ew, gt, lt, ge, le, pr``;
    /// without the grammar and offset that `Display` adds.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} at byte {}: {}",
            self.grammar, self.offset, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// What kind of failure an [`EvalError`] reports: an operator applied to a type it does
/// not apply to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// `null` compared with an operator other than `eq` or `ne` (`title gt null`).
    NullComparison,
    /// A boolean (the literal, the attribute's schema type or a value in the resource)
    /// with an operator other than `eq` or `ne` (`active gt true`).
    BooleanComparison,
    /// `co`, `sw` or `ew` with a literal that is not a string (`title co 5`).
    SubstringOfNonString,
    /// `gt`, `ge`, `lt` or `le` on a binary attribute.
    BinaryOrdering,
}

/// A filter that cannot be evaluated: a type the operator does not apply to.
///
/// Carries the [`kind`](EvalError::kind) of failure, the attribute path and operator of
/// the comparison at fault, and a message naming both.
///
/// ```
/// use scim2_filter::{parse_filter, CompareOp, EvalErrorKind, NoSchema};
/// use serde_json::json;
/// let filter = parse_filter("active gt true")?;
/// let err = filter.matches(&json!({"active": true}), &NoSchema).unwrap_err();
/// assert_eq!(err.kind(), EvalErrorKind::BooleanComparison);
/// assert_eq!(err.path().as_str(), "active");
/// assert_eq!(err.operator(), CompareOp::Gt);
/// assert_eq!(err.to_string(), "`active gt`: booleans can only be compared with eq or ne");
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    kind: EvalErrorKind,
    path: AttrPath,
    operator: CompareOp,
    message: String,
}

impl EvalError {
    pub(crate) fn new(
        kind: EvalErrorKind,
        path: &AttrPath,
        operator: CompareOp,
        message: String,
    ) -> Self {
        EvalError {
            kind,
            path: path.clone(),
            operator,
            message,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> EvalErrorKind {
        self.kind
    }

    /// The attribute the failing comparison reads, as written in the filter: inside a
    /// value path, relative to it (`primary` in `emails[primary gt true]`).
    pub fn path(&self) -> &AttrPath {
        &self.path
    }

    /// The operator of the failing comparison.
    pub fn operator(&self) -> CompareOp {
        self.operator
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}
