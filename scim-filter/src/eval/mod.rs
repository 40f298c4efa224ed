//! Evaluating filters against JSON resources with RFC 7644 §3.4.2.2 semantics.
//!
//! A [`Filter`] is first compiled into a [`CompiledFilter`]: schema facts are looked up,
//! string constants lower-cased and dateTime constants parsed, once. The compiled filter
//! is then evaluated against as many resources as needed. The rules are in the crate
//! documentation.

mod datetime;
pub use datetime::date_time_instant;
pub(crate) mod schema;
#[cfg(test)]
mod tests;
mod text;

use serde_json::Value;

use crate::ast::{AttrPath, CompareOp, Filter, Predicate};
use crate::error::{EvalError, EvalErrorKind};
use crate::value::CompValue;
use schema::{AttrFacts, AttrType, SchemaLookup};
use text::{ordering_holds, Needle};

/// A filter prepared for evaluation against many resources.
///
/// ```
/// use scim2_filter::{parse_filter, CompiledFilter, NoSchema};
/// use serde_json::json;
///
/// let filter = parse_filter(r#"emails[type eq "work" and value ew "@example.com"]"#)?;
/// let compiled = CompiledFilter::new(&filter, &NoSchema)?;
/// let user = json!({"emails": [{"type": "Work", "value": "bjensen@EXAMPLE.com"}]});
/// assert!(compiled.matches(&user)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CompiledFilter {
    root: Node,
}

/// A compiled filter node.
#[derive(Clone, Debug)]
enum Node {
    Test(Test),
    ValuePath {
        attr: Path,
        inner: Box<Node>,
        then: Option<Test>,
    },
    Not(Box<Node>),
    /// A whole `and` chain, flattened so that evaluating it does not recurse per term.
    And(Vec<Node>),
    /// A whole `or` chain, flattened likewise.
    Or(Vec<Node>),
}

/// An attribute path resolved against the schema.
#[derive(Clone, Debug)]
struct Path {
    /// The extension URN to descend into first, if the path names one.
    extension: Option<String>,
    name: String,
    sub: Option<String>,
}

/// `path pr` or `path op constant`, with the attribute's facts.
#[derive(Clone, Debug)]
struct Test {
    path: Path,
    check: Check,
}

#[derive(Clone, Debug)]
enum Check {
    Present,
    Null(CompareOp),
    Compare {
        op: CompareOp,
        constant: Constant,
        facts: Option<AttrFacts>,
        /// The attribute as written, for errors.
        written: AttrPath,
        /// `path op`, for error messages.
        label: String,
    },
}

/// A comparison constant in the form evaluation needs.
#[derive(Clone, Debug)]
enum Constant {
    Bool(bool),
    Number { int: Option<i64>, float: f64 },
    Str { text: Needle, instant: Option<i128> },
}

impl CompiledFilter {
    /// Compiles `filter`, taking attribute facts from `schema`.
    ///
    /// Fails when the filter can never be evaluated, e.g. `active gt true` or
    /// `title co 5`.
    pub fn new(filter: &Filter, schema: &dyn SchemaLookup) -> Result<Self, EvalError> {
        let root = compile(filter, schema, None)?;
        Ok(CompiledFilter { root })
    }

    /// Compiles `filter` as it stands inside `parent[...]`, for matching single elements of
    /// a multi-valued attribute, as a PATCH path `emails[type eq "work"]` selects them
    /// (RFC 7644 §3.5.2).
    pub fn within(
        parent: &AttrPath,
        filter: &Filter,
        schema: &dyn SchemaLookup,
    ) -> Result<Self, EvalError> {
        let root = compile(filter, schema, Some(parent))?;
        Ok(CompiledFilter { root })
    }

    /// Evaluates the filter against `resource` (for [`CompiledFilter::within`], against one
    /// element).
    pub fn matches(&self, resource: &Value) -> Result<bool, EvalError> {
        eval(&self.root, resource)
    }
}

impl Filter {
    /// Compiles and evaluates this filter against one resource. To evaluate against many,
    /// compile once with [`CompiledFilter::new`].
    pub fn matches(&self, resource: &Value, schema: &dyn SchemaLookup) -> Result<bool, EvalError> {
        CompiledFilter::new(self, schema)?.matches(resource)
    }
}

fn compile(
    filter: &Filter,
    schema: &dyn SchemaLookup,
    parent: Option<&AttrPath>,
) -> Result<Node, EvalError> {
    Ok(match filter {
        Filter::Attribute(expr) => {
            let (path, facts) = resolve(&expr.path, schema, parent);
            Node::Test(compile_test(path, facts, &expr.predicate, &expr.path)?)
        }
        Filter::ValuePath(vp) => {
            let (attr, _) = resolve(&vp.attr, schema, parent);
            let inner = compile(&vp.filter, schema, Some(&vp.attr))?;
            let then = match &vp.sub_attr {
                Some(sub) => {
                    let sub_path = vp.attr.clone().with_sub_attr(&sub.name);
                    let relative = AttrPath::new(&sub.name);
                    let (path, facts) = resolve(&relative, schema, Some(&vp.attr));
                    Some(compile_test(path, facts, &sub.predicate, &sub_path)?)
                }
                None => None,
            };
            Node::ValuePath {
                attr,
                inner: Box::new(inner),
                then,
            }
        }
        Filter::Not(inner) => Node::Not(Box::new(compile(inner, schema, parent)?)),
        Filter::And(..) => Node::And(compile_chain(filter, schema, parent, true)?),
        Filter::Or(..) => Node::Or(compile_chain(filter, schema, parent, false)?),
    })
}

/// Compiles the operands of a chain of one operator (`a and b and c`, of any shape)
/// with an explicit stack, so that a filter of 512 terms never recurses 512 deep: only
/// nesting (parentheses, `not`, value paths), which the parser bounds, recurses.
fn compile_chain(
    filter: &Filter,
    schema: &dyn SchemaLookup,
    parent: Option<&AttrPath>,
    and: bool,
) -> Result<Vec<Node>, EvalError> {
    let mut out = Vec::new();
    let mut stack = vec![filter];
    while let Some(f) = stack.pop() {
        match (f, and) {
            (Filter::And(l, r), true) | (Filter::Or(l, r), false) => {
                stack.push(r);
                stack.push(l);
            }
            _ => out.push(compile(f, schema, parent)?),
        }
    }
    Ok(out)
}

/// Resolves `path` (relative to `parent` inside a value path) and looks its facts up.
/// For a complex attribute without a sub-attribute, the facts are those of its `value`.
fn resolve(
    path: &AttrPath,
    schema: &dyn SchemaLookup,
    parent: Option<&AttrPath>,
) -> (Path, Option<AttrFacts>) {
    let mut names: Vec<&str> = Vec::with_capacity(4);
    let urn = match parent {
        Some(p) => {
            names.push(p.name());
            names.extend(p.sub_attr());
            p.urn()
        }
        None => path.urn(),
    };
    names.push(path.name());
    names.extend(path.sub_attr());
    let mut facts = schema.attribute(urn, &names);
    if matches!(facts, Some(f) if f.attr_type == AttrType::Complex) {
        names.push("value");
        facts = schema.attribute(urn, &names);
    }
    let extension = match (parent, path.urn()) {
        (None, Some(urn)) if schema.is_extension(urn) => Some(urn.to_owned()),
        _ => None,
    };
    let resolved = Path {
        extension,
        name: path.name().to_owned(),
        sub: path.sub_attr().map(str::to_owned),
    };
    (resolved, facts)
}

fn compile_test(
    path: Path,
    facts: Option<AttrFacts>,
    predicate: &Predicate,
    written: &AttrPath,
) -> Result<Test, EvalError> {
    let (op, value) = match predicate {
        Predicate::Present => {
            return Ok(Test {
                path,
                check: Check::Present,
            })
        }
        Predicate::Compare(op, value) => (*op, value),
    };
    let label = format!("{written} {}", op.as_str());
    let error = |kind, message: String| Err(EvalError::new(kind, written, op, message));
    let eq_or_ne = matches!(op, CompareOp::Eq | CompareOp::Ne);
    let constant = match value {
        CompValue::Null if eq_or_ne => {
            return Ok(Test {
                path,
                check: Check::Null(op),
            })
        }
        CompValue::Null => {
            return error(
                EvalErrorKind::NullComparison,
                format!("`{label} null`: null can only be compared with eq or ne"),
            )
        }
        CompValue::Bool(_) if !eq_or_ne => {
            return error(
                EvalErrorKind::BooleanComparison,
                format!("`{label}`: booleans can only be compared with eq or ne"),
            )
        }
        CompValue::Bool(b) => Constant::Bool(*b),
        CompValue::Number(_) if op.is_substring() => {
            return error(
                EvalErrorKind::SubstringOfNonString,
                format!("`{label}`: co, sw and ew need a string value"),
            )
        }
        CompValue::Number(n) => Constant::Number {
            int: n.as_i64(),
            float: n.as_f64(),
        },
        CompValue::String(s) => {
            let dated = matches!(facts.map(|f| f.attr_type), None | Some(AttrType::DateTime));
            Constant::Str {
                text: Needle::new(s),
                instant: if dated { date_time_instant(s) } else { None },
            }
        }
    };
    match facts.map(|f| f.attr_type) {
        Some(AttrType::Boolean) if !eq_or_ne => {
            return error(
                EvalErrorKind::BooleanComparison,
                format!(
                    "`{label}`: `{written}` is a boolean, which can only be compared with eq or ne"
                ),
            )
        }
        Some(AttrType::Binary) if op.is_ordering() => {
            return error(
                EvalErrorKind::BinaryOrdering,
                format!("`{label}`: `{written}` is binary, which cannot be ordered"),
            )
        }
        _ => {}
    }
    Ok(Test {
        path,
        check: Check::Compare {
            op,
            constant,
            facts,
            written: written.clone(),
            label,
        },
    })
}

/// Looks `name` up in `obj`, exactly first, then ignoring ASCII case.
fn get_ci<'v>(obj: &'v Value, name: &str) -> Option<&'v Value> {
    let map = obj.as_object()?;
    if let Some(v) = map.get(name) {
        return Some(v);
    }
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Calls `f` on each value at `path` in `ctx` (array elements one by one) until it returns
/// true; returns whether it did.
fn any_value<'v, F>(ctx: &'v Value, path: &Path, mut f: F) -> Result<bool, EvalError>
where
    F: FnMut(&'v Value) -> Result<bool, EvalError>,
{
    let base = match &path.extension {
        Some(urn) => match get_ci(ctx, urn) {
            Some(ext) => ext,
            None => return Ok(false),
        },
        None => ctx,
    };
    let Some(top) = get_ci(base, &path.name) else {
        return Ok(false);
    };
    let Some(sub) = &path.sub else {
        return any_element(top, &mut f);
    };
    match top {
        Value::Array(items) => {
            for item in items {
                if let Some(v) = get_ci(item, sub) {
                    if any_element(v, &mut f)? {
                        return Ok(true);
                    }
                }
            }
            Ok(false)
        }
        single => match get_ci(single, sub) {
            Some(v) => any_element(v, &mut f),
            None => Ok(false),
        },
    }
}

fn any_element<'v, F>(v: &'v Value, f: &mut F) -> Result<bool, EvalError>
where
    F: FnMut(&'v Value) -> Result<bool, EvalError>,
{
    match v {
        Value::Array(items) => {
            for item in items {
                if f(item)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        single => f(single),
    }
}

/// `pr`: not null, not `""`, not `[]`, not `{}`.
fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_present),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn eval(node: &Node, ctx: &Value) -> Result<bool, EvalError> {
    match node {
        Node::Test(test) => eval_test(test, ctx),
        Node::ValuePath { attr, inner, then } => any_value(ctx, attr, |element| {
            if !element.is_object() || !eval(inner, element)? {
                return Ok(false);
            }
            match then {
                Some(test) => eval_test(test, element),
                None => Ok(true),
            }
        }),
        Node::Not(inner) => Ok(!eval(inner, ctx)?),
        Node::And(parts) => {
            for p in parts {
                if !eval(p, ctx)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Node::Or(parts) => {
            for p in parts {
                if eval(p, ctx)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
    }
}

fn eval_test(test: &Test, ctx: &Value) -> Result<bool, EvalError> {
    match &test.check {
        Check::Present => any_value(ctx, &test.path, |v| Ok(is_present(v))),
        Check::Null(op) => {
            let has_value = any_value(ctx, &test.path, |v| Ok(!v.is_null()))?;
            Ok(has_value == (*op == CompareOp::Ne))
        }
        Check::Compare {
            op,
            constant,
            facts,
            written,
            label,
        } => {
            let mut seen = false;
            let matched = any_value(ctx, &test.path, |v| {
                seen = true;
                compare(v, *op, constant, *facts, written, label)
            })?;
            Ok(matched || (*op == CompareOp::Ne && !seen))
        }
    }
}

/// Compares one attribute value with the constant.
fn compare(
    value: &Value,
    op: CompareOp,
    constant: &Constant,
    facts: Option<AttrFacts>,
    written: &AttrPath,
    label: &str,
) -> Result<bool, EvalError> {
    let value = match value {
        // A complex value without a sub-attribute in the path compares its `value`.
        Value::Object(_) => match get_ci(value, "value") {
            Some(v) => v,
            None => return Ok(op == CompareOp::Ne),
        },
        other => other,
    };
    let case_exact = facts.is_some_and(|f| f.case_exact);
    Ok(match (value, constant) {
        (Value::Bool(_), _) if !matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            return Err(EvalError::new(
                EvalErrorKind::BooleanComparison,
                written,
                op,
                format!(
                    "`{label}`: the attribute holds a boolean, which can only be compared with eq or ne"
                ),
            ))
        }
        (Value::Bool(b), Constant::Bool(c)) => ordering_holds(op, Some(b.cmp(c))),
        (Value::Bool(b), Constant::Str { text, .. }) => {
            ordering_holds(op, bool_text(text.raw()).map(|c| b.cmp(&c)))
        }
        (Value::String(s), Constant::Bool(c)) => ordering_holds(op, bool_text(s).map(|b| b.cmp(c))),
        (Value::Number(n), Constant::Number { int, float }) => {
            let ord = match (n.as_i64(), int) {
                (Some(a), Some(b)) => Some(a.cmp(b)),
                _ => n.as_f64().and_then(|a| a.partial_cmp(float)),
            };
            ordering_holds(op, ord)
        }
        (Value::String(s), Constant::Str { text, instant }) => {
            let as_instants = match instant {
                Some(c) if !op.is_substring() => date_time_instant(s).map(|v| v.cmp(c)),
                _ => None,
            };
            match as_instants {
                Some(ord) => ordering_holds(op, Some(ord)),
                None => text.test(s, op, case_exact),
            }
        }
        _ => ordering_holds(op, None),
    })
}

/// Reads `"true"`/`"false"` in any case as a boolean, as
/// [`CompiledFilter`] reads a string compared with a boolean attribute.
///
/// ```
/// assert_eq!(scim2_filter::bool_text("TRUE"), Some(true));
/// assert_eq!(scim2_filter::bool_text("yes"), None);
/// ```
pub fn bool_text(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
