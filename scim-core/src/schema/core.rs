//! The RFC 7643 schemas as data: the common attributes (§3.1), User (§4.1), Group (§4.2)
//! and the Enterprise User extension (§4.3), following the §8.7.1 representation with its
//! known errata applied (`userName` unique, `addresses.primary`, `members.display`,
//! Group `displayName` required as §4.2 states).

use super::attribute::{AttributeDef as A, Mutability, Returned, Uniqueness};
use super::{urn, Schema};

/// `value`, `display`, `type` and `primary`: the sub-attributes most multi-valued
/// attributes share (RFC 7643 §2.4), with `type`'s canonical values.
fn multi_value_subs(types: &[&str], value: A) -> Vec<A> {
    vec![
        value,
        A::string("display").describe("A human-readable name, for display only."),
        A::string("type")
            .canonical(types)
            .describe("A label for the value's function."),
        A::boolean("primary").describe("Whether this is the preferred value (at most one)."),
    ]
}

/// The attributes every resource has (RFC 7643 §3.1): `id`, `externalId`, `meta`.
pub fn common_attributes() -> Vec<A> {
    let ro = Mutability::ReadOnly;
    vec![
        A::string("id")
            .case_exact()
            .mutability(ro)
            .returned(Returned::Always)
            .uniqueness(Uniqueness::Server)
            .describe("The service provider's unique, stable identifier for the resource."),
        A::string("externalId")
            .case_exact()
            .describe("The client's identifier for the resource."),
        A::complex(
            "meta",
            vec![
                A::string("resourceType").case_exact().mutability(ro),
                A::date_time("created").mutability(ro),
                A::date_time("lastModified").mutability(ro),
                A::reference("location", &["uri"])
                    .case_exact()
                    .mutability(ro),
                A::string("version").case_exact().mutability(ro),
            ],
        )
        .mutability(ro)
        .describe("Resource metadata maintained by the service provider."),
    ]
}

/// The core User schema (RFC 7643 §4.1).
pub fn user() -> Schema {
    let ro = Mutability::ReadOnly;
    let attrs = vec![
        A::string("userName")
            .required()
            .uniqueness(Uniqueness::Server)
            .describe("Unique identifier for the User, typically used to sign in."),
        A::complex(
            "name",
            vec![
                A::string("formatted").describe("The full name, formatted for display."),
                A::string("familyName").describe("The family (last) name."),
                A::string("givenName").describe("The given (first) name."),
                A::string("middleName").describe("The middle name(s)."),
                A::string("honorificPrefix").describe("Title prefix, e.g. 'Ms.'."),
                A::string("honorificSuffix").describe("Suffix, e.g. 'III'."),
            ],
        )
        .describe("The components of the User's real name."),
        A::string("displayName").describe("The name of the User, for display."),
        A::string("nickName").describe("The casual way to address the User."),
        A::reference("profileUrl", &["external"]).describe("A URI of the User's online profile."),
        A::string("title").describe("The User's title, e.g. 'Vice President'."),
        A::string("userType").describe("The relationship to the organization, e.g. 'Employee'."),
        A::string("preferredLanguage").describe("Preferred written or spoken language."),
        A::string("locale").describe("Default location, for localizing items."),
        A::string("timezone").describe("The User's time zone, in IANA format."),
        A::boolean("active").describe("The User's administrative status."),
        A::string("password")
            .mutability(Mutability::WriteOnly)
            .returned(Returned::Never)
            .describe("The User's cleartext password; never returned."),
        A::complex(
            "emails",
            multi_value_subs(&["work", "home", "other"], A::string("value")),
        )
        .multi()
        .describe("Email addresses for the User."),
        A::complex(
            "phoneNumbers",
            multi_value_subs(
                &["work", "home", "mobile", "fax", "pager", "other"],
                A::string("value"),
            ),
        )
        .multi()
        .describe("Phone numbers for the User."),
        A::complex(
            "ims",
            multi_value_subs(
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                A::string("value"),
            ),
        )
        .multi()
        .describe("Instant messaging addresses for the User."),
        A::complex(
            "photos",
            multi_value_subs(
                &["photo", "thumbnail"],
                A::reference("value", &["external"]),
            ),
        )
        .multi()
        .describe("URLs of images of the User."),
        A::complex(
            "addresses",
            vec![
                A::string("formatted").describe("The full mailing address."),
                A::string("streetAddress").describe("The street address."),
                A::string("locality").describe("The city or locality."),
                A::string("region").describe("The state or region."),
                A::string("postalCode").describe("The zip or postal code."),
                A::string("country").describe("The country, as ISO 3166-1 alpha-2."),
                A::string("type")
                    .canonical(&["work", "home", "other"])
                    .describe("A label for the address's function."),
                A::boolean("primary").describe("Whether this is the preferred address."),
            ],
        )
        .multi()
        .describe("Physical mailing addresses for the User."),
        A::complex(
            "groups",
            vec![
                A::string("value")
                    .mutability(ro)
                    .describe("The id of the Group."),
                A::reference("$ref", &["User", "Group"]).mutability(ro),
                A::string("display").mutability(ro),
                A::string("type")
                    .canonical(&["direct", "indirect"])
                    .mutability(ro),
            ],
        )
        .multi()
        .mutability(ro)
        .describe("The Groups the User belongs to; managed through the Group resource."),
        A::complex("entitlements", multi_value_subs(&[], A::string("value")))
            .multi()
            .describe("Entitlements of the User."),
        A::complex("roles", multi_value_subs(&[], A::string("value")))
            .multi()
            .describe("Roles of the User."),
        A::complex(
            "x509Certificates",
            multi_value_subs(
                &[],
                A::new("value", super::AttributeType::Binary).case_exact(),
            ),
        )
        .multi()
        .describe("DER-encoded X.509 certificates, base64."),
    ];
    Schema::new(urn::USER, "User", "User Account", attrs)
}

/// The core Group schema (RFC 7643 §4.2).
pub fn group() -> Schema {
    let im = Mutability::Immutable;
    let attrs = vec![
        A::string("displayName")
            .required()
            .describe("A human-readable name for the Group."),
        A::complex(
            "members",
            vec![
                A::string("value")
                    .mutability(im)
                    .describe("The id of the member."),
                A::reference("$ref", &["User", "Group"])
                    .mutability(im)
                    .describe("The URI of the member."),
                A::string("display")
                    .mutability(im)
                    .describe("The member's display name."),
                A::string("type")
                    .canonical(&["User", "Group"])
                    .canonical_only()
                    .mutability(im)
                    .describe("The kind of member."),
            ],
        )
        .multi()
        .describe("The members of the Group."),
    ];
    Schema::new(urn::GROUP, "Group", "Group", attrs)
}

/// The Enterprise User extension (RFC 7643 §4.3).
pub fn enterprise_user() -> Schema {
    let attrs = vec![
        A::string("employeeNumber").describe("A string identifier, typically numeric."),
        A::string("costCenter").describe("The name of a cost center."),
        A::string("organization").describe("The name of an organization."),
        A::string("division").describe("The name of a division."),
        A::string("department").describe("The name of a department."),
        A::complex(
            "manager",
            vec![
                A::string("value").describe("The id of the manager's User."),
                A::reference("$ref", &["User"]).describe("The URI of the manager's User."),
                A::string("displayName")
                    .mutability(Mutability::ReadOnly)
                    .describe("The manager's displayName."),
            ],
        )
        .describe("The User's manager."),
    ];
    Schema::new(
        urn::ENTERPRISE_USER,
        "EnterpriseUser",
        "Enterprise User",
        attrs,
    )
}
