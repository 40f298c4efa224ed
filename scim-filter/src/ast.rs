//! The abstract syntax tree of SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2).
//!
//! Every type here is plain data: `Clone + Debug + PartialEq`, serde-serialisable, and
//! printed back to canonical filter text by its `Display` implementation (see
//! the `display` module). Names keep the spelling the client used; matching against
//! resources is case-insensitive and happens in [`CompiledFilter`](crate::CompiledFilter).

use serde::{Deserialize, Serialize};

use crate::value::CompValue;

/// A complete filter expression: the `FILTER` rule of RFC 7644 §3.4.2.2, Figure 1.
///
/// `and` binds tighter than `or`; chains of the same operator are left-associative, so
/// `a and b and c` is `And(And(a, b), c)`. Grouping parentheses leave no node of their
/// own: they only shape the tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Filter {
    /// `attrPath pr` or `attrPath compareOp compValue` (the `attrExp` rule).
    Attribute(AttrExpr),
    /// `attrPath "[" valFilter "]"`: a filter over the elements of a complex attribute.
    ValuePath(ValuePathExpr),
    /// `not ( FILTER )`.
    Not(Box<Filter>),
    /// `FILTER and FILTER`.
    And(Box<Filter>, Box<Filter>),
    /// `FILTER or FILTER`.
    Or(Box<Filter>, Box<Filter>),
}

impl Filter {
    /// Builds `path op value` from its parts; a shorthand for tests and programs.
    pub fn compare(path: AttrPath, op: CompareOp, value: CompValue) -> Self {
        Filter::Attribute(AttrExpr {
            path,
            predicate: Predicate::Compare(op, value),
        })
    }

    /// Builds `path pr`.
    pub fn present(path: AttrPath) -> Self {
        Filter::Attribute(AttrExpr {
            path,
            predicate: Predicate::Present,
        })
    }

    /// Builds `left and right`.
    pub fn and(left: Filter, right: Filter) -> Self {
        Filter::And(Box::new(left), Box::new(right))
    }

    /// Builds `left or right`.
    pub fn or(left: Filter, right: Filter) -> Self {
        Filter::Or(Box::new(left), Box::new(right))
    }

    /// Builds `not (inner)`.
    pub fn negate(inner: Filter) -> Self {
        Filter::Not(Box::new(inner))
    }

    /// Builds `attr[inner]`.
    pub fn value_path(attr: AttrPath, inner: Filter) -> Self {
        Filter::ValuePath(ValuePathExpr {
            attr,
            filter: Box::new(inner),
            sub_attr: None,
        })
    }
}

/// An attribute expression: an attribute path and the test applied to its values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttrExpr {
    /// The attribute the test reads.
    pub path: AttrPath,
    /// `pr`, or a comparison with a literal.
    pub predicate: Predicate,
}

/// What an attribute expression tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Predicate {
    /// `pr`: the attribute has a non-empty value.
    Present,
    /// `compareOp compValue`.
    Compare(CompareOp, CompValue),
}

/// A value-path filter, `emails[type eq "work"]`.
///
/// `sub_attr` is this crate's one extension beyond the RFC filter grammar: Entra ID sends
/// `emails[type eq "work"].value eq "a@b.c"` when mail is a matching attribute. It is true
/// when one element matches the bracket filter *and* that element's sub-attribute passes
/// the predicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValuePathExpr {
    /// The complex (usually multi-valued) attribute whose elements are filtered.
    pub attr: AttrPath,
    /// The filter over one element's sub-attributes; never itself holds a value path.
    pub filter: Box<Filter>,
    /// Entra's trailing `.subAttr predicate`, when present.
    pub sub_attr: Option<SubAttrExpr>,
}

/// The trailing `.value eq "x"` of an Entra-style value-path filter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubAttrExpr {
    /// The sub-attribute name, e.g. `value`.
    pub name: String,
    /// The test applied to it.
    pub predicate: Predicate,
}

/// An attribute path: `[URI ":"] ATTRNAME ["." ATTRNAME]` (the `attrPath` rule).
///
/// Held as one string with the split points, so a path costs one allocation however it
/// is qualified. Build one with [`AttrPath::new`], [`AttrPath::with_sub_attr`] and
/// [`AttrPath::with_urn`], or parse one with [`AttrPath::parse`]; read it with
/// [`urn`](AttrPath::urn), [`name`](AttrPath::name) and [`sub_attr`](AttrPath::sub_attr).
///
/// ```
/// use scim2_filter::AttrPath;
/// let p = AttrPath::parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value")?;
/// assert_eq!(p.urn(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
/// assert_eq!(p.name(), "manager");
/// assert_eq!(p.sub_attr(), Some("value"));
/// assert_eq!(p, AttrPath::new("manager").with_sub_attr("value")
///     .with_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
/// # Ok::<(), scim2_filter::ParseError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AttrPath {
    /// The path as written: `urn:…:name.sub`.
    text: Box<str>,
    /// Where the name starts: 0 without a URN, else just past the URN's `:`.
    name_start: usize,
    /// Where the sub-attribute starts (just past the `.`), or 0 if there is none.
    sub_start: usize,
}

impl AttrPath {
    /// A path to a top-level attribute with no URN and no sub-attribute.
    pub fn new(name: impl AsRef<str>) -> Self {
        AttrPath::from_parts(None, name.as_ref(), None)
    }

    /// A path from its three parts. The parts are not checked against the grammar; use
    /// [`AttrPath::parse`] for untrusted text.
    pub(crate) fn from_parts(urn: Option<&str>, name: &str, sub_attr: Option<&str>) -> Self {
        let mut text = String::with_capacity(
            urn.map_or(0, |u| u.len() + 1) + name.len() + sub_attr.map_or(0, |s| s.len() + 1),
        );
        if let Some(urn) = urn {
            text.push_str(urn);
            text.push(':');
        }
        let name_start = text.len();
        text.push_str(name);
        let sub_start = match sub_attr {
            Some(sub) => {
                text.push('.');
                let at = text.len();
                text.push_str(sub);
                at
            }
            None => 0,
        };
        AttrPath {
            text: text.into_boxed_str(),
            name_start,
            sub_start,
        }
    }

    /// Wraps text already known to be an attribute path with the given split points.
    pub(crate) fn from_split(text: &str, name_start: usize, sub_start: usize) -> Self {
        AttrPath {
            text: text.into(),
            name_start,
            sub_start,
        }
    }

    /// Parses `text` as an attribute path (no value filter).
    pub fn parse(text: &str) -> Result<Self, crate::ParseError> {
        match crate::parse_path(text)? {
            PatchPath::Attribute(path) => Ok(path),
            PatchPath::ValuePath(_) => Err(crate::ParseError::new(
                crate::Grammar::Path,
                crate::ParseErrorKind::Syntax,
                text.find('[').unwrap_or(0),
                "expected an attribute path without a `[` filter",
            )),
        }
    }

    /// Returns this path with the sub-attribute `sub` (replacing any it had).
    pub fn with_sub_attr(self, sub: impl AsRef<str>) -> Self {
        AttrPath::from_parts(self.urn(), self.name(), Some(sub.as_ref()))
    }

    /// Returns this path qualified by the schema URN `urn` (replacing any it had).
    pub fn with_urn(self, urn: impl AsRef<str>) -> Self {
        AttrPath::from_parts(Some(urn.as_ref()), self.name(), self.sub_attr())
    }

    /// Returns this path without its sub-attribute.
    pub fn without_sub_attr(&self) -> Self {
        AttrPath::from_parts(self.urn(), self.name(), None)
    }

    /// The schema URN qualifying the attribute, e.g.
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
    pub fn urn(&self) -> Option<&str> {
        (self.name_start > 0).then(|| &self.text[..self.name_start - 1])
    }

    /// The attribute name, e.g. `name` in `name.familyName`.
    pub fn name(&self) -> &str {
        let end = if self.sub_start > 0 {
            self.sub_start - 1
        } else {
            self.text.len()
        };
        &self.text[self.name_start..end]
    }

    /// The sub-attribute name, e.g. `familyName` in `name.familyName`.
    pub fn sub_attr(&self) -> Option<&str> {
        (self.sub_start > 0).then(|| &self.text[self.sub_start..])
    }

    /// The whole path as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Debug for AttrPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttrPath")
            .field("urn", &self.urn())
            .field("name", &self.name())
            .field("sub_attr", &self.sub_attr())
            .finish()
    }
}

impl TryFrom<String> for AttrPath {
    type Error = crate::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        AttrPath::parse(&text)
    }
}

impl From<AttrPath> for String {
    fn from(path: AttrPath) -> Self {
        path.text.into()
    }
}

/// The nine comparison operators of RFC 7644 §3.4.2.2, Table 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompareOp {
    /// `eq`: equal.
    Eq,
    /// `ne`: not equal.
    Ne,
    /// `co`: contains.
    Co,
    /// `sw`: starts with.
    Sw,
    /// `ew`: ends with.
    Ew,
    /// `gt`: greater than.
    Gt,
    /// `lt`: less than.
    Lt,
    /// `ge`: greater than or equal to.
    Ge,
    /// `le`: less than or equal to.
    Le,
}

impl CompareOp {
    /// Every operator, in the order of the RFC's table.
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Lt,
        CompareOp::Ge,
        CompareOp::Le,
    ];

    /// The operator's canonical (lower-case) keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Lt => "lt",
            CompareOp::Ge => "ge",
            CompareOp::Le => "le",
        }
    }

    /// Looks an operator keyword up, ignoring case (`Eq`, `EQ` and `eq` are one operator).
    pub fn from_keyword(word: &str) -> Option<Self> {
        CompareOp::from_keyword_bytes(word.as_bytes())
    }

    /// [`CompareOp::from_keyword`] on bytes, as the parser reads them.
    pub(crate) fn from_keyword_bytes(word: &[u8]) -> Option<Self> {
        let [a, b] = word else { return None };
        Some(match [a.to_ascii_lowercase(), b.to_ascii_lowercase()] {
            [b'e', b'q'] => CompareOp::Eq,
            [b'n', b'e'] => CompareOp::Ne,
            [b'c', b'o'] => CompareOp::Co,
            [b's', b'w'] => CompareOp::Sw,
            [b'e', b'w'] => CompareOp::Ew,
            [b'g', b't'] => CompareOp::Gt,
            [b'l', b't'] => CompareOp::Lt,
            [b'g', b'e'] => CompareOp::Ge,
            [b'l', b'e'] => CompareOp::Le,
            _ => return None,
        })
    }

    /// True for `gt`, `ge`, `lt` and `le`, the operators that order values.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// True for `co`, `sw` and `ew`, the operators that only apply to strings.
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

/// A PATCH operation's `path` (RFC 7644 §3.5.2, Figure 7): `attrPath / valuePath [subAttr]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PatchPath {
    /// A plain attribute path: `members`, `name.familyName`, `urn:…:User:manager`.
    Attribute(AttrPath),
    /// A value path, optionally followed by a sub-attribute:
    /// `emails[type eq "work"]`, `emails[type eq "work"].value`.
    ValuePath(PatchValuePath),
}

/// The value-path form of a PATCH path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatchValuePath {
    /// The multi-valued attribute whose elements are selected.
    pub attr: AttrPath,
    /// The filter selecting elements; never itself holds a value path.
    pub filter: Filter,
    /// The sub-attribute of the selected elements that the operation targets.
    pub sub_attr: Option<String>,
}

impl PatchPath {
    /// The attribute the path starts from (for a value path, the filtered attribute).
    pub fn attr(&self) -> &AttrPath {
        match self {
            PatchPath::Attribute(path) => path,
            PatchPath::ValuePath(vp) => &vp.attr,
        }
    }
}
