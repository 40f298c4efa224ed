//! The account rules, each run inside one store transaction, on a resource whose
//! [`Kind`] was parsed once at the provisioner's boundary.
//!
//! - [`stored`]: the row a resource is stored as (passwords and client copies of the
//!   server's extension never stored);
//! - [`view`]: the resource as clients see it (account state, groups, members);
//! - [`users`]: allowed domains, the derived email, suspension and restoration;
//! - [`groups`]: the built-in groups and whole-group replacement;
//! - [`members`]: member checks, acyclic membership, members-only PATCHes;
//! - [`owners`]: the last-Owner rule;
//! - [`accounts`]: invitations accepted, confirmations, state counts;
//! - [`list`]: query plans, pages in SQL and bounded scans;
//! - [`select`]: filters as SQL selections, with conditions on the indexed columns.

mod accounts;
mod groups;
mod list;
mod members;
mod owners;
mod select;
mod stored;
mod users;
mod view;

#[cfg(test)]
mod tests;

use http::StatusCode;
use scim2_core::ScimError;
use serde_json::Value;

use super::audit::{self, Actor};
use super::kind::Kind;
use super::{Policy, RuleError};
use crate::store::Tx;

pub use accounts::{accept_invitation, confirm_pending, state_counts, CONFIRM_BATCH};
pub(crate) use groups::ensure_builtin_groups;
pub(crate) use list::{list, plan, HeldLimits, Plan};
pub(crate) use members::{member_changes, patch_members};
pub(crate) use view::get;

type Result<T> = std::result::Result<T, RuleError>;

/// Who writes and under which rules: the account policy (with the deprovisioning guard)
/// and the actor the audit trail names.
pub(crate) struct Writer<'a> {
    /// The account policy.
    pub(crate) policy: &'a Policy,
    /// Who makes the change.
    pub(crate) actor: &'a Actor,
    /// Whether the request states `active` itself (a PUT's whole resource, a PATCH with
    /// an operation on `active`), rather than carrying the value it read: only such a
    /// request restores a person whose suspension the deprovisioning guard holds.
    pub(crate) states_active: bool,
}

impl<'a> Writer<'a> {
    /// `actor` writing under `policy`, stating `active` if the resource has it.
    pub(crate) fn new(policy: &'a Policy, actor: &'a Actor) -> Self {
        Writer {
            policy,
            actor,
            states_active: true,
        }
    }

    /// The same writer for a PATCH whose operations do (`true`) or do not touch `active`.
    pub(crate) fn stating_active(mut self, states: bool) -> Self {
        self.states_active = states;
        self
    }
}

/// Whether a PATCH's operations touch `active` (RFC 7644 §3.5.2): a path naming it (with
/// or without the User schema's URN, in any case), or an operation without a path whose
/// value holds it (at the top, or under the User schema's URN).
pub(crate) fn patch_touches_active(request: &scim2_core::patch::PatchRequest) -> bool {
    let core = scim2_core::schema::urn::USER.to_ascii_lowercase();
    let names_active = |name: &str| {
        let name = name.trim().to_ascii_lowercase();
        name == "active" || name == format!("{core}:active")
    };
    request
        .operations
        .iter()
        .any(|op| match op.path.as_deref() {
            Some(path) => names_active(path),
            None => op
                .value
                .as_ref()
                .and_then(Value::as_object)
                .is_some_and(|v| {
                    v.iter().any(|(k, inner)| {
                        names_active(k)
                            || (k.eq_ignore_ascii_case(&core)
                                && inner
                                    .as_object()
                                    .is_some_and(|o| o.keys().any(|k| names_active(k))))
                    })
                }),
        })
}

/// The string member `name` of `v`.
fn str_at<'v>(v: &'v Value, name: &str) -> Option<&'v str> {
    v.get(name).and_then(Value::as_str)
}

/// 403 with `detail`.
fn forbidden(detail: String) -> RuleError {
    ScimError::new(StatusCode::FORBIDDEN, None, detail).into()
}

/// Creates a resource (validated, with `id` and `meta`), recording it in the audit trail.
pub(crate) fn create(
    tx: &mut dyn Tx,
    w: &Writer<'_>,
    kind: Kind,
    resource: Value,
) -> Result<Value> {
    let id = str_at(&resource, "id").unwrap_or_default().to_owned();
    match kind {
        Kind::User => users::create(tx, w.policy, &id, resource)?,
        Kind::Group => groups::create(tx, &id, &resource)?,
    }
    let created = get(tx, kind, &id)?;
    audit::record(tx, w.actor, audit::created(kind.as_str(), &created))?;
    Ok(created)
}

/// Replaces a resource (after a PUT's validation or a PATCH) given its assembled old form,
/// recording what changed in the audit trail.
pub(crate) fn update(
    tx: &mut dyn Tx,
    w: &Writer<'_>,
    kind: Kind,
    id: &str,
    old: &Value,
    new: Value,
) -> Result<Value> {
    let updated = match kind {
        Kind::User => users::update(tx, w, id, old, new)?,
        Kind::Group => {
            groups::update(tx, id, &new)?;
            get(tx, kind, id)?
        }
    };
    audit::record(tx, w.actor, audit::updated(kind.as_str(), old, &updated))?;
    Ok(updated)
}

/// The write half of a PATCH whose engine ran outside any transaction on `old` (read
/// earlier): writes `next` only if the resource is still at `old`'s version, and returns
/// it (`Ok`). When another writer got in between and the client sent no If-Match, returns
/// the resource as it is now (`Err`), read in this transaction, for the caller to apply
/// the PATCH to again: a write not yet committed (a group commit still open) is seen
/// here though not yet by the read connections. 412 when the client sent If-Match.
pub(crate) fn update_if_current(
    tx: &mut dyn Tx,
    w: &Writer<'_>,
    kind: Kind,
    id: &str,
    old: &Value,
    next: Value,
    expected: Option<&str>,
) -> Result<std::result::Result<Value, Value>> {
    let rt = kind.as_str();
    // The stored version alone, not the (possibly large) row parsed.
    let current = tx
        .version(rt, id)?
        .ok_or_else(|| ScimError::not_found(format!("{rt} {id} not found")))?;
    if current.as_deref() != scim2_core::meta::version_of(old) {
        if let (Some(expected), Some(current)) = (expected, current.as_deref()) {
            return Err(ScimError::precondition_failed(expected, current).into());
        }
        return get(tx, kind, id).map(Err);
    }
    update(tx, w, kind, id, old, next).map(Ok)
}

/// Deletes a resource, recording it in the audit trail; a user's deletion past the
/// deprovisioning guard's limit is held instead (the caller answers as if deleted).
pub(crate) fn delete(
    tx: &mut dyn Tx,
    w: &Writer<'_>,
    kind: Kind,
    id: &str,
    expected: Option<&str>,
) -> Result<()> {
    let current = get(tx, kind, id)?;
    scim2_core::meta::check_version(&current, expected)?;
    match kind {
        Kind::User => {
            if !users::delete(tx, w, id, &current)? {
                return Ok(());
            }
        }
        Kind::Group => groups::delete(tx, id)?,
    }
    tx.remove(kind.as_str(), id)?;
    audit::record(tx, w.actor, [audit::deleted(kind.as_str(), &current)])?;
    Ok(())
}
