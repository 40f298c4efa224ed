//! String comparison with and without case (RFC 7643 §2.2 `caseExact`), allocation-free
//! for ASCII text, which is what identifiers and e-mail addresses almost always are.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::ast::CompareOp;

/// A string constant from a filter, prepared once for many comparisons.
#[derive(Clone, Debug)]
pub(crate) struct Needle {
    /// The constant as written (for case-exact comparison).
    raw: String,
    /// The constant lower-cased (for case-insensitive comparison).
    folded: String,
}

/// Lower-cases `s`, borrowing when it is already lower-case.
fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

impl Needle {
    /// Prepares `raw` for comparison.
    pub(crate) fn new(raw: &str) -> Self {
        Needle {
            raw: raw.to_owned(),
            folded: fold(raw).into_owned(),
        }
    }

    /// The constant as written.
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// Applies a string operator: `hay op needle`. Ordering operators compare
    /// lexicographically by code point (of the lower-cased text unless `case_exact`).
    pub(crate) fn test(&self, hay: &str, op: CompareOp, case_exact: bool) -> bool {
        if case_exact {
            return apply(hay, &self.raw, op);
        }
        if hay.is_ascii() && self.folded.is_ascii() {
            return apply_ascii_ci(hay.as_bytes(), self.folded.as_bytes(), op);
        }
        apply(&fold(hay), &self.folded, op)
    }
}

/// `hay op needle` on exact text.
fn apply(hay: &str, needle: &str, op: CompareOp) -> bool {
    match op {
        CompareOp::Co => hay.contains(needle),
        CompareOp::Sw => hay.starts_with(needle),
        CompareOp::Ew => hay.ends_with(needle),
        _ => ordering_holds(op, Some(hay.cmp(needle))),
    }
}

/// `hay op needle` for ASCII text, ignoring case; `needle` is already lower-case.
fn apply_ascii_ci(hay: &[u8], needle: &[u8], op: CompareOp) -> bool {
    match op {
        CompareOp::Co => {
            needle.is_empty()
                || hay
                    .windows(needle.len())
                    .any(|w| w.eq_ignore_ascii_case(needle))
        }
        CompareOp::Sw => {
            hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
        }
        CompareOp::Ew => {
            hay.len() >= needle.len()
                && hay[hay.len() - needle.len()..].eq_ignore_ascii_case(needle)
        }
        CompareOp::Eq => hay.eq_ignore_ascii_case(needle),
        CompareOp::Ne => !hay.eq_ignore_ascii_case(needle),
        _ => {
            let ord = hay
                .iter()
                .map(u8::to_ascii_lowercase)
                .cmp(needle.iter().copied());
            ordering_holds(op, Some(ord))
        }
    }
}

/// Whether the outcome `ord` of comparing an attribute value with a constant satisfies
/// `op`. `None` means the two cannot be compared: only `ne` holds then.
pub(crate) fn ordering_holds(op: CompareOp, ord: Option<Ordering>) -> bool {
    match (op, ord) {
        (CompareOp::Ne, ord) => ord != Some(Ordering::Equal),
        (_, None) => false,
        (CompareOp::Eq, Some(o)) => o == Ordering::Equal,
        (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
        (CompareOp::Ge, Some(o)) => o != Ordering::Less,
        (CompareOp::Lt, Some(o)) => o == Ordering::Less,
        (CompareOp::Le, Some(o)) => o != Ordering::Greater,
        (CompareOp::Co | CompareOp::Sw | CompareOp::Ew, Some(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_insensitive_ascii_and_unicode() {
        let n = Needle::new("BJensen");
        assert!(n.test("bjensen", CompareOp::Eq, false));
        assert!(!n.test("bjensen", CompareOp::Eq, true));
        assert!(n.test("xxBJENSENyy", CompareOp::Co, false));
        let u = Needle::new("ÄRGER");
        assert!(u.test("ärger", CompareOp::Eq, false));
        assert!(u.test("Großer Ärger", CompareOp::Ew, false));
        assert!(!u.test("ärger", CompareOp::Eq, true));
    }

    #[test]
    fn ordering_is_lexical_by_folded_text() {
        let n = Needle::new("m");
        assert!(n.test("Z", CompareOp::Gt, false));
        assert!(!n.test("Z", CompareOp::Gt, true)); // 'Z' < 'm' in code points
        assert!(n.test("M", CompareOp::Ge, false));
        assert!(n.test("M", CompareOp::Le, false));
        assert!(n.test("a", CompareOp::Lt, false));
    }

    #[test]
    fn empty_needle_is_contained_everywhere() {
        let n = Needle::new("");
        assert!(n.test("abc", CompareOp::Co, false));
        assert!(n.test("abc", CompareOp::Sw, false));
        assert!(n.test("", CompareOp::Ew, false));
    }
}
