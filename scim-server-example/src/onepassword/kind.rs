//! The two kinds of resource the bridge keeps, parsed once from the resource type's name
//! where a request reaches the provisioner.

use scim2_core::ScimError;

/// A kind of resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A person (`User`).
    User,
    /// A group of users and groups (`Group`).
    Group,
}

impl Kind {
    /// The kind whose resource type is named `rt`, in any casing; 404 for any other.
    pub fn parse(rt: &str) -> Result<Kind, ScimError> {
        [Kind::User, Kind::Group]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(rt))
            .ok_or_else(|| ScimError::not_found(format!("no resource type {rt}")))
    }

    /// The resource type's name, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    /// The attribute unique within the kind, case-insensitively.
    pub fn unique_attr(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_in_any_casing_and_nothing_else_does() {
        assert_eq!(Kind::parse("user").unwrap(), Kind::User);
        assert_eq!(Kind::parse("GROUP").unwrap(), Kind::Group);
        assert_eq!(
            Kind::parse("Device").unwrap_err().status(),
            http::StatusCode::NOT_FOUND
        );
    }
}
