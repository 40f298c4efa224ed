//! The identity-provider compatibility toggles of the PATCH engine and the profiles that
//! set them; the [module docs](super) list the traffic each toggle serves.

/// Identity-provider compatibility toggles; see the [module docs](super) for the traffic
/// each one serves and the profiles that turn it on.
///
/// Pick a profile for the clients you serve: [`Compat::entra`], [`Compat::okta`],
/// [`Compat::onelogin`], [`Compat::jumpcloud`], or [`Compat::every_client`] (their union,
/// and the [`Default`]) when one server faces several; [`Compat::strict`] reads RFC 7644
/// literally. Single toggles can be changed after with the `with_*` methods:
/// `Compat::entra().with_remove_by_value(false)`.
///
/// `#[non_exhaustive]`: a toggle may be added in a minor release (off in
/// [`Compat::strict`], on in the profiles of the clients that need it); the fields stay
/// readable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Compat {
    /// Accept `op` in any case. Entra ID sends `{"op":"Replace",…}`, `"Add"` and
    /// `"Remove"`; RFC 7644 §3.5.2 spells them in lower case.
    pub case_insensitive_op: bool,
    /// Coerce `"True"`/`"False"` strings to booleans for boolean attributes. Entra ID
    /// sends `{"op":"Replace","path":"active","value":"False"}` (RFC 7643 §2.3.2 wants a
    /// JSON boolean).
    pub string_booleans: bool,
    /// In a path-less `add`/`replace`, read value keys that are paths as paths. Entra ID
    /// sends `{"op":"replace","value":{"name.givenName":"Ann"}}` and URN-qualified keys
    /// (`"urn:…:enterprise:2.0:User:department"`); RFC 7644 §3.5.2.3 reads each key as an
    /// attribute name.
    pub pathless_attribute_paths: bool,
    /// An `add` through a value path that matches nothing creates the element from the
    /// filter, when the filter is only `attr eq literal` terms joined by `and`. Entra ID
    /// sends `{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b.c"}` to a
    /// user with no work email (RFC 7644 §3.5.2.1 does not say what a filter that selects
    /// nothing means for `add`).
    pub add_creates_filtered_element: bool,
    /// A `replace` through a value path that matches nothing creates the element, under
    /// the same rule as [`add_creates_filtered_element`](Self::add_creates_filtered_element).
    /// Entra ID sends `{"op":"Replace","path":"addresses[type eq \"work\"].formatted",
    /// "value":"…"}` (and the same for `emails[type eq "work"].value`,
    /// `phoneNumbers[type eq "mobile"].value`) to a user with no such element yet, and
    /// expects `{"type":"work","formatted":"…"}` appended; RFC 7644 §3.5.2.3 answers
    /// 400 `noTarget`, which [`Compat::strict`] keeps.
    pub replace_creates_filtered_element: bool,
    /// A `remove` of a multi-valued attribute with a `value` removes only those values.
    /// Entra ID and JumpCloud remove group members with
    /// `{"op":"Remove","path":"members","value":[{"value":"id"}]}`; RFC 7644 §3.5.2.2 has
    /// no `value` for `remove`, and a literal reading empties the group.
    pub remove_by_value: bool,
    /// A scalar written to a complex attribute with a `value` sub-attribute becomes
    /// `{"value": scalar}`. Entra ID sets the manager with a bare id:
    /// `{"op":"Add","path":"urn:…:enterprise:2.0:User:manager","value":"id"}` (RFC 7643
    /// §4.3 makes `manager` complex).
    pub complex_scalar_value: bool,
    /// A single-valued complex attribute with a `value` sub-attribute whose `value` is
    /// empty or blank is unassigned, however the request writes it (PATCH of the
    /// attribute or of its `.value`, path-less PATCH, POST, PUT). Microsoft's SCIM Validator clears the
    /// manager with `{"op":"replace","path":"urn:…:enterprise:2.0:User:manager",
    /// "value":{"value":""}}`; RFC 7643 §4.3 makes `manager.value` the manager's `id`,
    /// which is never empty (§3.1), so the literal reading stores a manager that is
    /// no one.
    pub empty_value_unassigns: bool,
}

impl Default for Compat {
    /// [`Compat::every_client`]: a server that does not know its clients accepts what
    /// each of them sends.
    fn default() -> Self {
        Compat::every_client()
    }
}

impl Compat {
    /// Every toggle off: RFC 7644 §3.5.2 read literally (a `replace` through a value path
    /// that matches nothing is `noTarget`, a `remove` of `members` removes them all).
    pub fn strict() -> Self {
        Compat {
            case_insensitive_op: false,
            string_booleans: false,
            pathless_attribute_paths: false,
            add_creates_filtered_element: false,
            replace_creates_filtered_element: false,
            remove_by_value: false,
            complex_scalar_value: false,
            empty_value_unassigns: false,
        }
    }

    /// Microsoft Entra ID (Azure AD) provisioning: every toggle on, each documented by
    /// the Entra request that needs it.
    pub fn entra() -> Self {
        Compat {
            case_insensitive_op: true,
            string_booleans: true,
            pathless_attribute_paths: true,
            add_creates_filtered_element: true,
            replace_creates_filtered_element: true,
            remove_by_value: true,
            complex_scalar_value: true,
            empty_value_unassigns: true,
        }
    }

    /// Okta: the RFC read literally. Okta's documented requests are RFC 7644 PATCH
    /// (`{"op":"replace","value":{"active":false}}`; group push with
    /// `{"op":"remove","path":"members[value eq \"id\"]"}` and
    /// `{"op":"add","path":"members","value":[{"value":"id","display":"…"}]}`;
    /// `{"op":"replace","value":{"id":"…","displayName":"…"}}`, whose readOnly `id` is
    /// ignored without a toggle), so none is needed.
    pub fn okta() -> Self {
        Compat::strict()
    }

    /// OneLogin: its user templates map `"active": "{$user.active}"`, a quoted
    /// placeholder that arrives as the string `"true"`/`"false"`, so
    /// [`string_booleans`](Self::string_booleans) is on; and
    /// [`remove_by_value`](Self::remove_by_value), as a safeguard: a `remove` of `members`
    /// that carries a `value` is otherwise read as "remove every member", a loss no
    /// client intends when it names the members to remove.
    pub fn onelogin() -> Self {
        Compat {
            string_booleans: true,
            remove_by_value: true,
            ..Compat::strict()
        }
    }

    /// JumpCloud: group members are removed as Entra ID does,
    /// `{"op":"remove","path":"members","value":[{"value":"id"}]}`, so
    /// [`remove_by_value`](Self::remove_by_value) is on; nothing else is known to be needed.
    pub fn jumpcloud() -> Self {
        Compat {
            remove_by_value: true,
            ..Compat::strict()
        }
    }

    /// The union of [`entra`](Self::entra), [`okta`](Self::okta),
    /// [`onelogin`](Self::onelogin) and [`jumpcloud`](Self::jumpcloud): what a server
    /// facing any of them needs. The [`Default`].
    pub fn every_client() -> Self {
        [Compat::okta(), Compat::onelogin(), Compat::jumpcloud()]
            .into_iter()
            .fold(Compat::entra(), Compat::union)
    }

    /// Returns these toggles with `op` accepted in any case when `on`.
    #[must_use]
    pub const fn with_case_insensitive_op(mut self, on: bool) -> Self {
        self.case_insensitive_op = on;
        self
    }

    /// Returns these toggles with `"True"`/`"False"` strings coerced to booleans when `on`.
    #[must_use]
    pub const fn with_string_booleans(mut self, on: bool) -> Self {
        self.string_booleans = on;
        self
    }

    /// Returns these toggles with path-like value keys of a path-less `add`/`replace` read as paths when `on`.
    #[must_use]
    pub const fn with_pathless_attribute_paths(mut self, on: bool) -> Self {
        self.pathless_attribute_paths = on;
        self
    }

    /// Returns these toggles with an `add` through a value path that matches nothing creating the element when `on`.
    #[must_use]
    pub const fn with_add_creates_filtered_element(mut self, on: bool) -> Self {
        self.add_creates_filtered_element = on;
        self
    }

    /// Returns these toggles with a `replace` through a value path that matches nothing creating the element when `on`.
    #[must_use]
    pub const fn with_replace_creates_filtered_element(mut self, on: bool) -> Self {
        self.replace_creates_filtered_element = on;
        self
    }

    /// Returns these toggles with a `remove` with a `value` removing only those values when `on`.
    #[must_use]
    pub const fn with_remove_by_value(mut self, on: bool) -> Self {
        self.remove_by_value = on;
        self
    }

    /// Returns these toggles with a scalar written to a complex attribute becoming `{"value": scalar}` when `on`.
    #[must_use]
    pub const fn with_complex_scalar_value(mut self, on: bool) -> Self {
        self.complex_scalar_value = on;
        self
    }

    /// Returns these toggles with an empty `value` unassigning a single-valued complex attribute when `on`.
    #[must_use]
    pub const fn with_empty_value_unassigns(mut self, on: bool) -> Self {
        self.empty_value_unassigns = on;
        self
    }

    /// Each toggle on when it is on in `self` or in `other`.
    pub fn union(self, other: Compat) -> Compat {
        Compat {
            case_insensitive_op: self.case_insensitive_op || other.case_insensitive_op,
            string_booleans: self.string_booleans || other.string_booleans,
            pathless_attribute_paths: self.pathless_attribute_paths
                || other.pathless_attribute_paths,
            add_creates_filtered_element: self.add_creates_filtered_element
                || other.add_creates_filtered_element,
            replace_creates_filtered_element: self.replace_creates_filtered_element
                || other.replace_creates_filtered_element,
            remove_by_value: self.remove_by_value || other.remove_by_value,
            complex_scalar_value: self.complex_scalar_value || other.complex_scalar_value,
            empty_value_unassigns: self.empty_value_unassigns || other.empty_value_unassigns,
        }
    }

    /// The profile named `name` (`strict`, `entra`, `okta`, `onelogin`, `jumpcloud`,
    /// `every_client`; any case, `-` for `_`), for configuration files and command lines.
    pub fn profile(name: &str) -> Option<Compat> {
        let name = name.trim().replace('-', "_");
        let is = |n: &str| n.eq_ignore_ascii_case(&name);
        if is("strict") {
            Some(Compat::strict())
        } else if is("entra") {
            Some(Compat::entra())
        } else if is("okta") {
            Some(Compat::okta())
        } else if is("onelogin") {
            Some(Compat::onelogin())
        } else if is("jumpcloud") {
            Some(Compat::jumpcloud())
        } else if is("every_client") {
            Some(Compat::every_client())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every toggle, by name, so that the tests below cover each of them.
    fn toggles(c: Compat) -> [(&'static str, bool); 8] {
        [
            ("case_insensitive_op", c.case_insensitive_op),
            ("string_booleans", c.string_booleans),
            ("pathless_attribute_paths", c.pathless_attribute_paths),
            (
                "add_creates_filtered_element",
                c.add_creates_filtered_element,
            ),
            (
                "replace_creates_filtered_element",
                c.replace_creates_filtered_element,
            ),
            ("remove_by_value", c.remove_by_value),
            ("complex_scalar_value", c.complex_scalar_value),
            ("empty_value_unassigns", c.empty_value_unassigns),
        ]
    }

    fn on(c: Compat) -> Vec<&'static str> {
        toggles(c)
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect()
    }

    #[test]
    fn the_default_is_the_union_of_the_client_profiles() {
        assert_eq!(Compat::default(), Compat::every_client());
        let union = [
            Compat::entra(),
            Compat::okta(),
            Compat::onelogin(),
            Compat::jumpcloud(),
        ]
        .into_iter()
        .fold(Compat::strict(), Compat::union);
        assert_eq!(Compat::every_client(), union);
        // Each client profile asks for no more than the union gives.
        for p in [Compat::okta(), Compat::onelogin(), Compat::jumpcloud()] {
            assert_eq!(p.union(Compat::every_client()), Compat::every_client());
        }
    }

    #[test]
    fn the_profiles_turn_on_what_their_clients_need() {
        assert!(on(Compat::strict()).is_empty());
        assert_eq!(on(Compat::entra()).len(), toggles(Compat::entra()).len());
        assert!(on(Compat::okta()).is_empty());
        assert_eq!(
            on(Compat::onelogin()),
            ["string_booleans", "remove_by_value"]
        );
        assert_eq!(on(Compat::jumpcloud()), ["remove_by_value"]);
        assert!(Compat::default().replace_creates_filtered_element);
        assert!(!Compat::strict().replace_creates_filtered_element);
    }

    #[test]
    fn profiles_are_found_by_name() {
        assert_eq!(Compat::profile("strict"), Some(Compat::strict()));
        assert_eq!(Compat::profile(" Entra "), Some(Compat::entra()));
        assert_eq!(Compat::profile("OKTA"), Some(Compat::okta()));
        assert_eq!(Compat::profile("onelogin"), Some(Compat::onelogin()));
        assert_eq!(Compat::profile("jumpcloud"), Some(Compat::jumpcloud()));
        assert_eq!(
            Compat::profile("every_client"),
            Some(Compat::every_client())
        );
        assert_eq!(
            Compat::profile("Every-Client"),
            Some(Compat::every_client())
        );
        assert_eq!(Compat::profile("azure"), None);
        assert_eq!(Compat::profile(""), None);
    }
}
