//! The resource as clients see it: the stored row plus what is computed (a user's
//! account state and groups, a group's members).

use std::collections::HashMap;

use scim2_core::ScimError;
use serde_json::{json, Map, Value};

use super::{Kind, Result};
use crate::onepassword::{is_enabled, EXTENSION, TEAM_MEMBERS};
use crate::store::{Account, AccountState, Row, Tx};

/// The resource as clients see it: the row plus account state, groups or members.
pub(super) fn assemble(tx: &mut dyn Tx, kind: Kind, row: Row) -> Result<Value> {
    let mut all = assemble_all(tx, kind, vec![row])?;
    Ok(all.pop().unwrap_or(Value::Null))
}

/// Assembles every row; a page of users with one query for their account records and
/// one for their groups, whatever its length.
pub(super) fn assemble_all(tx: &mut dyn Tx, kind: Kind, rows: Vec<Row>) -> Result<Vec<Value>> {
    if kind == Kind::Group {
        return rows.into_iter().map(|row| group_view(tx, row)).collect();
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut accounts: HashMap<String, Account> = tx
        .accounts_of(&ids)?
        .into_iter()
        .map(|a| (a.user_id.clone(), a))
        .collect();
    let mut groups: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for (member, group, name) in tx.groups_of_each(&ids)? {
        groups.entry(member).or_default().push((group, name));
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let account = accounts.remove(&row.id);
            let groups = groups.remove(&row.id).unwrap_or_default();
            user_view(row, account, groups)
        })
        .collect())
}

/// A user as clients see it: `active` as the account state says (when the client
/// assigned it), the state in [`EXTENSION`], and the groups (Team Members first).
fn user_view(row: Row, account: Option<Account>, member_of: Vec<(String, String)>) -> Value {
    let mut v = row.data;
    let Some(obj) = v.as_object_mut() else {
        return v;
    };
    let state = account.as_ref().map_or(AccountState::Invited, |a| a.state);
    if obj.contains_key("active") {
        obj.insert("active".into(), Value::Bool(is_enabled(state)));
    }
    let mut ext = Map::new();
    ext.insert("state".into(), Value::from(state.as_str()));
    if let Some(a) = account {
        ext.insert("stateChangedAt".into(), Value::from(a.changed_at));
    }
    obj.insert(EXTENSION.into(), Value::Object(ext));
    let mut groups: Vec<Value> =
        vec![json!({"value": TEAM_MEMBERS, "display": "Team Members", "type": "direct"})];
    for (gid, name) in member_of {
        if gid != TEAM_MEMBERS {
            groups.push(json!({"value": gid, "display": name, "type": "direct"}));
        }
    }
    obj.insert("groups".into(), Value::Array(groups));
    v
}

/// A group as clients see it: with its members (Team Members lists none: every user is
/// one).
fn group_view(tx: &mut dyn Tx, row: Row) -> Result<Value> {
    let mut v = row.data;
    if row.id == TEAM_MEMBERS {
        return Ok(v);
    }
    let Some(obj) = v.as_object_mut() else {
        return Ok(v);
    };
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
    Ok(v)
}

/// The resource with this id, assembled.
pub(crate) fn get(tx: &mut dyn Tx, kind: Kind, id: &str) -> Result<Value> {
    let rt = kind.as_str();
    let row = tx
        .get(rt, id)?
        .ok_or_else(|| ScimError::not_found(format!("{rt} {id} not found")))?;
    assemble(tx, kind, row)
}
