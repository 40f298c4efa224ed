//! Group membership: each new member checked to be a user or group of this account,
//! membership kept acyclic, and the members-only PATCHes Entra ID and Okta send applied
//! row by row.

use std::collections::{HashMap, HashSet, VecDeque};

use scim2_core::meta::now;
use scim2_core::patch::PatchRequest;
use scim2_core::ScimError;
use serde_json::{json, Value};

use super::owners::keeping_an_owner;
use super::stored::refuse_nul;
use super::view::get;
use super::{str_at, Kind, Result};
use crate::onepassword::audit::{self, Action, Actor, Entry};
use crate::onepassword::TEAM_MEMBERS;
use crate::store::{MemberRow, Row, Tx};

/// The member rows a group resource lists, each checked to be a user or group of this
/// account, except those in `known` (already members, so already checked). Linear in the
/// number of members: a 100,000-member group is one pass, with lookups only for newcomers.
pub(super) fn member_rows(
    tx: &mut dyn Tx,
    group_id: &str,
    resource: &Value,
    known: &HashMap<String, MemberRow>,
) -> Result<Vec<MemberRow>> {
    let mut out: Vec<MemberRow> = Vec::new();
    let mut seen = HashSet::new();
    for m in resource
        .get("members")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(id) = str_at(m, "value") else {
            continue;
        };
        if !seen.insert(id) {
            continue;
        }
        let kind = match known.get(id) {
            Some(k) => k.kind.clone(),
            None => Some(new_member_kind(tx, group_id, id)?.as_str().to_owned()),
        };
        out.push(MemberRow {
            id: id.to_owned(),
            kind,
            display: str_at(m, "display").map(str::to_owned),
            reference: str_at(m, "$ref").map(str::to_owned),
        });
    }
    Ok(out)
}

/// The kind of a member being added to `group_id`: `User`, or `Group` when that makes no
/// cycle; 400 `invalidValue` for anything else.
fn new_member_kind(tx: &mut dyn Tx, group_id: &str, member_id: &str) -> Result<Kind> {
    // Existence alone, by id: a member's (possibly large) row is never read or parsed.
    if tx.exists(Kind::User.as_str(), member_id)? {
        return Ok(Kind::User);
    }
    if tx.exists(Kind::Group.as_str(), member_id)? || member_id == group_id {
        check_no_cycle(tx, group_id, member_id)?;
        return Ok(Kind::Group);
    }
    Err(ScimError::invalid_value(format!(
        "member \"{member_id}\" is not a user or group of this account"
    ))
    .into())
}

/// Refuses making group `member` a member of group `group` when `group` is `member` or is
/// already inside it (directly or through other groups): membership stays acyclic.
fn check_no_cycle(tx: &mut dyn Tx, group: &str, member: &str) -> Result<()> {
    if group == member {
        return Err(ScimError::invalid_value(format!(
            "group \"{group}\" cannot be a member of itself"
        ))
        .into());
    }
    // Breadth first down from `member`; `parent` leads back up to name the cycle.
    let mut parent: HashMap<String, String> = HashMap::new();
    let mut queue = VecDeque::from([member.to_owned()]);
    while let Some(g) = queue.pop_front() {
        for child in tx.group_members(&g)? {
            if child == group {
                // From `g` up to `member`, then reversed: group → member → … → g → group.
                let mut up = vec![g.clone()];
                while let Some(p) = parent.get(up.last().map_or("", String::as_str)) {
                    up.push(p.clone());
                }
                up.reverse();
                let cycle: Vec<String> = std::iter::once(group.to_owned())
                    .chain(up)
                    .chain(std::iter::once(group.to_owned()))
                    .collect();
                return Err(ScimError::invalid_value(format!(
                    "adding group \"{member}\" to group \"{group}\" would make a membership cycle: {}",
                    cycle.join(" → ")
                ))
                .into());
            }
            if child != member && !parent.contains_key(&child) {
                parent.insert(child.clone(), g.clone());
                queue.push_back(child);
            }
        }
    }
    Ok(())
}

/// One membership change a PATCH asks for.
pub(crate) enum MemberChange {
    /// Members to add (their `kind` is found when they are added).
    Add(Vec<MemberRow>),
    /// Member ids to remove.
    Remove(Vec<String>),
}

/// Reads a PATCH that only adds or removes group members, in the shapes Entra ID and
/// Okta send: `add` to `members` with a value list; `remove` of `members` with a value
/// list; `remove` of `members[value eq "…"]`. `None` for anything else, and for users.
/// Cheap: run before any transaction.
pub(crate) fn member_changes(kind: Kind, request: &PatchRequest) -> Option<Vec<MemberChange>> {
    use scim2_core::patch::OpKind;
    if kind == Kind::User {
        return None;
    }
    let mut out = Vec::new();
    for op in &request.operations {
        let path = op.path.as_deref()?.trim();
        let ids = |v: &Value| -> Option<Vec<MemberRow>> {
            v.as_array()?
                .iter()
                .map(|m| {
                    let obj = m.as_object()?;
                    let id = str_at(m, "value")?.to_owned();
                    // Only value, display, $ref (possibly null) and type: anything else
                    // goes through the general engine.
                    if obj
                        .keys()
                        .any(|k| !["value", "display", "$ref", "type"].contains(&k.as_str()))
                    {
                        return None;
                    }
                    Some(MemberRow {
                        id,
                        kind: None,
                        display: str_at(m, "display").map(str::to_owned),
                        reference: str_at(m, "$ref").map(str::to_owned),
                    })
                })
                .collect()
        };
        match op.op {
            OpKind::Add if path.eq_ignore_ascii_case("members") => {
                out.push(MemberChange::Add(ids(op.value.as_ref()?)?))
            }
            OpKind::Remove if path.eq_ignore_ascii_case("members") => {
                let list = ids(op.value.as_ref()?)?;
                out.push(MemberChange::Remove(
                    list.into_iter().map(|m| m.id).collect(),
                ));
            }
            OpKind::Remove => {
                let scim2_core::filter::PatchPath::ValuePath(vp) =
                    scim2_core::filter::parse_path(path).ok()?
                else {
                    return None;
                };
                if !vp.attr.name().eq_ignore_ascii_case("members")
                    || vp.attr.urn().is_some()
                    || vp.sub_attr.is_some()
                {
                    return None;
                }
                let scim2_core::filter::Filter::Attribute(expr) = &vp.filter else {
                    return None;
                };
                let scim2_core::filter::Predicate::Compare(
                    scim2_core::filter::CompareOp::Eq,
                    scim2_core::filter::CompValue::String(id),
                ) = &expr.predicate
                else {
                    return None;
                };
                if !expr.path.name().eq_ignore_ascii_case("value") || expr.path.sub_attr().is_some()
                {
                    return None;
                }
                out.push(MemberChange::Remove(vec![id.clone()]));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// Applies a members-only PATCH ([`member_changes`]) to a group row by row, without
/// reading the other members: the cost does not grow with the group, so it runs inside
/// the write transaction. The new version is derived from the previous one and the
/// change, so it moves only when membership does.
pub(crate) fn patch_members(
    tx: &mut dyn Tx,
    id: &str,
    changes: &[MemberChange],
    request: &PatchRequest,
    expected: Option<&str>,
    full_result: bool,
    actor: &Actor,
) -> Result<Value> {
    // Members added are refused as a whole group's would be ([`refuse_nul`]); a member
    // removed that holds U+0000 is one no group has.
    for op in &request.operations {
        if let (scim2_core::patch::OpKind::Add, Some(value)) = (op.op, &op.value) {
            refuse_nul("members", value)?;
        }
    }
    let row = tx
        .get(Kind::Group.as_str(), id)?
        .ok_or_else(|| ScimError::not_found(format!("Group {id} not found")))?;
    scim2_core::meta::check_version(&row.data, expected)?;
    let applied = keeping_an_owner(tx, id, |tx| apply_member_changes(tx, id, changes))?;
    audit::record(
        tx,
        actor,
        applied
            .iter()
            .map(|(action, m)| Entry::on(*action, "Group", &row.data).with_member(m)),
    )?;
    let data = if !applied.is_empty() {
        let change = serde_json::to_value(&request.operations).unwrap_or_default();
        touch_group(tx, row, &change)?
    } else {
        row.data
    };
    if full_result {
        return get(tx, Kind::Group, id);
    }
    Ok(data)
}

/// Rewrites a group's `meta` after its membership changed row by row: `lastModified` now,
/// and a version derived from the previous one and `change`, so that it moves only when
/// membership does. Returns the group's new data.
fn touch_group(tx: &mut dyn Tx, row: Row, change: &Value) -> Result<Value> {
    let previous = scim2_core::meta::version_of(&row.data)
        .unwrap_or_default()
        .to_owned();
    let mut data = row.data.clone();
    data["meta"]["lastModified"] = Value::from(now());
    data["meta"]["version"] = Value::from(scim2_core::version::weak_etag(
        &json!({"previous": previous, "change": change}),
    ));
    tx.update(
        Kind::Group.as_str(),
        &Row {
            data: data.clone(),
            ..row
        },
    )?;
    Ok(data)
}

/// Removes a deleted resource from every group that holds it, giving each such group a
/// new version (a client's `If-Match` of the old one is then refused, RFC 7644 §3.14).
pub(super) fn leave_every_group(tx: &mut dyn Tx, member_id: &str) -> Result<()> {
    for (group_id, _) in tx.groups_of(member_id)? {
        if let Some(row) = tx.get(Kind::Group.as_str(), &group_id)? {
            touch_group(tx, row, &json!({"removed": member_id}))?;
        }
    }
    tx.remove_member_everywhere(member_id)?;
    Ok(())
}

/// Adds and removes members row by row; the changes made, in order (none when
/// membership did not change). Team Members' membership is implicit: nothing changes.
fn apply_member_changes(
    tx: &mut dyn Tx,
    id: &str,
    changes: &[MemberChange],
) -> Result<Vec<(Action, String)>> {
    let mut changed = Vec::new();
    if id == TEAM_MEMBERS {
        return Ok(changed);
    }
    for change in changes {
        match change {
            MemberChange::Add(list) => {
                for new in list {
                    if tx.has_member(id, &new.id)? {
                        continue;
                    }
                    let kind = new_member_kind(tx, id, &new.id)?;
                    let m = MemberRow {
                        kind: Some(kind.as_str().to_owned()),
                        ..new.clone()
                    };
                    tx.add_member(id, &m)?;
                    changed.push((Action::MemberAdded, m.id));
                }
            }
            MemberChange::Remove(list) => {
                for member in list {
                    if tx.has_member(id, member)? {
                        tx.remove_member(id, member)?;
                        changed.push((Action::MemberRemoved, member.clone()));
                    }
                }
            }
        }
    }
    Ok(changed)
}
