//! The SCIM 2.0 filter and PATCH-path language: parse, print and evaluate.
//!
//! This crate implements the filter grammar of RFC 7644 §3.4.2.2 and the PATCH `path`
//! grammar of §3.5.2 exactly, prints trees back as canonical text, and evaluates filters
//! against JSON resources with the RFC's semantics. It knows nothing of HTTP or storage;
//! schema facts (`caseExact`, types) reach the evaluator through [`SchemaLookup`].
//!
//! ```
//! use scim2_filter::{parse_filter, NoSchema};
//! use serde_json::json;
//!
//! // What Entra ID sends to find a user, with operators in any case:
//! let filter = parse_filter(r#"userName Eq "BJensen@example.com" and active eq true"#)?;
//! let user = json!({"userName": "bjensen@example.com", "active": true});
//! assert!(filter.matches(&user, &NoSchema)?);
//!
//! // Canonical text that parses back to the same tree:
//! assert_eq!(filter.to_string(), r#"userName eq "BJensen@example.com" and active eq true"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Grammar
//!
//! All of RFC 7644 Figure 1: the nine comparison operators and `pr`; `and` binding tighter
//! than `or`; `not ( … )`; parentheses; value paths with full filters inside
//! (`emails[type eq "work" and value co "@example.com"]`) but no nested value paths;
//! schema-URN-qualified attribute paths (`urn:…:enterprise:2.0:User:manager.value`);
//! `$ref` as an attribute name; JSON strings with every escape and JSON numbers.
//! Keywords and operators are case-insensitive. PATCH paths ([`parse_path`]) are
//! `attrPath`, `valuePath` and `valuePath.subAttr` (Figure 7).
//!
//! Deliberate leniency, each because real clients need it:
//! - runs of white space (spaces, tabs, line breaks) wherever one space is required, and
//!   white space at either end;
//! - `true`, `false` and `null` in any case;
//! - no space between an operator and a quoted string (`value eq"x"`), as RFC 7644's own
//!   §3.5.2.2 example writes it;
//! - a sub-attribute after a value path *in a filter*,
//!   `emails[type eq "work"].value eq "a@b.c"`, which Entra ID sends when mail is a
//!   matching attribute: true when one element matches the bracket filter and its
//!   sub-attribute passes the comparison.
//!
//! Everything else is rejected, including trailing text, with a [`ParseError`] carrying
//! the byte offset and what was expected there.
//!
//! # Limits
//!
//! [`Limits`] bounds input length (16 KiB), nesting depth (64) and attribute expressions
//! (512) by default, checked while parsing: 100,000 nested parentheses fail at the 65th
//! without deep recursion. Use [`parse_filter_with`] and [`parse_path_with`] to change
//! them, e.g. with `Limits::DEFAULT.with_max_depth(16)`.
//!
//! # Borrowed trees
//!
//! [`borrowed::parse_filter`] and [`borrowed::parse_path`] parse the same grammar, with the
//! same limits and errors, into trees that borrow their attribute paths, names, numbers
//! and strings from the input: a single comparison parses without allocating. Use them to
//! inspect or translate a filter within the life of its text; `into_owned` gives the owned
//! [`Filter`] (which [`parse_filter`] returns, by exactly that route).
//!
//! # Evaluation
//!
//! [`Filter::matches`] evaluates a filter against one `serde_json::Value`; compile once
//! with [`CompiledFilter::new`] to evaluate one filter against many resources. Schema
//! facts (type, `caseExact`) come from a [`SchemaLookup`]; [`NoSchema`] infers them from
//! the data. The rules:
//!
//! - Attribute names match case-insensitively. A URN-qualified path whose URN is an
//!   extension ([`SchemaLookup::is_extension`]) reads from the object under that URN key;
//!   a core-schema URN reads from the top level.
//! - Strings compare case-insensitively unless the attribute is `caseExact`. `gt`, `ge`,
//!   `lt` and `le` on strings are lexicographic by code point.
//! - A multi-valued attribute matches when *any* of its values matches. Comparing a
//!   complex attribute with no sub-attribute (`emails co "x"`) compares its `value`.
//! - `pr` is false for a missing attribute, `null`, `""`, `[]` and `{}`.
//! - dateTime values compare as instants, across offsets; without a schema, a string
//!   constant that is a dateTime compares as one with attribute values that are too.
//! - Numbers compare numerically (exactly for integers).
//! - Booleans only take `eq` and `ne`; any other operator on a boolean, and ordering on a
//!   binary attribute, is an [`EvalError`], never a silent `false`.
//! - `eq null` matches a missing or null attribute; `ne null` matches a present one.
//! - `ne` matches when the attribute is missing or any value differs; values of another
//!   type than the constant are "not equal" and match nothing else.
//! - Lenient: a boolean attribute also equals the strings `"true"`/`"false"` in any case,
//!   since identity providers send booleans as strings.
//!
//! # Errors
//!
//! [`ParseError`] and [`EvalError`] carry structure behind accessors (grammar, kind, byte
//! offset; kind, attribute path, operator) and a message a person can act on. This crate
//! knows nothing of SCIM's `scimType` keywords: scim-core maps these errors to them
//! (`invalidFilter`, `invalidPath`).
//!
//! # Stability
//!
//! The error kinds, [`Grammar`], [`Limit`], [`Limits`] and [`AttrFacts`] are
//! `#[non_exhaustive]`: they may grow in a minor release. The syntax tree ([`Filter`],
//! [`Predicate`], [`CompareOp`], [`CompValue`], [`PatchPath`] and their structs) and
//! [`AttrType`] are exhaustive on purpose: they model fixed RFC grammars, and code that
//! translates a filter (to SQL, say) should fail to compile, not silently skip, if a node
//! were ever added.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod ast;
pub mod borrowed;
mod display;
mod error;
mod eval;
mod limits;
mod parser;
mod value;

use std::str::FromStr;

pub use ast::{
    AttrExpr, AttrPath, CompareOp, Filter, PatchPath, PatchValuePath, Predicate, SubAttrExpr,
    ValuePathExpr,
};
pub use error::{EvalError, EvalErrorKind, Grammar, ParseError, ParseErrorKind};
pub use eval::schema::{AttrFacts, AttrType, NoSchema, SchemaLookup, CORE_SCHEMA_PREFIX};
pub use eval::{bool_text, date_time_instant, CompiledFilter};
pub use limits::{Limit, Limits};
pub use value::{CompValue, Number};

/// Parses a filter (RFC 7644 §3.4.2.2) under the default [`Limits`].
///
/// ```
/// use scim2_filter::{parse_filter, Filter};
/// let f = parse_filter("title pr or userType eq \"Intern\"")?;
/// assert!(matches!(f, Filter::Or(..)));
/// let err = parse_filter("userName eq \"a\" extra").unwrap_err();
/// assert_eq!(err.offset(), 15);
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    parse_filter_with(input, &Limits::DEFAULT)
}

/// Parses a filter under the given limits.
pub fn parse_filter_with(input: &str, limits: &Limits) -> Result<Filter, ParseError> {
    borrowed::parse_filter_with(input, limits).map(borrowed::Filter::into_owned)
}

/// Parses a PATCH operation's `path` (RFC 7644 §3.5.2) under the default [`Limits`].
///
/// ```
/// use scim2_filter::{parse_path, PatchPath};
/// let p = parse_path(r#"emails[type eq "work"].value"#)?;
/// let PatchPath::ValuePath(vp) = p else { unreachable!() };
/// assert_eq!(vp.sub_attr.as_deref(), Some("value"));
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
pub fn parse_path(input: &str) -> Result<PatchPath, ParseError> {
    parse_path_with(input, &Limits::DEFAULT)
}

/// Parses a PATCH path under the given limits.
pub fn parse_path_with(input: &str, limits: &Limits) -> Result<PatchPath, ParseError> {
    borrowed::parse_path_with(input, limits).map(borrowed::PatchPath::into_owned)
}

/// The README's examples, run as doc-tests so that they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

impl FromStr for Filter {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_filter(s)
    }
}

impl FromStr for PatchPath {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_path(s)
    }
}
