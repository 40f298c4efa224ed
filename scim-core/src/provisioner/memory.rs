//! A complete, concurrent in-memory [`Provisioner`], for tests, examples and prototypes.

use std::collections::{BTreeSet, HashMap};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use async_trait::async_trait;
use serde_json::Value;

use super::membership::{group_ref, member_ids, remove_member, set_groups};
use super::{
    not_found, ListPage, ListQuery, PatchInput, Provisioner, ProvisionerError, RequestContext,
};
use crate::error::ScimError;
use crate::meta::check_version;

/// Resources kept in memory, with indexes so that `eq` lookups on `id`, `userName`,
/// `externalId` and group `displayName` do not scan.
///
/// - `userName` is unique among Users and `displayName` among Groups, both compared
///   case-insensitively (409 `uniqueness`); change these with [`InMemoryProvisioner::unique`].
/// - A User's read-only `groups` attribute is computed from Group memberships; deleting a
///   resource removes it from every group.
/// - `patch` runs under the store's write lock, so concurrent PATCHes of one group's
///   members lose no update.
/// - A `password` (RFC 7643 §4.1.1: write-only, `returned: never`) is never stored, in
///   any form: this store has no use for it, and keeping none means none can leak. The
///   resource returned by a write and every later read lack it, and `password pr`
///   matches no resource. A store that checks passwords keeps a salted hash instead.
///
/// ```
/// use scim2_core::provisioner::{InMemoryProvisioner, Provisioner, RequestContext, ListQuery};
/// # tokio_test_block(async {
/// let store = InMemoryProvisioner::new();
/// let ctx = RequestContext::default();
/// let mut user = serde_json::json!({"userName": "ann"});
/// scim2_core::meta::stamp_new(&mut user, "User", "1");
/// store.create(&ctx, "User", user).await.unwrap();
/// let page = store.list(&ctx, "User", &ListQuery::default()).await.unwrap();
/// assert_eq!(page.total_results, 1);
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug)]
pub struct InMemoryProvisioner {
    state: RwLock<State>,
    unique: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct State {
    seq: u64,
    types: HashMap<String, TypeStore>,
}

#[derive(Debug, Default)]
struct TypeStore {
    by_id: HashMap<String, Entry>,
    /// Lower-cased unique attribute value → id.
    unique: HashMap<String, String>,
    /// externalId → ids.
    external: HashMap<String, BTreeSet<String>>,
    /// For groups: member id → ids of the groups holding it.
    member_of: HashMap<String, BTreeSet<String>>,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    value: Value,
}

impl Default for InMemoryProvisioner {
    fn default() -> Self {
        InMemoryProvisioner::new()
    }
}

/// The attribute this store never keeps (top level, any spelling).
const PASSWORD: &str = "password";

fn key(resource_type: &str) -> String {
    resource_type.to_ascii_lowercase()
}

fn str_at<'v>(v: &'v Value, name: &str) -> Option<&'v str> {
    v.get(name).and_then(Value::as_str)
}

impl InMemoryProvisioner {
    /// An empty store: `userName` unique among Users, `displayName` among Groups.
    pub fn new() -> Self {
        InMemoryProvisioner {
            state: RwLock::new(State::default()),
            unique: vec![
                ("user".to_owned(), "userName".to_owned()),
                ("group".to_owned(), "displayName".to_owned()),
            ],
        }
    }

    /// Makes `attribute` (a top-level string) unique, case-insensitively, among resources
    /// of `resource_type`, replacing any previous rule for that type.
    pub fn unique(mut self, resource_type: &str, attribute: &str) -> Self {
        let rt = key(resource_type);
        self.unique.retain(|(t, _)| *t != rt);
        self.unique.push((rt, attribute.to_owned()));
        self
    }

    fn unique_attr(&self, resource_type: &str) -> Option<&str> {
        let rt = key(resource_type);
        self.unique
            .iter()
            .find(|(t, _)| *t == rt)
            .map(|(_, a)| a.as_str())
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, State>, ProvisionerError> {
        self.state
            .read()
            .map_err(|_| ProvisionerError::internal("in-memory store lock poisoned"))
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, State>, ProvisionerError> {
        self.state
            .write()
            .map_err(|_| ProvisionerError::internal("in-memory store lock poisoned"))
    }

    /// Adds the computed `groups` attribute to a User.
    fn decorate(&self, state: &State, resource_type: &str, mut v: Value) -> Value {
        if !resource_type.eq_ignore_ascii_case("User") {
            return v;
        }
        let Some(groups) = state.types.get("group") else {
            return v;
        };
        let Some(id) = str_at(&v, "id") else { return v };
        let Some(gids) = groups.member_of.get(id).filter(|g| !g.is_empty()) else {
            return v;
        };
        let refs: Vec<Value> = gids
            .iter()
            .filter_map(|gid| groups.by_id.get(gid))
            .map(|g| group_ref(&g.value))
            .collect();
        set_groups(&mut v, refs);
        v
    }

    /// Checks uniqueness of `resource` (to be stored under `id`) in `store`.
    fn check_unique(
        &self,
        store: &TypeStore,
        resource_type: &str,
        id: &str,
        resource: &Value,
    ) -> Result<(), ProvisionerError> {
        let Some(attr) = self.unique_attr(resource_type) else {
            return Ok(());
        };
        if let Some(value) = str_at(resource, attr) {
            if let Some(holder) = store.unique.get(&value.to_lowercase()) {
                if holder != id {
                    return Err(ScimError::uniqueness(format!(
                        "{attr} \"{value}\" is already taken by another {resource_type}"
                    ))
                    .into());
                }
            }
        }
        Ok(())
    }

    /// Stores `value` under `id`, maintaining every index, and returns it as stored. A
    /// User's `groups` is computed, never stored; a `password` is dropped, never stored.
    fn put(&self, state: &mut State, resource_type: &str, id: &str, mut value: Value) -> Value {
        if let Some(obj) = value.as_object_mut() {
            if resource_type.eq_ignore_ascii_case("User") {
                obj.remove("groups");
            }
            crate::json::remove_ci(obj, PASSWORD);
        }
        let unique_attr = self.unique_attr(resource_type).map(str::to_owned);
        state.seq += 1;
        let seq = state.seq;
        let store = state.types.entry(key(resource_type)).or_default();
        let old_seq = store.by_id.get(id).map(|e| e.seq);
        Self::unindex(store, unique_attr.as_deref(), id);
        if let Some(attr) = &unique_attr {
            if let Some(v) = str_at(&value, attr) {
                store.unique.insert(v.to_lowercase(), id.to_owned());
            }
        }
        if let Some(ext) = str_at(&value, "externalId") {
            store
                .external
                .entry(ext.to_owned())
                .or_default()
                .insert(id.to_owned());
        }
        for m in member_ids(&value) {
            store
                .member_of
                .entry(m.to_owned())
                .or_default()
                .insert(id.to_owned());
        }
        let entry = Entry {
            seq: old_seq.unwrap_or(seq),
            value: value.clone(),
        };
        store.by_id.insert(id.to_owned(), entry);
        value
    }

    /// Removes `id` from every index of `store` (not from `by_id`).
    fn unindex(store: &mut TypeStore, unique_attr: Option<&str>, id: &str) {
        let Some(old) = store.by_id.get(id) else {
            return;
        };
        if let Some(v) = unique_attr.and_then(|a| str_at(&old.value, a)) {
            store.unique.remove(&v.to_lowercase());
        }
        if let Some(ext) = str_at(&old.value, "externalId") {
            if let Some(set) = store.external.get_mut(ext) {
                set.remove(id);
            }
        }
        let members: Vec<String> = member_ids(&old.value).map(str::to_owned).collect();
        for m in members {
            if let Some(set) = store.member_of.get_mut(&m) {
                set.remove(id);
            }
        }
    }

    fn current<'s>(
        state: &'s State,
        resource_type: &str,
        id: &str,
    ) -> Result<&'s Value, ProvisionerError> {
        state
            .types
            .get(&key(resource_type))
            .and_then(|s| s.by_id.get(id))
            .map(|e| &e.value)
            .ok_or_else(|| not_found(resource_type, id))
    }

    /// Removes `member` from every group that holds it.
    fn remove_from_groups(&self, state: &mut State, member: &str) {
        let holders: Vec<String> = state
            .types
            .get("group")
            .and_then(|g| g.member_of.get(member))
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        for gid in holders {
            let Some(entry) = state.types.get("group").and_then(|g| g.by_id.get(&gid)) else {
                continue;
            };
            let mut group = entry.value.clone();
            if !remove_member(&mut group, member) {
                continue;
            }
            self.put(state, "Group", &gid, group);
        }
    }
}

#[async_trait]
impl Provisioner for InMemoryProvisioner {
    async fn create(
        &self,
        _ctx: &RequestContext,
        resource_type: &str,
        resource: Value,
    ) -> Result<Value, ProvisionerError> {
        let id = str_at(&resource, "id")
            .ok_or_else(|| ProvisionerError::internal("create: the resource has no id"))?
            .to_owned();
        let mut state = self.write()?;
        let store = state.types.entry(key(resource_type)).or_default();
        if store.by_id.contains_key(&id) {
            return Err(
                ScimError::uniqueness(format!("{resource_type} {id} already exists")).into(),
            );
        }
        self.check_unique(store, resource_type, &id, &resource)?;
        let stored = self.put(&mut state, resource_type, &id, resource);
        Ok(self.decorate(&state, resource_type, stored))
    }

    async fn get(
        &self,
        _ctx: &RequestContext,
        resource_type: &str,
        id: &str,
    ) -> Result<Value, ProvisionerError> {
        let state = self.read()?;
        let v = Self::current(&state, resource_type, id)?.clone();
        Ok(self.decorate(&state, resource_type, v))
    }

    async fn replace(
        &self,
        _ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        resource: Value,
        expected_version: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let mut state = self.write()?;
        let current = Self::current(&state, resource_type, id)?;
        check_version(current, expected_version)?;
        let store = &state.types[&key(resource_type)];
        self.check_unique(store, resource_type, id, &resource)?;
        let stored = self.put(&mut state, resource_type, id, resource);
        Ok(self.decorate(&state, resource_type, stored))
    }

    async fn delete(
        &self,
        _ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        expected_version: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        let mut state = self.write()?;
        let current = Self::current(&state, resource_type, id)?;
        check_version(current, expected_version)?;
        let unique_attr = self.unique_attr(resource_type).map(str::to_owned);
        if let Some(store) = state.types.get_mut(&key(resource_type)) {
            Self::unindex(store, unique_attr.as_deref(), id);
            store.by_id.remove(id);
        }
        self.remove_from_groups(&mut state, id);
        Ok(())
    }

    async fn list(
        &self,
        _ctx: &RequestContext,
        resource_type: &str,
        query: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        let state = self.read()?;
        let Some(store) = state.types.get(&key(resource_type)) else {
            return Ok(query.page(Vec::new())?);
        };
        let unique_attr = self.unique_attr(resource_type);
        let candidates: Vec<&Entry> = match query.equality_lookup() {
            Some(l) if l.is_core("id") => store.by_id.get(l.value).into_iter().collect(),
            Some(l) if unique_attr.is_some_and(|u| l.is_core(u)) => store
                .unique
                .get(&l.value.to_lowercase())
                .and_then(|id| store.by_id.get(id))
                .into_iter()
                .collect(),
            Some(l) if l.is_core("externalId") => store
                .external
                .get(l.value)
                .into_iter()
                .flatten()
                .filter_map(|id| store.by_id.get(id))
                .collect(),
            _ => {
                let mut all: Vec<&Entry> = store.by_id.values().collect();
                all.sort_by_key(|e| e.seq);
                all
            }
        };
        let values = candidates
            .into_iter()
            .map(|e| self.decorate(&state, resource_type, e.value.clone()));
        Ok(query.page(values)?)
    }

    async fn patch(
        &self,
        _ctx: &RequestContext,
        resource_type: &str,
        id: &str,
        input: &PatchInput<'_>,
        expected_version: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let mut state = self.write()?;
        let current = Self::current(&state, resource_type, id)?;
        let patched = super::patched(current, input, expected_version)?;
        let store = &state.types[&key(resource_type)];
        self.check_unique(store, resource_type, id, &patched)?;
        let stored = self.put(&mut state, resource_type, id, patched);
        Ok(self.decorate(&state, resource_type, stored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim2_filter::{parse_filter, CompiledFilter, NoSchema};
    use serde_json::json;

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    fn stamped(resource_type: &str, id: &str, mut v: Value) -> Value {
        crate::meta::stamp_new(&mut v, resource_type, id);
        v
    }

    fn filtered(filter: &str) -> ListQuery {
        let filter = parse_filter(filter).unwrap();
        let matcher = CompiledFilter::new(&filter, &NoSchema).unwrap();
        ListQuery {
            filter: Some(filter),
            matcher: Some(matcher),
            ..ListQuery::default()
        }
    }

    #[test]
    fn groups_follow_membership_and_deleted_members_leave() {
        block_on(async {
            let store = InMemoryProvisioner::new();
            let ctx = RequestContext::default();
            for id in ["u1", "u2"] {
                let user = stamped("User", id, json!({"userName": id}));
                store.create(&ctx, "User", user).await.unwrap();
            }
            let group =
                json!({"displayName": "Sales", "members": [{"value": "u1"}, {"value": "u2"}]});
            let group = store
                .create(&ctx, "Group", stamped("Group", "g1", group))
                .await
                .unwrap();
            let u1 = store.get(&ctx, "User", "u1").await.unwrap();
            assert_eq!(u1["groups"], json!([group_ref(&group)]));

            store.delete(&ctx, "User", "u1", None).await.unwrap();
            let after = store.get(&ctx, "Group", "g1").await.unwrap();
            assert_eq!(member_ids(&after).collect::<Vec<_>>(), ["u2"]);
            assert_ne!(
                crate::meta::version_of(&after),
                crate::meta::version_of(&group)
            );
        });
    }

    #[test]
    fn extension_equality_filters_are_answered() {
        const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        block_on(async {
            let store = InMemoryProvisioner::new();
            let ctx = RequestContext::default();
            for (id, number) in [("u1", "41"), ("u2", "42")] {
                let user = json!({"userName": id, ENTERPRISE: {"employeeNumber": number}});
                store
                    .create(&ctx, "User", stamped("User", id, user))
                    .await
                    .unwrap();
            }
            let query = filtered(&format!(r#"{ENTERPRISE}:employeeNumber eq "42""#));
            assert!(query
                .equality_lookup()
                .unwrap()
                .is_extension(ENTERPRISE, "employeeNumber"));
            let page = store.list(&ctx, "User", &query).await.unwrap();
            assert_eq!(page.total_results, 1);
            assert_eq!(page.resources[0]["id"], "u2");

            let page = store
                .list(&ctx, "User", &filtered(r#"userName eq "U1""#))
                .await
                .unwrap();
            assert_eq!(page.resources[0]["id"], "u1");
        });
    }
}
