//! Resolving a PATCH `path` (RFC 7644 §3.5.2, Figure 7) against the resource's schema:
//! which container, which attribute, which elements, which sub-attribute.

use scim2_filter::{parse_path, CompareOp, CompiledFilter, Filter, PatchPath, Predicate};
use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::{AttributeDef, Mutability, ResourceSchema};

/// A resolved PATCH target.
pub(super) enum Target<'r> {
    /// The path names a whole schema extension (`urn:…:enterprise:2.0:User`).
    Extension(String),
    /// An attribute, possibly narrowed by a filter and a sub-attribute.
    Attribute(Box<AttrTarget<'r>>),
}

/// An attribute target.
pub(super) struct AttrTarget<'r> {
    /// The extension object holding the attribute (its canonical URN), if any.
    pub extension: Option<String>,
    /// The attribute's canonical name (as sent, for attributes no schema defines).
    pub name: String,
    /// Its definition, if the schema has one.
    pub def: Option<&'r AttributeDef>,
    /// `[filter]` selecting elements of a multi-valued attribute.
    pub filter: Option<Selector>,
    /// The sub-attribute: `name.givenName`, `emails[…].value`.
    pub sub: Option<SubTarget<'r>>,
    /// The path as written, for error messages.
    pub label: String,
}

/// A sub-attribute target.
pub(super) struct SubTarget<'r> {
    /// Canonical name (as sent when unknown).
    pub name: String,
    /// Definition, if known.
    pub def: Option<&'r AttributeDef>,
}

/// A value filter, compiled, plus the equality terms an `add` may create an element from.
pub(super) struct Selector {
    pub compiled: CompiledFilter,
    pub ast: Filter,
}

impl Selector {
    /// The `attr eq literal` terms of a filter made only of such terms joined by `and`,
    /// each naming a sub-attribute of the element (no URN, no further `.sub`) and a
    /// non-null literal: the sub-attributes a new element needs to match it. `None` for
    /// any other filter (`ne`, `co`, `pr`, `or`, `not`, `eq null`, …), which does not
    /// say what the element is. A name given twice keeps its last literal; the caller
    /// checks that the element built from the terms matches the filter.
    pub fn equality_terms(&self) -> Option<Map<String, Value>> {
        fn collect(f: &Filter, out: &mut Map<String, Value>) -> bool {
            match f {
                Filter::And(l, r) => collect(l, out) && collect(r, out),
                Filter::Attribute(expr) => match &expr.predicate {
                    Predicate::Compare(CompareOp::Eq, value)
                        if expr.path.sub_attr().is_none() && expr.path.urn().is_none() =>
                    {
                        // `eq null` tests absence: it names no value to create.
                        let literal = literal_json(value);
                        if literal.is_null() {
                            return false;
                        }
                        let name = expr.path.name();
                        crate::json::remove_ci(out, name);
                        out.insert(name.to_owned(), literal);
                        true
                    }
                    _ => false,
                },
                _ => false,
            }
        }
        let mut out = Map::new();
        collect(&self.ast, &mut out).then_some(out)
    }

    /// Whether `element` matches.
    pub fn matches(&self, element: &Value) -> Result<bool, ScimError> {
        Ok(self.compiled.matches(element)?)
    }
}

fn literal_json(value: &scim2_filter::CompValue) -> Value {
    use scim2_filter::CompValue;
    match value {
        CompValue::Null => Value::Null,
        CompValue::Bool(b) => Value::Bool(*b),
        CompValue::Number(n) => serde_json::from_str(n.as_str()).unwrap_or(Value::Null),
        CompValue::String(s) => Value::String(s.clone()),
    }
}

/// Resolves `path` for `schema`.
pub(super) fn resolve<'r>(
    schema: &ResourceSchema<'r>,
    path: &str,
) -> Result<Target<'r>, ScimError> {
    let trimmed = path.trim();
    if let Some(ext) = schema.container_schema(trimmed) {
        return Ok(Target::Extension(ext.id.clone()));
    }
    if names_base_schema(schema, trimmed) {
        // Read as a path, `urn:…:core:2.0:User` would split at its last colon into the
        // URN `urn:…:core:2.0` and an attribute `User`, creating a bogus object.
        return Err(ScimError::invalid_path(format!(
            "`{trimmed}` names the base schema, not one of its attributes; without a \
             `path`, `add` and `replace` apply to the resource itself (RFC 7644 §3.5.2)"
        )));
    }
    let parsed = parse_path(trimmed)?;
    let (attr, filter, sub_name) = match parsed {
        PatchPath::Attribute(attr) => {
            let sub = attr.sub_attr().map(str::to_owned);
            (attr.without_sub_attr(), None, sub)
        }
        PatchPath::ValuePath(vp) => {
            if vp.attr.sub_attr().is_some() {
                return Err(ScimError::invalid_path(format!(
                    "`{trimmed}`: a [filter] must follow a top-level attribute"
                )));
            }
            (vp.attr, Some(vp.filter), vp.sub_attr)
        }
    };
    let urn = attr.urn();
    let located = schema.attribute(urn, attr.name());
    let (extension, name, def) = match located {
        Some(found) => (
            found.extension.map(str::to_owned),
            found.def.name.clone(),
            Some(found.def),
        ),
        None if schema.is_strict() => {
            return Err(ScimError::invalid_path(format!(
                "`{trimmed}`: no attribute `{}` in {}",
                attr,
                schema.resource_type().name
            )))
        }
        None => {
            let extension = match urn {
                Some(u) if !u.eq_ignore_ascii_case(&schema.base().id) => Some(
                    schema
                        .container_schema(u)
                        .map_or_else(|| u.to_owned(), |s| s.id.clone()),
                ),
                _ => None,
            };
            (extension, attr.name().to_owned(), None)
        }
    };
    let filter = match filter {
        None => None,
        Some(ast) => {
            if let Some(def) = def {
                if !def.multi_valued {
                    return Err(ScimError::invalid_path(format!(
                        "`{trimmed}`: `{}` is not multi-valued, so it cannot take a [filter]",
                        def.name
                    )));
                }
            }
            let compiled = CompiledFilter::within(&attr, &ast, schema).map_err(|e| {
                // The filter's attribute is a sub-attribute of the one filtered.
                let within = match &extension {
                    Some(urn) => format!("{urn}:{name}"),
                    None => name.clone(),
                };
                ScimError::invalid_path(format!("`{trimmed}`: {e}"))
                    .with_attribute(format!("{within}.{}", e.path()))
            })?;
            Some(Selector { compiled, ast })
        }
    };
    let sub = match sub_name {
        None => None,
        Some(sub_name) => {
            let sub_def = def.and_then(|d| d.sub_attribute(&sub_name));
            if let Some(d) = def {
                if !d.is_complex() {
                    return Err(ScimError::invalid_path(format!(
                        "`{trimmed}`: `{}` has no sub-attributes",
                        d.name
                    )));
                }
                if sub_def.is_none() && schema.is_strict() {
                    return Err(ScimError::invalid_path(format!(
                        "`{trimmed}`: `{}` has no sub-attribute `{sub_name}`",
                        d.name
                    )));
                }
            }
            Some(SubTarget {
                name: sub_def.map_or(sub_name, |d| d.name.clone()),
                def: sub_def,
            })
        }
    };
    Ok(Target::Attribute(Box::new(AttrTarget {
        extension,
        name,
        def,
        filter,
        sub,
        label: trimmed.to_owned(),
    })))
}

/// Whether `path` is the base schema's URN (any case) itself, or followed by `.` or `[`
/// rather than by `:` and an attribute name.
fn names_base_schema(schema: &ResourceSchema<'_>, path: &str) -> bool {
    let base = &schema.base().id;
    let Some(head) = path.get(..base.len()) else {
        return false;
    };
    head.eq_ignore_ascii_case(base) && !path[base.len()..].starts_with(':')
}

impl Target<'_> {
    /// The top-level member of the resource the target lies in: the extension's URN, or
    /// the attribute's name.
    pub fn member(&self) -> &str {
        match self {
            Target::Extension(urn) => urn,
            Target::Attribute(t) => t.member(),
        }
    }
}

impl AttrTarget<'_> {
    /// The top-level member of the resource the attribute lies in: its extension's URN,
    /// or its own name.
    pub fn member(&self) -> &str {
        self.extension.as_deref().unwrap_or(&self.name)
    }

    /// The attribute path the target names, canonical and without its filter
    /// (`emails.value`, `urn:…:enterprise:2.0:User:manager.value`), for
    /// [`ScimError::attribute`](crate::ScimError::attribute).
    pub fn attribute_path(&self) -> String {
        let mut out = match &self.extension {
            Some(urn) => format!("{urn}:{}", self.name),
            None => self.name.clone(),
        };
        if let Some(sub) = &self.sub {
            out.push('.');
            out.push_str(&sub.name);
        }
        out
    }

    /// Whether the attribute (or sub-attribute) the path ends at is readOnly.
    pub fn read_only(&self) -> bool {
        let ro = |d: Option<&AttributeDef>| d.is_some_and(|d| d.mutability == Mutability::ReadOnly);
        ro(self.def) || self.sub.as_ref().is_some_and(|s| ro(s.def))
    }

    /// Whether the attribute is multi-valued (unknown attributes: as the data says).
    pub fn multi_valued(&self, current: Option<&Value>) -> bool {
        match self.def {
            Some(d) => d.multi_valued,
            None => matches!(current, Some(Value::Array(_))),
        }
    }

    /// Whether the attribute is complex (unknown attributes: as the data says).
    pub fn complex(&self, current: Option<&Value>) -> bool {
        match self.def {
            Some(d) => d.is_complex(),
            None => matches!(current, Some(Value::Object(_))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaRegistry;
    use serde_json::json;

    fn selector(path: &str) -> Selector {
        let registry = SchemaRegistry::standard();
        let users = registry
            .resource_schema("User")
            .unwrap_or_else(|| unreachable!());
        match resolve(&users, path) {
            Ok(Target::Attribute(t)) => t.filter.unwrap_or_else(|| panic!("{path}: no filter")),
            _ => panic!("{path} does not resolve to an attribute"),
        }
    }

    #[test]
    fn equality_terms_come_only_from_conjunctions_of_eq_literals() {
        let terms = |p: &str| selector(p).equality_terms().map(Value::Object);
        assert_eq!(
            terms(r#"emails[type eq "work"]"#),
            Some(json!({"type": "work"}))
        );
        assert_eq!(
            terms(r#"emails[type eq "work" and primary eq true]"#),
            Some(json!({"type": "work", "primary": true}))
        );
        assert_eq!(
            terms(r#"emails[(type eq "work") and (value eq "a@b.c")]"#),
            Some(json!({"type": "work", "value": "a@b.c"}))
        );
        for p in [
            r#"emails[type ne "work"]"#,
            r#"emails[type eq "work" or type eq "home"]"#,
            r#"emails[not (type eq "work")]"#,
            r#"emails[type co "work"]"#,
            r#"emails[type sw "w"]"#,
            "emails[type pr]",
            "emails[type eq null]",
            r#"emails[type eq "work" and display pr]"#,
        ] {
            assert_eq!(terms(p), None, "{p}");
        }
    }
}
