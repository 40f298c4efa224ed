//! One resource type's combined schema: base schema, extensions and common attributes,
//! with case-insensitive, URN-aware attribute resolution (RFC 7643 §3.3, §3.10).

use scim2_filter::{AttrFacts, SchemaLookup};

use super::{AttributeDef, ResourceType, Schema, SchemaRegistry};

/// Where an attribute was found, as [`ResourceSchema::attribute`] returns it.
///
/// `#[non_exhaustive]`: only the lookup makes one, and it may say more in a minor release.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Located<'r> {
    /// Its definition.
    pub def: &'r AttributeDef,
    /// The canonical URN of the extension holding it, or `None` for the base schema and
    /// the common attributes (which sit at the top level of a resource).
    pub extension: Option<&'r str>,
}

/// The combined schema of one resource type.
#[derive(Clone, Debug)]
pub struct ResourceSchema<'r> {
    registry: &'r SchemaRegistry,
    resource_type: &'r ResourceType,
    base: &'r Schema,
    extensions: Vec<(&'r Schema, bool)>,
}

impl<'r> ResourceSchema<'r> {
    pub(super) fn new(registry: &'r SchemaRegistry, rt: &'r ResourceType) -> Option<Self> {
        let base = registry.schema(&rt.schema)?;
        let extensions = rt
            .schema_extensions
            .iter()
            .filter_map(|e| Some((registry.schema(&e.schema)?, e.required)))
            .collect();
        Some(ResourceSchema {
            registry,
            resource_type: rt,
            base,
            extensions,
        })
    }

    /// The resource type.
    pub fn resource_type(&self) -> &'r ResourceType {
        self.resource_type
    }

    /// The base schema.
    pub fn base(&self) -> &'r Schema {
        self.base
    }

    /// The extension schemas, each with whether it is required.
    pub fn extensions(&self) -> impl Iterator<Item = (&'r Schema, bool)> + '_ {
        self.extensions.iter().copied()
    }

    /// The extension schema with this URN (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&'r Schema> {
        self.extensions
            .iter()
            .find(|(s, _)| s.id.eq_ignore_ascii_case(urn))
            .map(|(s, _)| *s)
    }

    /// Any registered schema with this URN (case-insensitive), whether or not it is an
    /// extension of this resource type.
    pub(crate) fn registered(&self, urn: &str) -> Option<&'r Schema> {
        self.registry.schema(urn)
    }

    /// The schema whose attributes an object under the top-level key `urn` holds: an
    /// extension of this resource type, or another registered schema (a server-owned
    /// one attached by the store). URNs compare case-insensitively (RFC 8141 §3.1; RFC
    /// 7643 §2.1 names are case-insensitive), so `URN:IETF:…:USER` is that schema, not
    /// unknown data beside it. `None` for the base schema and unregistered URNs.
    pub(crate) fn container_schema(&self, urn: &str) -> Option<&'r Schema> {
        self.extension(urn).or_else(|| {
            self.registered(urn)
                .filter(|s| !s.id.eq_ignore_ascii_case(&self.base.id))
        })
    }

    /// The common attributes (`id`, `externalId`, `meta`).
    pub(crate) fn common(&self) -> &'r [AttributeDef] {
        self.registry.common_attributes()
    }

    /// Whether unknown attributes are refused.
    pub fn is_strict(&self) -> bool {
        self.registry.is_strict()
    }

    /// Finds a top-level attribute. Without a URN: a common attribute or one of the base
    /// schema. With the base schema's URN: the same. With an extension's URN: that
    /// extension's attribute.
    pub fn attribute(&self, urn: Option<&str>, name: &str) -> Option<Located<'r>> {
        match urn {
            None => self.top_level(name),
            Some(u) if u.eq_ignore_ascii_case(&self.base.id) => self.top_level(name),
            Some(u) => {
                let ext = self.extension(u)?;
                Some(Located {
                    def: ext.attribute(name)?,
                    extension: Some(&ext.id),
                })
            }
        }
    }

    fn top_level(&self, name: &str) -> Option<Located<'r>> {
        let def = self
            .common()
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .or_else(|| self.base.attribute(name))?;
        Some(Located {
            def,
            extension: None,
        })
    }
}

impl SchemaLookup for ResourceSchema<'_> {
    fn attribute(&self, urn: Option<&str>, path: &[&str]) -> Option<AttrFacts> {
        let (first, rest) = path.split_first()?;
        if first.eq_ignore_ascii_case("schemas") && rest.is_empty() {
            return Some(AttrFacts::new(scim2_filter::AttrType::Reference));
        }
        let mut def = ResourceSchema::attribute(self, urn, first)?.def;
        for sub in rest {
            def = def.sub_attribute(sub)?;
        }
        Some(def.facts())
    }

    fn is_extension(&self, urn: &str) -> bool {
        !urn.eq_ignore_ascii_case(&self.base.id)
    }
}
