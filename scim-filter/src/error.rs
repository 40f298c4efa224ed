//! Parse errors: where the input went wrong (byte offset) and what was expected there.

use crate::limits::Limit;

/// Which grammar an input was parsed against; decides the SCIM `scimType` of an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grammar {
    /// A `filter` query parameter or `/.search` body (RFC 7644 §3.4.2.2).
    Filter,
    /// A PATCH operation's `path` (RFC 7644 §3.5.2).
    Path,
}

impl Grammar {
    /// The word for what was parsed: `filter` or `path`.
    pub fn noun(self) -> &'static str {
        match self {
            Grammar::Filter => "filter",
            Grammar::Path => "path",
        }
    }
}

/// What kind of failure a [`ParseError`] reports.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The input does not follow the grammar.
    Syntax,
    /// The input exceeds one of the configured [`Limits`](crate::Limits).
    LimitExceeded(Limit),
}

/// A filter or path that could not be parsed.
///
/// `offset` is the byte offset into the input where parsing stopped; `message` says what
/// was expected there in words a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {} at byte {offset}: {message}", grammar.noun())]
pub struct ParseError {
    /// Which grammar was being parsed.
    pub grammar: Grammar,
    /// The kind of failure.
    pub kind: ParseErrorKind,
    /// Byte offset into the input at which the problem was found.
    pub offset: usize,
    /// A short description, e.g. ``expected a comparison operator (eq, ne, …) or `pr` ``.
    pub message: String,
}

impl ParseError {
    /// The RFC 7644 §3.12 `scimType` for this error: `invalidFilter` for filters,
    /// `invalidPath` for PATCH paths.
    pub fn scim_type(&self) -> &'static str {
        match self.grammar {
            Grammar::Filter => "invalidFilter",
            Grammar::Path => "invalidPath",
        }
    }
}
