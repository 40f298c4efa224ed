//! The PATCH engine (RFC 7644 §3.5.2): applies a [`PatchRequest`] to a resource under its
//! schema, atomically, and returns the validated result.
//!
//! Any failing operation leaves the resource as it was: the engine works on a copy and
//! validates the result (types, immutability, required attributes) before returning it.
//!
//! # Semantics
//!
//! - `add` with no path adds each member of the value object; to a multi-valued attribute
//!   it appends values, merging into an existing equal value (same `value` and `type`)
//!   instead of duplicating it; to a complex attribute it sets the given sub-attributes.
//!   A member named by a schema URN (any case) holds that schema's attributes: an
//!   extension's are applied to the extension, the base schema's (`{"urn:…:core:2.0:User":
//!   {"displayName": "X"}}`) to the resource itself (RFC 7644 §3.10); a URN inside the
//!   base schema's object, or the base schema's URN as a `path`, is `invalidPath`.
//! - `replace` of a multi-valued attribute replaces the whole set; of a complex attribute
//!   it sets the given sub-attributes and leaves the others; through a value path it
//!   replaces the matching values (or their sub-attribute). A value path that matches
//!   nothing is `noTarget` (unless [`Compat::replace_creates_filtered_element`]).
//! - A sub-attribute of a multi-valued attribute without a filter (`emails.type`) names
//!   that sub-attribute of every value (RFC 7644 §3.5.2.2, §3.5.2.3): `replace` sets it
//!   on each value, and so does `add` (§3.5.2.1: the existing value of a single-valued
//!   target is replaced); `remove` removes it from each value, dropping values left
//!   empty. When the attribute has no values, `remove` succeeds without change, while
//!   `add` and `replace` are `noTarget`: there is no value to set it on, and a value made
//!   only of `type` would be no email at all. Immutable sub-attributes keep their
//!   values (`mutability`), and required ones cannot be removed.
//! - `remove` needs a path (`noTarget` without one); through a value path it removes the
//!   matching values, and succeeds without change when none match (as §3.5.2.2's
//!   member-removal example states). Removing a required attribute or sub-attribute, or
//!   an immutable sub-attribute that has a value (`members.value`,
//!   `members[value eq "id"].display`), is `mutability`.
//! - Setting a value's `primary` to true sets it false on the others.
//! - The result must keep the request's [`ResourceLimits`](crate::limits::ResourceLimits)
//!   (`tooMany` past them, unless the change does not grow the resource). Adding values
//!   is linear in the values present and added.
//! - readOnly targets are `mutability`; changing an immutable value is `mutability`;
//!   malformed or (in a strict registry) unknown paths are `invalidPath`; wrong types and
//!   missing values are `invalidValue`; a malformed body is `invalidSyntax`.
//!
//! # Identity-provider compatibility toggles
//!
//! Each is a field of [`Compat`]. A profile turns on what one client needs;
//! [`Compat::every_client`] (the union of the client profiles) is the [`Default`], so a
//! library user serving every identity provider works out of the box, and
//! [`Compat::strict`] (every toggle off) is RFC 7644 read literally.
//!
//! | toggle | client and request that need it | profiles that turn it on |
//! | --- | --- | --- |
//! | [`case_insensitive_op`](Compat::case_insensitive_op) | Entra ID: `"op": "Add"`, `"Replace"`, `"Remove"` | entra, every_client |
//! | [`string_booleans`](Compat::string_booleans) | Entra ID: `{"op":"Replace","path":"active","value":"False"}`; OneLogin: `"active": "false"` from a template's quoted `"{$user.active}"` | entra, onelogin, every_client |
//! | [`pathless_attribute_paths`](Compat::pathless_attribute_paths) | Entra ID: `{"op":"replace","value":{"name.givenName":"Ann","urn:…:enterprise:2.0:User:department":"Sales"}}`: each key is a path, never a literal key | entra, every_client |
//! | [`add_creates_filtered_element`](Compat::add_creates_filtered_element) | Entra ID: `{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b.c"}` for a user with no work email | entra, every_client |
//! | [`replace_creates_filtered_element`](Compat::replace_creates_filtered_element) | Entra ID: `{"op":"Replace","path":"addresses[type eq \"work\"].formatted","value":"…"}` (or `emails[type eq "work"].value`, `phoneNumbers[type eq "mobile"].value`) for a user with no such element; the RFC says `noTarget` | entra, every_client |
//! | [`remove_by_value`](Compat::remove_by_value) | Entra ID, JumpCloud: `{"op":"Remove","path":"members","value":[{"value":"id"}]}`, which must remove only those members (a literal reading empties the group); OneLogin as a safeguard | entra, onelogin, jumpcloud, every_client |
//! | [`complex_scalar_value`](Compat::complex_scalar_value) | Entra ID: `{"op":"Add","path":"urn:…:enterprise:2.0:User:manager","value":"id"}` | entra, every_client |
//! | [`empty_value_unassigns`](Compat::empty_value_unassigns) | Microsoft's SCIM Validator (Entra ID): `{"op":"replace","path":"urn:…:enterprise:2.0:User:manager","value":{"value":""}}` clears the manager | entra, every_client |
//!
//! Okta needs none: its requests (`{"op":"replace","value":{"active":false}}`, members
//! removed by `members[value eq "id"]` and added as a list) are RFC 7644 as written.
//!
//! The two `creates_filtered_element` toggles apply only when the value path's filter is
//! made of `attr eq literal` terms joined by `and` (`emails[type eq "work"]`,
//! `emails[type eq "work" and primary eq true]`) with a non-null literal on a
//! sub-attribute of the element, and those terms can all hold at once: the new element
//! is those terms, then the operation's value is written to it. Any other filter
//! (`ne`, `co`, `pr`, `or`, `not`, `type eq null`, `type eq "a" and type eq "b"`) says
//! nothing certain about the element, and a value path that matches nothing stays
//! `noTarget` (RFC 7644 §3.5.2.3). Because the element takes the filter's terms, several
//! operations on sub-attributes of one filtered element build one element.
//!
//! Member values with `"$ref": null` need no toggle: a `null` is an unassigned value
//! (RFC 7643 §2.5) and is dropped wherever it appears.
//!
//! ```
//! use scim2_core::patch::{apply, Compat, PatchRequest};
//! use scim2_core::schema::SchemaRegistry;
//! use serde_json::json;
//!
//! let registry = SchemaRegistry::standard();
//! let users = registry.resource_schema("User").unwrap();
//! let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!                   "id": "1", "userName": "ann", "active": true});
//! let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!                   "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
//! let request = PatchRequest::from_value(&body, &Compat::default())?;
//! let patched = apply(&users, &user, &request, &Compat::default())?;
//! assert_eq!(patched["active"], false);
//! # Ok::<(), scim2_core::ScimError>(())
//! ```

mod multi;
mod ops;
mod request;
mod target;

pub use request::{OpKind, PatchOperation, PatchRequest};

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::ResourceSchema;
use crate::validate::{validate_owned, Context, ValidationOptions};

/// Identity-provider compatibility toggles; see the [module docs](self) for the traffic
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

/// Applies `request` to `resource` (a resource of `schema`'s type) and returns the
/// validated result, or the first error with the failing operation's number in its
/// detail and its index and path in [`ScimError::operation_index`] and
/// [`ScimError::operation_path`]; the input is never modified.
///
/// A value of the wrong type is found when the result is validated as a whole; the
/// operation named then is the one after which the resource fails with that error
/// (none when the stored resource already did).
pub fn apply(
    schema: &ResourceSchema<'_>,
    resource: &Value,
    request: &PatchRequest,
    compat: &Compat,
) -> Result<Value, ScimError> {
    let Some(obj) = resource.as_object() else {
        return Err(ScimError::invalid_syntax(
            "the resource is not a JSON object",
        ));
    };
    let run = Run {
        schema,
        resource,
        request,
        compat,
        cap: multi::ValueCap {
            limits: request.limits,
            original: obj,
        },
        options: ValidationOptions::default()
            .with_string_booleans(compat.string_booleans)
            .with_empty_value_unassigns(compat.empty_value_unassigns)
            .with_limits(request.limits),
    };
    let doc = run.operations(request.operations.len())?;
    run.validate(doc).map_err(|e| run.locate(e))
}

/// One application of a request: what each pass over its operations needs.
struct Run<'a, 'r> {
    schema: &'a ResourceSchema<'r>,
    resource: &'a Value,
    request: &'a PatchRequest,
    compat: &'a Compat,
    cap: multi::ValueCap<'a>,
    options: ValidationOptions,
}

impl Run<'_, '_> {
    /// The resource after the first `count` operations, or the first one's error with
    /// its number in the detail and its index and path as fields.
    fn operations(&self, count: usize) -> Result<Map<String, Value>, ScimError> {
        let mut doc = self.cap.original.clone();
        for (i, op) in self.request.operations.iter().take(count).enumerate() {
            ops::apply_op(self.schema, &mut doc, op, self.compat, &self.cap).map_err(|e| {
                let path = op.path.as_deref().unwrap_or("(no path)");
                e.context(format!("operation {} ({} {path})", i + 1, op.op.as_str()))
                    .with_operation(i, op.path.as_deref())
            })?;
        }
        Ok(doc)
    }

    /// `doc` validated as the result of a PATCH of the stored resource.
    fn validate(&self, doc: Map<String, Value>) -> Result<Value, ScimError> {
        let context = Context::Patch {
            existing: self.resource,
        };
        validate_owned(self.schema, context, Value::Object(doc), &self.options)
    }

    /// `e`, the error of the whole result, with the operation that caused it: the one
    /// after which the resource first fails with `e`, found by bisecting the prefixes of
    /// the request (all of which apply, as the whole request did). Only an error takes
    /// this path, and it costs a logarithmic number of passes.
    fn locate(&self, e: ScimError) -> ScimError {
        let fails_with_e = |count: usize| {
            let result = self.operations(count).and_then(|doc| self.validate(doc));
            result.err().as_ref() == Some(&e)
        };
        // After `lo` operations the resource does not fail with `e`; after `hi` it does.
        let (mut lo, mut hi) = (0, self.request.operations.len());
        if hi == 0 || fails_with_e(0) {
            return e;
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fails_with_e(mid) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let op = &self.request.operations[hi - 1];
        e.with_operation(hi - 1, op.path.as_deref())
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

    /// The index and path of the operation that put a wrong value in, when the error is
    /// found only by validating the whole result.
    #[test]
    fn a_validation_error_names_the_operation_that_caused_it() {
        let registry = crate::schema::SchemaRegistry::standard();
        let users = registry.resource_schema("User").unwrap();
        let user = serde_json::json!({"schemas": [crate::schema::urn::USER], "id": "1",
                                      "userName": "ann"});
        let op = |path: &str, value: Value| {
            PatchOperation::new(OpKind::Replace, Some(path), Some(value))
        };
        let ops = vec![
            op("displayName", "Ann".into()),
            op("nickName", 5.into()),
            op("title", "Boss".into()),
            op("active", "perhaps".into()),
            op("locale", "en".into()),
        ];
        let e = apply(
            &users,
            &user,
            &PatchRequest::new(ops.clone()),
            &Compat::strict(),
        )
        .unwrap_err();
        let culprit = if e.attribute() == Some("nickName") {
            1
        } else {
            3
        };
        assert_eq!(e.operation_index(), Some(culprit), "{e}");
        assert_eq!(e.operation_path(), ops[culprit].path.as_deref());
        // A later operation that overwrites the bad value clears the error.
        let fixed = [
            &ops[..],
            &[op("nickName", "n".into()), op("active", true.into())],
        ]
        .concat();
        assert!(apply(&users, &user, &PatchRequest::new(fixed), &Compat::strict()).is_ok());
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
