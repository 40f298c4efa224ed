//! Lexical rules: attribute names, schema URNs and JSON literals (RFC 7159 §6, §7).

use nom::bytes::complete::{take_while, take_while1};
use nom::Parser;

use super::{error, fail, PResult};
use crate::value::{json_number_len, CompValue, Number};

/// Characters a schema URN may hold inside a filter: anything up to white space or a
/// character with a meaning of its own in the grammar.
fn is_urn_char(c: char) -> bool {
    !c.is_ascii_whitespace() && !matches!(c, '[' | ']' | '(' | ')' | '"')
}

/// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref`, which RFC 7643 uses as an attribute name.
pub(super) fn attr_name(i: &str) -> PResult<'_, &str> {
    if let Some(rest) = i.strip_prefix("$ref") {
        if !rest.starts_with(is_name_char) {
            return Ok((rest, &i[..4]));
        }
    }
    if !i.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return fail(
            i,
            "expected an attribute name (a letter, then letters, digits, `-` or `_`)",
        );
    }
    take_while(is_name_char).parse(i)
}

/// `nameChar = "-" / "_" / DIGIT / ALPHA`
pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// `ATTRNAME *1subAttr`: a name and an optional `.name`.
pub(super) fn name_and_sub(i: &str) -> PResult<'_, (&str, Option<&str>)> {
    let (rest, name) = attr_name(i)?;
    match rest.strip_prefix('.') {
        Some(after_dot) => {
            let (rest, sub) = attr_name(after_dot)?;
            Ok((rest, (name, Some(sub))))
        }
        None => Ok((rest, (name, None))),
    }
}

/// `[URI ":"]` when the input starts with `urn:`: returns the URN and the text after the
/// colon that ends it. The URN is the longest run of URN characters up to its last `:`,
/// so `urn:…:2.0:User:name.givenName` splits into `urn:…:2.0:User` and `name.givenName`.
pub(super) fn urn_prefix(i: &str) -> Option<PResult<'_, &str>> {
    if !i.get(..4)?.eq_ignore_ascii_case("urn:") {
        return None;
    }
    let run: PResult<'_, &str> = take_while1(is_urn_char).parse(i);
    let (_, run) = match run {
        Ok(ok) => ok,
        Err(e) => return Some(Err(e)),
    };
    Some(match run.rfind(':') {
        Some(colon) if colon > 4 => Ok((&i[colon + 1..], &i[..colon])),
        _ => fail(
            i,
            "expected a schema URN, then `:` and an attribute name (urn:…:User:userName)",
        ),
    })
}

/// `compValue = false / null / true / number / string`. The keywords are accepted in any
/// case (`True`), a documented leniency.
pub(super) fn comp_value(i: &str) -> PResult<'_, CompValue> {
    match i.as_bytes().first() {
        Some(b'"') => {
            let (rest, s) = json_string(i)?;
            Ok((rest, CompValue::String(s)))
        }
        Some(b'-' | b'0'..=b'9') => match json_number_len(i) {
            Some(len) => Ok((
                &i[len..],
                CompValue::Number(Number::new(&i[..len]).expect("checked")),
            )),
            None => fail(i, "expected a JSON number (e.g. -5, 1.5, 1e3)"),
        },
        Some(c) if c.is_ascii_alphabetic() => {
            let (rest, word) = take_while1(is_name_char).parse(i)?;
            let value = if word.eq_ignore_ascii_case("true") {
                CompValue::Bool(true)
            } else if word.eq_ignore_ascii_case("false") {
                CompValue::Bool(false)
            } else if word.eq_ignore_ascii_case("null") {
                CompValue::Null
            } else {
                return fail(
                    i,
                    "expected a value: a quoted string, a number, true, false or null",
                );
            };
            Ok((rest, value))
        }
        _ => fail(
            i,
            "expected a value: a quoted string, a number, true, false or null",
        ),
    }
}

/// A JSON string (RFC 7159 §7) with every escape, including `\uXXXX` surrogate pairs.
/// `i` starts at the opening quote.
pub(super) fn json_string(i: &str) -> PResult<'_, String> {
    let body = &i[1..];
    let bytes = body.as_bytes();
    // Fast path: no escapes.
    let mut pos = 0;
    while pos < bytes.len() {
        match bytes[pos] {
            b'"' => return Ok((&body[pos + 1..], body[..pos].to_owned())),
            b'\\' => break,
            c if c < 0x20 => {
                return fail(
                    &body[pos..],
                    "control characters in a string must be escaped",
                )
            }
            _ => pos += 1,
        }
    }
    if pos == bytes.len() {
        return fail(i, "unterminated string: no closing `\"`");
    }
    let mut out = String::with_capacity(body.len());
    out.push_str(&body[..pos]);
    let mut rest = &body[pos..];
    loop {
        let run = rest
            .find(|c: char| c == '"' || c == '\\' || c < ' ')
            .ok_or_else(|| error(i, "unterminated string: no closing `\"`"))?;
        out.push_str(&rest[..run]);
        rest = &rest[run..];
        match rest.as_bytes()[0] {
            b'"' => return Ok((&rest[1..], out)),
            b'\\' => {
                let (after, c) = escape(rest)?;
                out.push(c);
                rest = after;
            }
            _ => return fail(rest, "control characters in a string must be escaped"),
        }
    }
}

/// One escape sequence; `i` starts at the backslash.
fn escape(i: &str) -> PResult<'_, char> {
    let c = match i.as_bytes().get(1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode_escape(i),
        _ => {
            return fail(
                i,
                "invalid escape: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX",
            )
        }
    };
    Ok((&i[2..], c))
}

/// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`; `i` starts at the backslash.
fn unicode_escape(i: &str) -> PResult<'_, char> {
    let hex4 = |s: &str| -> Option<u32> {
        let digits = s.get(..4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let Some(first) = hex4(&i[2..]) else {
        return fail(i, "invalid escape: \\u must be followed by four hex digits");
    };
    let after = &i[6..];
    match first {
        0xD800..=0xDBFF => {
            let low = after
                .strip_prefix("\\u")
                .and_then(hex4)
                .filter(|low| (0xDC00..=0xDFFF).contains(low));
            match low {
                Some(low) => {
                    let code = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
                    let c = char::from_u32(code).expect("surrogate pair decodes to a scalar");
                    Ok((&after[6..], c))
                }
                None => fail(i, "invalid escape: unpaired high surrogate"),
            }
        }
        0xDC00..=0xDFFF => fail(i, "invalid escape: unpaired low surrogate"),
        code => Ok((
            after,
            char::from_u32(code).expect("non-surrogate is a scalar"),
        )),
    }
}
