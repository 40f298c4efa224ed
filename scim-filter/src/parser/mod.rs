//! The parser for filters (RFC 7644 §3.4.2.2, Figure 1) and PATCH paths (§3.5.2,
//! Figure 7), written by hand over the input's bytes.
//!
//! It builds the borrowed tree of [`crate::borrowed`]: attribute paths, names, numbers and
//! strings without escapes are slices of the input, so the common filter allocates
//! nothing but the boxes of its `and`, `or`, `not` and value-path nodes. The owned parsers
//! convert that tree with `into_owned`.
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
//! [`Limits::max_terms`]. The first error ends the parse; there is no backtracking.

mod literal;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

use crate::borrowed::{
    AttrExpr, AttrPath, Filter, PatchPath, PatchValuePath, Predicate, SubAttrExpr, ValuePathExpr,
};
use crate::error::{Grammar, ParseError, ParseErrorKind};
use crate::limits::{Limit, Limits};

/// The parser's internal error: where it stopped and what was expected there.
#[derive(Debug)]
struct PErr {
    at: usize,
    message: &'static str,
    limit: Option<Limit>,
}

type PResult<T> = Result<T, PErr>;

/// Byte classes, looked up in [`CLASS`]: one load and a test per byte in the hot loops.
const WS: u8 = 1;
/// `nameChar = "-" / "_" / DIGIT / ALPHA`
const NAME: u8 = 2;
/// A byte that may not appear in a schema URN inside a filter.
const URN_STOP: u8 = 4;

/// The class bits of every byte value.
static CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let mut bits = 0;
        // The white space the grammar allows between tokens (nom's `multispace`).
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            bits |= WS;
        }
        if c.is_ascii_alphanumeric() || c == b'-' || c == b'_' {
            bits |= NAME;
        }
        if c.is_ascii_whitespace() || matches!(c, b'[' | b']' | b'(' | b')' | b'"') {
            bits |= URN_STOP;
        }
        class[b] = bits;
        b += 1;
    }
    class
};

/// True for the white space the grammar allows between tokens.
#[inline]
fn is_ws(b: u8) -> bool {
    CLASS[usize::from(b)] & WS != 0
}

/// True for `nameChar = "-" / "_" / DIGIT / ALPHA`.
#[inline]
fn is_name_byte(b: u8) -> bool {
    CLASS[usize::from(b)] & NAME != 0
}

/// True for the bytes a schema URN may hold inside a filter: anything up to white space or
/// a character with a meaning of its own in the grammar; every byte of a multi-byte
/// character counts.
#[inline]
fn is_urn_byte(b: u8) -> bool {
    CLASS[usize::from(b)] & URN_STOP == 0
}

/// One parse: the text, the position reached, the limits and the running term count.
struct Parser<'a, 'l> {
    text: &'a str,
    pos: usize,
    limits: &'l Limits,
    terms: usize,
}

impl<'a> Parser<'a, '_> {
    #[inline]
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// A syntax error at byte `at`.
    fn fail<T>(&self, at: usize, message: &'static str) -> PResult<T> {
        Err(PErr {
            at,
            message,
            limit: None,
        })
    }

    /// A limit error at the current position.
    fn limit<T>(&self, limit: Limit) -> PResult<T> {
        Err(PErr {
            at: self.pos,
            message: "",
            limit: Some(limit),
        })
    }

    /// The position after the white space starting at `from`.
    #[inline]
    fn ws_end(&self, from: usize) -> usize {
        let rest = &self.bytes()[from..];
        from + rest.iter().position(|&b| !is_ws(b)).unwrap_or(rest.len())
    }

    /// Skips white space; returns how much there was.
    #[inline]
    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        self.pos = self.ws_end(start);
        self.pos - start
    }

    /// Expects the byte `c` at the current position, failing with `message`.
    fn expect(&mut self, c: u8, message: &'static str) -> PResult<()> {
        if self.peek() != Some(c) {
            return self.fail(self.pos, message);
        }
        self.pos += 1;
        Ok(())
    }

    /// If the keyword `kw` (any case) starts at `at`, not followed by a name character,
    /// returns the position after it.
    #[inline]
    fn keyword_at(&self, at: usize, kw: &[u8]) -> Option<usize> {
        let end = at + kw.len();
        let head = self.bytes().get(at..end)?;
        let boundary = !self.bytes().get(end).is_some_and(|&b| is_name_byte(b));
        (head.eq_ignore_ascii_case(kw) && boundary).then_some(end)
    }

    /// Matches `ws kw ws` (or `ws kw` directly followed by `(` or the end) and moves past
    /// it; the caller then commits to an operand. The white space before the keyword is
    /// required: `a eq 1and b eq 2` is an error.
    fn keyword_between_spaces(&mut self, kw: &[u8]) -> bool {
        let start = self.ws_end(self.pos);
        if start == self.pos {
            return false;
        }
        let Some(after) = self.keyword_at(start, kw) else {
            return false;
        };
        let next = self.ws_end(after);
        let ok = next > after || next == self.text.len() || self.bytes()[next] == b'(';
        if ok {
            self.pos = next;
        }
        ok
    }

    /// Charges one level of nesting, failing when the limit is reached.
    fn descend(&self, depth: usize) -> PResult<usize> {
        if depth >= self.limits.max_depth {
            return self.limit(Limit::Depth(self.limits.max_depth));
        }
        Ok(depth + 1)
    }

    /// `filter = andExpr *( ws "or" ws andExpr )`
    fn filter(&mut self, depth: usize, in_value_path: bool) -> PResult<Filter<'a>> {
        let mut left = self.and_expr(depth, in_value_path)?;
        while self.keyword_between_spaces(b"or") {
            let right = self.and_expr(depth, in_value_path)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `andExpr = unary *( ws "and" ws unary )`
    fn and_expr(&mut self, depth: usize, in_value_path: bool) -> PResult<Filter<'a>> {
        let mut left = self.unary(depth, in_value_path)?;
        while self.keyword_between_spaces(b"and") {
            let right = self.unary(depth, in_value_path)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    /// `unary = "not" *ws "(" filter ")" / "(" filter ")" / term`
    #[inline]
    fn unary(&mut self, depth: usize, in_value_path: bool) -> PResult<Filter<'a>> {
        if let Some(after_not) = self.keyword_at(self.pos, b"not") {
            let open = self.ws_end(after_not);
            if self.bytes().get(open) == Some(&b'(') {
                self.pos = open;
                let inner = self.group(depth, in_value_path)?;
                return Ok(Filter::Not(Box::new(inner)));
            }
        }
        if self.peek() == Some(b'(') {
            return self.group(depth, in_value_path);
        }
        self.term(depth, in_value_path)
    }

    /// `"(" filter ")"`, at the `(`, with white space allowed inside the parentheses.
    fn group(&mut self, depth: usize, in_value_path: bool) -> PResult<Filter<'a>> {
        let depth = self.descend(depth)?;
        self.pos += 1;
        self.skip_ws();
        let inner = self.filter(depth, in_value_path)?;
        self.skip_ws();
        self.expect(
            b')',
            "expected `)` to close the group, or `and`/`or` to continue it",
        )?;
        Ok(inner)
    }

    /// `"[" valFilter "]"`, at the `[`: the filter of a value path.
    fn bracket(&mut self, depth: usize) -> PResult<Filter<'a>> {
        let depth = self.descend(depth)?;
        self.pos += 1;
        self.skip_ws();
        let inner = self.filter(depth, true)?;
        self.skip_ws();
        self.expect(
            b']',
            "expected `]` to close the value path, or `and`/`or` to continue it",
        )?;
        Ok(inner)
    }

    /// An attribute expression or a value-path filter.
    #[inline]
    fn term(&mut self, depth: usize, in_value_path: bool) -> PResult<Filter<'a>> {
        let path = self.attr_path()?;
        if self.peek() != Some(b'[') {
            let predicate = self.spaced_predicate()?;
            return Ok(Filter::Attribute(AttrExpr { path, predicate }));
        }
        if in_value_path {
            return self.fail(self.pos, "a value path cannot hold another value path");
        }
        let inner = self.bracket(depth)?;
        let sub_attr = if self.peek() == Some(b'.') {
            self.pos += 1;
            let name = self.attr_name()?;
            let predicate = self.spaced_predicate()?;
            Some(SubAttrExpr { name, predicate })
        } else {
            None
        };
        Ok(Filter::ValuePath(ValuePathExpr {
            attr: path,
            filter: Box::new(inner),
            sub_attr,
        }))
    }

    /// `ws predicate`, charging one term.
    #[inline]
    fn spaced_predicate(&mut self) -> PResult<Predicate<'a>> {
        if self.terms >= self.limits.max_terms {
            return self.limit(Limit::Terms(self.limits.max_terms));
        }
        self.terms += 1;
        if self.skip_ws() == 0 {
            return self.fail(
                self.pos,
                "expected white space, then an operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr)",
            );
        }
        self.predicate()
    }

    /// `predicate = "pr" / compareOp ws compValue`
    fn predicate(&mut self) -> PResult<Predicate<'a>> {
        let start = self.pos;
        let rest = &self.bytes()[start..];
        let word_len = rest
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let word = &rest[..word_len];
        if word.eq_ignore_ascii_case(b"pr") {
            self.pos += word_len;
            return Ok(Predicate::Present);
        }
        let Some(op) = crate::ast::CompareOp::from_keyword_bytes(word) else {
            return self.fail(
                start,
                "unknown operator: expected one of eq, ne, co, sw, ew, gt, lt, ge, le, pr",
            );
        };
        self.pos += word_len;
        // RFC 7644's own example (§3.5.2.2) writes `value eq"…"`: a quoted value may
        // follow the operator directly.
        if self.skip_ws() == 0 && self.peek() != Some(b'"') {
            return self.fail(self.pos, "expected white space, then a value");
        }
        Ok(Predicate::Compare(op, self.comp_value()?))
    }

    /// `attrPath = [URI ":"] ATTRNAME *1subAttr`
    #[inline]
    fn attr_path(&mut self) -> PResult<AttrPath<'a>> {
        let start = self.pos;
        let name_start = self.urn_prefix_len()?;
        self.pos = start + name_start;
        let name = self.attr_name()?;
        let sub_start = if self.peek() == Some(b'.') {
            self.pos += 1;
            self.attr_name()?;
            name_start + name.len() + 1
        } else {
            0
        };
        Ok(AttrPath::from_split(
            &self.text[start..self.pos],
            name_start,
            sub_start,
        ))
    }

    /// `"[" valFilter "]" [ "." ATTRNAME ]` of a PATCH path, at the `[`.
    fn patch_value_path(&mut self, attr: AttrPath<'a>) -> PResult<PatchPath<'a>> {
        let filter = self.bracket(0)?;
        let sub_attr = if self.peek() == Some(b'.') {
            self.pos += 1;
            Some(self.attr_name()?)
        } else {
            None
        };
        Ok(PatchPath::ValuePath(PatchValuePath {
            attr,
            filter,
            sub_attr,
        }))
    }
}

fn into_error(grammar: Grammar, e: PErr) -> ParseError {
    match e.limit {
        Some(limit) => ParseError::new(
            grammar,
            ParseErrorKind::LimitExceeded(limit),
            e.at,
            limit.to_string(),
        ),
        None => ParseError::new(grammar, ParseErrorKind::Syntax, e.at, e.message),
    }
}

/// Checks the length limit and skips white space at both ends; returns the text to parse
/// (the input without trailing white space) and where its first token starts.
fn prepare<'a>(
    src: &'a str,
    limits: &Limits,
    grammar: Grammar,
) -> Result<(&'a str, usize), ParseError> {
    if src.len() > limits.max_len {
        let limit = Limit::Length(limits.max_len);
        return Err(ParseError::new(
            grammar,
            ParseErrorKind::LimitExceeded(limit),
            limits.max_len,
            limit.to_string(),
        ));
    }
    let bytes = src.as_bytes();
    let end = bytes
        .iter()
        .rposition(|&b| !is_ws(b))
        .map_or(0, |last| last + 1);
    let start = bytes[..end].iter().position(|&b| !is_ws(b)).unwrap_or(end);
    if start == end {
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
    // `end` follows an ASCII byte (or is 0), so it is a character boundary.
    Ok((&src[..end], start))
}

/// Parses a filter under `limits`. See [`crate::borrowed::parse_filter`].
pub(crate) fn parse_filter<'a>(src: &'a str, limits: &Limits) -> Result<Filter<'a>, ParseError> {
    let (text, start) = prepare(src, limits, Grammar::Filter)?;
    let mut p = Parser {
        text,
        pos: start,
        limits,
        terms: 0,
    };
    let run = |p: &mut Parser<'a, '_>| {
        let filter = p.filter(0, false)?;
        if p.pos != text.len() {
            return p.fail(p.pos, "expected `and`, `or` or the end of the filter");
        }
        Ok(filter)
    };
    run(&mut p).map_err(|e| into_error(Grammar::Filter, e))
}

/// Parses a PATCH path under `limits`. See [`crate::borrowed::parse_path`].
pub(crate) fn parse_path<'a>(src: &'a str, limits: &Limits) -> Result<PatchPath<'a>, ParseError> {
    let (text, start) = prepare(src, limits, Grammar::Path)?;
    let mut p = Parser {
        text,
        pos: start,
        limits,
        terms: 0,
    };
    let run = |p: &mut Parser<'a, '_>| {
        let attr = p.attr_path()?;
        let path = if p.peek() == Some(b'[') {
            p.patch_value_path(attr)?
        } else {
            PatchPath::Attribute(attr)
        };
        if p.pos != text.len() {
            return p.fail(
                p.pos,
                "expected the end of the path (a path is `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`)",
            );
        }
        Ok(path)
    };
    run(&mut p).map_err(|e| into_error(Grammar::Path, e))
}
