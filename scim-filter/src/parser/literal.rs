//! Lexical rules: attribute names, schema URNs and JSON literals (RFC 7159 §6, §7).

use std::borrow::Cow;

use super::{is_name_byte, is_urn_byte, PResult, Parser};
use crate::borrowed::{CompValue, Number};
use crate::value::json_number_len;

/// The position of the first `"`, `\\` or control character at or after `from`, or the
/// end of `bytes`: where a JSON string's plain run stops. Reads eight bytes at a time.
fn string_stop(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(chunk);
        // A byte's high bit is set in `zero(y)` when that byte of `y` is 0; bits above the
        // first such byte may be set spuriously, so only the lowest set bit is trusted.
        let zero = |y: u64| y.wrapping_sub(ONES) & !y;
        let quote = zero(x ^ (ONES * u64::from(b'"')));
        let backslash = zero(x ^ (ONES * u64::from(b'\\')));
        let control = x.wrapping_sub(ONES * 0x20) & !x;
        let found = (quote | backslash | control) & HIGH;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let rest = &bytes[at..];
    at + rest
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(rest.len())
}

const VALUE_EXPECTED: &str = "expected a value: a quoted string, a number, true, false or null";
const UNTERMINATED: &str = "unterminated string: no closing `\"`";
const CONTROL: &str = "control characters in a string must be escaped";

impl<'a> Parser<'a, '_> {
    /// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref`, which RFC 7643 uses as an attribute
    /// name.
    #[inline]
    pub(super) fn attr_name(&mut self) -> PResult<&'a str> {
        let start = self.pos;
        let rest = &self.bytes()[start..];
        let len = if rest.starts_with(b"$ref") && !rest.get(4).is_some_and(|&b| is_name_byte(b)) {
            4
        } else if rest.first().is_some_and(u8::is_ascii_alphabetic) {
            rest.iter()
                .position(|&b| !is_name_byte(b))
                .unwrap_or(rest.len())
        } else {
            return self.fail(
                start,
                "expected an attribute name (a letter, then letters, digits, `-` or `_`)",
            );
        };
        self.pos += len;
        Ok(&self.text[start..self.pos])
    }

    /// `[URI ":"]` when the input starts with `urn:`: returns the length of the URN and
    /// the colon that ends it, or 0 without one. The URN is the longest run of URN
    /// characters up to its last `:`, so `urn:…:2.0:User:name.givenName` splits into
    /// `urn:…:2.0:User` and `name.givenName`.
    #[inline]
    pub(super) fn urn_prefix_len(&self) -> PResult<usize> {
        let rest = &self.bytes()[self.pos..];
        if !rest
            .get(..4)
            .is_some_and(|h| h.eq_ignore_ascii_case(b"urn:"))
        {
            return Ok(0);
        }
        let run = rest
            .iter()
            .position(|&b| !is_urn_byte(b))
            .unwrap_or(rest.len());
        match rest[..run].iter().rposition(|&b| b == b':') {
            Some(colon) if colon > 4 => Ok(colon + 1),
            _ => self.fail(
                self.pos,
                "expected a schema URN, then `:` and an attribute name (urn:…:User:userName)",
            ),
        }
    }

    /// `compValue = false / null / true / number / string`. The keywords are accepted in
    /// any case (`True`), a documented leniency.
    #[inline]
    pub(super) fn comp_value(&mut self) -> PResult<CompValue<'a>> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => Ok(CompValue::String(self.json_string()?)),
            Some(b'-' | b'0'..=b'9') => match json_number_len(&self.text[start..]) {
                Some(len) => {
                    self.pos += len;
                    Ok(CompValue::Number(Number::from_checked(
                        &self.text[start..self.pos],
                    )))
                }
                None => self.fail(start, "expected a JSON number (e.g. -5, 1.5, 1e3)"),
            },
            Some(c) if c.is_ascii_alphabetic() => {
                let rest = &self.bytes()[start..];
                let len = rest
                    .iter()
                    .position(|&b| !is_name_byte(b))
                    .unwrap_or(rest.len());
                let word = &rest[..len];
                let value = if word.eq_ignore_ascii_case(b"true") {
                    CompValue::Bool(true)
                } else if word.eq_ignore_ascii_case(b"false") {
                    CompValue::Bool(false)
                } else if word.eq_ignore_ascii_case(b"null") {
                    CompValue::Null
                } else {
                    return self.fail(start, VALUE_EXPECTED);
                };
                self.pos += len;
                Ok(value)
            }
            _ => self.fail(start, VALUE_EXPECTED),
        }
    }

    /// A JSON string (RFC 7159 §7) with every escape, including `\uXXXX` surrogate pairs,
    /// at its opening quote. Borrowed from the input unless it holds an escape.
    fn json_string(&mut self) -> PResult<Cow<'a, str>> {
        let open = self.pos;
        let body = open + 1;
        let bytes = self.bytes();
        // Fast path: no escapes.
        let mut pos = string_stop(bytes, body);
        match bytes.get(pos) {
            Some(b'"') => {
                self.pos = pos + 1;
                return Ok(Cow::Borrowed(&self.text[body..pos]));
            }
            Some(b'\\') => {}
            Some(_) => return self.fail(pos, CONTROL),
            None => return self.fail(open, UNTERMINATED),
        }
        let mut out = String::with_capacity(pos - body + 16);
        out.push_str(&self.text[body..pos]);
        loop {
            let stop = string_stop(bytes, pos);
            out.push_str(&self.text[pos..stop]);
            pos = stop;
            match bytes.get(pos) {
                Some(b'"') => {
                    self.pos = pos + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    let (len, c) = self.escape(pos)?;
                    out.push(c);
                    pos += len;
                }
                Some(_) => return self.fail(pos, CONTROL),
                None => return self.fail(open, UNTERMINATED),
            }
        }
    }

    /// One escape sequence at the backslash at `at`: its length and the character.
    fn escape(&self, at: usize) -> PResult<(usize, char)> {
        let c = match self.bytes().get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(at),
            _ => {
                return self.fail(
                    at,
                    "invalid escape: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
                )
            }
        };
        Ok((2, c))
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`, at the backslash at `at`.
    fn unicode_escape(&self, at: usize) -> PResult<(usize, char)> {
        let bytes = self.bytes();
        let hex4 = |from: usize| -> Option<u32> {
            let digits = bytes.get(from..from + 4)?;
            digits
                .iter()
                .try_fold(0, |acc, &b| Some(acc * 16 + char::from(b).to_digit(16)?))
        };
        let Some(first) = hex4(at + 2) else {
            return self.fail(
                at,
                "invalid escape: \\u must be followed by four hex digits",
            );
        };
        match first {
            0xD800..=0xDBFF => {
                let low = bytes
                    .get(at + 6..at + 8)
                    .filter(|p| *p == b"\\u")
                    .and_then(|_| hex4(at + 8))
                    .filter(|low| (0xDC00..=0xDFFF).contains(low));
                match low {
                    Some(low) => {
                        let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                        match char::from_u32(code) {
                            Some(c) => Ok((12, c)),
                            None => self.fail(at, "invalid escape: unpaired high surrogate"),
                        }
                    }
                    None => self.fail(at, "invalid escape: unpaired high surrogate"),
                }
            }
            0xDC00..=0xDFFF => self.fail(at, "invalid escape: unpaired low surrogate"),
            code => match char::from_u32(code) {
                Some(c) => Ok((6, c)),
                None => self.fail(
                    at,
                    "invalid escape: \\u must be followed by four hex digits",
                ),
            },
        }
    }
}
