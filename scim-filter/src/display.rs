//! Canonical text for filters and paths: lower-case keywords, single spaces, JSON literals,
//! and only the parentheses the tree needs.
//!
//! For every tree the parser produces, printing and parsing again gives an equal tree:
//! `and`/`or` chains are left-associative, so a right operand of the same operator is
//! parenthesised, and an `or` under an `and` always is.

use std::fmt;

use crate::ast::{AttrPath, Filter, PatchPath, Predicate};
use crate::value::CompValue;

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            CompValue::String(s) => {
                let quoted = serde_json::to_string(s).map_err(|_| fmt::Error)?;
                f.write_str(&quoted)
            }
        }
    }
}

impl fmt::Display for Predicate {
    /// Prints the predicate with its leading space: ` pr` or ` eq "x"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Predicate::Present => f.write_str(" pr"),
            Predicate::Compare(op, value) => write!(f, " {} {value}", op.as_str()),
        }
    }
}

/// Writes `filter`, parenthesised when `wrap` is true.
fn write_operand(f: &mut fmt::Formatter<'_>, filter: &Filter, wrap: bool) -> fmt::Result {
    if wrap {
        write!(f, "({filter})")
    } else {
        write!(f, "{filter}")
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Attribute(expr) => write!(f, "{}{}", expr.path, expr.predicate),
            Filter::ValuePath(vp) => {
                write!(f, "{}[{}]", vp.attr, vp.filter)?;
                if let Some(sub) = &vp.sub_attr {
                    write!(f, ".{}{}", sub.name, sub.predicate)?;
                }
                Ok(())
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::And(..) => write_chain(f, self, true),
            Filter::Or(..) => write_chain(f, self, false),
        }
    }
}

/// Writes a left-deep chain of one operator (`((a and b) and c) and d`) without
/// recursing along it: the left spine is walked with a loop, so 512 terms do not mean
/// 512 nested calls. Right operands of the same operator keep their parentheses.
fn write_chain(f: &mut fmt::Formatter<'_>, filter: &Filter, and: bool) -> fmt::Result {
    fn split(node: &Filter, and: bool) -> Option<(&Filter, &Filter)> {
        match (node, and) {
            (Filter::And(l, r), true) | (Filter::Or(l, r), false) => Some((l, r)),
            _ => None,
        }
    }
    let mut rights = Vec::new();
    let mut leftmost = filter;
    while let Some((l, r)) = split(leftmost, and) {
        rights.push(r);
        leftmost = l;
    }
    // An `or` as an operand of `and` needs parentheses; an `and` inside `or` does not.
    write_operand(f, leftmost, and && matches!(leftmost, Filter::Or(..)))?;
    let keyword = if and { " and " } else { " or " };
    for r in rights.into_iter().rev() {
        f.write_str(keyword)?;
        let wrap = if and {
            matches!(r, Filter::Or(..) | Filter::And(..))
        } else {
            matches!(r, Filter::Or(..))
        };
        write_operand(f, r, wrap)?;
    }
    Ok(())
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchPath::Attribute(path) => write!(f, "{path}"),
            PatchPath::ValuePath(vp) => {
                write!(f, "{}[{}]", vp.attr, vp.filter)?;
                if let Some(sub) = &vp.sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}
