//! Comparison literals: the `compValue` rule of RFC 7644 §3.4.2.2, built on JSON (RFC 7159).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A literal on the right of a comparison operator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CompValue {
    /// JSON `null`.
    Null,
    /// JSON `true` or `false`.
    Bool(bool),
    /// A JSON number, kept as written.
    Number(Number),
    /// A JSON string, with its escapes decoded.
    String(String),
}

impl From<&str> for CompValue {
    fn from(s: &str) -> Self {
        CompValue::String(s.to_owned())
    }
}

impl From<String> for CompValue {
    fn from(s: String) -> Self {
        CompValue::String(s)
    }
}

impl From<bool> for CompValue {
    fn from(b: bool) -> Self {
        CompValue::Bool(b)
    }
}

impl From<i64> for CompValue {
    fn from(n: i64) -> Self {
        CompValue::Number(Number(n.to_string()))
    }
}

/// A JSON number that keeps its exact text, so `1.50` prints back as `1.50` and integers
/// beyond 2^53 lose no digits.
///
/// The text always satisfies the JSON `number` rule: an optional `-`, an integer part
/// without leading zeros, an optional fraction and an optional exponent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Number(String);

impl Number {
    /// Wraps `text` if it is a valid JSON number, else returns `None`.
    pub fn new(text: impl Into<String>) -> Option<Self> {
        let text = text.into();
        (json_number_len(&text) == Some(text.len())).then_some(Number(text))
    }

    /// Wraps text already known to be a valid JSON number.
    pub(crate) fn from_checked(text: String) -> Self {
        Number(text)
    }

    /// The number exactly as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an `i64`, when it is an integer (no fraction, no exponent) that fits.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// The value as an `f64` (nearest representable).
    pub fn as_f64(&self) -> f64 {
        // The text is a valid JSON number, which Rust's float grammar accepts.
        self.0.parse().unwrap_or(f64::NAN)
    }
}

impl TryFrom<String> for Number {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Number::new(text.clone()).ok_or_else(|| format!("`{text}` is not a JSON number"))
    }
}

impl From<Number> for String {
    fn from(n: Number) -> Self {
        n.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Length in bytes of the JSON number at the start of `s`, or `None` if none starts there.
///
/// `number = [ minus ] int [ frac ] [ exp ]` (RFC 7159 §6).
pub(crate) fn json_number_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            while matches!(b.get(i), Some(b'0'..=b'9')) {
                i += 1;
            }
        }
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_json_grammar() {
        for ok in ["0", "-5", "1.5e3", "1E+2", "-0.25", "12345678901234567890"] {
            assert!(Number::new(ok).is_some(), "{ok}");
        }
        for bad in ["", "-", "01", "1.", ".5", "1e", "+1", "1e+", "0x10", "1 "] {
            assert!(Number::new(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn numbers_keep_their_text() {
        let n = Number::new("1.50").unwrap();
        assert_eq!(n.to_string(), "1.50");
        assert_eq!(n.as_f64(), 1.5);
        assert_eq!(n.as_i64(), None);
        assert_eq!(Number::new("-5").unwrap().as_i64(), Some(-5));
    }

    #[test]
    fn numbers_deserialise_only_when_valid() {
        let ok: Number = serde_json::from_str("\"1e3\"").unwrap();
        assert_eq!(ok.as_str(), "1e3");
        assert!(serde_json::from_str::<Number>("\"abc\"").is_err());
    }
}
