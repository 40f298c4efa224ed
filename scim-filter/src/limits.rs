//! Limits that bound the work and memory a hostile filter or path can cause.
//!
//! Every limit is checked while parsing, before the offending part is built, so a filter of
//! 100,000 nested parentheses is refused at the 65th without using deep recursion, and an
//! over-long input is refused before any of it is read.

use std::fmt;

/// Bounds on the size of an input and of the tree built from it.
///
/// The defaults fit every filter real identity providers send with a wide margin, while
/// keeping a single parse well under a millisecond and a few kilobytes of memory.
///
/// ```
/// use scim2_filter::{Limits, parse_filter_with};
/// let strict = Limits::default().with_max_terms(2);
/// assert!(parse_filter_with("a eq 1 or b eq 2 or c eq 3", &strict).is_err());
/// ```
///
/// `#[non_exhaustive]`: a limit may be added in a minor release, so build one from
/// [`Limits::DEFAULT`] (or `default()`) and the `with_*` methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest accepted input, in bytes. Default 16 KiB.
    pub max_len: usize,
    /// Deepest nesting of parentheses, `not ( … )` and value paths. Default 64.
    pub max_depth: usize,
    /// Most attribute expressions (comparisons and `pr` tests) in one filter. Default 512.
    pub max_terms: usize,
}

impl Limits {
    /// The default limits (16 KiB, depth 64, 512 terms).
    pub const DEFAULT: Limits = Limits {
        max_len: 16 * 1024,
        max_depth: 64,
        max_terms: 512,
    };

    /// Returns these limits with the longest accepted input set to `bytes`.
    #[must_use]
    pub const fn with_max_len(mut self, bytes: usize) -> Self {
        self.max_len = bytes;
        self
    }

    /// Returns these limits with the deepest nesting set to `levels`.
    #[must_use]
    pub const fn with_max_depth(mut self, levels: usize) -> Self {
        self.max_depth = levels;
        self
    }

    /// Returns these limits with the most attribute expressions set to `terms`.
    #[must_use]
    pub const fn with_max_terms(mut self, terms: usize) -> Self {
        self.max_terms = terms;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Names one of the [`Limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_len`] was exceeded.
    Length(usize),
    /// [`Limits::max_depth`] was exceeded.
    Depth(usize),
    /// [`Limits::max_terms`] was exceeded.
    Terms(usize),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Length(n) => write!(f, "input longer than the limit of {n} bytes"),
            Limit::Depth(n) => write!(f, "nesting deeper than the limit of {n} levels"),
            Limit::Terms(n) => write!(f, "more than the limit of {n} attribute expressions"),
        }
    }
}
