//! What the store keeps about changes beside the resources: the audit trail (every change
//! the bridge makes, written in the transaction that makes it) and the deprovisioning
//! held by the guard until an operator releases or discards it (docs/operations.md,
//! "Audit trail" and "Deprovisioning guard").

use super::StoreError;

/// One change recorded in the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Its position in the trail (assigned by the store; ignored when appending).
    pub seq: i64,
    /// When it happened, in nanoseconds since 1970 (UTC).
    pub at: i64,
    /// The request that made it, if a request did.
    pub request_id: Option<String>,
    /// Who made it: `token:<fingerprint>` (a SCIM client, by the Secret Token it used),
    /// `watcher`, `cli` or `bridge` (the bridge itself, at start).
    pub actor: String,
    /// What happened (`user.invited`, `member.added`, …; see
    /// `crate::onepassword::audit::Action`).
    pub action: String,
    /// The kind of resource changed (`User`, `Group`, `Token`).
    pub resource_type: String,
    /// The resource's id, if it has one.
    pub resource_id: Option<String>,
    /// The resource's `userName` or `displayName`, if it has one.
    pub resource_name: Option<String>,
    /// The names of the attributes that changed (never their values).
    pub attributes: Vec<String>,
    /// For membership changes, the member's id.
    pub member: Option<String>,
}

/// Which audit events a query reads: newest first, at most `limit`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditQuery {
    /// Only events at or after this instant (nanoseconds since 1970).
    pub since: Option<i64>,
    /// Only events before this instant.
    pub until: Option<i64>,
    /// Only events on this kind of resource (`User`, `Group`, `Token`).
    pub resource_type: Option<String>,
    /// Only events on the resource with this id, or this name (case-insensitively), and
    /// the membership changes of that resource (as a member).
    pub resource: Option<String>,
    /// Only events with this action.
    pub action: Option<String>,
    /// Only events older than the one at this position (the next page).
    pub before: Option<i64>,
    /// The most events to read.
    pub limit: u64,
}

/// A suspension or deletion the deprovisioning guard held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldChange {
    /// Its position (assigned by the store; ignored when holding).
    pub seq: i64,
    /// When it was held, in nanoseconds since 1970.
    pub at: i64,
    /// The request that asked for it.
    pub request_id: Option<String>,
    /// Who asked for it (see [`AuditEvent::actor`]).
    pub actor: String,
    /// What was asked.
    pub action: HeldAction,
    /// The user's id.
    pub user_id: String,
    /// The user's `userName`.
    pub user_name: Option<String>,
}

/// What a held change would do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeldAction {
    /// Suspend the user (`active: false`).
    Suspend,
    /// Delete the user.
    Delete,
}

impl HeldAction {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            HeldAction::Suspend => "suspend",
            HeldAction::Delete => "delete",
        }
    }

    /// Reads a stored name (an unknown one reads as a suspension, the milder change).
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "delete" => HeldAction::Delete,
            _ => HeldAction::Suspend,
        }
    }
}

/// The audit trail and held changes, inside a transaction (every [`super::Tx`] is one).
pub trait Journal {
    /// Appends `event` to the audit trail.
    fn append_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError>;
    /// The events `query` selects, newest first.
    fn audit_events(&mut self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
    /// How many events with one of `actions`, by an actor not in `except_actors`,
    /// happened at or after `since`.
    fn count_audit(
        &mut self,
        actions: &[&str],
        except_actors: &[&str],
        since: i64,
    ) -> Result<u64, StoreError>;
    /// Deletes at most `limit` of the events older than `before`; how many it deleted.
    fn prune_audit(&mut self, before: i64, limit: u64) -> Result<u64, StoreError>;
    /// Keeps a held change.
    fn hold(&mut self, change: &HeldChange) -> Result<(), StoreError>;
    /// At most `limit` held changes after the one at position `after` (0: from the
    /// first), oldest first.
    fn held(&mut self, after: i64, limit: u64) -> Result<Vec<HeldChange>, StoreError>;
    /// How many changes are held, and when the oldest was.
    fn held_summary(&mut self) -> Result<(u64, Option<i64>), StoreError>;
    /// Forgets the held change at `seq` (released or discarded); whether it was there.
    fn unhold(&mut self, seq: i64) -> Result<bool, StoreError>;
    /// Whether a change of `action` on user `user_id` is held.
    fn is_held(&mut self, user_id: &str, action: HeldAction) -> Result<bool, StoreError>;
    /// Forgets the held changes of `action` on user `user_id`; how many there were.
    fn unhold_user(&mut self, user_id: &str, action: HeldAction) -> Result<u64, StoreError>;
}

/// A value [`audit_conditions`] binds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AuditParam {
    /// An instant or a position.
    Integer(i64),
    /// A name.
    Text(String),
}

/// The `WHERE` condition of an [`AuditQuery`] (without its limit) in either engine's SQL,
/// with its placeholders numbered from 1 and written by `placeholder`, and their values.
pub(crate) fn audit_conditions(
    q: &AuditQuery,
    placeholder: impl Fn(usize) -> String,
) -> (String, Vec<AuditParam>) {
    let mut conditions = vec!["TRUE".to_owned()];
    let mut values = Vec::new();
    let mut add = |sql: &str, value: AuditParam| {
        values.push(value);
        conditions.push(sql.replace('#', &placeholder(values.len())));
    };
    if let Some(since) = q.since {
        add("at >= #", AuditParam::Integer(since));
    }
    if let Some(until) = q.until {
        add("at < #", AuditParam::Integer(until));
    }
    if let Some(before) = q.before {
        add("seq < #", AuditParam::Integer(before));
    }
    if let Some(rt) = &q.resource_type {
        add("resource_type = #", AuditParam::Text(rt.clone()));
    }
    if let Some(action) = &q.action {
        add("action = #", AuditParam::Text(action.clone()));
    }
    if let Some(resource) = &q.resource {
        // The resource itself, and the memberships it joined or left (by its id, or
        // by the id of the user that had this name).
        add(
            "(resource_id = # OR lower(resource_name) = lower(#) OR member = #
              OR member IN (SELECT resource_id FROM audit
                            WHERE lower(resource_name) = lower(#) AND resource_type = 'User'))",
            AuditParam::Text(resource.clone()),
        );
    }
    (conditions.join(" AND "), values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_number_their_placeholders_and_reuse_one_per_value() {
        let q = AuditQuery {
            since: Some(5),
            resource: Some("Alice@Example.com".into()),
            limit: 10,
            ..AuditQuery::default()
        };
        let (sql, values) = audit_conditions(&q, |n| format!("${n}"));
        assert!(
            sql.starts_with("TRUE AND at >= $1 AND (resource_id = $2 OR"),
            "{sql}"
        );
        assert!(!sql.contains("$3"), "one placeholder per value: {sql}");
        assert_eq!(
            values,
            [
                AuditParam::Integer(5),
                AuditParam::Text("Alice@Example.com".into())
            ]
        );
        assert_eq!(
            audit_conditions(&AuditQuery::default(), |n| format!("?{n}")).0,
            "TRUE"
        );
    }
}
