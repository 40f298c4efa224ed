//! The deprovisioning guard (docs/operations.md, "Deprovisioning guard"): a directory
//! mistake (a scoping filter changed, a group unassigned) makes an identity provider
//! suspend or delete hundreds of people in minutes. Past a limit of suspensions and
//! deletions within a window, further ones are held: the person stays as they are, the
//! request is answered as if it had been applied (so that the provider does not retry it
//! for ever), and an operator releases or discards what was held
//! (`scim-bridge deprovisioning release|discard`).
//!
//! The count is the audit trail's own (suspensions and deletions SCIM clients made
//! within the window), read in the write transaction, which every engine serialises: two
//! replicas cannot both let the last one through.

use std::time::Duration;

use super::audit::{self, now_nanos, Action, Actor, Entry};
use crate::store::{HeldAction, HeldChange, StoreError, Tx};

/// The guard's setting: more than `limit` suspensions or deletions within `window` and
/// further ones are held. Made with [`DeprovisionLimit::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeprovisionLimit {
    /// How many may go through within the window.
    pub limit: u64,
    /// The window.
    pub window: Duration,
}

impl DeprovisionLimit {
    /// At most `limit` suspensions and deletions within `window`.
    pub fn new(limit: u64, window: Duration) -> Self {
        DeprovisionLimit { limit, window }
    }
}

/// The actions the guard counts.
const COUNTED: [&str; 2] = [Action::UserSuspended.as_str(), Action::UserDeleted.as_str()];

/// Whether a suspension or deletion `actor` asks for now must be held: the guard is on,
/// the actor is a SCIM client (an operator's own commands are never held), and either
/// changes are held already (they stay in order: nothing overtakes them) or `limit`
/// went through within the window.
pub(crate) fn must_hold(
    tx: &mut dyn Tx,
    guard: Option<DeprovisionLimit>,
    actor: &Actor,
) -> Result<bool, StoreError> {
    let Some(guard) = guard else {
        return Ok(false);
    };
    if !actor.is_client() {
        return Ok(false);
    }
    if tx.held_summary()?.0 > 0 {
        return Ok(true);
    }
    let window = i64::try_from(guard.window.as_nanos()).unwrap_or(i64::MAX);
    let since = now_nanos().saturating_sub(window);
    Ok(tx.count_audit(&COUNTED, &audit::INTERNAL_ACTORS, since)? >= guard.limit)
}

/// Holds `action` on `user` (as assembled) asked by `actor`, and records that it was held;
/// nothing more when that change is held already (a client repeating itself).
pub(crate) fn hold(
    tx: &mut dyn Tx,
    action: HeldAction,
    user: &serde_json::Value,
    actor: &Actor,
) -> Result<(), StoreError> {
    let entry = held_entry(Action::DeprovisioningHeld, action, user);
    if tx.is_held(entry.resource_id.as_deref().unwrap_or_default(), action)? {
        return Ok(());
    }
    tx.hold(&HeldChange {
        seq: 0,
        at: now_nanos(),
        request_id: actor.request_id.clone(),
        actor: actor.name.clone(),
        action,
        user_id: entry.resource_id.clone().unwrap_or_default(),
        user_name: entry.resource_name.clone(),
    })?;
    tracing::warn!(user_id = entry.resource_id.as_deref().unwrap_or_default(), action = action.as_str(),
        "deprovisioning held: more suspensions or deletions than the limit within the window; release or discard with `scim-bridge deprovisioning`");
    audit::record(tx, actor, [entry])
}

/// The audit entry of `event` about a held `action` on `user`: a suspension names
/// `active`, a deletion no attribute.
pub(crate) fn held_entry(event: Action, action: HeldAction, user: &serde_json::Value) -> Entry {
    let attributes = match action {
        HeldAction::Suspend => vec!["active".to_owned()],
        HeldAction::Delete => Vec::new(),
    };
    Entry::on(event, "User", user).with_attributes(attributes)
}

/// What became of one held change an operator released or discarded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The change.
    pub change: HeldChange,
    /// What was done, or why it could not be applied (it stays held).
    pub result: Result<Settled, String>,
}

/// What settling one held change did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// Applied (released) or forgotten (discarded), as asked.
    Done,
    /// Released, but with nothing left to apply: the user is gone, or suspended already.
    NothingToApply,
    /// Settled meanwhile by someone else: another `deprovisioning` command, or the
    /// identity provider restoring the user.
    SettledElsewhere,
}

/// Applies (`release`) or forgets every change held when it starts, oldest first, each in its own
/// transaction with its audit records (by `actor`): a change that cannot be applied (the
/// last Owner) stays held and is reported, the others go on.
pub fn settle<S: crate::store::Store>(
    store: &S,
    policy: &super::Policy,
    actor: &Actor,
    release: bool,
) -> Result<Vec<Outcome>, StoreError> {
    // What is held now, and nothing held meanwhile: the operator decides on what they
    // saw (`deprovisioning list`), not on what arrives while this runs.
    let held = store.read(|tx| tx.held(0, u64::MAX))?;
    let mut outcomes = Vec::with_capacity(held.len());
    for change in held {
        let result = store
            .write(|tx| settle_one(tx, policy, actor, &change, release))
            .map_err(|e| match e {
                super::RuleError::Scim(e) => e.detail().to_owned(),
                super::RuleError::Store(e) => e.to_string(),
            });
        outcomes.push(Outcome { change, result });
    }
    Ok(outcomes)
}

/// [`settle`] for one change, in `tx`.
fn settle_one(
    tx: &mut dyn Tx,
    policy: &super::Policy,
    actor: &Actor,
    change: &HeldChange,
    release: bool,
) -> Result<Settled, super::RuleError> {
    use super::rules::{self, Writer};
    use super::Kind;
    if !tx.unhold(change.seq)? {
        return Ok(Settled::SettledElsewhere);
    }
    let user = serde_json::json!({"id": change.user_id, "userName": change.user_name});
    let event = if release {
        Action::DeprovisioningReleased
    } else {
        Action::DeprovisioningDiscarded
    };
    audit::record(tx, actor, [held_entry(event, change.action, &user)])?;
    if !release {
        return Ok(Settled::Done);
    }
    if !tx.exists(Kind::User.as_str(), &change.user_id)? {
        return Ok(Settled::NothingToApply);
    }
    let w = Writer::new(policy, actor);
    match change.action {
        HeldAction::Delete => rules::delete(tx, &w, Kind::User, &change.user_id, None)?,
        HeldAction::Suspend => {
            let old = rules::get(tx, Kind::User, &change.user_id)?;
            if old.get("active") == Some(&serde_json::Value::Bool(false)) {
                return Ok(Settled::NothingToApply);
            }
            let mut new = old.clone();
            new["active"] = serde_json::Value::Bool(false);
            scim2_core::meta::stamp_update(&mut new, &old);
            rules::update(tx, &w, Kind::User, &change.user_id, &old, new)?;
        }
    }
    Ok(Settled::Done)
}
