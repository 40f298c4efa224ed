//! The audit trail's vocabulary: who acted ([`Actor`]), what happened ([`Action`]), and
//! the events a change makes, each appended by the rules inside the transaction that makes
//! the change, so that a change without its record (or a record without its change)
//! cannot be committed (docs/operations.md, "Audit trail").
//!
//! Events name attributes, never their values: a `password` a client sends is listed as
//! changed at most by name, and is never stored anywhere (RFC 7643 §4.1.1, `returned`
//! `never`).

use scim2_core::provisioner::{member_ids, RequestContext};
use serde_json::{json, Value};

use crate::store::{AuditEvent, StoreError, Tx};

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// `token:<fingerprint>`, `watcher`, `cli` or `bridge`.
    pub name: String,
    /// The request that made the change, if a request did.
    pub request_id: Option<String>,
}

impl Actor {
    /// The SCIM client of `ctx`: its principal (the Secret Token it authenticated with,
    /// by fingerprint) and its request id.
    pub fn of(ctx: &RequestContext) -> Self {
        Actor {
            name: match ctx.principal.as_ref().map(|p| p.subject.as_str()) {
                None => "anonymous".to_owned(),
                // An embedder's principal named like the bridge's own actors is still a
                // client, and named so.
                Some(s) if INTERNAL_ACTORS.contains(&s) => format!("client:{s}"),
                Some(s) => s.to_owned(),
            },
            request_id: Some(ctx.request_id.clone()).filter(|r| !r.is_empty()),
        }
    }

    /// The confirmation watcher.
    pub fn watcher() -> Self {
        Actor::named("watcher")
    }

    /// A command run by an operator (`scim-bridge invitations accept`, …).
    pub fn cli() -> Self {
        Actor::named("cli")
    }

    /// The bridge itself (the built-in groups it creates at start).
    pub fn bridge() -> Self {
        Actor::named("bridge")
    }

    fn named(name: &str) -> Self {
        Actor {
            name: name.to_owned(),
            request_id: None,
        }
    }

    /// Whether this actor is a SCIM client, whatever authenticated it (the actors the
    /// deprovisioning guard counts and holds): anyone but the bridge's own
    /// [`INTERNAL_ACTORS`].
    pub fn is_client(&self) -> bool {
        !INTERNAL_ACTORS.contains(&self.name.as_str())
    }
}

/// The actors that are the bridge itself or its operator, never a SCIM client.
pub const INTERNAL_ACTORS: [&str; 3] = ["watcher", "cli", "bridge"];

/// The prefix of the name the bridge's own authenticator gives a SCIM client
/// (`token:` and a fingerprint of the Secret Token).
pub const CLIENT_PREFIX: &str = "token:";

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// A user was created (invited to 1Password).
    UserInvited,
    /// A person accepted their invitation.
    UserAccepted,
    /// The confirmation watcher confirmed an account.
    UserConfirmed,
    /// A user's attributes changed.
    UserUpdated,
    /// A user was suspended (`active: false`).
    UserSuspended,
    /// A suspended user was restored.
    UserRestored,
    /// A user was deleted.
    UserDeleted,
    /// A group was created.
    GroupCreated,
    /// A group's `displayName` changed.
    GroupRenamed,
    /// A group's other attributes changed (`externalId`, …).
    GroupUpdated,
    /// A group was deleted.
    GroupDeleted,
    /// A member joined a group.
    MemberAdded,
    /// A member left a group.
    MemberRemoved,
    /// The Secret Token was rotated.
    TokenRotated,
    /// The deprovisioning guard held a suspension or deletion.
    DeprovisioningHeld,
    /// An operator released a held suspension or deletion (it was then applied).
    DeprovisioningReleased,
    /// An operator (or the identity provider, restoring the user) discarded one.
    DeprovisioningDiscarded,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 17] = [
        Action::UserInvited,
        Action::UserAccepted,
        Action::UserConfirmed,
        Action::UserUpdated,
        Action::UserSuspended,
        Action::UserRestored,
        Action::UserDeleted,
        Action::GroupCreated,
        Action::GroupRenamed,
        Action::GroupUpdated,
        Action::GroupDeleted,
        Action::MemberAdded,
        Action::MemberRemoved,
        Action::TokenRotated,
        Action::DeprovisioningHeld,
        Action::DeprovisioningReleased,
        Action::DeprovisioningDiscarded,
    ];

    /// The action's name, as stored and queried.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::UserInvited => "user.invited",
            Action::UserAccepted => "user.accepted",
            Action::UserConfirmed => "user.confirmed",
            Action::UserUpdated => "user.updated",
            Action::UserSuspended => "user.suspended",
            Action::UserRestored => "user.restored",
            Action::UserDeleted => "user.deleted",
            Action::GroupCreated => "group.created",
            Action::GroupRenamed => "group.renamed",
            Action::GroupUpdated => "group.updated",
            Action::GroupDeleted => "group.deleted",
            Action::MemberAdded => "member.added",
            Action::MemberRemoved => "member.removed",
            Action::TokenRotated => "token.rotated",
            Action::DeprovisioningHeld => "deprovisioning.held",
            Action::DeprovisioningReleased => "deprovisioning.released",
            Action::DeprovisioningDiscarded => "deprovisioning.discarded",
        }
    }

    /// The action named `name`, if there is one.
    pub fn parse(name: &str) -> Option<Self> {
        Action::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// One event about to be recorded: an action on a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// What happened.
    pub action: Action,
    /// The kind of resource (`User`, `Group`, `Token`).
    pub resource_type: &'static str,
    /// The resource's id.
    pub resource_id: Option<String>,
    /// The resource's `userName` or `displayName`.
    pub resource_name: Option<String>,
    /// The attributes that changed, by name.
    pub attributes: Vec<String>,
    /// For membership changes, the member's id.
    pub member: Option<String>,
}

impl Entry {
    /// `action` on the resource `resource` of type `resource_type` (its id and name read
    /// from it).
    pub fn on(action: Action, resource_type: &'static str, resource: &Value) -> Self {
        let name_attr = if resource_type == "Group" {
            "displayName"
        } else {
            "userName"
        };
        Entry {
            action,
            resource_type,
            resource_id: resource
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            resource_name: resource
                .get(name_attr)
                .and_then(Value::as_str)
                .map(str::to_owned),
            attributes: Vec::new(),
            member: None,
        }
    }

    /// The same entry naming `attributes` as changed.
    pub fn with_attributes(mut self, attributes: Vec<String>) -> Self {
        self.attributes = attributes;
        self
    }

    /// The same entry about member `member`.
    pub fn with_member(mut self, member: &str) -> Self {
        self.member = Some(member.to_owned());
        self
    }
}

/// The current time in nanoseconds since 1970.
pub fn now_nanos() -> i64 {
    i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos()).unwrap_or(i64::MAX)
}

/// Appends `entries`, made by `actor` now, to the audit trail in `tx`.
pub fn record(
    tx: &mut dyn Tx,
    actor: &Actor,
    entries: impl IntoIterator<Item = Entry>,
) -> Result<(), StoreError> {
    let at = now_nanos();
    for e in entries {
        tx.append_audit(&AuditEvent {
            seq: 0,
            at,
            request_id: actor.request_id.clone(),
            actor: actor.name.clone(),
            action: e.action.as_str().to_owned(),
            resource_type: e.resource_type.to_owned(),
            resource_id: e.resource_id,
            resource_name: e.resource_name,
            attributes: e.attributes,
            member: e.member,
        })?;
    }
    Ok(())
}

/// Attributes that never count as changed: the server's own (`id`, `meta`, `schemas`),
/// and what the rules compute when reading (a user's `groups` and account state, a
/// group's `members`, which membership events report instead).
const NOT_ATTRIBUTES: [&str; 4] = ["id", "meta", "schemas", "groups"];

/// The names of the attributes whose values differ between `old` and `new` (a missing
/// attribute differs from a present one), in order; an extension's attributes named
/// `urn…:name`. `skip` names more attributes to leave out.
pub fn changed_attributes(old: &Value, new: &Value, skip: &[&str]) -> Vec<String> {
    let empty = serde_json::Map::new();
    let (old, new) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    let mut names: Vec<String> = Vec::new();
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let leave_out = |k: &str| {
            NOT_ATTRIBUTES.iter().any(|n| n.eq_ignore_ascii_case(k))
                || skip.iter().any(|n| n.eq_ignore_ascii_case(k))
                || k.eq_ignore_ascii_case(super::EXTENSION)
        };
        if leave_out(key) {
            continue;
        }
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        match (a, b) {
            // An extension (RFC 7643 §3.3): its attributes, by qualified name.
            (Some(Value::Object(_)) | None, Some(Value::Object(_)) | None)
                if key.starts_with("urn:") =>
            {
                let inner =
                    changed_attributes(a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null), &[]);
                names.extend(inner.into_iter().map(|n| format!("{key}:{n}")));
            }
            _ => names.push(key.clone()),
        }
    }
    names
}

/// What creating `resource` (as assembled) records: the attributes it was created with
/// (`active` among them), and for a group each member added.
pub fn created(resource_type: &'static str, resource: &Value) -> Vec<Entry> {
    let attributes = changed_attributes(&json!({}), resource, &["members"]);
    if resource_type == "Group" {
        let group = Entry::on(Action::GroupCreated, "Group", resource);
        let members = member_ids(resource)
            .map(|m| Entry::on(Action::MemberAdded, "Group", resource).with_member(m));
        return std::iter::once(group.with_attributes(attributes))
            .chain(members)
            .collect();
    }
    // A user created with `active: false` is invited suspended: one record naming
    // `active`, not a suspension (the deprovisioning guard counts suspensions).
    vec![Entry::on(Action::UserInvited, "User", resource).with_attributes(attributes)]
}

/// What replacing `old` with `new` (both as assembled) records: the attributes that
/// changed, a suspension or restoration, a rename, members added and removed.
pub fn updated(resource_type: &'static str, old: &Value, new: &Value) -> Vec<Entry> {
    let mut out = Vec::new();
    if resource_type == "Group" {
        let renamed = old.get("displayName") != new.get("displayName");
        if renamed {
            out.push(
                Entry::on(Action::GroupRenamed, "Group", new)
                    .with_attributes(vec!["displayName".into()]),
            );
        }
        let others = changed_attributes(old, new, &["members", "displayName"]);
        if !others.is_empty() {
            out.push(Entry::on(Action::GroupUpdated, "Group", new).with_attributes(others));
        }
        let (before, after): (Vec<&str>, Vec<&str>) =
            (member_ids(old).collect(), member_ids(new).collect());
        let before_set: std::collections::HashSet<&str> = before.iter().copied().collect();
        let after_set: std::collections::HashSet<&str> = after.iter().copied().collect();
        for m in after.iter().filter(|m| !before_set.contains(**m)) {
            out.push(Entry::on(Action::MemberAdded, "Group", new).with_member(m));
        }
        for m in before.iter().filter(|m| !after_set.contains(**m)) {
            out.push(Entry::on(Action::MemberRemoved, "Group", new).with_member(m));
        }
        return out;
    }
    let attributes = changed_attributes(old, new, &["active"]);
    if !attributes.is_empty() {
        out.push(Entry::on(Action::UserUpdated, "User", new).with_attributes(attributes));
    }
    let active = |v: &Value| v.get("active").and_then(Value::as_bool);
    match (active(old), active(new)) {
        (Some(true) | None, Some(false)) => out.push(
            Entry::on(Action::UserSuspended, "User", new).with_attributes(vec!["active".into()]),
        ),
        (Some(false), Some(true)) => out.push(
            Entry::on(Action::UserRestored, "User", new).with_attributes(vec!["active".into()]),
        ),
        _ => {}
    }
    out
}

/// What deleting `resource` (as it was) records.
pub fn deleted(resource_type: &'static str, resource: &Value) -> Entry {
    let action = if resource_type == "Group" {
        Action::GroupDeleted
    } else {
        Action::UserDeleted
    };
    Entry::on(action, resource_type, resource)
}

/// An instant (nanoseconds since 1970) as RFC 3339 text in UTC with three digits of
/// milliseconds, always (`2026-12-01T09:00:00.120Z`), so that times line up.
pub fn instant_text(at: i64) -> String {
    use time::format_description::well_known::Rfc3339;
    let (seconds, nanos) = (at.div_euclid(1_000_000_000), at.rem_euclid(1_000_000_000));
    let Some(whole) = time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
    else {
        return String::new();
    };
    // `…:SSZ` becomes `…:SS.mmmZ`.
    let stem = whole.strip_suffix('Z').unwrap_or(&whole);
    format!("{stem}.{:03}Z", nanos / 1_000_000)
}

/// An instant written as RFC 3339 (`2026-12-01T09:00:00Z`) or as an age before `now`
/// (`24h`, `7d`, `90m`), in nanoseconds since 1970; `None` when it is neither.
pub fn parse_instant(text: &str, now: i64) -> Option<i64> {
    let text = text.trim();
    if let Some(at) = scim2_core::filter::date_time_instant(text) {
        // Past what nanoseconds in an i64 hold (years 1678–2261): the nearest end.
        return Some(i64::try_from(at).unwrap_or(if at > 0 { i64::MAX } else { i64::MIN }));
    }
    let age = humantime::parse_duration(text).ok()?;
    Some(now.saturating_sub(i64::try_from(age.as_nanos()).unwrap_or(i64::MAX)))
}

/// The events `query` selects in `store`, newest first, as JSON ([`event_json`]): what
/// `GET /audit` and the status page show.
pub fn read_json<S: crate::store::Store>(
    store: &S,
    query: &crate::store::AuditQuery,
) -> Result<Vec<Value>, StoreError> {
    store
        .read(|tx| tx.audit_events(query))
        .map(|events| events.iter().map(event_json).collect())
}

/// An audit event as JSON (`GET /audit`, `scim-bridge audit --json`, the status page).
pub fn event_json(e: &AuditEvent) -> Value {
    json!({
        "seq": e.seq,
        "at": instant_text(e.at),
        "requestId": e.request_id,
        "actor": e.actor,
        "action": e.action,
        "resourceType": e.resource_type,
        "resourceId": e.resource_id,
        "resourceName": e.resource_name,
        "attributes": e.attributes,
        "member": e.member,
    })
}

#[cfg(test)]
mod tests;
