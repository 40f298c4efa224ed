//! Writing groups: the built-in groups (present from the start, never deleted or renamed)
//! and a group's members replaced as a whole (PUT, or a PATCH the general engine ran).

use std::collections::{HashMap, HashSet};

use scim2_core::meta::stamp_new;
use scim2_core::schema::urn;
use scim2_core::ScimError;
use serde_json::{json, Value};

use super::members::member_rows;
use super::owners::keeping_an_owner;
use super::stored::{duplicate, to_row};
use super::{forbidden, str_at, Kind, Result};
use crate::onepassword::audit::{self, Action, Actor, Entry};
use crate::onepassword::{BUILTIN_GROUPS, TEAM_MEMBERS};
use crate::store::{MemberRow, Row, Tx};

fn builtin_name(id: &str) -> Option<&'static str> {
    BUILTIN_GROUPS
        .iter()
        .find(|(b, _)| *b == id)
        .map(|(_, n)| *n)
}

/// Creates the built-in groups that are missing (recorded as done by the bridge).
pub(crate) fn ensure_builtin_groups(tx: &mut dyn Tx) -> Result<()> {
    for (id, name) in BUILTIN_GROUPS {
        if tx.get(Kind::Group.as_str(), id)?.is_none() {
            let mut data = json!({"schemas": [urn::GROUP], "displayName": name});
            stamp_new(&mut data, "Group", id);
            let row = Row {
                id: id.to_owned(),
                data,
                unique_key: Some(name.to_lowercase()),
                external_id: None,
            };
            tx.insert(Kind::Group.as_str(), &row)?;
            let created = Entry::on(Action::GroupCreated, "Group", &row.data);
            audit::record(
                tx,
                &Actor::bridge(),
                [created.with_attributes(vec!["displayName".into()])],
            )?;
        }
    }
    Ok(())
}

/// Creates group `id` (validated, with `meta`) with the members it lists.
pub(super) fn create(tx: &mut dyn Tx, id: &str, resource: &Value) -> Result<()> {
    // Refused before any member is looked up: a member id holding U+0000 is named so.
    let row = to_row(Kind::Group, id, resource)?;
    let members = member_rows(tx, id, resource, &HashMap::new())?;
    tx.insert(Kind::Group.as_str(), &row)
        .map_err(|e| duplicate(Kind::Group, e))?;
    for m in &members {
        tx.add_member(id, m)?;
    }
    Ok(())
}

/// Replaces group `id` with `new`: a built-in group keeps its name, Owners keeps an
/// enabled Owner, and only the difference in members is written.
pub(super) fn update(tx: &mut dyn Tx, id: &str, new: &Value) -> Result<()> {
    if let Some(name) = builtin_name(id) {
        if str_at(new, "displayName") != Some(name) {
            return Err(ScimError::mutability(format!(
                "\"{name}\" is a built-in group and cannot be renamed"
            ))
            .into());
        }
    }
    let row = to_row(Kind::Group, id, new)?;
    keeping_an_owner(tx, id, |tx| {
        // Only the difference is written: adding one member to a large group is one row.
        let current: HashMap<String, MemberRow> = tx
            .members(id)?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect();
        let wanted = if id == TEAM_MEMBERS {
            Vec::new()
        } else {
            member_rows(tx, id, new, &current)?
        };
        let wanted_ids: HashSet<&str> = wanted.iter().map(|w| w.id.as_str()).collect();
        for m in current.keys() {
            if !wanted_ids.contains(m.as_str()) {
                tx.remove_member(id, m)?;
            }
        }
        for w in &wanted {
            if current.get(&w.id) != Some(w) {
                tx.add_member(id, w)?;
            }
        }
        tx.update(Kind::Group.as_str(), &row)
            .map_err(|e| duplicate(Kind::Group, e))
    })
}

/// Removes group `id` from every group and its members from it (a built-in group is
/// never deleted); the caller removes the row.
pub(super) fn delete(tx: &mut dyn Tx, id: &str) -> Result<()> {
    if let Some(name) = builtin_name(id) {
        return Err(forbidden(format!(
            "\"{name}\" is a built-in group and cannot be deleted"
        )));
    }
    super::members::leave_every_group(tx, id)?;
    for m in tx.members(id)? {
        tx.remove_member(id, &m.id)?;
    }
    Ok(())
}
