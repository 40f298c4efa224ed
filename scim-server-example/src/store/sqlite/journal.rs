//! The audit trail and held deprovisioning on SQLite ([`Journal`] for [`SqliteTx`]).

use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter};

use super::classify;
use super::tx::SqliteTx;
use crate::store::journal::{audit_conditions, AuditParam};
use crate::store::{AuditEvent, AuditQuery, HeldAction, HeldChange, Journal, StoreError};

/// The columns [`event_from`] reads, in its order.
const EVENT_COLUMNS: &str =
    "seq, at, request_id, actor, action, resource_type, resource_id, resource_name, attributes, member";

fn event_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEvent> {
    let attributes: String = r.get(8)?;
    Ok(AuditEvent {
        seq: r.get(0)?,
        at: r.get(1)?,
        request_id: r.get(2)?,
        actor: r.get(3)?,
        action: r.get(4)?,
        resource_type: r.get(5)?,
        resource_id: r.get(6)?,
        resource_name: r.get(7)?,
        attributes: serde_json::from_str(&attributes).unwrap_or_default(),
        member: r.get(9)?,
    })
}

fn held_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<HeldChange> {
    let action: String = r.get(4)?;
    Ok(HeldChange {
        seq: r.get(0)?,
        at: r.get(1)?,
        request_id: r.get(2)?,
        actor: r.get(3)?,
        action: HeldAction::parse(&action),
        user_id: r.get(5)?,
        user_name: r.get(6)?,
    })
}

impl Journal for SqliteTx<'_> {
    fn append_audit(&mut self, e: &AuditEvent) -> Result<(), StoreError> {
        let attributes = serde_json::Value::from(e.attributes.clone()).to_string();
        self.tx
            .prepare_cached(
                "INSERT INTO audit (at, request_id, actor, action, resource_type, resource_id,
                    resource_name, attributes, member) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    e.at,
                    e.request_id,
                    e.actor,
                    e.action,
                    e.resource_type,
                    e.resource_id,
                    e.resource_name,
                    attributes,
                    e.member
                ])
            })
            .map(|_| ())
            .map_err(classify)
    }

    fn audit_events(&mut self, q: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let (conditions, values) = audit_conditions(q, |n| format!("?{n}"));
        let mut args: Vec<SqlValue> = values
            .iter()
            .map(|v| match v {
                AuditParam::Integer(i) => SqlValue::Integer(*i),
                AuditParam::Text(t) => SqlValue::Text(t.clone()),
            })
            .collect();
        args.push(SqlValue::Integer(
            i64::try_from(q.limit).unwrap_or(i64::MAX),
        ));
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM audit WHERE {conditions} ORDER BY seq DESC LIMIT ?{}",
            args.len()
        );
        let mut stmt = self.tx.prepare_cached(&sql).map_err(classify)?;
        let rows = stmt
            .query_map(params_from_iter(args), event_from)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(classify)?;
        Ok(rows)
    }

    fn count_audit(
        &mut self,
        actions: &[&str],
        except_actors: &[&str],
        since: i64,
    ) -> Result<u64, StoreError> {
        let actions = serde_json::Value::from(actions.to_vec()).to_string();
        let except = serde_json::Value::from(except_actors.to_vec()).to_string();
        let n: i64 = self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM audit WHERE action IN (SELECT value FROM json_each(?1))
                    AND at >= ?2 AND actor NOT IN (SELECT value FROM json_each(?3))",
            )
            .and_then(|mut s| s.query_row(params![actions, since, except], |r| r.get(0)))
            .map_err(classify)?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    fn prune_audit(&mut self, before: i64, limit: u64) -> Result<u64, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.tx
            .prepare_cached(
                "DELETE FROM audit WHERE seq IN
                    (SELECT seq FROM audit WHERE at < ?1 ORDER BY at LIMIT ?2)",
            )
            .and_then(|mut s| s.execute(params![before, limit]))
            .map(|n| n as u64)
            .map_err(classify)
    }

    fn hold(&mut self, h: &HeldChange) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO held_deprovisioning (at, request_id, actor, action, user_id, user_name)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    h.at,
                    h.request_id,
                    h.actor,
                    h.action.as_str(),
                    h.user_id,
                    h.user_name
                ])
            })
            .map(|_| ())
            .map_err(classify)
    }

    fn held(&mut self, after: i64, limit: u64) -> Result<Vec<HeldChange>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT seq, at, request_id, actor, action, user_id, user_name
                    FROM held_deprovisioning WHERE seq > ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(classify)?;
        let rows = stmt
            .query_map(params![after, limit], held_from)
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(classify)?;
        Ok(rows)
    }

    fn held_summary(&mut self) -> Result<(u64, Option<i64>), StoreError> {
        self.tx
            .prepare_cached("SELECT count(*), min(at) FROM held_deprovisioning")
            .and_then(|mut s| {
                s.query_row([], |r| {
                    Ok((
                        u64::try_from(r.get::<_, i64>(0)?).unwrap_or_default(),
                        r.get(1)?,
                    ))
                })
            })
            .map_err(classify)
    }

    fn unhold(&mut self, seq: i64) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached("DELETE FROM held_deprovisioning WHERE seq = ?1")
            .and_then(|mut s| s.execute(params![seq]))
            .map(|n| n > 0)
            .map_err(classify)
    }

    fn unhold_user(&mut self, user_id: &str, action: HeldAction) -> Result<u64, StoreError> {
        self.tx
            .prepare_cached("DELETE FROM held_deprovisioning WHERE user_id = ?1 AND action = ?2")
            .and_then(|mut s| s.execute(params![user_id, action.as_str()]))
            .map(|n| n as u64)
            .map_err(classify)
    }

    fn is_held(&mut self, user_id: &str, action: HeldAction) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM held_deprovisioning WHERE user_id = ?1 AND action = ?2)",
            )
            .and_then(|mut s| s.query_row(params![user_id, action.as_str()], |r| r.get(0)))
            .map_err(classify)
    }
}
