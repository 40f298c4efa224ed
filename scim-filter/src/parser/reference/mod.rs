//! The crate's first parser, built on nom, kept for tests only: the property tests in
//! `parser::tests` check that the hand-written parser in `parser` gives the same trees and
//! the same errors (message and offset) as this one, for filters (RFC 7644 §3.4.2.2,
//! Figure 1) and PATCH paths (§3.5.2, Figure 7).
//!
//! The grammar is written precedence-climbing style so that `and` binds tighter than `or`
//! and chains are parsed by loops, not recursion:
//!
//! ```text
//! filter    = andExpr *( ws "or" ws andExpr )
//! andExpr   = unary *( ws "and" ws unary )
//! unary     = "not" *ws "(" filter ")" / "(" filter ")" / term
//! term      = attrPath "[" valFilter "]" [ "." ATTRNAME ws predicate ]   ; value path
//!           / attrPath ws predicate                                     ; attrExp
//! predicate = "pr" / compareOp ws compValue
//! ```
//!
//! Only parentheses, `not` and value paths recurse, and each is charged against
//! [`Limits::max_depth`] before recursing, so hostile nesting fails early and never
//! overflows the stack. Every attribute expression is charged against
//! [`Limits::max_terms`].

mod literal;

use std::borrow::Cow;
use std::cell::Cell;

use nom::character::complete::{char, multispace0, multispace1};
use nom::error::{ErrorKind, ParseError as NomParseError};
use nom::{IResult, Parser};

use crate::ast::{AttrExpr, AttrPath, CompareOp, Filter, PatchPath, PatchValuePath, Predicate};
use crate::ast::{SubAttrExpr, ValuePathExpr};
use crate::error::{Grammar, ParseError, ParseErrorKind};
use crate::limits::{Limit, Limits};

/// The parser's internal error: the unparsed rest of the input and what was expected.
#[derive(Debug)]
pub(crate) struct PErr<'a> {
    rest: &'a str,
    message: Cow<'static, str>,
    limit: Option<Limit>,
}

impl<'a> NomParseError<&'a str> for PErr<'a> {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        let message = match kind {
            ErrorKind::Char => "unexpected character",
            ErrorKind::MultiSpace => "expected white space",
            _ => "unexpected input",
        };
        PErr {
            rest: input,
            message: Cow::Borrowed(message),
            limit: None,
        }
    }

    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }

    fn or(self, other: Self) -> Self {
        // Keep the error that got further into the input.
        if other.rest.len() < self.rest.len() {
            other
        } else {
            self
        }
    }
}

pub(crate) type PResult<'a, O> = IResult<&'a str, O, PErr<'a>>;

/// A recoverable error at `rest` saying `message`.
pub(crate) fn error<'a>(rest: &'a str, message: &'static str) -> nom::Err<PErr<'a>> {
    nom::Err::Error(PErr {
        rest,
        message: Cow::Borrowed(message),
        limit: None,
    })
}

/// [`error`] as a parse result.
pub(crate) fn fail<'a, O>(rest: &'a str, message: &'static str) -> PResult<'a, O> {
    Err(error(rest, message))
}

/// Turns a recoverable error into a final one (nom's `cut`), once the input has committed
/// to a rule.
fn cut<O>(r: PResult<'_, O>) -> PResult<'_, O> {
    r.map_err(|e| match e {
        nom::Err::Error(e) => nom::Err::Failure(e),
        other => other,
    })
}

/// Expects the character `c` at the start of `i`, failing with `message`.
fn expect_char<'a>(i: &'a str, c: char, message: &'static str) -> PResult<'a, char> {
    let r: PResult<'a, char> = char(c).parse(i);
    r.or_else(|_| fail(i, message))
}

/// One parse: the source, the limits and the running term count.
struct Session<'l> {
    limits: &'l Limits,
    terms: Cell<usize>,
}

impl Session<'_> {
    fn limit<'a, O>(&self, rest: &'a str, limit: Limit) -> PResult<'a, O> {
        Err(nom::Err::Failure(PErr {
            rest,
            message: Cow::Owned(limit.to_string()),
            limit: Some(limit),
        }))
    }

    /// Charges one level of nesting, failing when the limit is reached.
    fn descend<'a>(&self, i: &'a str, depth: usize) -> PResult<'a, usize> {
        if depth >= self.limits.max_depth {
            return self.limit(i, Limit::Depth(self.limits.max_depth));
        }
        Ok((i, depth + 1))
    }

    /// `filter = andExpr *( ws "or" ws andExpr )`
    fn filter<'a>(
        &self,
        i: &'a str,
        depth: usize,
        in_value_path: bool,
    ) -> PResult<'a, Box<Filter>> {
        let (mut i, mut left) = self.and_expr(i, depth, in_value_path)?;
        while let Some(rest) = keyword_between_spaces(i, "or") {
            let (rest, right) = cut(self.and_expr(rest, depth, in_value_path))?;
            left = Box::new(Filter::Or(left, right));
            i = rest;
        }
        Ok((i, left))
    }

    /// `andExpr = unary *( ws "and" ws unary )`
    fn and_expr<'a>(
        &self,
        i: &'a str,
        depth: usize,
        in_value_path: bool,
    ) -> PResult<'a, Box<Filter>> {
        let (mut i, mut left) = self.unary(i, depth, in_value_path)?;
        while let Some(rest) = keyword_between_spaces(i, "and") {
            let (rest, right) = cut(self.unary(rest, depth, in_value_path))?;
            left = Box::new(Filter::And(left, right));
            i = rest;
        }
        Ok((i, left))
    }

    /// `unary = "not" *ws "(" filter ")" / "(" filter ")" / term`
    fn unary<'a>(&self, i: &'a str, depth: usize, in_value_path: bool) -> PResult<'a, Box<Filter>> {
        if let Some(after_not) = strip_keyword(i, "not") {
            let (open, _) = multispace0(after_not)?;
            if open.starts_with('(') {
                let (rest, inner) = self.group(open, depth, in_value_path)?;
                return Ok((rest, Box::new(Filter::Not(inner))));
            }
        }
        if i.starts_with('(') {
            return self.group(i, depth, in_value_path);
        }
        self.term(i, depth, in_value_path)
    }

    /// `"(" filter ")"`, with white space allowed inside the parentheses.
    fn group<'a>(&self, i: &'a str, depth: usize, in_value_path: bool) -> PResult<'a, Box<Filter>> {
        let (i, depth) = self.descend(i, depth)?;
        let (i, _) = multispace0(&i[1..])?;
        let (i, inner) = cut(self.filter(i, depth, in_value_path))?;
        let (i, _) = multispace0(i)?;
        let (i, _) = cut(expect_char(
            i,
            ')',
            "expected `)` to close the group, or `and`/`or` to continue it",
        ))?;
        Ok((i, inner))
    }

    /// An attribute expression or a value-path filter.
    fn term<'a>(&self, i: &'a str, depth: usize, in_value_path: bool) -> PResult<'a, Box<Filter>> {
        let (rest, path) = attr_path(i)?;
        if rest.starts_with('[') {
            if in_value_path {
                return cut(fail(rest, "a value path cannot hold another value path"));
            }
            let (rest, depth) = self.descend(rest, depth)?;
            let (rest, _) = multispace0(&rest[1..])?;
            let (rest, inner) = cut(self.filter(rest, depth, true))?;
            let (rest, _) = multispace0(rest)?;
            let (rest, _) = cut(expect_char(
                rest,
                ']',
                "expected `]` to close the value path, or `and`/`or` to continue it",
            ))?;
            let (rest, sub_attr) = match rest.strip_prefix('.') {
                Some(after_dot) => {
                    let (after, name) = cut(literal::attr_name(after_dot))?;
                    let (after, predicate) = cut(self.spaced_predicate(after))?;
                    let sub = SubAttrExpr {
                        name: name.to_owned(),
                        predicate,
                    };
                    (after, Some(sub))
                }
                None => (rest, None),
            };
            let expr = ValuePathExpr {
                attr: path,
                filter: inner,
                sub_attr,
            };
            return Ok((rest, Box::new(Filter::ValuePath(expr))));
        }
        let (rest, predicate) = cut(self.spaced_predicate(rest))?;
        Ok((
            rest,
            Box::new(Filter::Attribute(AttrExpr { path, predicate })),
        ))
    }

    /// `ws predicate`, charging one term.
    fn spaced_predicate<'a>(&self, i: &'a str) -> PResult<'a, Predicate> {
        let terms = self.terms.get() + 1;
        if terms > self.limits.max_terms {
            return self.limit(i, Limit::Terms(self.limits.max_terms));
        }
        self.terms.set(terms);
        let ws: PResult<'a, &str> = multispace1(i);
        let (i, _) = ws.or_else(|_| {
            fail(
                i,
                "expected white space, then an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr)",
            )
        })?;
        predicate(i)
    }
}

/// `predicate = "pr" / compareOp ws compValue`
fn predicate(i: &str) -> PResult<'_, Predicate> {
    let word_len = i
        .bytes()
        .position(|b| !b.is_ascii_alphanumeric())
        .unwrap_or(i.len());
    let word = &i[..word_len];
    if word.eq_ignore_ascii_case("pr") {
        return Ok((&i[word_len..], Predicate::Present));
    }
    let Some(op) = CompareOp::from_keyword(word) else {
        return fail(
            i,
            "unknown operator: expected one of eq, ne, co, sw, ew, gt, lt, ge, le, pr",
        );
    };
    let rest = &i[word_len..];
    // RFC 7644's own example (§3.5.2.2) writes `value eq"…"`: a quoted value may follow
    // the operator directly.
    let (rest, ws) = multispace0(rest)?;
    if ws.is_empty() && !rest.starts_with('"') {
        return fail(rest, "expected white space, then a value");
    }
    let (rest, value) = literal::comp_value(rest)?;
    Ok((rest, Predicate::Compare(op, value)))
}

/// `attrPath = [URI ":"] ATTRNAME *1subAttr`
fn attr_path(i: &str) -> PResult<'_, AttrPath> {
    let (body, name_start) = match literal::urn_prefix(i) {
        Some(r) => {
            let (body, urn) = r?;
            (body, urn.len() + 1)
        }
        None => (i, 0),
    };
    let (rest, (name, sub)) = literal::name_and_sub(body)?;
    let sub_start = match sub {
        Some(_) => name_start + name.len() + 1,
        None => 0,
    };
    let text = &i[..i.len() - rest.len()];
    Ok((rest, AttrPath::from_split(text, name_start, sub_start)))
}

/// If `i` starts with the keyword `kw` (any case) not followed by a name character,
/// returns the rest after it.
fn strip_keyword<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    let head = i.get(..kw.len())?;
    let rest = &i[kw.len()..];
    let boundary = !rest.starts_with(literal::is_name_char);
    (head.eq_ignore_ascii_case(kw) && boundary).then_some(rest)
}

/// Matches `ws kw ws` (or `ws kw` directly followed by `(` or the end) and returns what
/// follows; the caller then commits to an operand.
/// The white space before the keyword is required: `a eq 1and b eq 2` is an error.
fn keyword_between_spaces<'a>(i: &'a str, kw: &str) -> Option<&'a str> {
    let (after_ws, _) = multispace1::<&str, PErr<'_>>(i).ok()?;
    let rest = strip_keyword(after_ws, kw)?;
    let (after, ws) = multispace0::<&str, PErr<'_>>(rest).ok()?;
    (!ws.is_empty() || after.is_empty() || after.starts_with('(')).then_some(after)
}

fn into_error(text: &str, grammar: Grammar, e: nom::Err<PErr<'_>>) -> ParseError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => ParseError::new(
            grammar,
            match e.limit {
                Some(limit) => ParseErrorKind::LimitExceeded(limit),
                None => ParseErrorKind::Syntax,
            },
            text.len() - e.rest.len(),
            e.message,
        ),
        nom::Err::Incomplete(_) => ParseError::new(
            grammar,
            ParseErrorKind::Syntax,
            text.len(),
            "unexpected end of input",
        ),
    }
}

/// Checks the length limit and skips white space at both ends; returns the text to parse.
fn prepare<'a>(src: &'a str, limits: &Limits, grammar: Grammar) -> Result<&'a str, ParseError> {
    if src.len() > limits.max_len {
        let limit = Limit::Length(limits.max_len);
        return Err(ParseError::new(
            grammar,
            ParseErrorKind::LimitExceeded(limit),
            limits.max_len,
            limit.to_string(),
        ));
    }
    let trimmed = src.trim_end_matches([' ', '\t', '\r', '\n']);
    let start = trimmed.len() - trimmed.trim_start_matches([' ', '\t', '\r', '\n']).len();
    let body = &trimmed[start..];
    if body.is_empty() {
        let message = match grammar {
            Grammar::Filter => "empty filter: expected an attribute expression",
            Grammar::Path => "empty path: expected an attribute name",
        };
        return Err(ParseError::new(
            grammar,
            ParseErrorKind::Syntax,
            start,
            message,
        ));
    }
    Ok(&src[..trimmed.len()])
}

/// Parses a filter under `limits`. See [`crate::parse_filter`].
pub(crate) fn parse_filter(src: &str, limits: &Limits) -> Result<Filter, ParseError> {
    let text = prepare(src, limits, Grammar::Filter)?;
    let parser = Session {
        limits,
        terms: Cell::new(0),
    };
    let run = || -> PResult<'_, Box<Filter>> {
        let (i, _) = multispace0(text)?;
        let (i, filter) = parser.filter(i, 0, false)?;
        if !i.is_empty() {
            return fail(i, "expected `and`, `or` or the end of the filter");
        }
        Ok((i, filter))
    };
    run()
        .map(|(_, f)| *f)
        .map_err(|e| into_error(text, Grammar::Filter, e))
}

/// Parses a PATCH path under `limits`. See [`crate::parse_path`].
pub(crate) fn parse_path(src: &str, limits: &Limits) -> Result<PatchPath, ParseError> {
    let text = prepare(src, limits, Grammar::Path)?;
    let parser = Session {
        limits,
        terms: Cell::new(0),
    };
    let run = || -> PResult<'_, PatchPath> {
        let (i, _) = multispace0(text)?;
        let (i, attr) = attr_path(i)?;
        let (i, path) = if i.starts_with('[') {
            let (i, depth) = parser.descend(i, 0)?;
            let (i, _) = multispace0(&i[1..])?;
            let (i, filter) = cut(parser.filter(i, depth, true))?;
            let (i, _) = multispace0(i)?;
            let (i, _) = cut(expect_char(
                i,
                ']',
                "expected `]` to close the value path, or `and`/`or` to continue it",
            ))?;
            let (i, sub_attr) = match i.strip_prefix('.') {
                Some(after_dot) => {
                    let (i, name) = cut(literal::attr_name(after_dot))?;
                    (i, Some(name.to_owned()))
                }
                None => (i, None),
            };
            let vp = PatchValuePath {
                attr,
                filter: *filter,
                sub_attr,
            };
            (i, PatchPath::ValuePath(vp))
        } else {
            (i, PatchPath::Attribute(attr))
        };
        if !i.is_empty() {
            return fail(
                i,
                "expected the end of the path (a path is `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`)",
            );
        }
        Ok((i, path))
    };
    run()
        .map(|(_, p)| p)
        .map_err(|e| into_error(text, Grammar::Path, e))
}
