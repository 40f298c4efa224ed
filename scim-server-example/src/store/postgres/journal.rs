//! The audit trail and held deprovisioning on PostgreSQL ([`Journal`] for [`PgTx`]).
//! Every write transaction holds the write lock, so appends and the guard's counts are
//! serialised across replicas as on SQLite.

use super::params::{clamp, count_of, Param};
use super::tx::PgTx;
use crate::store::journal::{audit_conditions, AuditParam};
use crate::store::{AuditEvent, AuditQuery, HeldAction, HeldChange, Journal, StoreError};

/// The columns [`event_from`] reads, in its order.
const EVENT_COLUMNS: &str =
    "seq, at, request_id, actor, action, resource_type, resource_id, resource_name, attributes, member";

fn event_from(r: &postgres::Row) -> Result<AuditEvent, postgres::Error> {
    let attributes: String = r.try_get(8)?;
    Ok(AuditEvent {
        seq: r.try_get(0)?,
        at: r.try_get(1)?,
        request_id: r.try_get(2)?,
        actor: r.try_get(3)?,
        action: r.try_get(4)?,
        resource_type: r.try_get(5)?,
        resource_id: r.try_get(6)?,
        resource_name: r.try_get(7)?,
        attributes: serde_json::from_str(&attributes).unwrap_or_default(),
        member: r.try_get(9)?,
    })
}

fn held_from(r: &postgres::Row) -> Result<HeldChange, postgres::Error> {
    let action: String = r.try_get(4)?;
    Ok(HeldChange {
        seq: r.try_get(0)?,
        at: r.try_get(1)?,
        request_id: r.try_get(2)?,
        actor: r.try_get(3)?,
        action: HeldAction::parse(&action),
        user_id: r.try_get(5)?,
        user_name: r.try_get(6)?,
    })
}

/// Text as PostgreSQL can hold it (no U+0000: a client's value is refused before it gets
/// here; a request id or name that somehow holds one is recorded without it).
fn storable(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.replace('\0', ""))
}

impl Journal for PgTx<'_, '_> {
    fn append_audit(&mut self, e: &AuditEvent) -> Result<(), StoreError> {
        let attributes = serde_json::Value::from(e.attributes.clone())
            .to_string()
            .replace("\\u0000", "");
        let (request_id, resource_id, resource_name, member) = (
            storable(&e.request_id),
            storable(&e.resource_id),
            storable(&e.resource_name),
            storable(&e.member),
        );
        self.execute(
            "INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id,
                resource_name, attributes, member) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &e.at,
                &request_id,
                &e.actor.as_str(),
                &e.action.as_str(),
                &e.resource_type.as_str(),
                &resource_id,
                &resource_name,
                &attributes,
                &member,
            ],
        )
        .map(|_| ())
    }

    fn audit_events(&mut self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let (conditions, values) = audit_conditions(q, |n| format!("${n}"));
        let values: Vec<AuditParam> = values
            .into_iter()
            .map(|v| match v {
                AuditParam::Text(t) => AuditParam::Text(t.replace('\0', "")),
                other => other,
            })
            .collect();
        let limit = clamp(q.limit);
        let mut args: Vec<&dyn Param> = values.iter().map(|v| v as &dyn Param).collect();
        args.push(&limit);
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit WHERE {conditions} ORDER BY seq DESC LIMIT ${}",
            args.len()
        );
        self.query(&sql, &args)?
            .iter()
            .map(|r| event_from(r).map_err(super::classify))
            .collect()
    }

    fn count_audit(
        &mut self,
        actions: &[&str],
        except_actors: &[&str],
        since: i64,
    ) -> Result<u64, StoreError> {
        let actions: Vec<String> = actions.iter().map(|a| (*a).to_owned()).collect();
        let except: Vec<String> = except_actors.iter().map(|a| (*a).to_owned()).collect();
        self.count_of(
            "SELECT count(*) FROM audit WHERE action = ANY($1) AND at >= $2
                AND actor <> ALL($3)",
            &[&actions, &since, &except],
        )
    }

    fn prune_audit(&mut self, before: i64, limit: u64) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM audit WHERE seq IN
                (SELECT seq FROM audit WHERE at < $1 ORDER BY at LIMIT $2)",
            &[&before, &clamp(limit)],
        )
    }

    fn hold(&mut self, h: &HeldChange) -> Result<(), StoreError> {
        let (request_id, user_name) = (storable(&h.request_id), storable(&h.user_name));
        self.execute(
            "INSERT INTO held_deprovisioning (at, request_id, actor, action, user_id, user_name)
                VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &h.at,
                &request_id,
                &h.actor.as_str(),
                &h.action.as_str(),
                &h.user_id.replace('\0', ""),
                &user_name,
            ],
        )
        .map(|_| ())
    }

    fn held(&mut self, after: i64, limit: u64) -> Result<Vec<HeldChange>, StoreError> {
        self.query(
            "SELECT seq, at, request_id, actor, action, user_id, user_name
                FROM held_deprovisioning WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after, &clamp(limit)],
        )?
        .iter()
        .map(|r| held_from(r).map_err(super::classify))
        .collect()
    }

    fn held_summary(&mut self) -> Result<(u64, Option<i64>), StoreError> {
        let rows = self.query("SELECT count(*), min(at) FROM held_deprovisioning", &[])?;
        let row = rows
            .first()
            .ok_or_else(|| StoreError::Other("count(*) returned no row".into()))?;
        let n: i64 = row.try_get(0).map_err(super::classify)?;
        let oldest: Option<i64> = row.try_get(1).map_err(super::classify)?;
        Ok((count_of(n), oldest))
    }

    fn unhold(&mut self, seq: i64) -> Result<bool, StoreError> {
        self.execute("DELETE FROM held_deprovisioning WHERE seq = $1", &[&seq])
            .map(|n| n > 0)
    }

    fn unhold_user(&mut self, user_id: &str, action: HeldAction) -> Result<u64, StoreError> {
        self.execute(
            "DELETE FROM held_deprovisioning WHERE user_id = $1 AND action = $2",
            &[&user_id.replace('\0', ""), &action.as_str()],
        )
    }

    fn is_held(&mut self, user_id: &str, action: HeldAction) -> Result<bool, StoreError> {
        self.count_of(
            "SELECT count(*) FROM held_deprovisioning WHERE user_id = $1 AND action = $2",
            &[&user_id.replace('\0', ""), &action.as_str()],
        )
        .map(|n| n > 0)
    }
}
