//! The registry of schemas and resource types a service provider offers.

use super::view::ResourceSchema;
use super::{core, discovery, urn, AttributeDef, ResourceType, Schema, SchemaExtension};

/// The schemas and resource types of one service provider.
///
/// ```
/// use scim2_core::schema::{AttributeDef, Schema, SchemaRegistry};
/// let mut registry = SchemaRegistry::standard();
/// let ext = Schema::new(
///     "urn:example:params:scim:schemas:extension:acme:2.0:User",
///     "AcmeUser",
///     "Acme-specific user attributes",
///     vec![AttributeDef::string("badgeNumber")],
/// );
/// registry.add_extension("User", ext, false).unwrap();
/// let users = registry.resource_schema("user").unwrap();
/// let found = users
///     .attribute(Some("urn:example:params:scim:schemas:extension:acme:2.0:User"), "BADGENUMBER")
///     .unwrap();
/// assert_eq!(found.def.name, "badgeNumber");
/// ```
#[derive(Clone, Debug)]
pub struct SchemaRegistry {
    schemas: Vec<Schema>,
    resource_types: Vec<ResourceType>,
    common: Vec<AttributeDef>,
    strict: bool,
}

impl Default for SchemaRegistry {
    fn default() -> Self {
        SchemaRegistry::standard()
    }
}

impl SchemaRegistry {
    /// A registry with the discovery schemas and no resource types.
    pub fn empty() -> Self {
        SchemaRegistry {
            schemas: vec![
                discovery::service_provider_config(),
                discovery::resource_type(),
                discovery::schema(),
            ],
            resource_types: Vec::new(),
            common: core::common_attributes(),
            strict: false,
        }
    }

    /// The standard registry: `User` (`/Users`, with the optional Enterprise User
    /// extension) and `Group` (`/Groups`).
    pub fn standard() -> Self {
        let mut r = SchemaRegistry::empty();
        r.schemas.push(core::user());
        r.schemas.push(core::group());
        r.schemas.push(core::enterprise_user());
        let mut user = ResourceType::new("User", "/Users", urn::USER, "User Account");
        user.schema_extensions.push(SchemaExtension {
            schema: urn::ENTERPRISE_USER.to_owned(),
            required: false,
        });
        r.resource_types.push(user);
        r.resource_types
            .push(ResourceType::new("Group", "/Groups", urn::GROUP, "Group"));
        r
    }

    /// In a strict registry, attributes no schema defines are refused (`invalidPath` in a
    /// PATCH path, `invalidValue` in a body); by default they are kept as sent.
    pub fn set_strict(&mut self, strict: bool) -> &mut Self {
        self.strict = strict;
        self
    }

    /// Whether unknown attributes are refused.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// Adds a schema, replacing one with the same id.
    pub fn add_schema(&mut self, schema: Schema) -> &mut Self {
        match self
            .schemas
            .iter_mut()
            .find(|s| s.id.eq_ignore_ascii_case(&schema.id))
        {
            Some(existing) => *existing = schema,
            None => self.schemas.push(schema),
        }
        self
    }

    /// Adds a resource type, replacing one with the same name. Its base schema and
    /// extensions must already be registered.
    pub fn add_resource_type(&mut self, rt: ResourceType) -> Result<&mut Self, String> {
        for needed in
            std::iter::once(&rt.schema).chain(rt.schema_extensions.iter().map(|e| &e.schema))
        {
            if self.schema(needed).is_none() {
                return Err(format!(
                    "resource type {}: schema {needed} is not registered",
                    rt.name
                ));
            }
        }
        self.resource_types
            .retain(|t| !t.name.eq_ignore_ascii_case(&rt.name));
        self.resource_types.push(rt);
        Ok(self)
    }

    /// Registers `schema` and adds it as an extension of the resource type called
    /// `resource_type`.
    pub fn add_extension(
        &mut self,
        resource_type: &str,
        schema: Schema,
        required: bool,
    ) -> Result<&mut Self, String> {
        let id = schema.id.clone();
        let Some(rt) = self
            .resource_types
            .iter_mut()
            .find(|t| t.name.eq_ignore_ascii_case(resource_type))
        else {
            return Err(format!("no resource type called {resource_type}"));
        };
        rt.schema_extensions
            .retain(|e| !e.schema.eq_ignore_ascii_case(&id));
        rt.schema_extensions.push(SchemaExtension {
            schema: id,
            required,
        });
        self.add_schema(schema);
        Ok(self)
    }

    /// The schema with this URN.
    pub fn schema(&self, id: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(id))
    }

    /// Every registered schema.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// The resource type with this name.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }

    /// Every registered resource type.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// The attributes every resource has (`id`, `externalId`, `meta`).
    pub fn common_attributes(&self) -> &[AttributeDef] {
        &self.common
    }

    /// The combined schema (base, extensions, common attributes) of a resource type.
    pub fn resource_schema(&self, resource_type: &str) -> Option<ResourceSchema<'_>> {
        let rt = self.resource_type(resource_type)?;
        ResourceSchema::new(self, rt)
    }
}
