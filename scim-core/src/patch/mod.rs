//! The PATCH engine (RFC 7644 §3.5.2): applies a [`PatchRequest`] to a resource under its
//! schema, atomically, and returns the validated result.
//!
//! Any failing operation leaves the resource as it was: the engine saves each top-level
//! member before an operation first changes it, validates the changed members (types,
//! immutability, required attributes) once all operations applied, and puts the saved
//! members back on any error. [`apply`] works so on a copy of the resource and returns
//! it; [`apply_owned`] works so on the caller's resource itself.
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

mod compat;
mod journal;
mod multi;
mod ops;
mod remove;
mod request;
mod target;

pub use compat::Compat;
pub use request::{OpKind, PatchOperation, PatchRequest};

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::ResourceSchema;
use crate::validate::{
    has_urn_prefix, validate_owned, validate_patched, Context, ValidationOptions,
};
use journal::{is_touched, restore, Journal};

/// Applies `request` to `resource` (a resource of `schema`'s type) and returns the
/// validated result, or the first error with the failing operation's number in its
/// detail and its index and path in [`ScimError::operation_index`] and
/// [`ScimError::operation_path`]; the input is never modified.
///
/// A value of the wrong type is found when the result is validated as a whole; the
/// operation named then is the one after which the resource fails with that error
/// (none when the stored resource already did).
///
/// This is [`apply_owned`] on a copy of `resource`: a caller that owns the resource
/// (read from its store for this request) saves the copy with [`apply_owned`].
pub fn apply(
    schema: &ResourceSchema<'_>,
    resource: &Value,
    request: &PatchRequest,
    compat: &Compat,
) -> Result<Value, ScimError> {
    let mut patched = resource.clone();
    apply_owned(schema, &mut patched, request, compat)?;
    Ok(patched)
}

/// Applies `request` to `resource` (a resource of `schema`'s type) in place: what
/// [`apply`] returns, without copying the resource. On success `resource` is the
/// validated result; on an error (the same error [`apply`] gives) it is exactly as it
/// was, since a PATCH is applied all or none (RFC 7644 §3.5.2).
///
/// Only the top-level members an operation changes (an attribute, or an extension's
/// object) are copied, once, before the first change to each, so that an error can put
/// them back; and only they are validated, against their stored values (immutability,
/// types, required sub-attributes, one `primary`, the size bounds).
///
/// ```
/// use scim2_core::patch::{apply_owned, Compat, PatchRequest};
/// use scim2_core::schema::SchemaRegistry;
/// use serde_json::json;
///
/// let registry = SchemaRegistry::standard();
/// let users = registry.resource_schema("User").unwrap();
/// let mut user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///                       "id": "1", "userName": "ann", "active": true});
/// let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///                   "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
/// let request = PatchRequest::from_value(&body, &Compat::default())?;
/// apply_owned(&users, &mut user, &request, &Compat::default())?;
/// assert_eq!(user["active"], false);
///
/// // A request that fails leaves the resource as it was, even after an operation
/// // that succeeded: here the second one removes the required userName.
/// let before = user.clone();
/// let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///                   "Operations": [{"op": "replace", "path": "displayName", "value": "Ann"},
///                                  {"op": "remove", "path": "userName"}]});
/// let request = PatchRequest::from_value(&body, &Compat::default())?;
/// let e = apply_owned(&users, &mut user, &request, &Compat::default()).unwrap_err();
/// assert_eq!(e.operation_index(), Some(1));
/// assert_eq!(user, before);
/// # Ok::<(), scim2_core::ScimError>(())
/// ```
pub fn apply_owned(
    schema: &ResourceSchema<'_>,
    resource: &mut Value,
    request: &PatchRequest,
    compat: &Compat,
) -> Result<(), ScimError> {
    let options = validation_options(request, compat);
    let Some(obj) = resource.as_object_mut() else {
        return Err(ScimError::invalid_syntax(
            "the resource is not a JSON object",
        ));
    };
    let mut journal = Journal::new(obj);
    for (i, op) in request.operations.iter().enumerate() {
        if let Err(e) = ops::apply_op(schema, &mut journal, op, compat, request.limits) {
            journal.roll_back();
            return Err(operation_error(e, i, op));
        }
    }
    let (saved, touched) = journal.finish();
    let existing = Value::Object(saved);
    let result = validate_patched(
        schema,
        resource,
        &existing,
        |k| is_touched(&touched, k),
        |now| {
            let mut stored = now.as_object().cloned().unwrap_or_default();
            restore(
                &mut stored,
                existing.as_object().cloned().unwrap_or_default(),
                &touched,
            );
            Value::Object(stored)
        },
        &options,
    );
    let Err(e) = result else {
        return Ok(());
    };
    if let (Some(obj), Value::Object(saved)) = (resource.as_object_mut(), existing) {
        restore(obj, saved, &touched);
    }
    let run = Run {
        schema,
        resource: &*resource,
        request,
        compat,
        options,
    };
    Err(run.locate(e))
}

/// How the result of `request` is validated: as `compat` reads values, within the
/// request's limits.
fn validation_options(request: &PatchRequest, compat: &Compat) -> ValidationOptions {
    ValidationOptions::default()
        .with_string_booleans(compat.string_booleans)
        .with_empty_value_unassigns(compat.empty_value_unassigns)
        .with_limits(request.limits)
}

/// `e`, the error of operation `i`, with its number in the detail and its index and path
/// as fields.
fn operation_error(e: ScimError, i: usize, op: &PatchOperation) -> ScimError {
    let path = op.path.as_deref().unwrap_or("(no path)");
    e.context(format!("operation {} ({} {path})", i + 1, op.op.as_str()))
        .with_operation(i, op.path.as_deref())
}

/// One application of a request that failed validation: what each pass over its
/// operations needs to find the operation at fault.
struct Run<'a, 'r> {
    schema: &'a ResourceSchema<'r>,
    /// The stored resource.
    resource: &'a Value,
    request: &'a PatchRequest,
    compat: &'a Compat,
    options: ValidationOptions,
}

impl Run<'_, '_> {
    /// The stored resource as an object (empty if it is not one, which [`apply_owned`]
    /// refuses before any pass).
    fn original(&self) -> Map<String, Value> {
        self.resource.as_object().cloned().unwrap_or_default()
    }

    /// The resource after the first `count` operations, or the first one's error with
    /// its number in the detail and its index and path as fields.
    fn operations(&self, count: usize) -> Result<Map<String, Value>, ScimError> {
        let mut doc = self.original();
        let mut journal = Journal::new(&mut doc);
        for (i, op) in self.request.operations.iter().take(count).enumerate() {
            ops::apply_op(
                self.schema,
                &mut journal,
                op,
                self.compat,
                self.request.limits,
            )
            .map_err(|e| operation_error(e, i, op))?;
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

    /// `e`, the error of the whole result, with the operation that caused it. For an
    /// error about one attribute, the operation that last broke that attribute
    /// ([`Run::last_to_break`], one pass); else, or when no operation did, the one after
    /// which the resource first fails with `e`, found by bisecting the prefixes of the
    /// request (all of which apply, as the whole request did). Only an error takes this
    /// path.
    fn locate(&self, e: ScimError) -> ScimError {
        if let Some(i) = e.attribute().and_then(|a| self.last_to_break(a, &e)) {
            let op = &self.request.operations[i];
            return e.with_operation(i, op.path.as_deref());
        }
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

    /// The operation that last took `attribute`'s top-level member (the attribute, or the
    /// schema extension holding it) from a value without the error `e` to one with it,
    /// each value judged in the stored resource with only that member changed: so an
    /// error of another attribute cannot hide it, and an operation that puts the value
    /// right between two that break it is seen. `None` when the member ends without `e`
    /// that way, or no operation broke it. One pass over the operations, and one
    /// validation per operation that changes the member.
    fn last_to_break(&self, attribute: &str, e: &ScimError) -> Option<usize> {
        let key = match attribute.rfind(':') {
            Some(i) if has_urn_prefix(attribute) => &attribute[..i],
            _ => attribute.split('.').next().unwrap_or(attribute),
        };
        let member = |doc: &Map<String, Value>| {
            doc.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(k, v)| (k.clone(), v.clone()))
        };
        let original = self.resource.as_object()?;
        let fails = |value: &Option<(String, Value)>| {
            let mut doc: Map<String, Value> = original
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case(key))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if let Some((k, v)) = value {
                doc.insert(k.clone(), v.clone());
            }
            self.validate(doc).err().as_ref() == Some(e)
        };
        let mut doc = original.clone();
        let mut journal = Journal::new(&mut doc);
        let mut before = member(journal.doc());
        let mut broken = fails(&before);
        let mut culprit = None;
        for (i, op) in self.request.operations.iter().enumerate() {
            ops::apply_op(
                self.schema,
                &mut journal,
                op,
                self.compat,
                self.request.limits,
            )
            .ok()?;
            let now = member(journal.doc());
            if now != before {
                let breaks = fails(&now);
                if breaks && !broken {
                    culprit = Some(i);
                }
                (broken, before) = (breaks, now);
            }
        }
        culprit.filter(|_| broken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::SchemaRegistry;
    use proptest::prelude::*;
    use serde_json::json;

    /// The PATCH as it was done before [`apply_owned`]: every operation on a copy of the
    /// whole resource, the copy validated whole against the stored resource. The
    /// in-place path must give exactly its results.
    fn apply_by_copy(
        schema: &ResourceSchema<'_>,
        resource: &Value,
        request: &PatchRequest,
        compat: &Compat,
    ) -> Result<Value, ScimError> {
        let run = Run {
            schema,
            resource,
            request,
            compat,
            options: validation_options(request, compat),
        };
        let doc = run.operations(request.operations.len())?;
        run.validate(doc).map_err(|e| run.locate(e))
    }

    /// The RFC 7643 §8.3 enterprise user, with password, groups and certificates.
    fn full_user() -> Value {
        serde_json::from_str(include_str!(
            "../../tests/fixtures/rfc7643/enterprise-user.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `apply_owned` on a copy of `user` gives what the copying engine gives: the same
    /// value, or the same error with the copy left exactly as `user`.
    fn assert_same_as_by_copy(user: &Value, request: &PatchRequest, compat: &Compat) {
        let registry = SchemaRegistry::standard();
        let users = registry
            .resource_schema("User")
            .unwrap_or_else(|| unreachable!());
        let expected = apply_by_copy(&users, user, request, compat);
        let mut owned = user.clone();
        match (apply_owned(&users, &mut owned, request, compat), expected) {
            (Ok(()), Ok(value)) => assert_eq!(owned, value, "{request:?}"),
            (Err(e), Err(expected)) => {
                assert_eq!(e, expected, "{request:?}");
                assert_eq!(e.operation_index(), expected.operation_index());
                assert_eq!(&owned, user, "{request:?} changed the resource and failed");
            }
            (got, expected) => panic!("{request:?}: in place {got:?}, by copy {expected:?}"),
        }
        // `apply` is the in-place engine on a copy.
        let by_apply = apply(&users, user, request, compat);
        match by_apply {
            Ok(v) => assert_eq!(v, owned),
            Err(e) => assert_eq!(
                Some(e),
                apply_owned(&users, &mut user.clone(), request, compat).err()
            ),
        }
    }

    /// The Entra ID shapes of docs/clients.md (the PATCH benchmark's requests).
    fn entra_bodies() -> Vec<Value> {
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let body = |ops: Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        vec![
            body(json!([{"op": "Replace", "path": "active", "value": "False"}])),
            body(json!([{"op": "replace", "value": {
                "active": false, "name.givenName": "Ann", format!("{ext}:department"): "Sales"}}])),
            body(
                json!([{"op": "Replace", "path": "emails[type eq \"work\"].value",
                         "value": "ann@example.com"}]),
            ),
            body(
                json!([{"op": "Add", "path": "phoneNumbers[type eq \"fax\"].value",
                         "value": "555-555-0000"}]),
            ),
            body(json!([
                {"op": "Add", "path": "addresses[type eq \"other\"].locality", "value": "Seattle"},
                {"op": "Add", "path": "addresses[type eq \"other\"].postalCode", "value": "98052"}])),
            body(json!([{"op": "Add", "path": format!("{ext}:manager"),
                         "value": "26118915-6090-4610-87e4-49d8ca9f808d"}])),
            body(json!([{"op": "Remove", "path": format!("{ext}:manager")}])),
            body(json!([
                {"op": "Replace", "path": "userName", "value": "barbara@example.com"},
                {"op": "Replace", "path": "displayName", "value": "Barbara Jensen"}])),
        ]
    }

    #[test]
    fn each_entra_shape_in_place_gives_what_the_copy_gives() {
        let compat = Compat::default();
        let user = full_user();
        for body in entra_bodies() {
            let request =
                PatchRequest::from_value(&body, &compat).unwrap_or_else(|e| panic!("{e}"));
            assert_same_as_by_copy(&user, &request, &compat);
        }
        // A spot check that the shapes did something: the manager set from a bare id.
        let registry = SchemaRegistry::standard();
        let users = registry
            .resource_schema("User")
            .unwrap_or_else(|| unreachable!());
        let request =
            PatchRequest::from_value(&entra_bodies()[5], &compat).unwrap_or_else(|e| panic!("{e}"));
        let mut owned = user.clone();
        apply_owned(&users, &mut owned, &request, &compat).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            owned["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
            json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"})
        );
    }

    /// RFC 7644 §3.5.2: a request that fails changes nothing, whether an operation fails
    /// (the second, after the first changed two members) or the result does not validate.
    #[test]
    fn a_failing_request_leaves_the_owned_resource_untouched() {
        let registry = SchemaRegistry::standard();
        let users = registry
            .resource_schema("User")
            .unwrap_or_else(|| unreachable!());
        let user = full_user();
        let op =
            |kind, path: Option<&str>, value: Option<Value>| PatchOperation::new(kind, path, value);
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        for (ops, failing) in [
            // An operation's own error: readOnly `id`.
            (
                vec![
                    op(
                        OpKind::Replace,
                        None,
                        Some(json!({"displayName": "X", "nickName": "Y",
                      format!("{ext}:department"): "Z"})),
                    ),
                    op(OpKind::Replace, Some("id"), Some(json!("other"))),
                ],
                1,
            ),
            // noTarget after a change to the same attribute.
            (
                vec![
                    op(
                        OpKind::Add,
                        Some("emails"),
                        Some(json!([{"value": "n@example.com"}])),
                    ),
                    op(
                        OpKind::Replace,
                        Some("emails[type co \"none\"].display"),
                        Some(json!("x")),
                    ),
                ],
                1,
            ),
            // Found only by validation: a wrong type, and a required attribute removed.
            (
                vec![
                    op(OpKind::Replace, Some("title"), Some(json!("Boss"))),
                    op(OpKind::Replace, Some("active"), Some(json!("perhaps"))),
                ],
                1,
            ),
            (
                vec![
                    op(OpKind::Replace, Some("name.givenName"), Some(json!("Ann"))),
                    op(OpKind::Remove, Some("userName"), None),
                ],
                1,
            ),
            // Two primaries, set by the second operation.
            (
                vec![
                    op(OpKind::Remove, Some(&format!("{ext}:manager")), None),
                    op(
                        OpKind::Replace,
                        Some("emails"),
                        Some(json!([{"value": "p@example.com", "primary": true},
                                                              {"value": "q@example.com", "primary": true}])),
                    ),
                ],
                1,
            ),
        ] {
            let request = PatchRequest::new(ops);
            let mut owned = user.clone();
            let e = apply_owned(&users, &mut owned, &request, &Compat::default()).unwrap_err();
            assert_eq!(e.operation_index(), Some(failing), "{e}");
            assert_eq!(owned, user, "{e}");
            assert_same_as_by_copy(&user, &request, &Compat::default());
        }
        // A resource that is not an object is refused, and left as it is.
        let mut not_object = json!([1]);
        let request = PatchRequest::new(vec![op(OpKind::Replace, Some("title"), Some(json!("x")))]);
        assert!(apply_owned(&users, &mut not_object, &request, &Compat::default()).is_err());
        assert_eq!(not_object, json!([1]));
    }

    fn path() -> impl Strategy<Value = Option<String>> {
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let names = prop::sample::select(vec![
            "userName".to_owned(),
            "USERNAME".to_owned(),
            "displayName".to_owned(),
            "active".to_owned(),
            "name".to_owned(),
            "name.givenName".to_owned(),
            "emails".to_owned(),
            "emails.type".to_owned(),
            "emails[type eq \"work\"]".to_owned(),
            "emails[type eq \"work\"].value".to_owned(),
            "emails[primary eq true].primary".to_owned(),
            "phoneNumbers[type eq \"fax\"].value".to_owned(),
            "addresses[type eq \"other\"].locality".to_owned(),
            "groups".to_owned(),
            "id".to_owned(),
            "meta".to_owned(),
            "password".to_owned(),
            "x509Certificates".to_owned(),
            "unknownAttr".to_owned(),
            "name[givenName eq \"x\"]".to_owned(),
            ext.to_owned(),
            format!("{ext}:manager"),
            format!("{ext}:manager.value"),
            format!("{ext}:department"),
            format!("{ext}:employeeNumber"),
        ]);
        prop::option::weighted(0.85, names)
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (0..3i32).prop_map(Value::from),
            prop::sample::select(vec!["False", "true", "a@example.com", "work", "", "Sales"])
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 10, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
                prop::collection::btree_map(
                    prop::sample::select(vec![
                        "value",
                        "type",
                        "primary",
                        "givenName",
                        "active",
                        "name.familyName",
                        "displayName",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                    ]),
                    inner,
                    0..3,
                )
                .prop_map(|m| {
                    Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
                }),
            ]
        })
    }

    fn operation() -> impl Strategy<Value = PatchOperation> {
        (
            prop::sample::select(vec![OpKind::Add, OpKind::Remove, OpKind::Replace]),
            path(),
            prop::option::weighted(0.9, value()),
        )
            .prop_map(|(op, path, value)| PatchOperation::new(op, path.as_deref(), value))
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        /// Random requests on the enterprise user: in place and by copy agree, under
        /// every client's toggles and under the RFC read literally; a failed request
        /// leaves the owned resource as it was.
        #[test]
        fn in_place_and_by_copy_agree(
            ops in prop::collection::vec(operation(), 1..5),
            strict in any::<bool>(),
        ) {
            let compat = if strict { Compat::strict() } else { Compat::default() };
            assert_same_as_by_copy(&full_user(), &PatchRequest::new(ops), &compat);
        }
    }

    /// The index and path of the operation that put a wrong value in, when the error is
    /// found only by validating the whole result.
    #[test]
    fn a_validation_error_names_the_operation_that_caused_it() {
        let registry = SchemaRegistry::standard();
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
}
