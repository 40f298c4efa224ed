//! The account rules, each run inside one store transaction.

use std::collections::HashMap;

use http::StatusCode;
use scim_core::meta::{now, stamp_new};
use scim_core::patch::PatchRequest;
use scim_core::provisioner::{ListPage, ListQuery};
use scim_core::schema::urn;
use scim_core::ScimError;
use serde_json::{json, Map, Value};

use super::{is_enabled, Policy, RuleError, BUILTIN_GROUPS, EXTENSION, OWNERS, TEAM_MEMBERS};
use crate::store::{Account, AccountState, MemberRow, Row, Tx};

type Result<T> = std::result::Result<T, RuleError>;

fn is_user(rt: &str) -> bool {
    rt.eq_ignore_ascii_case("User")
}

fn canonical_type(rt: &str) -> &'static str {
    if is_user(rt) {
        "User"
    } else {
        "Group"
    }
}

fn builtin_name(id: &str) -> Option<&'static str> {
    BUILTIN_GROUPS
        .iter()
        .find(|(b, _)| *b == id)
        .map(|(_, n)| *n)
}

pub(super) fn str_at<'v>(v: &'v Value, name: &str) -> Option<&'v str> {
    v.get(name).and_then(Value::as_str)
}

fn forbidden(detail: String) -> RuleError {
    ScimError::new(StatusCode::FORBIDDEN, None, detail).into()
}

/// Creates the built-in groups that are missing.
pub(super) fn ensure_builtin_groups(tx: &mut dyn Tx) -> Result<()> {
    for (id, name) in BUILTIN_GROUPS {
        if tx.get("Group", id)?.is_none() {
            let mut data = json!({"schemas": [urn::GROUP], "displayName": name});
            stamp_new(&mut data, "Group", id);
            tx.insert(
                "Group",
                &Row {
                    id: id.to_owned(),
                    data,
                    unique_key: Some(name.to_lowercase()),
                    external_id: None,
                },
            )?;
        }
    }
    Ok(())
}

/// Whether `key` names the server-owned [`EXTENSION`], an attribute under it
/// (`urn:…:1password:2.0:User:state`) or any part of its namespace, or is a leading part
/// of its URN ending at a colon (`urn:ietf:params:scim:schemas:extension`, under which a
/// path-less PATCH value split at a colon, or a client, could rebuild it), in any casing
/// and with surrounding white space: URNs compare case-insensitively (RFC 8141 §3), so a
/// case variant is the same schema, and no client writes it.
fn is_extension_key(key: &str) -> bool {
    /// The namespace of the bridge's own schemas.
    const NAMESPACE: &str = "urn:ietf:params:scim:schemas:extension:1password";
    let key = key.trim();
    let under_namespace = key
        .get(..NAMESPACE.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(NAMESPACE));
    let leading_part = !key.is_empty()
        && EXTENSION.as_bytes().get(key.len()) == Some(&b':')
        && EXTENSION
            .get(..key.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(key));
    under_namespace || leading_part
}

/// Whether `key` is a `password` (RFC 7643 §4.1.1): bare, or as the last part of a
/// colon-separated name (`urn:…:User:password`, or what is left of one split at another
/// colon), in any casing and with surrounding white space.
fn is_password_key(key: &str) -> bool {
    let last = key.rsplit_once(':').map_or(key, |(_, name)| name);
    last.trim().eq_ignore_ascii_case("password")
}

/// Removes every object member named a password ([`is_password_key`]) at any depth of
/// `value`: however a client or a path-less PATCH nests it (under the core URN, or under
/// a URN split at a colon), no password is stored. Returns whether anything was removed.
fn strip_passwords(value: &mut Value) -> bool {
    let mut removed = false;
    // Depth first without recursion: the depth is the client's.
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(obj) => {
                let before = obj.len();
                obj.retain(|k, _| !is_password_key(k));
                removed |= obj.len() != before;
                stack.extend(obj.values_mut());
            }
            Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    removed
}

/// Removes what the bridge never stores from a client's resource: every `password`, at
/// any depth ([`strip_passwords`]; people set their own 1Password and the bridge has no
/// use for it), and any client copy of the server-owned [`EXTENSION`]. Returns whether
/// anything was removed.
fn strip_client_data(obj: &mut Map<String, Value>) -> bool {
    let before = obj.len();
    obj.retain(|k, _| !is_password_key(k) && !is_extension_key(k));
    let mut removed = obj.len() != before;
    for v in obj.values_mut() {
        removed |= strip_passwords(v);
    }
    if let Some(Value::Array(schemas)) = obj.get_mut("schemas") {
        schemas.retain(|s| !s.as_str().is_some_and(is_extension_key));
    }
    removed
}

/// The stored row for a resource: computed parts and what is never stored (see
/// [`strip_client_data`]) removed, index keys extracted. Every write goes through here.
fn to_row(rt: &str, id: &str, resource: &Value) -> Row {
    let mut data = resource.clone();
    if let Some(obj) = data.as_object_mut() {
        for computed in ["groups", "members"] {
            obj.remove(computed);
        }
        let stripped = strip_client_data(obj);
        if let Some(meta) = obj.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("location");
        }
        if stripped {
            // The version was computed over what was removed: computed again, so that no
            // ETag is a function of a password.
            let version = scim_core::version::weak_etag(&Value::Object(obj.clone()));
            if let Some(meta) = obj.get_mut("meta").and_then(Value::as_object_mut) {
                meta.insert("version".into(), Value::from(version));
            }
        }
    }
    let unique_attr = if is_user(rt) {
        "userName"
    } else {
        "displayName"
    };
    Row {
        id: id.to_owned(),
        unique_key: str_at(resource, unique_attr).map(str::to_lowercase),
        external_id: str_at(resource, "externalId").map(str::to_owned),
        data,
    }
}

/// The resource as clients see it: the row plus account state, groups or members.
fn assemble(tx: &mut dyn Tx, rt: &str, row: Row) -> Result<Value> {
    let mut v = row.data;
    let Some(obj) = v.as_object_mut() else {
        return Ok(v);
    };
    if is_user(rt) {
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
fn assemble_all(tx: &mut dyn Tx, rt: &str, rows: Vec<Row>) -> Result<Vec<Value>> {
    rows.into_iter().map(|row| assemble(tx, rt, row)).collect()
}

/// The resource with this id, assembled.
pub(super) fn get(tx: &mut dyn Tx, rt: &str, id: &str) -> Result<Value> {
    let rt = canonical_type(rt);
    let row = tx
        .get(rt, id)?
        .ok_or_else(|| ScimError::not_found(format!("{rt} {id} not found")))?;
    assemble(tx, rt, row)
}

/// The allowed-domain rule for `userName`.
fn check_domain(policy: &Policy, user_name: &str) -> Result<()> {
    if policy.allowed_domains.is_empty() {
        return Ok(());
    }
    let domain = user_name.rsplit_once('@').map(|(_, d)| d.to_lowercase());
    let allowed = domain.as_deref().is_some_and(|d| {
        policy
            .allowed_domains
            .iter()
            .any(|a| a.eq_ignore_ascii_case(d))
    });
    if allowed {
        Ok(())
    } else {
        Err(ScimError::invalid_value(format!(
            "userName \"{user_name}\" must be an email address in one of the allowed domains: {}",
            policy.allowed_domains.join(", ")
        ))
        .into())
    }
}

/// RFC 7643 gives no emails? Derive the work email from an email-shaped `userName`.
fn derive_email(resource: &mut Value) {
    let has_emails = resource
        .get("emails")
        .is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty()));
    let Some(user_name) = str_at(resource, "userName")
        .filter(|u| u.contains('@'))
        .map(str::to_owned)
    else {
        return;
    };
    if !has_emails {
        resource["emails"] = json!([{"value": user_name, "type": "work", "primary": true}]);
    }
}

fn duplicate(rt: &str, e: crate::store::StoreError) -> RuleError {
    match e {
        crate::store::StoreError::Duplicate(_) => {
            let what = if is_user(rt) {
                "userName"
            } else {
                "displayName"
            };
            ScimError::uniqueness(format!("another {rt} already has this {what}")).into()
        }
        other => other.into(),
    }
}

/// The member rows a group resource lists, each checked to be a user or group of this
/// account, except those in `known` (already members, so already checked). Linear in the
/// number of members: a 100,000-member group is one pass, with lookups only for newcomers.
fn member_rows(
    tx: &mut dyn Tx,
    group_id: &str,
    resource: &Value,
    known: &HashMap<String, MemberRow>,
) -> Result<Vec<MemberRow>> {
    let mut out: Vec<MemberRow> = Vec::new();
    let mut seen = std::collections::HashSet::new();
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
            None => Some(new_member_kind(tx, group_id, id)?.to_owned()),
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
fn new_member_kind(tx: &mut dyn Tx, group_id: &str, member_id: &str) -> Result<&'static str> {
    // Existence alone, by id: a member's (possibly large) row is never read or parsed.
    if tx.exists("User", member_id)? {
        return Ok("User");
    }
    if tx.exists("Group", member_id)? || member_id == group_id {
        check_no_cycle(tx, group_id, member_id)?;
        return Ok("Group");
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
    let mut queue = std::collections::VecDeque::from([member.to_owned()]);
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

/// Creates a resource (validated, with `id` and `meta`).
pub(super) fn create(
    tx: &mut dyn Tx,
    policy: &Policy,
    rt: &str,
    mut resource: Value,
) -> Result<Value> {
    let rt = canonical_type(rt);
    let id = str_at(&resource, "id").unwrap_or_default().to_owned();
    if is_user(rt) {
        check_domain(policy, str_at(&resource, "userName").unwrap_or_default())?;
        derive_email(&mut resource);
        let state = if resource.get("active") == Some(&Value::Bool(false)) {
            AccountState::Suspended
        } else {
            AccountState::Invited
        };
        tx.insert(rt, &to_row(rt, &id, &resource))
            .map_err(|e| duplicate(rt, e))?;
        tx.set_account(&Account {
            user_id: id.clone(),
            state,
            suspended_from: (state == AccountState::Suspended).then_some(AccountState::Invited),
            changed_at: now(),
        })?;
    } else {
        let members = member_rows(tx, &id, &resource, &HashMap::new())?;
        tx.insert(rt, &to_row(rt, &id, &resource))
            .map_err(|e| duplicate(rt, e))?;
        for m in &members {
            tx.add_member(&id, m)?;
        }
    }
    get(tx, rt, &id)
}

/// The members of Owners whose accounts are enabled (not suspended).
fn enabled_owners(tx: &mut dyn Tx) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for m in tx.members(OWNERS)? {
        if tx.account(&m.id)?.is_some_and(|a| is_enabled(a.state)) {
            out.push(m.id);
        }
    }
    Ok(out)
}

/// Whether `user_id` is an Owner and no other enabled Owner remains.
fn is_last_owner(tx: &mut dyn Tx, user_id: &str) -> Result<bool> {
    if !tx.has_member(OWNERS, user_id)? {
        return Ok(false);
    }
    Ok(enabled_owners(tx)?.iter().all(|o| o == user_id))
}

fn last_owner_error(user: &Value, action: &str) -> RuleError {
    forbidden(format!(
        "{} is the account's last Owner and cannot be {action}; make someone else an Owner first",
        str_at(user, "userName").unwrap_or("this user")
    ))
}

/// Runs `change`, a change of `group_id`'s members, refusing it (403, rolled back with
/// the transaction) when it removes the last enabled Owner from Owners: the last-Owner
/// rule holds for membership as for suspension and deletion.
fn keeping_an_owner<T>(
    tx: &mut dyn Tx,
    group_id: &str,
    change: impl FnOnce(&mut dyn Tx) -> Result<T>,
) -> Result<T> {
    if group_id != OWNERS {
        return change(tx);
    }
    let before = enabled_owners(tx)?;
    let out = change(tx)?;
    if let Some(last) = before.first() {
        if enabled_owners(tx)?.is_empty() {
            let user = tx.get("User", last)?.map(|r| r.data).unwrap_or_default();
            return Err(last_owner_error(&user, "removed from Owners"));
        }
    }
    Ok(out)
}

/// Replaces a resource (after a PUT's validation or a PATCH) given its assembled old form.
pub(super) fn update(
    tx: &mut dyn Tx,
    policy: &Policy,
    rt: &str,
    id: &str,
    old: &Value,
    new: Value,
) -> Result<Value> {
    let rt = canonical_type(rt);
    if is_user(rt) {
        check_domain(policy, str_at(&new, "userName").unwrap_or_default())?;
        let account = tx.account(id)?.unwrap_or(Account {
            user_id: id.to_owned(),
            state: AccountState::Invited,
            suspended_from: None,
            changed_at: now(),
        });
        let next = match (new.get("active").and_then(Value::as_bool), account.state) {
            (Some(false), s) if s != AccountState::Suspended => {
                if is_last_owner(tx, id)? {
                    return Err(last_owner_error(old, "suspended"));
                }
                Some(Account {
                    state: AccountState::Suspended,
                    suspended_from: Some(s),
                    changed_at: now(),
                    ..account
                })
            }
            (Some(true), AccountState::Suspended) => Some(Account {
                state: account.suspended_from.unwrap_or(AccountState::Invited),
                suspended_from: None,
                changed_at: now(),
                ..account
            }),
            _ => None,
        };
        let row = to_row(rt, id, &new);
        tx.update(rt, &row).map_err(|e| duplicate(rt, e))?;
        if let Some(next) = next {
            tx.set_account(&next)?;
        }
        // Assembled from the row just written: not read back and parsed again.
        return assemble(tx, rt, row);
    } else {
        if let Some(name) = builtin_name(id) {
            if str_at(&new, "displayName") != Some(name) {
                return Err(ScimError::mutability(format!(
                    "\"{name}\" is a built-in group and cannot be renamed"
                ))
                .into());
            }
        }
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
                member_rows(tx, id, &new, &current)?
            };
            let wanted_ids: std::collections::HashSet<&str> =
                wanted.iter().map(|w| w.id.as_str()).collect();
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
            tx.update(rt, &to_row(rt, id, &new))
                .map_err(|e| duplicate(rt, e))
        })?;
    }
    get(tx, rt, id)
}

/// The write half of a PATCH whose engine ran outside any transaction on `old` (read
/// earlier): writes `next` only if the resource is still at `old`'s version. `None` when
/// another writer got in between and the client sent no If-Match (the caller reads again
/// and retries); 412 when it did.
pub(super) fn update_if_current(
    tx: &mut dyn Tx,
    policy: &Policy,
    rt: &str,
    id: &str,
    old: &Value,
    next: Value,
    expected: Option<&str>,
) -> Result<Option<Value>> {
    let rt = canonical_type(rt);
    // The stored version alone, not the (possibly large) row parsed.
    let current = tx
        .version(rt, id)?
        .ok_or_else(|| ScimError::not_found(format!("{rt} {id} not found")))?;
    if current.as_deref() != scim_core::meta::version_of(old) {
        if let (Some(expected), Some(current)) = (expected, current.as_deref()) {
            return Err(ScimError::precondition_failed(expected, current).into());
        }
        return Ok(None);
    }
    update(tx, policy, rt, id, old, next).map(Some)
}

/// One membership change a PATCH asks for.
pub(super) enum MemberChange {
    /// Members to add (their `kind` is found when they are added).
    Add(Vec<MemberRow>),
    /// Member ids to remove.
    Remove(Vec<String>),
}

/// Reads a PATCH that only adds or removes group members, in the shapes Entra ID and
/// Okta send: `add` to `members` with a value list; `remove` of `members` with a value
/// list; `remove` of `members[value eq "…"]`. `None` for anything else, and for users.
/// Cheap: run before any transaction.
pub(super) fn member_changes(rt: &str, request: &PatchRequest) -> Option<Vec<MemberChange>> {
    use scim_core::patch::OpKind;
    if is_user(rt) {
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
                let scim_filter::PatchPath::ValuePath(vp) = scim_filter::parse_path(path).ok()?
                else {
                    return None;
                };
                if !vp.attr.name().eq_ignore_ascii_case("members")
                    || vp.attr.urn().is_some()
                    || vp.sub_attr.is_some()
                {
                    return None;
                }
                let scim_filter::Filter::Attribute(expr) = &vp.filter else {
                    return None;
                };
                let scim_filter::Predicate::Compare(
                    scim_filter::CompareOp::Eq,
                    scim_filter::CompValue::String(id),
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
pub(super) fn patch_members(
    tx: &mut dyn Tx,
    id: &str,
    changes: &[MemberChange],
    request: &PatchRequest,
    expected: Option<&str>,
    full_result: bool,
) -> Result<Value> {
    let row = tx
        .get("Group", id)?
        .ok_or_else(|| ScimError::not_found(format!("Group {id} not found")))?;
    scim_core::meta::check_version(&row.data, expected)?;
    let changed = keeping_an_owner(tx, id, |tx| apply_member_changes(tx, id, changes))?;
    let mut data = row.data.clone();
    if changed {
        let previous = scim_core::meta::version_of(&row.data)
            .unwrap_or_default()
            .to_owned();
        let change = serde_json::to_value(&request.operations).unwrap_or_default();
        data["meta"]["lastModified"] = Value::from(now());
        data["meta"]["version"] = Value::from(scim_core::version::weak_etag(
            &json!({"previous": previous, "change": change}),
        ));
        tx.update(
            "Group",
            &Row {
                data: data.clone(),
                ..row
            },
        )?;
    }
    if full_result {
        return get(tx, "Group", id);
    }
    Ok(data)
}

/// Adds and removes members row by row; whether membership changed. Team Members'
/// membership is implicit: nothing changes.
fn apply_member_changes(tx: &mut dyn Tx, id: &str, changes: &[MemberChange]) -> Result<bool> {
    let mut changed = false;
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
                        kind: Some(kind.to_owned()),
                        ..new.clone()
                    };
                    tx.add_member(id, &m)?;
                    changed = true;
                }
            }
            MemberChange::Remove(list) => {
                for member in list {
                    if tx.has_member(id, member)? {
                        tx.remove_member(id, member)?;
                        changed = true;
                    }
                }
            }
        }
    }
    Ok(changed)
}

/// Deletes a resource.
pub(super) fn delete(tx: &mut dyn Tx, rt: &str, id: &str, expected: Option<&str>) -> Result<()> {
    let rt = canonical_type(rt);
    let current = get(tx, rt, id)?;
    scim_core::meta::check_version(&current, expected)?;
    if is_user(rt) {
        if is_last_owner(tx, id)? {
            return Err(last_owner_error(&current, "deleted"));
        }
        tx.remove_account(id)?;
    } else if let Some(name) = builtin_name(id) {
        return Err(forbidden(format!(
            "\"{name}\" is a built-in group and cannot be deleted"
        )));
    }
    tx.remove_member_everywhere(id)?;
    if !is_user(rt) {
        for m in tx.members(id)? {
            tx.remove_member(id, &m.id)?;
        }
    }
    tx.remove(rt, id)?;
    Ok(())
}

/// How a list request is answered.
pub(super) enum Plan<'q> {
    /// No filter, no sort, a bounded page: paged in SQL.
    Page,
    /// `eq` on a unique attribute (`id`, `userName`/`displayName`): (attribute, value).
    Lookup(&'q str, &'q str),
    /// `eq` on `externalId`, which is not unique, with a bounded page and no sort:
    /// counted from the index and only the page read, in SQL.
    External(&'q str),
    /// Everything else: every row of the type read in batches, each evaluated and
    /// dropped unless it matches (see [`scan`]).
    Scan,
}

/// The plan for `query` on `rt`; `max_held` is the most resources one request may hold.
pub(super) fn plan<'q>(rt: &str, query: &'q ListQuery, max_held: usize) -> Plan<'q> {
    let unique_attr = if is_user(rt) {
        "userName"
    } else {
        "displayName"
    };
    let bounded = usize::try_from(query.count).is_ok_and(|c| c <= max_held);
    if let Some((attr, value)) = query.equality_lookup() {
        if ["id", unique_attr]
            .iter()
            .any(|a| attr.eq_ignore_ascii_case(a))
        {
            return Plan::Lookup(attr, value);
        }
        // Any number of resources may share an externalId: sorted, or at root (every
        // match asked for), it is a scan, admitted and bounded like any other.
        if attr.eq_ignore_ascii_case("externalId") && query.sort_by.is_none() && bounded {
            return Plan::External(value);
        }
    }
    if query.filter.is_none() && query.sort_by.is_none() && bounded {
        Plan::Page
    } else {
        Plan::Scan
    }
}

/// What one [`scan`] may hold in memory.
#[derive(Clone, Copy, Debug)]
pub(super) struct HeldLimits {
    /// The most resources (or, to sort, sort keys) held.
    pub resources: usize,
    /// The most bytes of JSON text held.
    pub bytes: usize,
}

/// A page of resources; `eq` on `id`, `userName`/`displayName` and (unsorted, one bounded
/// page) `externalId` use indexes, anything else is a [`scan`] bounded by `limits`.
pub(super) fn list(
    tx: &mut dyn Tx,
    rt: &str,
    query: &ListQuery,
    limits: HeldLimits,
) -> Result<ListPage> {
    let rt = canonical_type(rt);
    let rows = match plan(rt, query, limits.resources) {
        // No filter, no sort: page in SQL, so listing 100,000 users (as Okta's import
        // does) reads one page, not every row.
        Plan::Page => {
            let total = tx.count(rt)?;
            let rows = tx.page(rt, query.start_index.saturating_sub(1), query.count)?;
            let resources = assemble_all(tx, rt, rows)?;
            return Ok(ListPage {
                total_results: total,
                resources,
            });
        }
        Plan::Lookup(attr, value) if attr.eq_ignore_ascii_case("id") => {
            tx.get(rt, value)?.into_iter().collect()
        }
        Plan::External(value) => {
            let total = tx.count_external(rt, value)?;
            let rows =
                tx.find_external(rt, value, query.start_index.saturating_sub(1), query.count)?;
            let resources = assemble_all(tx, rt, rows)?;
            return Ok(ListPage {
                total_results: total,
                resources,
            });
        }
        Plan::Lookup(_, value) => tx
            .find_unique(rt, &value.to_lowercase())?
            .into_iter()
            .collect(),
        Plan::Scan => return scan(tx, rt, query, limits),
    };
    let resources = assemble_all(tx, rt, rows)?;
    Ok(query.page(resources)?)
}

/// Rows read per batch of a [`scan`].
const SCAN_BATCH: u64 = 256;

/// The key, in a [`sort_key_of`] object, holding the resource's id: no attribute name
/// or schema URN contains a space, so it never collides with what a sort reads.
const SORT_KEY_ID: &str = " id";

/// What sorting by `path` reads of `resource`, and its id: the top-level members named
/// as the path's attribute or schema URN (any casing), the rest of the resource left out.
/// `ListQuery::page` sorts these as it would the whole resources.
fn sort_key_of(resource: &Value, path: &scim_filter::AttrPath, id: &str) -> Value {
    let wanted = |k: &str| {
        k.eq_ignore_ascii_case(path.name()) || path.urn().is_some_and(|u| k.eq_ignore_ascii_case(u))
    };
    let mut key: Map<String, Value> = resource
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| wanted(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    key.insert(SORT_KEY_ID.into(), Value::from(id));
    Value::Object(key)
}

/// The length of `v` as JSON text: the measure of what a [`scan`] holds.
fn json_len(v: &Value) -> usize {
    /// Counts what is written, keeping nothing.
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(buf.len());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing to a counter cannot fail, and a `Value` always serializes.
    let _ = serde_json::to_writer(&mut counter, v);
    counter.0
}

/// What a [`scan`] holds so far, against its [`HeldLimits`].
struct Held<'a> {
    rt: &'a str,
    limits: HeldLimits,
    resources: usize,
    bytes: usize,
}

impl<'a> Held<'a> {
    fn new(rt: &'a str, limits: HeldLimits) -> Self {
        Held {
            rt,
            limits,
            resources: 0,
            bytes: 0,
        }
    }

    /// Counts `v` as held; 400 `tooMany` with `advice` past either limit.
    fn hold(&mut self, v: &Value, advice: &str) -> Result<()> {
        let rt = self.rt;
        if self.resources >= self.limits.resources {
            let max = self.limits.resources;
            return Err(ScimError::too_many(format!(
                "more than {max} {rt} resources would have to be held to answer this request; {advice}"
            ))
            .into());
        }
        self.resources += 1;
        self.bytes = self.bytes.saturating_add(json_len(v));
        if self.bytes > self.limits.bytes {
            let max = self.limits.bytes;
            return Err(ScimError::too_many(format!(
                "more than {max} bytes of {rt} resources would have to be held to answer this request; {advice}"
            ))
            .into());
        }
        Ok(())
    }
}

/// Advice for a request refused for holding too much: what it holds is every match's
/// sort key when sorting, else the page.
const NARROW_OR_NO_SORT: &str = "narrow the filter or drop sortBy";
/// See [`NARROW_OR_NO_SORT`].
const NARROW_OR_SMALLER_PAGES: &str = "narrow the filter or ask for smaller pages (count)";

/// Answers `query` by reading every resource of `rt` in batches, evaluating the filter
/// on each and keeping only what the answer needs: the requested page; or, to sort,
/// each match's sort key and id ([`sort_key_of`]), the page's resources being read again
/// once sorted. Holding more than `limits` allow (in count or in bytes of JSON; the
/// sorted page's resources counted again from zero) is refused with 400 `tooMany`.
fn scan(tx: &mut dyn Tx, rt: &str, query: &ListQuery, limits: HeldLimits) -> Result<ListPage> {
    let skip = query.start_index.saturating_sub(1);
    let mut total: u64 = 0;
    let mut held = Vec::new();
    let mut budget = Held::new(rt, limits);
    let mut after = 0;
    loop {
        let batch = tx.scan_after(rt, after, SCAN_BATCH)?;
        let Some((last, _)) = batch.last() else {
            break;
        };
        after = *last;
        for (_, row) in batch {
            let id = row.id.clone();
            let resource = assemble(tx, rt, row)?;
            if !query.matches(&resource)? {
                continue;
            }
            total += 1;
            if let Some(path) = &query.sort_by {
                let key = sort_key_of(&resource, path, &id);
                budget.hold(&key, NARROW_OR_NO_SORT)?;
                held.push(key);
            } else if total > skip && total - skip <= query.count {
                budget.hold(&resource, NARROW_OR_SMALLER_PAGES)?;
                held.push(resource);
            }
        }
    }
    if query.sort_by.is_none() {
        return Ok(ListPage {
            total_results: total,
            resources: held,
        });
    }
    // Sorted and paged as whole resources would be; then the page's resources read.
    let keys_only = ListQuery {
        filter: None,
        matcher: None,
        ..query.clone()
    };
    let page = keys_only.page(held)?;
    let mut budget = Held::new(rt, limits);
    let mut resources = Vec::with_capacity(page.resources.len());
    for key in &page.resources {
        let Some(id) = key.get(SORT_KEY_ID).and_then(Value::as_str) else {
            continue;
        };
        // Read in the same transaction as the scan: still there.
        let Some(row) = tx.get(rt, id)? else {
            continue;
        };
        let resource = assemble(tx, rt, row)?;
        budget.hold(&resource, NARROW_OR_SMALLER_PAGES)?;
        resources.push(resource);
    }
    Ok(ListPage {
        total_results: page.total_results,
        resources,
    })
}

/// Rewrites a user's `meta` after a state change made outside a request, so that clients
/// see a new version.
fn touch_user(tx: &mut dyn Tx, id: &str) -> Result<()> {
    let Some(row) = tx.get("User", id)? else {
        return Ok(());
    };
    let old = assemble(tx, "User", row)?;
    let mut new = old.clone();
    new["meta"]["lastModified"] = Value::from(now());
    let mut probe = old.clone();
    probe["meta"] = Value::Null;
    new["meta"]["version"] = Value::from(scim_core::version::weak_etag(&probe));
    tx.update("User", &to_row("User", id, &new))?;
    Ok(())
}

/// A person accepted their invitation: *invited* becomes *pending*. Returns the state
/// the account is in afterwards.
pub fn accept_invitation(tx: &mut dyn Tx, user_name: &str) -> Result<AccountState> {
    let row = tx
        .find_unique("User", &user_name.to_lowercase())?
        .ok_or_else(|| ScimError::not_found(format!("no user with userName {user_name}")))?;
    let mut account = tx
        .account(&row.id)?
        .ok_or_else(|| ScimError::not_found(format!("{user_name} has no account record")))?;
    match account.state {
        AccountState::Invited => {
            account.state = AccountState::Pending;
            account.changed_at = now();
            tx.set_account(&account)?;
            touch_user(tx, &row.id)?;
        }
        AccountState::Suspended if account.suspended_from == Some(AccountState::Invited) => {
            account.suspended_from = Some(AccountState::Pending);
            tx.set_account(&account)?;
        }
        _ => {}
    }
    Ok(account.state)
}

/// How many pending accounts one [`confirm_pending`] transaction confirms, so that the
/// watcher never holds the write lock for long.
pub const CONFIRM_BATCH: u64 = 256;

/// The confirmation watcher's work, one batch: up to [`CONFIRM_BATCH`] *pending*
/// accounts become *active*. Returns the user ids confirmed; fewer than a batch means
/// none are left.
pub fn confirm_pending(tx: &mut dyn Tx) -> Result<Vec<String>> {
    let pending = tx.accounts_in(AccountState::Pending, CONFIRM_BATCH)?;
    let mut confirmed = Vec::with_capacity(pending.len());
    for mut account in pending {
        account.state = AccountState::Active;
        account.changed_at = now();
        tx.set_account(&account)?;
        touch_user(tx, &account.user_id)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_keys_match_in_any_casing_and_any_split() {
        for k in [
            EXTENSION.to_owned(),
            EXTENSION.to_uppercase(),
            format!("{}:state", EXTENSION.to_uppercase()),
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:1PASSWORD:2.0".to_owned(),
            format!(" {EXTENSION} "),
            "urn:ietf:params:scim:schemas:extension".to_owned(),
            " URN:IETF:PARAMS:SCIM:SCHEMAS".to_owned(),
        ] {
            assert!(is_extension_key(&k), "{k}");
        }
        for k in [
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "userName",
            "urn:ietf:params:scim:schemas:extension:1pass",
            "urn:ietf:params:scim:schemas:core:2.0",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0",
            "",
            "é",
        ] {
            assert!(!is_extension_key(k), "{k}");
        }
    }

    #[test]
    fn passwords_and_client_extension_copies_are_stripped() {
        let mut v = json!({
            "userName": "a", "password": "p", "PASSWORD": "p",
            format!("{}:PASSWORD", urn::USER.to_uppercase()): "p",
            urn::USER: {"password": "p", "title": "kept"},
            "urn:ietf:params:scim:schemas:core:2.0": {"User": {" Password ": "p", "x": [{"password": "p"}]}},
            "schemas": [urn::USER, EXTENSION.to_lowercase()],
            EXTENSION.to_uppercase(): {"state": "active"},
            "meta": {"version": "W/\"x\""}
        });
        let row = to_row("User", "id1", &v);
        assert_eq!(
            row.data,
            json!({"userName": "a", urn::USER: {"title": "kept"}, "schemas": [urn::USER],
                   "urn:ietf:params:scim:schemas:core:2.0": {"User": {"x": [{}]}},
                   "meta": {"version": row.data["meta"]["version"].clone()}})
        );
        assert_ne!(row.data["meta"]["version"], "W/\"x\"", "a new version");
        v.as_object_mut().unwrap().retain(|k, _| k == "userName");
        assert_eq!(to_row("User", "id1", &v).data, json!({"userName": "a"}));
    }
}
