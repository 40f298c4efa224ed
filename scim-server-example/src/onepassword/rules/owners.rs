//! The last-Owner rule: the account always keeps an enabled Owner, so the last one can be
//! neither suspended nor deleted, nor removed from Owners.

use serde_json::Value;

use super::{forbidden, str_at, Result};
use crate::onepassword::{is_enabled, RuleError, OWNERS};
use crate::store::Tx;

/// The members of Owners whose accounts are enabled (not suspended).
fn enabled_owners(tx: &mut dyn Tx) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for m in tx.members(OWNERS)? {
        if tx.account(&m.id)?.is_some_and(|a| is_enabled(a.state)) {
            out.push(m.id);
        }
    }
    Ok(out)
}

/// Whether `user_id` is an Owner and no other enabled Owner remains.
pub(super) fn is_last_owner(tx: &mut dyn Tx, user_id: &str) -> Result<bool> {
    if !tx.has_member(OWNERS, user_id)? {
        return Ok(false);
    }
    Ok(enabled_owners(tx)?.iter().all(|o| o == user_id))
}

/// 403: `user` is the last Owner and cannot be `action` (suspended, deleted, …).
pub(super) fn last_owner_error(user: &Value, action: &str) -> RuleError {
    forbidden(format!(
        "{} is the account's last Owner and cannot be {action}; make someone else an Owner first",
        str_at(user, "userName").unwrap_or("this user")
    ))
}

/// Runs `change`, a change of `group_id`'s members, refusing it (403, rolled back with
/// the transaction) when it removes the last enabled Owner from Owners: the last-Owner
/// rule holds for membership as for suspension and deletion.
pub(super) fn keeping_an_owner<T>(
    tx: &mut dyn Tx,
    group_id: &str,
    change: impl FnOnce(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    if group_id != OWNERS {
        return change(tx);
    }
    let before = enabled_owners(tx)?;
    let out = change(tx)?;
    if let Some(last) = before.first() {
        if enabled_owners(tx)?.is_empty() {
            let user = tx.get("User", last)?.map(|r| r.data).unwrap_or_default();
            return Err(last_owner_error(&user, "removed from Owners"));
        }
    }
    Ok(out)
}
