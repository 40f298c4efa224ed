//! Account states moved outside SCIM requests: a person accepting their invitation
//! (*invited* → *pending*), the confirmation watcher (*pending* → *active*), and the
//! counts `/health` shows.

use std::collections::HashMap;

use scim2_core::meta::now;
use scim2_core::ScimError;
use serde_json::Value;

use super::stored::stored_row;
use super::view::assemble;
use super::{Kind, Result};
use crate::onepassword::audit::{self, Action, Actor, Entry};
use crate::store::{AccountState, Tx};

/// Rewrites a user's `meta` after a state change made outside a request, so that clients
/// see a new version: what is stored is kept as it is ([`stored_row`], nothing refused),
/// so that no stored value can stop a confirmation. Records `action` by `actor`.
fn touch_user(tx: &mut dyn Tx, id: &str, action: Action, actor: &Actor) -> Result<()> {
    let Some(row) = tx.get(Kind::User.as_str(), id)? else {
        return Ok(());
    };
    let old = assemble(tx, Kind::User, row)?;
    let mut new = old.clone();
    new["meta"]["lastModified"] = Value::from(now());
    let mut probe = old.clone();
    probe["meta"] = Value::Null;
    new["meta"]["version"] = Value::from(scim2_core::version::weak_etag(&probe));
    tx.update(Kind::User.as_str(), &stored_row(Kind::User, id, &new))?;
    let state = format!("{}:state", crate::onepassword::EXTENSION);
    audit::record(
        tx,
        actor,
        [Entry::on(action, "User", &new).with_attributes(vec![state])],
    )?;
    Ok(())
}

/// A person accepted their invitation: *invited* becomes *pending* (recorded as done by
/// `actor`). Returns the state the account is in afterwards.
pub fn accept_invitation(tx: &mut dyn Tx, user_name: &str, actor: &Actor) -> Result<AccountState> {
    let row = tx
        .find_unique(Kind::User.as_str(), &user_name.to_lowercase())?
        .ok_or_else(|| ScimError::not_found(format!("no user with userName {user_name}")))?;
    let mut account = tx
        .account(&row.id)?
        .ok_or_else(|| ScimError::not_found(format!("{user_name} has no account record")))?;
    match account.state {
        AccountState::Invited => {
            account.state = AccountState::Pending;
            account.changed_at = now();
            tx.set_account(&account)?;
            touch_user(tx, &row.id, Action::UserAccepted, actor)?;
        }
        AccountState::Suspended if account.suspended_from == Some(AccountState::Invited) => {
            account.suspended_from = Some(AccountState::Pending);
            tx.set_account(&account)?;
            let entry = Entry::on(Action::UserAccepted, "User", &row.data);
            audit::record(tx, actor, [entry])?;
        }
        _ => {}
    }
    Ok(account.state)
}

/// How many pending accounts one [`confirm_pending`] transaction confirms, so that the
/// watcher never holds the write lock for long.
pub const CONFIRM_BATCH: u64 = 256;

/// The confirmation watcher's work, one batch: up to [`CONFIRM_BATCH`] *pending*
/// accounts become *active* (each recorded as done by `actor`). Returns the user ids
/// confirmed; fewer than a batch means none are left.
pub fn confirm_pending(tx: &mut dyn Tx, actor: &Actor) -> Result<Vec<String>> {
    let pending = tx.accounts_in(AccountState::Pending, CONFIRM_BATCH)?;
    let mut confirmed = Vec::with_capacity(pending.len());
    for mut account in pending {
        account.state = AccountState::Active;
        account.changed_at = now();
        tx.set_account(&account)?;
        touch_user(tx, &account.user_id, Action::UserConfirmed, actor)?;
        confirmed.push(account.user_id);
    }
    Ok(confirmed)
}

/// How many accounts are in each state.
pub fn state_counts(tx: &mut dyn Tx) -> Result<HashMap<&'static str, u64>> {
    let mut out = HashMap::new();
    for s in AccountState::ALL {
        out.insert(s.as_str(), tx.count_accounts(s)?);
    }
    Ok(out)
}
