//! Filters and PATCH paths that borrow from the text they were parsed from.
//!
//! [`parse_filter`] reads the filter grammar of RFC 7644 §3.4.2.2 (and [`parse_path`] the
//! PATCH `path` grammar of §3.5.2) exactly as the crate-level
//! [`parse_filter`](crate::parse_filter) does, with the same leniencies, limits and errors,
//! but builds a tree whose attribute paths, sub-attribute names, numbers and strings are
//! slices of the input. Parsing allocates nothing for a single attribute expression
//! (`userName eq "bjensen"`) and one box per `and`, `or`, `not` and value path; a string
//! literal is copied only when it holds a JSON escape (`"a\"b"`), which is why strings are
//! a [`Cow`].
//!
//! Use it where a filter is read, inspected or translated (to SQL, say) and dropped within
//! the life of the request text. [`Filter::into_owned`] turns the tree into the owned
//! [`crate::Filter`], which evaluation ([`crate::CompiledFilter`]) and serde need; the
//! crate's owned parsers are exactly this parse followed by `into_owned`. Evaluation is
//! not offered on the borrowed form itself.
//!
//! ```
//! use scim2_filter::borrowed::{parse_filter, CompValue, Filter, Predicate};
//! use scim2_filter::CompareOp;
//!
//! let text = String::from(r#"userName Eq "bjensen" and emails[type eq "work"]"#);
//! let filter = parse_filter(&text)?;
//! let Filter::And(left, _) = &filter else { unreachable!() };
//! let Filter::Attribute(expr) = &**left else { unreachable!() };
//! assert_eq!(expr.path.name(), "userName");
//! assert_eq!(
//!     expr.predicate,
//!     Predicate::Compare(CompareOp::Eq, CompValue::String("bjensen".into()))
//! );
//!
//! // The same canonical text as the owned tree prints, and the owned tree on demand:
//! assert_eq!(filter.to_string(), r#"userName eq "bjensen" and emails[type eq "work"]"#);
//! let owned: scim2_filter::Filter = filter.into_owned();
//! assert_eq!(owned, scim2_filter::parse_filter(&text)?);
//! # Ok::<(), scim2_filter::ParseError>(())
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::ast::CompareOp;
use crate::error::ParseError;
use crate::limits::Limits;
use crate::{ast, value};

/// Parses a filter (RFC 7644 §3.4.2.2) under the default [`Limits`], borrowing from
/// `input`. Accepts and refuses exactly what [`crate::parse_filter`] does, with the same
/// [`ParseError`]s.
pub fn parse_filter(input: &str) -> Result<Filter<'_>, ParseError> {
    crate::parser::parse_filter(input, &Limits::DEFAULT)
}

/// Parses a filter under the given limits, borrowing from `input`.
pub fn parse_filter_with<'a>(input: &'a str, limits: &Limits) -> Result<Filter<'a>, ParseError> {
    crate::parser::parse_filter(input, limits)
}

/// Parses a PATCH operation's `path` (RFC 7644 §3.5.2) under the default [`Limits`],
/// borrowing from `input`.
pub fn parse_path(input: &str) -> Result<PatchPath<'_>, ParseError> {
    crate::parser::parse_path(input, &Limits::DEFAULT)
}

/// Parses a PATCH path under the given limits, borrowing from `input`.
pub fn parse_path_with<'a>(input: &'a str, limits: &Limits) -> Result<PatchPath<'a>, ParseError> {
    crate::parser::parse_path(input, limits)
}

/// A filter expression borrowing from its text; the borrowed twin of [`crate::Filter`],
/// with the same shape: `and` binds tighter than `or`, chains are left-associative and
/// parentheses leave no node.
#[derive(Clone, Debug, PartialEq)]
pub enum Filter<'a> {
    /// `attrPath pr` or `attrPath compareOp compValue`.
    Attribute(AttrExpr<'a>),
    /// `attrPath "[" valFilter "]"`, with Entra's optional `.subAttr predicate`.
    ValuePath(ValuePathExpr<'a>),
    /// `not ( FILTER )`.
    Not(Box<Filter<'a>>),
    /// `FILTER and FILTER`.
    And(Box<Filter<'a>>, Box<Filter<'a>>),
    /// `FILTER or FILTER`.
    Or(Box<Filter<'a>>, Box<Filter<'a>>),
}

/// An attribute expression: an attribute path and the test applied to its values.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrExpr<'a> {
    /// The attribute the test reads.
    pub path: AttrPath<'a>,
    /// `pr`, or a comparison with a literal.
    pub predicate: Predicate<'a>,
}

/// What an attribute expression tests.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate<'a> {
    /// `pr`: the attribute has a non-empty value.
    Present,
    /// `compareOp compValue`.
    Compare(CompareOp, CompValue<'a>),
}

/// A value-path filter, `emails[type eq "work"]`; see [`crate::ValuePathExpr`].
#[derive(Clone, Debug, PartialEq)]
pub struct ValuePathExpr<'a> {
    /// The complex attribute whose elements are filtered.
    pub attr: AttrPath<'a>,
    /// The filter over one element's sub-attributes; never itself holds a value path.
    pub filter: Box<Filter<'a>>,
    /// Entra's trailing `.subAttr predicate`, when present.
    pub sub_attr: Option<SubAttrExpr<'a>>,
}

/// The trailing `.value eq "x"` of an Entra-style value-path filter.
#[derive(Clone, Debug, PartialEq)]
pub struct SubAttrExpr<'a> {
    /// The sub-attribute name, e.g. `value`.
    pub name: &'a str,
    /// The test applied to it.
    pub predicate: Predicate<'a>,
}

/// An attribute path, `[URI ":"] ATTRNAME ["." ATTRNAME]`, as a slice of the input with
/// its split points; see [`crate::AttrPath`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AttrPath<'a> {
    text: &'a str,
    /// Where the name starts: 0 without a URN, else just past the URN's `:`.
    name_start: usize,
    /// Where the sub-attribute starts (just past the `.`), or 0 if there is none.
    sub_start: usize,
}

impl<'a> AttrPath<'a> {
    /// Wraps text already known to be an attribute path with the given split points.
    pub(crate) fn from_split(text: &'a str, name_start: usize, sub_start: usize) -> Self {
        AttrPath {
            text,
            name_start,
            sub_start,
        }
    }

    /// The schema URN qualifying the attribute, if any.
    pub fn urn(&self) -> Option<&'a str> {
        (self.name_start > 0).then(|| &self.text[..self.name_start - 1])
    }

    /// The attribute name, e.g. `name` in `name.familyName`.
    pub fn name(&self) -> &'a str {
        let end = if self.sub_start > 0 {
            self.sub_start - 1
        } else {
            self.text.len()
        };
        &self.text[self.name_start..end]
    }

    /// The sub-attribute name, e.g. `familyName` in `name.familyName`.
    pub fn sub_attr(&self) -> Option<&'a str> {
        (self.sub_start > 0).then(|| &self.text[self.sub_start..])
    }

    /// The whole path as written.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The owned [`crate::AttrPath`] with the same parts.
    pub fn into_owned(self) -> ast::AttrPath {
        ast::AttrPath::from_split(self.text, self.name_start, self.sub_start)
    }
}

impl fmt::Debug for AttrPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttrPath")
            .field("urn", &self.urn())
            .field("name", &self.name())
            .field("sub_attr", &self.sub_attr())
            .finish()
    }
}

/// A literal on the right of a comparison operator; see [`crate::CompValue`].
#[derive(Clone, Debug, PartialEq)]
pub enum CompValue<'a> {
    /// JSON `null`.
    Null,
    /// JSON `true` or `false`.
    Bool(bool),
    /// A JSON number, kept as written.
    Number(Number<'a>),
    /// A JSON string with its escapes decoded: borrowed unless it held an escape.
    String(Cow<'a, str>),
}

/// A JSON number as written in the filter; see [`crate::Number`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Number<'a>(&'a str);

impl<'a> Number<'a> {
    /// Wraps text the parser found to be a JSON number.
    pub(crate) fn from_checked(text: &'a str) -> Self {
        Number(text)
    }

    /// The number exactly as written.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The owned [`crate::Number`] with the same text.
    pub fn into_owned(self) -> value::Number {
        value::Number::from_checked(self.0.to_owned())
    }
}

impl CompValue<'_> {
    /// The owned [`crate::CompValue`] with the same value.
    pub fn into_owned(self) -> value::CompValue {
        match self {
            CompValue::Null => value::CompValue::Null,
            CompValue::Bool(b) => value::CompValue::Bool(b),
            CompValue::Number(n) => value::CompValue::Number(n.into_owned()),
            CompValue::String(s) => value::CompValue::String(s.into_owned()),
        }
    }
}

impl Predicate<'_> {
    /// The owned [`crate::Predicate`] with the same test.
    pub fn into_owned(self) -> ast::Predicate {
        match self {
            Predicate::Present => ast::Predicate::Present,
            Predicate::Compare(op, v) => ast::Predicate::Compare(op, v.into_owned()),
        }
    }
}

impl AttrExpr<'_> {
    /// The owned [`crate::AttrExpr`].
    pub fn into_owned(self) -> ast::AttrExpr {
        ast::AttrExpr {
            path: self.path.into_owned(),
            predicate: self.predicate.into_owned(),
        }
    }
}

impl ValuePathExpr<'_> {
    /// The owned [`crate::ValuePathExpr`].
    pub fn into_owned(self) -> ast::ValuePathExpr {
        ast::ValuePathExpr {
            attr: self.attr.into_owned(),
            filter: Box::new(self.filter.into_owned()),
            sub_attr: self.sub_attr.map(|sub| ast::SubAttrExpr {
                name: sub.name.to_owned(),
                predicate: sub.predicate.into_owned(),
            }),
        }
    }
}

impl<'a> Filter<'a> {
    /// The owned [`crate::Filter`] with the same tree. `and`/`or` chains are walked with a
    /// loop, so a long chain does not mean deep recursion.
    pub fn into_owned(self) -> ast::Filter {
        match self {
            Filter::Attribute(expr) => ast::Filter::Attribute(expr.into_owned()),
            Filter::ValuePath(vp) => ast::Filter::ValuePath(vp.into_owned()),
            Filter::Not(inner) => ast::Filter::Not(Box::new(inner.into_owned())),
            chain @ (Filter::And(..) | Filter::Or(..)) => chain_into_owned(chain),
        }
    }
}

/// Converts a left-deep `and` or `or` chain without recursing along its left spine.
fn chain_into_owned(chain: Filter<'_>) -> ast::Filter {
    let and = matches!(chain, Filter::And(..));
    let mut rights = Vec::new();
    let mut node = chain;
    let leftmost = loop {
        node = match (node, and) {
            (Filter::And(l, r), true) | (Filter::Or(l, r), false) => {
                rights.push(r);
                *l
            }
            (other, _) => break other,
        };
    };
    let mut owned = leftmost.into_owned();
    for right in rights.into_iter().rev() {
        let (l, r) = (Box::new(owned), Box::new(right.into_owned()));
        owned = if and {
            ast::Filter::And(l, r)
        } else {
            ast::Filter::Or(l, r)
        };
    }
    owned
}

impl<'a> From<Filter<'a>> for ast::Filter {
    fn from(filter: Filter<'a>) -> Self {
        filter.into_owned()
    }
}

/// A PATCH operation's `path` borrowing from its text; see [`crate::PatchPath`].
#[derive(Clone, Debug, PartialEq)]
pub enum PatchPath<'a> {
    /// A plain attribute path: `members`, `name.familyName`, `urn:…:User:manager`.
    Attribute(AttrPath<'a>),
    /// A value path, optionally followed by a sub-attribute.
    ValuePath(PatchValuePath<'a>),
}

/// The value-path form of a PATCH path.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchValuePath<'a> {
    /// The multi-valued attribute whose elements are selected.
    pub attr: AttrPath<'a>,
    /// The filter selecting elements; never itself holds a value path.
    pub filter: Filter<'a>,
    /// The sub-attribute of the selected elements that the operation targets.
    pub sub_attr: Option<&'a str>,
}

impl PatchPath<'_> {
    /// The owned [`crate::PatchPath`].
    pub fn into_owned(self) -> ast::PatchPath {
        match self {
            PatchPath::Attribute(path) => ast::PatchPath::Attribute(path.into_owned()),
            PatchPath::ValuePath(vp) => ast::PatchPath::ValuePath(ast::PatchValuePath {
                attr: vp.attr.into_owned(),
                filter: vp.filter.into_owned(),
                sub_attr: vp.sub_attr.map(str::to_owned),
            }),
        }
    }
}

impl<'a> From<PatchPath<'a>> for ast::PatchPath {
    fn from(path: PatchPath<'a>) -> Self {
        path.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_filters_borrow_their_paths_and_strings() {
        let text = r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Bar""#;
        let Filter::Attribute(expr) = parse_filter(text).unwrap() else {
            panic!("an attribute expression")
        };
        assert_eq!(
            expr.path.urn(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(expr.path.name(), "name");
        assert_eq!(expr.path.sub_attr(), Some("givenName"));
        let Predicate::Compare(CompareOp::Eq, CompValue::String(s)) = expr.predicate else {
            panic!("a string comparison")
        };
        assert!(matches!(s, Cow::Borrowed("Bar")));
    }

    #[test]
    fn escaped_strings_are_decoded_into_owned_text() {
        let f = parse_filter(r#"title eq "a\"b\u00e9""#).unwrap();
        let Filter::Attribute(AttrExpr {
            predicate: Predicate::Compare(_, CompValue::String(s)),
            ..
        }) = f
        else {
            panic!("a string comparison")
        };
        assert!(matches!(&s, Cow::Owned(o) if o == "a\"bé"));
    }

    #[test]
    fn numbers_keep_their_text() {
        let f = parse_filter("n gt -1.50e3").unwrap();
        let Filter::Attribute(AttrExpr {
            predicate: Predicate::Compare(CompareOp::Gt, CompValue::Number(n)),
            ..
        }) = &f
        else {
            panic!("a number comparison")
        };
        assert_eq!(n.as_str(), "-1.50e3");
        assert_eq!(n.into_owned().as_str(), "-1.50e3");
    }

    #[test]
    fn into_owned_equals_the_owned_parse_and_prints_alike() {
        for text in [
            r#"userName eq "bjensen""#,
            "title pr or userType eq \"Intern\" and not (a pr or b pr)",
            r#"emails[type eq "work" and value co "@x"].value eq "a@b.c" or c eq 1"#,
            "a pr and (b pr and c pr) and d eq null or e eq TRUE",
        ] {
            let borrowed = parse_filter(text).unwrap();
            let owned = crate::parse_filter(text).unwrap();
            assert_eq!(borrowed.to_string(), owned.to_string(), "{text}");
            assert_eq!(borrowed.into_owned(), owned, "{text}");
        }
    }

    #[test]
    fn paths_convert_and_print_alike() {
        for text in [
            "members",
            r#"emails[type eq "work"].value"#,
            "urn:a:b:User:x.y",
        ] {
            let borrowed = parse_path(text).unwrap();
            let owned = crate::parse_path(text).unwrap();
            assert_eq!(borrowed.to_string(), owned.to_string());
            assert_eq!(ast::PatchPath::from(borrowed), owned);
        }
    }

    #[test]
    fn errors_are_the_owned_parsers_errors() {
        let limits = Limits::DEFAULT.with_max_depth(2);
        for text in ["a eq", "((((a pr))))", "a[b[c pr]]", "", "x eq \"\\q\""] {
            assert_eq!(
                parse_filter_with(text, &limits).unwrap_err(),
                crate::parse_filter_with(text, &limits).unwrap_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn long_chains_convert_without_deep_recursion() {
        // 512 terms (the default limit) on a small stack, as the owned parser is tested.
        let text = vec![r#"a eq "x""#; 512].join(" and ");
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let printed = parse_filter(&text).unwrap().to_string();
                let owned = parse_filter(&text).unwrap().into_owned();
                assert_eq!(owned.to_string(), printed);
                assert_eq!(printed, text);
            })
            .unwrap()
            .join()
            .expect("no stack overflow");
    }
}
