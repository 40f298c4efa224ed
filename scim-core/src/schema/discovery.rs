//! The discovery schemas as data (RFC 7643 §5, §6, §7 and §8.7.2): what
//! `/Schemas` says about `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`.

use super::attribute::{AttributeDef as A, Mutability, Returned};
use super::{urn, Schema};

/// Marks every attribute (and sub-attribute) readOnly: discovery resources are the
/// service provider's to describe.
fn read_only(mut attrs: Vec<A>) -> Vec<A> {
    for a in &mut attrs {
        a.mutability = Mutability::ReadOnly;
        a.sub_attributes = read_only(std::mem::take(&mut a.sub_attributes));
    }
    attrs
}

fn supported() -> A {
    A::boolean("supported").required()
}

/// The ServiceProviderConfig schema (RFC 7643 §5, with RFC 9865 §4's `pagination`).
pub fn service_provider_config() -> Schema {
    let attrs = vec![
        A::reference("documentationUri", &["external"]),
        A::complex("patch", vec![supported()]).required(),
        A::complex(
            "bulk",
            vec![
                supported(),
                A::integer("maxOperations").required(),
                A::integer("maxPayloadSize").required(),
            ],
        )
        .required(),
        A::complex(
            "filter",
            vec![supported(), A::integer("maxResults").required()],
        )
        .required(),
        A::complex("changePassword", vec![supported()]).required(),
        A::complex("sort", vec![supported()]).required(),
        A::complex("etag", vec![supported()]).required(),
        // RFC 9865 §4: how lists page, present when the service pages by cursor too.
        A::complex(
            "pagination",
            vec![
                A::boolean("cursor"),
                A::boolean("index"),
                A::string("defaultPaginationMethod").canonical(&["cursor", "index"]),
                A::integer("defaultPageSize"),
                A::integer("maxPageSize"),
                A::integer("cursorTimeout"),
            ],
        ),
        A::complex(
            "authenticationSchemes",
            vec![
                A::string("type").required(),
                A::string("name").required(),
                A::string("description").required(),
                A::reference("specUri", &["external"]),
                A::reference("documentationUri", &["external"]),
                A::boolean("primary"),
            ],
        )
        .multi()
        .required(),
    ];
    Schema::new(
        urn::SERVICE_PROVIDER_CONFIG,
        "Service Provider Configuration",
        "Schema for representing the service provider's configuration",
        read_only(attrs),
    )
}

/// The ResourceType schema (RFC 7643 §6).
pub fn resource_type() -> Schema {
    let attrs = vec![
        A::string("id"),
        A::string("name").required(),
        A::string("description"),
        A::reference("endpoint", &["uri"]).required(),
        A::reference("schema", &["uri"]).required().case_exact(),
        A::complex(
            "schemaExtensions",
            vec![
                A::reference("schema", &["uri"]).required().case_exact(),
                A::boolean("required").required(),
            ],
        )
        .multi(),
    ];
    Schema::new(
        urn::RESOURCE_TYPE,
        "ResourceType",
        "Specifies the schema that describes a SCIM resource type",
        read_only(attrs),
    )
}

/// The definition of an attribute definition, used twice by the Schema schema (attributes
/// and their sub-attributes).
fn attribute_definition_subs() -> Vec<A> {
    vec![
        A::string("name").required().case_exact(),
        A::string("type").required().canonical(&[
            "string",
            "complex",
            "boolean",
            "decimal",
            "integer",
            "dateTime",
            "reference",
            "binary",
        ]),
        A::boolean("multiValued").required(),
        A::string("description"),
        A::boolean("required"),
        A::string("canonicalValues").multi().case_exact(),
        A::boolean("caseExact"),
        A::string("mutability").case_exact().canonical(&[
            "readOnly",
            "readWrite",
            "immutable",
            "writeOnly",
        ]),
        A::string("returned")
            .case_exact()
            .canonical(&["always", "never", "default", "request"]),
        A::string("uniqueness")
            .case_exact()
            .canonical(&["none", "server", "global"]),
        A::string("referenceTypes").multi().case_exact(),
    ]
}

/// The Schema schema (RFC 7643 §7).
pub fn schema() -> Schema {
    let mut attribute = A::complex("attributes", attribute_definition_subs())
        .multi()
        .required();
    attribute
        .sub_attributes
        .push(A::complex("subAttributes", attribute_definition_subs()).multi());
    let attrs = vec![
        A::reference("id", &["uri"]).required(),
        A::string("name").required(),
        A::string("description"),
        attribute.returned(Returned::Default),
    ];
    Schema::new(
        urn::SCHEMA,
        "Schema",
        "Specifies the schema attribute definitions",
        read_only(attrs),
    )
}
