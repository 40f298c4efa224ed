//! The resource as clients see it: the stored row plus what is computed (a user's
//! account state and groups, a group's members).

use scim2_core::ScimError;
use serde_json::{json, Map, Value};

use super::{Kind, Result};
use crate::onepassword::{is_enabled, EXTENSION, TEAM_MEMBERS};
use crate::store::{AccountState, Row, Tx};

/// The resource as clients see it: the row plus account state, groups or members.
pub(super) fn assemble(tx: &mut dyn Tx, kind: Kind, row: Row) -> Result<Value> {
    let mut v = row.data;
    let Some(obj) = v.as_object_mut() else {
        return Ok(v);
    };
    if kind == Kind::User {
        let account = tx.account(&row.id)?;
        let state = account.as_ref().map_or(AccountState::Invited, |a| a.state);
        // `active` is shown when the client assigned it, as the account state says.
        if obj.contains_key("active") {
            obj.insert("active".into(), Value::Bool(is_enabled(state)));
        }
        let mut ext = Map::new();
        ext.insert("state".into(), Value::from(state.as_str()));
        if let Some(a) = &account {
            ext.insert("stateChangedAt".into(), Value::from(a.changed_at.clone()));
        }
        obj.insert(EXTENSION.into(), Value::Object(ext));
        let mut groups: Vec<Value> =
            vec![json!({"value": TEAM_MEMBERS, "display": "Team Members", "type": "direct"})];
        for (gid, name) in tx.groups_of(&row.id)? {
            if gid != TEAM_MEMBERS {
                groups.push(json!({"value": gid, "display": name, "type": "direct"}));
            }
        }
        obj.insert("groups".into(), Value::Array(groups));
    } else if row.id != TEAM_MEMBERS {
        let members: Vec<Value> = tx
            .members(&row.id)?
            .into_iter()
            .map(|m| {
                let mut e = Map::new();
                e.insert("value".into(), Value::from(m.id));
                if let Some(k) = m.kind {
                    e.insert("type".into(), Value::from(k));
                }
                if let Some(d) = m.display {
                    e.insert("display".into(), Value::from(d));
                }
                if let Some(r) = m.reference {
                    e.insert("$ref".into(), Value::from(r));
                }
                Value::Object(e)
            })
            .collect();
        if !members.is_empty() {
            obj.insert("members".into(), Value::Array(members));
        }
    }
    Ok(v)
}

/// Assembles every row.
pub(super) fn assemble_all(tx: &mut dyn Tx, kind: Kind, rows: Vec<Row>) -> Result<Vec<Value>> {
    rows.into_iter()
        .map(|row| assemble(tx, kind, row))
        .collect()
}

/// The resource with this id, assembled.
pub(crate) fn get(tx: &mut dyn Tx, kind: Kind, id: &str) -> Result<Value> {
    let rt = kind.as_str();
    let row = tx
        .get(rt, id)?
        .ok_or_else(|| ScimError::not_found(format!("{rt} {id} not found")))?;
    assemble(tx, kind, row)
}
