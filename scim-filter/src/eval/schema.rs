//! How schema facts reach the evaluator without this crate depending on a schema model.
//!
//! RFC 7644 §3.4.2.2 makes string comparison depend on the attribute's `caseExact`
//! characteristic and ordering depend on its type (RFC 7643 §2.2, §2.3). An embedding
//! crate (scim-core) implements [`SchemaLookup`] over its schema registry; without one,
//! [`NoSchema`] infers what it can from the JSON values themselves.

/// The data type of an attribute (RFC 7643 §2.3), serialised as in a Schema resource
/// (`"string"`, `"dateTime"`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    /// A Unicode string (§2.3.1).
    String,
    /// `true` or `false` (§2.3.2).
    Boolean,
    /// A real number (§2.3.3).
    Decimal,
    /// A whole number (§2.3.4).
    Integer,
    /// An xsd:dateTime, compared as an instant (§2.3.5).
    DateTime,
    /// Base64 binary data (§2.3.6); never ordered.
    Binary,
    /// A URI reference (§2.3.7).
    Reference,
    /// A complex attribute with sub-attributes (§2.3.8).
    Complex,
}

/// What the evaluator needs to know about one attribute.
///
/// `#[non_exhaustive]`: the evaluator may need more facts in a minor release, each with a
/// default, so build one with [`AttrFacts::new`] and the `with_*` methods.
///
/// ```
/// use scim2_filter::{AttrFacts, AttrType};
/// let id = AttrFacts::new(AttrType::String).with_case_exact(true);
/// assert!(id.case_exact);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AttrFacts {
    /// The attribute's type.
    pub attr_type: AttrType,
    /// Whether string comparison is case-sensitive (RFC 7643 §2.2 `caseExact`).
    pub case_exact: bool,
}

impl AttrFacts {
    /// The facts of an attribute of type `attr_type` that is not `caseExact`.
    pub const fn new(attr_type: AttrType) -> Self {
        AttrFacts {
            attr_type,
            case_exact: false,
        }
    }

    /// Returns these facts with `caseExact` set to `case_exact`.
    #[must_use]
    pub const fn with_case_exact(mut self, case_exact: bool) -> Self {
        self.case_exact = case_exact;
        self
    }
}

/// The URN prefix of the core schemas, whose attributes sit at the top level of a
/// resource rather than inside an extension object (RFC 7643 §3.3).
pub const CORE_SCHEMA_PREFIX: &str = "urn:ietf:params:scim:schemas:core:";

/// Answers questions about attributes for the evaluator.
///
/// `path` names an attribute from the resource root: `["userName"]`,
/// `["name", "givenName"]`, or inside a value path `["emails", "type"]`. `urn` is the
/// schema URN the path was qualified with, if any. Names may arrive in any case.
pub trait SchemaLookup {
    /// The facts for the attribute at `path`, or `None` if the schema does not know it
    /// (the evaluator then infers from the JSON value: strings compare case-insensitively).
    fn attribute(&self, urn: Option<&str>, path: &[&str]) -> Option<AttrFacts>;

    /// Whether `urn` names a schema extension, whose attributes live in an object under
    /// the URN key (RFC 7643 §3.3), rather than the resource's core schema. The default
    /// treats every URN outside `urn:ietf:params:scim:schemas:core:` as an extension.
    fn is_extension(&self, urn: &str) -> bool {
        !urn.get(..CORE_SCHEMA_PREFIX.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(CORE_SCHEMA_PREFIX))
    }
}

/// A [`SchemaLookup`] that knows no attribute: every type is inferred from the data and
/// every string compares case-insensitively.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoSchema;

impl SchemaLookup for NoSchema {
    fn attribute(&self, _urn: Option<&str>, _path: &[&str]) -> Option<AttrFacts> {
        None
    }
}

impl<S: SchemaLookup + ?Sized> SchemaLookup for &S {
    fn attribute(&self, urn: Option<&str>, path: &[&str]) -> Option<AttrFacts> {
        (**self).attribute(urn, path)
    }

    fn is_extension(&self, urn: &str) -> bool {
        (**self).is_extension(urn)
    }
}
