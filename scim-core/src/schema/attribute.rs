//! Attribute definitions with every RFC 7643 §2.2 characteristic, in the §7 representation.

use serde::{Deserialize, Serialize};

/// An attribute's data type (RFC 7643 §2.3): the filter crate's type, so schema facts
/// pass to the evaluator unchanged.
pub use scim2_filter::AttrType as AttributeType;

/// When and whether an attribute may be changed (RFC 7643 §2.2 `mutability`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set by the service provider only; ignored on input.
    ReadOnly,
    /// Freely updated.
    #[default]
    ReadWrite,
    /// Set once (on creation, or when it had no value), then never changed.
    Immutable,
    /// Accepted on input, never returned (e.g. `password`).
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §2.2 `returned`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always, even when not asked for or explicitly excluded.
    Always,
    /// Never.
    Never,
    /// Unless excluded, or unless `attributes` names others.
    #[default]
    Default,
    /// Only when named in `attributes`.
    Request,
}

/// How unique a value must be (RFC 7643 §2.2 `uniqueness`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No constraint.
    #[default]
    None,
    /// Unique within the service provider (e.g. `userName`).
    Server,
    /// Globally unique.
    Global,
}

/// One attribute of a schema, with every characteristic of RFC 7643 §2.2 and §7.
///
/// Build definitions with the short constructors and chainable setters:
///
/// ```
/// use scim2_core::schema::{AttributeDef, Uniqueness};
/// let user_name = AttributeDef::string("userName")
///     .required()
///     .uniqueness(Uniqueness::Server)
///     .describe("Unique identifier for the User.");
/// assert!(user_name.required && !user_name.case_exact);
/// ```
///
/// `#[non_exhaustive]`: besides RFC 7643 §7's characteristics it holds server-side
/// options (such as [`canonical_only`](Self::canonical_only)), and more may be added in a
/// minor release; build one with the constructors and builder methods, read the fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AttributeDef {
    /// The attribute's name, e.g. `userName`.
    pub name: String,
    /// The data type.
    #[serde(rename = "type")]
    pub attr_type: AttributeType,
    /// Whether the attribute holds a list of values.
    pub multi_valued: bool,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether a value must be present.
    pub required: bool,
    /// Values the attribute is expected to take (e.g. `work`, `home`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// Whether the canonical values are the only ones accepted (a server policy beyond
    /// RFC 7643, where canonical values are suggestions; used for `members.type`).
    #[serde(skip)]
    pub canonical_only: bool,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// When the attribute may be changed.
    pub mutability: Mutability,
    /// When the attribute is returned.
    pub returned: Returned,
    /// How unique values must be.
    pub uniqueness: Uniqueness,
    /// For references: what they may point to (`User`, `Group`, `external`, `uri`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    /// For complex attributes: the sub-attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<AttributeDef>,
}

impl AttributeDef {
    /// A single-valued, optional, readWrite attribute of `attr_type`.
    pub fn new(name: impl Into<String>, attr_type: AttributeType) -> Self {
        AttributeDef {
            name: name.into(),
            attr_type,
            multi_valued: false,
            description: String::new(),
            required: false,
            canonical_values: Vec::new(),
            canonical_only: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        AttributeDef::new(name, AttributeType::String)
    }

    /// A boolean attribute.
    pub fn boolean(name: impl Into<String>) -> Self {
        AttributeDef::new(name, AttributeType::Boolean)
    }

    /// An integer attribute.
    pub fn integer(name: impl Into<String>) -> Self {
        AttributeDef::new(name, AttributeType::Integer)
    }

    /// A dateTime attribute.
    pub fn date_time(name: impl Into<String>) -> Self {
        AttributeDef::new(name, AttributeType::DateTime)
    }

    /// A reference attribute pointing to `types` (e.g. `["external"]`).
    pub fn reference(name: impl Into<String>, types: &[&str]) -> Self {
        let mut def = AttributeDef::new(name, AttributeType::Reference);
        def.reference_types = types.iter().map(|t| t.to_string()).collect();
        def
    }

    /// A complex attribute with the given sub-attributes.
    pub fn complex(name: impl Into<String>, sub_attributes: Vec<AttributeDef>) -> Self {
        let mut def = AttributeDef::new(name, AttributeType::Complex);
        def.sub_attributes = sub_attributes;
        def
    }

    /// Makes the attribute multi-valued.
    pub fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Makes the attribute required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Makes string comparison case-sensitive.
    pub fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Sets the mutability.
    pub fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }

    /// Sets when the attribute is returned.
    pub fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }

    /// Sets the uniqueness.
    pub fn uniqueness(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }

    /// Sets the canonical values (suggestions, per RFC 7643 §2.2).
    pub fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| v.to_string()).collect();
        self
    }

    /// Accepts only the canonical values (compared case-insensitively).
    pub fn canonical_only(mut self) -> Self {
        self.canonical_only = true;
        self
    }

    /// Sets the description.
    pub fn describe(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// The sub-attribute called `name`, matched case-insensitively.
    pub fn sub_attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Whether this is a complex attribute.
    pub fn is_complex(&self) -> bool {
        self.attr_type == AttributeType::Complex
    }

    /// The facts the filter evaluator needs.
    pub(crate) fn facts(&self) -> scim2_filter::AttrFacts {
        scim2_filter::AttrFacts::new(self.attr_type).with_case_exact(self.case_exact)
    }
}
