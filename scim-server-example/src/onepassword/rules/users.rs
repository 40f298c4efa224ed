//! Writing users: the allowed-domain rule, the work email derived from `userName`, and
//! the account state that `active` moves (suspended, and restored to the state from
//! before the suspension).

use scim2_core::meta::now;
use scim2_core::ScimError;
use serde_json::{json, Value};

use super::owners::{is_last_owner, last_owner_error};
use super::stored::{duplicate, to_row};
use super::view::assemble;
use super::{str_at, Kind, Result, Writer};
use crate::onepassword::audit::{self, Action};
use crate::onepassword::guard::{held_entry, hold, must_hold};
use crate::onepassword::Policy;
use crate::store::{Account, AccountState, HeldAction, Tx};

/// Creates user `id` (validated, with `meta`): *invited*, or *suspended* (from invited)
/// when created with `active: false`.
pub(super) fn create(
    tx: &mut dyn Tx,
    policy: &Policy,
    id: &str,
    mut resource: Value,
) -> Result<()> {
    check_domain(policy, str_at(&resource, "userName").unwrap_or_default())?;
    derive_email(&mut resource);
    let state = if resource.get("active") == Some(&Value::Bool(false)) {
        AccountState::Suspended
    } else {
        AccountState::Invited
    };
    tx.insert(Kind::User.as_str(), &to_row(Kind::User, id, &resource)?)
        .map_err(|e| duplicate(Kind::User, e))?;
    tx.set_account(&Account {
        user_id: id.to_owned(),
        state,
        suspended_from: (state == AccountState::Suspended).then_some(AccountState::Invited),
        changed_at: now(),
    })?;
    Ok(())
}

/// Replaces user `id` given its assembled `old` form; `active` suspends (refused for the
/// last Owner) or restores the account.
pub(super) fn update(
    tx: &mut dyn Tx,
    w: &Writer<'_>,
    id: &str,
    old: &Value,
    mut new: Value,
) -> Result<Value> {
    check_domain(w.policy, str_at(&new, "userName").unwrap_or_default())?;
    let account = tx.account(id)?.unwrap_or(Account {
        user_id: id.to_owned(),
        state: AccountState::Invited,
        suspended_from: None,
        changed_at: now(),
    });
    let asked = new.get("active").and_then(Value::as_bool);
    if asked == Some(false)
        && account.state != AccountState::Suspended
        && !is_last_owner(tx, id)?
        && must_hold(tx, w.policy.deprovisioning, w.actor)?
    {
        // Held: the person stays as they are; the rest of the change applies.
        hold(tx, HeldAction::Suspend, old, w.actor)?;
        new["active"] = Value::Bool(true);
    } else if asked == Some(true)
        && w.states_active
        && w.actor.is_client()
        && tx.unhold_user(id, HeldAction::Suspend)? > 0
    {
        // The directory changed its mind before an operator released the suspension
        // (whether or not the guard is still on: what it held stays until settled).
        let entry = held_entry(Action::DeprovisioningDiscarded, HeldAction::Suspend, old);
        audit::record(tx, w.actor, [entry])?;
    }
    let next = match (new.get("active").and_then(Value::as_bool), account.state) {
        (Some(false), s) if s != AccountState::Suspended => {
            if is_last_owner(tx, id)? {
                return Err(last_owner_error(old, "suspended"));
            }
            Some(Account {
                state: AccountState::Suspended,
                suspended_from: Some(s),
                changed_at: now(),
                ..account
            })
        }
        (Some(true), AccountState::Suspended) => Some(Account {
            state: account.suspended_from.unwrap_or(AccountState::Invited),
            suspended_from: None,
            changed_at: now(),
            ..account
        }),
        _ => None,
    };
    let row = to_row(Kind::User, id, &new)?;
    tx.update(Kind::User.as_str(), &row)
        .map_err(|e| duplicate(Kind::User, e))?;
    if let Some(next) = next {
        tx.set_account(&next)?;
    }
    // Assembled from the row just written: not read back and parsed again.
    assemble(tx, Kind::User, row)
}

/// Deletes user `id`'s account record and memberships (refused for the last Owner); the
/// caller removes the row. `false` when the deprovisioning guard held the deletion
/// instead: nothing is deleted.
pub(super) fn delete(tx: &mut dyn Tx, w: &Writer<'_>, id: &str, current: &Value) -> Result<bool> {
    if is_last_owner(tx, id)? {
        return Err(last_owner_error(current, "deleted"));
    }
    if must_hold(tx, w.policy.deprovisioning, w.actor)? {
        hold(tx, HeldAction::Delete, current, w.actor)?;
        return Ok(false);
    }
    tx.remove_account(id)?;
    super::members::leave_every_group(tx, id)?;
    Ok(true)
}

/// The allowed-domain rule for `userName`.
fn check_domain(policy: &Policy, user_name: &str) -> Result<()> {
    if policy.allowed_domains.is_empty() {
        return Ok(());
    }
    let domain = user_name.rsplit_once('@').map(|(_, d)| d.to_lowercase());
    let allowed = domain.as_deref().is_some_and(|d| {
        policy
            .allowed_domains
            .iter()
            .any(|a| a.eq_ignore_ascii_case(d))
    });
    if allowed {
        Ok(())
    } else {
        Err(ScimError::invalid_value(format!(
            "userName \"{user_name}\" must be an email address in one of the allowed domains: {}",
            policy.allowed_domains.join(", ")
        ))
        .into())
    }
}

/// RFC 7643 gives no emails? Derive the work email from an email-shaped `userName`.
fn derive_email(resource: &mut Value) {
    let has_emails = resource
        .get("emails")
        .is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty()));
    let Some(user_name) = str_at(resource, "userName")
        .filter(|u| u.contains('@'))
        .map(str::to_owned)
    else {
        return;
    };
    if !has_emails {
        resource["emails"] = json!([{"value": user_name, "type": "work", "primary": true}]);
    }
}
