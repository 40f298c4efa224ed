//! The walk over the filter: attribute paths resolved against the schema, each test
//! written as a condition on the values at its path, with the evaluator's semantics.
//!
//! Every condition is written twice, once as a superset of the matches ([`Side::Upper`])
//! and once as a subset ([`Side::Lower`]); `not` swaps the two. Where a part has no exact
//! SQL form, the upper side says `TRUE` and the lower side `FALSE`; everywhere else the
//! two sides are the same text, so the predicate is exact when they are equal.

use scim2_filter::{
    AttrFacts, AttrPath, AttrType, CompValue, CompareOp, Filter, Predicate, SchemaLookup,
};

use super::datetime;
use super::dialect::{Dialect, Elements, Val};
use super::{SqlParam, SqlPredicate, SqlTarget};
use crate::schema::{AttributeDef, ResourceSchema};

/// Which bound of the matches a condition is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Side {
    /// A subset: every row it selects matches.
    Lower,
    /// A superset: every match is selected.
    Upper,
}

impl Side {
    /// The other bound (what `not` needs of its operand).
    fn flip(self) -> Side {
        match self {
            Side::Lower => Side::Upper,
            Side::Upper => Side::Lower,
        }
    }

    /// The condition standing for a part that has no exact SQL form.
    pub(super) fn unknown(self) -> &'static str {
        match self {
            Side::Lower => "FALSE",
            Side::Upper => "TRUE",
        }
    }
}

/// Builds the predicate for `filter` (already compiled successfully by the evaluator).
pub(super) fn predicate(
    filter: &Filter,
    schema: &ResourceSchema<'_>,
    target: &SqlTarget,
) -> SqlPredicate {
    let mut writer = Writer {
        schema,
        computed: &target.computed,
        dialect: Dialect::new(target.dialect),
        params: Vec::new(),
        aliases: 0,
    };
    // The document is written in last, so that nothing in the caller's SQL can be taken
    // for a parameter mark.
    let root = DOCUMENT.to_string();
    let upper = writer.render(filter, &root, None, Side::Upper);
    writer.aliases = 0;
    let lower = writer.render(filter, &root, None, Side::Lower);
    let (sql, params) = writer.finish(&upper, target.first_param);
    SqlPredicate {
        sql: sql.replace(DOCUMENT, &format!("({})", target.document)),
        params,
        exact: upper == lower,
    }
}

/// Marks a parameter in SQL text before placeholders are numbered.
const MARK_START: char = '\u{1}';
/// Ends a parameter mark.
const MARK_END: char = '\u{2}';
/// Stands for the document expression until the parameters are numbered.
const DOCUMENT: char = '\u{3}';

/// An attribute path resolved against the schema: canonical names, safe for SQL.
struct Resolved {
    /// The canonical URN of the extension holding the attribute.
    extension: Option<String>,
    /// The canonical attribute name.
    name: String,
    /// The canonical sub-attribute name.
    sub: Option<String>,
    /// The facts the evaluator uses for the attribute.
    facts: Option<AttrFacts>,
}

/// The comparison value, prepared as the evaluator prepares it.
enum Constant {
    Bool(bool),
    Number { int: Option<i64>, float: f64 },
    Str { raw: String, instant: Option<i128> },
}

/// The translation state: the schema, the dialect, the parameters and alias numbers.
pub(super) struct Writer<'s, 'r> {
    schema: &'s ResourceSchema<'r>,
    /// Top-level attributes the documents do not hold (computed when read).
    computed: &'s [String],
    pub(super) dialect: Dialect,
    params: Vec<SqlParam>,
    aliases: usize,
}

impl Writer<'_, '_> {
    /// A mark for a parameter holding `value` (one parameter per distinct value).
    pub(super) fn param(&mut self, value: SqlParam) -> String {
        let same = |p: &SqlParam| match (p, &value) {
            (SqlParam::Real(a), SqlParam::Real(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        };
        let index = match self.params.iter().position(same) {
            Some(i) => i,
            None => {
                self.params.push(value);
                self.params.len() - 1
            }
        };
        format!("{MARK_START}{index}{MARK_END}")
    }

    /// Replaces the parameter marks in `sql` with placeholders numbered from `first` in
    /// order of appearance, keeping only the parameters that appear.
    fn finish(&self, sql: &str, first: usize) -> (String, Vec<SqlParam>) {
        let mut out = String::with_capacity(sql.len());
        let mut order: Vec<usize> = Vec::new();
        let mut rest = sql;
        while let Some(start) = rest.find(MARK_START) {
            out.push_str(&rest[..start]);
            let after = &rest[start + MARK_START.len_utf8()..];
            let end = after.find(MARK_END).unwrap_or(after.len());
            let index: usize = after[..end].parse().unwrap_or(0);
            let position = match order.iter().position(|&i| i == index) {
                Some(p) => p,
                None => {
                    order.push(index);
                    order.len() - 1
                }
            };
            if let Some(param) = self.params.get(index) {
                out.push_str(&self.dialect.placeholder(first + position, param));
            }
            rest = after.get(end + MARK_END.len_utf8()..).unwrap_or("");
        }
        out.push_str(rest);
        let params = order
            .into_iter()
            .filter_map(|i| self.params.get(i).cloned())
            .collect();
        (out, params)
    }

    /// A fresh table alias.
    fn alias(&mut self) -> String {
        self.aliases += 1;
        format!("scim_j{}", self.aliases)
    }

    /// `filter` as a condition on the JSON object `ctx` (the document, or an element
    /// inside a value path whose attribute is `parent`).
    fn render(
        &mut self,
        filter: &Filter,
        ctx: &str,
        parent: Option<&AttrPath>,
        side: Side,
    ) -> String {
        match filter {
            Filter::Attribute(expr) => self.test(&expr.path, parent, &expr.predicate, ctx, side),
            Filter::ValuePath(vp) => {
                let Some(attr) = self.resolve(&vp.attr, parent) else {
                    return side.unknown().to_owned();
                };
                let elements = self.elements(ctx, &attr);
                let element = elements.value.object();
                let inner = self.render(&vp.filter, &element, Some(&vp.attr), side);
                let then = match &vp.sub_attr {
                    Some(sub) => self.test(
                        &AttrPath::new(&sub.name),
                        Some(&vp.attr),
                        &sub.predicate,
                        &element,
                        side,
                    ),
                    None => "TRUE".to_owned(),
                };
                let is_object = elements.value.is_object();
                format!(
                    "EXISTS (SELECT 1 FROM {} WHERE {is_object} AND {inner} AND {then})",
                    elements.from
                )
            }
            Filter::Not(inner) => format!("(NOT {})", self.render(inner, ctx, parent, side.flip())),
            Filter::And(..) | Filter::Or(..) => {
                let and = matches!(filter, Filter::And(..));
                // A chain of one operator, flattened with a stack as the evaluator does, and
                // written as a balanced tree so that 512 terms nest 9 deep, not 512.
                let mut parts = Vec::new();
                let mut stack = vec![filter];
                while let Some(f) = stack.pop() {
                    match (f, and) {
                        (Filter::And(l, r), true) | (Filter::Or(l, r), false) => {
                            stack.push(r);
                            stack.push(l);
                        }
                        _ => parts.push(self.render(f, ctx, parent, side)),
                    }
                }
                balanced(&parts, if and { "AND" } else { "OR" })
            }
        }
    }

    /// Resolves `path` (relative to `parent` inside a value path) as the evaluator does,
    /// and finds the schema's names for it. `None` when the schema does not define it or a
    /// name could not be written safely in SQL.
    fn resolve(&self, path: &AttrPath, parent: Option<&AttrPath>) -> Option<Resolved> {
        // The facts, exactly as the evaluator looks them up.
        let mut written: Vec<&str> = Vec::with_capacity(4);
        let urn = match parent {
            Some(p) => {
                written.push(p.name());
                written.extend(p.sub_attr());
                p.urn()
            }
            None => path.urn(),
        };
        let own = written.len();
        written.push(path.name());
        written.extend(path.sub_attr());
        let mut facts = SchemaLookup::attribute(self.schema, urn, &written);
        if matches!(facts, Some(f) if f.attr_type == AttrType::Complex) {
            let mut with_value = written.clone();
            with_value.push("value");
            facts = SchemaLookup::attribute(self.schema, urn, &with_value);
        }
        // The canonical names.
        if parent.is_none() && path.name().eq_ignore_ascii_case("schemas") {
            let base = urn.is_none_or(|u| !self.schema.is_extension(u));
            return (base && path.sub_attr().is_none()).then(|| Resolved {
                extension: None,
                name: "schemas".to_owned(),
                sub: None,
                facts,
            });
        }
        let located = self.schema.attribute(urn, written[0])?;
        let top = &located.def.name;
        let is_computed = |c: &String| match located.extension {
            Some(ext) => c
                .strip_suffix(top.as_str())
                .and_then(|c| c.strip_suffix(':'))
                .is_some_and(|c| c.eq_ignore_ascii_case(ext)),
            None => c.eq_ignore_ascii_case(top),
        };
        if self.computed.iter().any(is_computed) {
            return None;
        }
        let mut defs: Vec<&AttributeDef> = vec![located.def];
        for name in &written[1..] {
            let next = defs.last()?.sub_attribute(name)?;
            defs.push(next);
        }
        let extension = match (parent, located.extension) {
            (None, Some(urn)) => Some(safe_urn(urn)?.to_owned()),
            _ => None,
        };
        let name = safe_name(&defs[own].name)?.to_owned();
        let sub = match defs.get(own + 1) {
            Some(def) => Some(safe_name(&def.name)?.to_owned()),
            None => None,
        };
        Some(Resolved {
            extension,
            name,
            sub,
            facts,
        })
    }

    /// The values at `attr` in the object `ctx`, one row each (array elements one by one).
    fn elements(&mut self, ctx: &str, attr: &Resolved) -> Elements {
        let base = match &attr.extension {
            Some(urn) => self.dialect.child(ctx, urn),
            None => ctx.to_owned(),
        };
        let top = self.dialect.child(&base, &attr.name);
        let alias = self.alias();
        let first = self.dialect.each(&top, &alias);
        match &attr.sub {
            None => first,
            Some(sub) => {
                let item = self.dialect.child(&first.value.object(), sub);
                let alias = self.alias();
                let second = self.dialect.each(&item, &alias);
                Elements {
                    from: format!("{}, {}", first.from, second.from),
                    value: second.value,
                }
            }
        }
    }

    /// `path pr` or `path op value` on the object `ctx`.
    fn test(
        &mut self,
        path: &AttrPath,
        parent: Option<&AttrPath>,
        predicate: &Predicate,
        ctx: &str,
        side: Side,
    ) -> String {
        let Some(attr) = self.resolve(path, parent) else {
            return side.unknown().to_owned();
        };
        let elements = self.elements(ctx, &attr);
        let from = &elements.from;
        let (op, value) = match predicate {
            Predicate::Present => {
                let present = self.dialect.present(&elements.value);
                return format!("EXISTS (SELECT 1 FROM {from} WHERE {present})");
            }
            Predicate::Compare(op, value) => (*op, value),
        };
        let constant = match value {
            CompValue::Null => {
                let not_null = elements.value.is_not_null();
                let exists = format!("EXISTS (SELECT 1 FROM {from} WHERE {not_null})");
                return match op {
                    CompareOp::Ne => exists,
                    _ => format!("(NOT {exists})"),
                };
            }
            CompValue::Bool(b) => Constant::Bool(*b),
            CompValue::Number(n) => Constant::Number {
                int: n.as_i64(),
                float: n.as_f64(),
            },
            CompValue::String(s) => {
                let dated = matches!(
                    attr.facts.map(|f| f.attr_type),
                    None | Some(AttrType::DateTime)
                );
                Constant::Str {
                    raw: s.clone(),
                    instant: if dated {
                        scim2_filter::date_time_instant(s)
                    } else {
                        None
                    },
                }
            }
        };
        let case_exact = attr.facts.is_some_and(|f| f.case_exact);
        if op == CompareOp::Ne {
            // `ne` holds for a value exactly when `eq` does not, and for no value at all.
            let eq = self.holds(
                &elements.value,
                CompareOp::Eq,
                &constant,
                case_exact,
                side.flip(),
            );
            return format!(
                "(NOT EXISTS (SELECT 1 FROM {from}) OR EXISTS (SELECT 1 FROM {from} WHERE NOT {eq}))"
            );
        }
        let holds = self.holds(&elements.value, op, &constant, case_exact, side);
        format!("EXISTS (SELECT 1 FROM {from} WHERE {holds})")
    }

    /// Whether one value satisfies `op constant` (any operator but `ne`): the value itself,
    /// or for a complex value its `value` sub-attribute.
    fn holds(
        &mut self,
        value: &Val,
        op: CompareOp,
        constant: &Constant,
        case_exact: bool,
        side: Side,
    ) -> String {
        let itself = self.scalar_holds(value, op, constant, case_exact, side);
        let inner = value.value_member();
        let of_value = self.scalar_holds(&inner, op, constant, case_exact, side);
        format!("({itself} OR {of_value})")
    }

    /// Whether a JSON value (not an object: objects match nothing here) satisfies
    /// `op constant`; never SQL `NULL`.
    fn scalar_holds(
        &mut self,
        value: &Val,
        op: CompareOp,
        constant: &Constant,
        case_exact: bool,
        side: Side,
    ) -> String {
        match constant {
            Constant::Bool(b) => {
                // `eq` only (the evaluator refuses the other operators): a JSON boolean, or
                // a string reading "true"/"false" in any case.
                let text = value.text();
                let folded = self.dialect.ascii_lower(&text);
                let word = self.param(SqlParam::Text(b.to_string()));
                format!(
                    "({} OR CASE WHEN {} THEN {folded} = {word} ELSE FALSE END)",
                    value.is_bool(*b),
                    value.is_text()
                )
            }
            Constant::Number { int, float } => {
                // Whether the integer is also exactly an f64: then comparing as integers
                // and as floats agree, whichever way the stored number was written.
                let float_exact = int.is_some_and(|i| i128::from(i) == (i as f64) as i128);
                let int = int.map(|i| self.param(SqlParam::Integer(i)));
                let float = self.param(SqlParam::Real(*float));
                let compare =
                    self.dialect
                        .number_holds(value, op, int.as_deref(), float_exact, &float, side);
                format!(
                    "CASE WHEN {} THEN {compare} ELSE FALSE END",
                    value.is_number()
                )
            }
            Constant::Str { raw, instant } => {
                let text = value.text();
                let string = match instant {
                    Some(at) if !is_substring(op) => {
                        let fallback = self.text_holds(&text, op, raw, case_exact, side);
                        datetime::holds(self, &text, op, *at, &fallback, side)
                    }
                    _ => self.text_holds(&text, op, raw, case_exact, side),
                };
                // A JSON boolean equals a string constant reading "true"/"false".
                let boolean = match (op, scim2_filter::bool_text(raw)) {
                    (CompareOp::Eq, Some(b)) => format!("{} OR ", value.is_bool(b)),
                    _ => String::new(),
                };
                format!(
                    "({boolean}CASE WHEN {} THEN {string} ELSE FALSE END)",
                    value.is_text()
                )
            }
        }
    }

    /// `text op needle` as the evaluator compares strings (with or without case).
    fn text_holds(
        &mut self,
        text: &str,
        op: CompareOp,
        needle: &str,
        case_exact: bool,
        side: Side,
    ) -> String {
        let needle = if case_exact {
            needle.to_owned()
        } else {
            needle.to_lowercase()
        };
        if needle.contains('\0') {
            return side.unknown().to_owned();
        }
        if needle.is_empty() && is_substring(op) {
            return "TRUE".to_owned();
        }
        let mark = self.param(SqlParam::Text(needle.clone()));
        if case_exact {
            return self.dialect.text_compare(text, op, &mark);
        }
        let folded = self.dialect.fold(text);
        let compare = self.dialect.text_compare(&folded, op, &mark);
        if needle.is_ascii() {
            compare
        } else {
            // Only an ASCII text is lower-cased in SQL as in Rust.
            format!(
                "CASE WHEN {} THEN {compare} ELSE {} END",
                self.dialect.is_ascii(text),
                side.unknown()
            )
        }
    }
}

/// `co`, `sw` or `ew`.
fn is_substring(op: CompareOp) -> bool {
    matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
}

/// `parts` joined by `op` as a balanced tree of parentheses.
fn balanced(parts: &[String], op: &str) -> String {
    match parts {
        [] => "TRUE".to_owned(),
        [one] => one.clone(),
        _ => {
            let (left, right) = parts.split_at(parts.len() / 2);
            format!("({} {op} {})", balanced(left, op), balanced(right, op))
        }
    }
}

/// `name` if it may be written inside a quoted JSON path or string literal: the
/// attribute-name grammar of RFC 7643 §2.1 (letters, digits, `-`, `_`), and `$` (`$ref`).
fn safe_name(name: &str) -> Option<&str> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'$'));
    ok.then_some(name)
}

/// `urn` if it may be written inside a quoted JSON path or string literal.
fn safe_urn(urn: &str) -> Option<&str> {
    let ok = !urn.is_empty()
        && urn
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'-' | b'_' | b'+'));
    ok.then_some(urn)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn names_outside_the_grammar_are_refused() {
        assert_eq!(safe_name("userName"), Some("userName"));
        assert_eq!(safe_name("$ref"), Some("$ref"));
        for bad in ["", "a\"b", "a'b", "a.b", "a b", "ä"] {
            assert_eq!(safe_name(bad), None, "{bad}");
        }
        assert!(safe_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").is_some());
        assert_eq!(safe_urn("urn:x'y"), None);
        assert_eq!(safe_urn("urn:x\"y"), None);
    }

    #[test]
    fn chains_nest_logarithmically() {
        let parts: Vec<String> = (0..512).map(|i| format!("t{i}")).collect();
        let sql = balanced(&parts, "AND");
        let mut depth = 0usize;
        let mut max = 0;
        for c in sql.chars() {
            match c {
                '(' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        assert_eq!(max, 9);
        assert!(sql.starts_with("(((((((((t0 AND t1)"));
    }
}
