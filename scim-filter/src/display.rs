//! Canonical text for filters and paths: lower-case keywords, single spaces, JSON literals,
//! and only the parentheses the tree needs.
//!
//! For every tree the parser produces, printing and parsing again gives an equal tree:
//! `and`/`or` chains are left-associative, so a right operand of the same operator is
//! parenthesised, and an `or` under an `and` always is.
//!
//! The owned trees ([`crate::Filter`]) and the borrowed ones ([`crate::borrowed::Filter`])
//! print through one writer, over the [`Tree`] view both give of a node.

use std::fmt;

use crate::ast::{AttrPath, CompareOp, Filter, PatchPath, Predicate};
use crate::borrowed;
use crate::value::CompValue;

/// One node of a filter tree as the printer sees it, whichever form the tree has.
enum Node<'n, F> {
    /// `path predicate`.
    Attribute(&'n str, Pred<'n>),
    /// `attr[filter]` and an optional `.name predicate`.
    ValuePath(&'n str, &'n F, Option<(&'n str, Pred<'n>)>),
    /// `not (filter)`.
    Not(&'n F),
    /// `left and right`.
    And(&'n F, &'n F),
    /// `left or right`.
    Or(&'n F, &'n F),
}

/// A predicate as the printer sees it.
#[derive(Clone, Copy)]
enum Pred<'n> {
    Present,
    Compare(CompareOp, Literal<'n>),
}

/// A comparison literal as the printer sees it.
#[derive(Clone, Copy)]
enum Literal<'n> {
    Null,
    Bool(bool),
    Number(&'n str),
    String(&'n str),
}

/// A filter tree the printer can walk: the owned and the borrowed [`Filter`].
trait Tree: Sized {
    fn node(&self) -> Node<'_, Self>;
}

impl Tree for Filter {
    fn node(&self) -> Node<'_, Self> {
        match self {
            Filter::Attribute(e) => Node::Attribute(e.path.as_str(), pred(&e.predicate)),
            Filter::ValuePath(vp) => Node::ValuePath(
                vp.attr.as_str(),
                &vp.filter,
                vp.sub_attr
                    .as_ref()
                    .map(|s| (s.name.as_str(), pred(&s.predicate))),
            ),
            Filter::Not(inner) => Node::Not(inner),
            Filter::And(l, r) => Node::And(l, r),
            Filter::Or(l, r) => Node::Or(l, r),
        }
    }
}

impl Tree for borrowed::Filter<'_> {
    fn node(&self) -> Node<'_, Self> {
        use borrowed::Filter as B;
        match self {
            B::Attribute(e) => Node::Attribute(e.path.as_str(), borrowed_pred(&e.predicate)),
            B::ValuePath(vp) => Node::ValuePath(
                vp.attr.as_str(),
                &vp.filter,
                vp.sub_attr
                    .as_ref()
                    .map(|s| (s.name, borrowed_pred(&s.predicate))),
            ),
            B::Not(inner) => Node::Not(inner),
            B::And(l, r) => Node::And(l, r),
            B::Or(l, r) => Node::Or(l, r),
        }
    }
}

fn pred(p: &Predicate) -> Pred<'_> {
    match p {
        Predicate::Present => Pred::Present,
        Predicate::Compare(op, v) => Pred::Compare(*op, literal(v)),
    }
}

fn literal(v: &CompValue) -> Literal<'_> {
    match v {
        CompValue::Null => Literal::Null,
        CompValue::Bool(b) => Literal::Bool(*b),
        CompValue::Number(n) => Literal::Number(n.as_str()),
        CompValue::String(s) => Literal::String(s),
    }
}

fn borrowed_pred<'n>(p: &'n borrowed::Predicate<'_>) -> Pred<'n> {
    match p {
        borrowed::Predicate::Present => Pred::Present,
        borrowed::Predicate::Compare(op, v) => Pred::Compare(*op, borrowed_literal(v)),
    }
}

fn borrowed_literal<'n>(v: &'n borrowed::CompValue<'_>) -> Literal<'n> {
    match v {
        borrowed::CompValue::Null => Literal::Null,
        borrowed::CompValue::Bool(b) => Literal::Bool(*b),
        borrowed::CompValue::Number(n) => Literal::Number(n.as_str()),
        borrowed::CompValue::String(s) => Literal::String(s),
    }
}

impl fmt::Display for Literal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(n) => f.write_str(n),
            Literal::String(s) => {
                let quoted = serde_json::to_string(s).map_err(|_| fmt::Error)?;
                f.write_str(&quoted)
            }
        }
    }
}

impl fmt::Display for Pred<'_> {
    /// Prints the predicate with its leading space: ` pr` or ` eq "x"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pred::Present => f.write_str(" pr"),
            Pred::Compare(op, value) => write!(f, " {} {value}", op.as_str()),
        }
    }
}

/// Writes `filter` as canonical text.
fn write_filter<F: Tree>(f: &mut fmt::Formatter<'_>, filter: &F) -> fmt::Result {
    match filter.node() {
        Node::Attribute(path, predicate) => write!(f, "{path}{predicate}"),
        Node::ValuePath(attr, inner, sub) => {
            write!(f, "{attr}[")?;
            write_filter(f, inner)?;
            f.write_str("]")?;
            if let Some((name, predicate)) = sub {
                write!(f, ".{name}{predicate}")?;
            }
            Ok(())
        }
        Node::Not(inner) => {
            f.write_str("not (")?;
            write_filter(f, inner)?;
            f.write_str(")")
        }
        Node::And(..) => write_chain(f, filter, true),
        Node::Or(..) => write_chain(f, filter, false),
    }
}

/// Writes `filter`, parenthesised when `wrap` is true.
fn write_operand<F: Tree>(f: &mut fmt::Formatter<'_>, filter: &F, wrap: bool) -> fmt::Result {
    if wrap {
        f.write_str("(")?;
        write_filter(f, filter)?;
        f.write_str(")")
    } else {
        write_filter(f, filter)
    }
}

/// Writes a left-deep chain of one operator (`((a and b) and c) and d`) without
/// recursing along it: the left spine is walked with a loop, so 512 terms do not mean
/// 512 nested calls. Right operands of the same operator keep their parentheses.
fn write_chain<F: Tree>(f: &mut fmt::Formatter<'_>, filter: &F, and: bool) -> fmt::Result {
    fn split<F: Tree>(node: &F, and: bool) -> Option<(&F, &F)> {
        match (node.node(), and) {
            (Node::And(l, r), true) | (Node::Or(l, r), false) => Some((l, r)),
            _ => None,
        }
    }
    let is_or = |n: &F| matches!(n.node(), Node::Or(..));
    let is_and = |n: &F| matches!(n.node(), Node::And(..));
    let mut rights = Vec::new();
    let mut leftmost = filter;
    while let Some((l, r)) = split(leftmost, and) {
        rights.push(r);
        leftmost = l;
    }
    // An `or` as an operand of `and` needs parentheses; an `and` inside `or` does not.
    write_operand(f, leftmost, and && is_or(leftmost))?;
    let keyword = if and { " and " } else { " or " };
    for r in rights.into_iter().rev() {
        f.write_str(keyword)?;
        let wrap = is_or(r) || (and && is_and(r));
        write_operand(f, r, wrap)?;
    }
    Ok(())
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for borrowed::AttrPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        literal(self).fmt(f)
    }
}

impl fmt::Display for borrowed::CompValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        borrowed_literal(self).fmt(f)
    }
}

impl fmt::Display for Predicate {
    /// Prints the predicate with its leading space: ` pr` or ` eq "x"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        pred(self).fmt(f)
    }
}

impl fmt::Display for borrowed::Predicate<'_> {
    /// Prints the predicate with its leading space: ` pr` or ` eq "x"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        borrowed_pred(self).fmt(f)
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_filter(f, self)
    }
}

impl fmt::Display for borrowed::Filter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_filter(f, self)
    }
}

/// Writes a PATCH path from its parts: `attr`, or `attr[filter]` and an optional `.sub`.
fn write_path<F: Tree>(
    f: &mut fmt::Formatter<'_>,
    attr: &str,
    filter: Option<(&F, Option<&str>)>,
) -> fmt::Result {
    f.write_str(attr)?;
    if let Some((filter, sub)) = filter {
        f.write_str("[")?;
        write_filter(f, filter)?;
        f.write_str("]")?;
        if let Some(sub) = sub {
            write!(f, ".{sub}")?;
        }
    }
    Ok(())
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchPath::Attribute(path) => write_path::<Filter>(f, path.as_str(), None),
            PatchPath::ValuePath(vp) => write_path(
                f,
                vp.attr.as_str(),
                Some((&vp.filter, vp.sub_attr.as_deref())),
            ),
        }
    }
}

impl fmt::Display for borrowed::PatchPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            borrowed::PatchPath::Attribute(path) => {
                write_path::<borrowed::Filter<'_>>(f, path.as_str(), None)
            }
            borrowed::PatchPath::ValuePath(vp) => {
                write_path(f, vp.attr.as_str(), Some((&vp.filter, vp.sub_attr)))
            }
        }
    }
}
