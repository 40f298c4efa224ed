//! The 1Password rules over each engine, called directly (no process, no HTTP): SQLite in
//! a temporary directory, and PostgreSQL in a database of its own on a throwaway server
//! (skipped, saying so, where PostgreSQL is not installed). Every test runs on both.

use http::StatusCode;
use scim2_core::meta::{stamp_new, version_of};
use scim2_core::patch::PatchRequest;
use scim2_core::schema::urn;
use serde_json::{json, Value};

use super::*;
use crate::onepassword::audit::Actor;
use crate::onepassword::{BUILTIN_GROUPS, EXTENSION, OWNERS, TEAM_MEMBERS};
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{AccountState, Store, StoreError};

#[path = "../../../../tests/common/postgres.rs"]
mod pg;

/// The engine a test runs on.
enum Engine {
    /// SQLite in a temporary directory.
    Sqlite,
    /// PostgreSQL: the URL of a new database on the test server.
    Postgres(String),
}

impl Engine {
    /// PostgreSQL, or `None` (the test skipped, saying so) where it is not installed.
    fn postgres() -> Option<Engine> {
        pg::server().map(|server| Engine::Postgres(server.database()))
    }
}

/// Runs each named test (a `fn(Engine)`) on both engines: `name::sqlite` and
/// `name::postgres`.
macro_rules! on_each_engine {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(super::Engine::Sqlite)
            }

            #[test]
            fn postgres() {
                if let Some(engine) = super::Engine::postgres() {
                    super::$name(engine)
                }
            }
        }
    )*};
}

/// A store of either engine.
enum TestStore {
    /// The store, and the directory it lives in (removed when dropped).
    Sqlite(
        SqliteStore,
        #[allow(
            dead_code,
            reason = "kept for its Drop: the directory lives as long as the store"
        )]
        tempfile::TempDir,
    ),
    Postgres(Box<PgStore>),
}

impl Store for TestStore {
    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match self {
            TestStore::Sqlite(s, _) => s.read(f),
            TestStore::Postgres(s) => s.read(f),
        }
    }

    fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match self {
            TestStore::Sqlite(s, _) => s.write(f),
            TestStore::Postgres(s) => s.write(f),
        }
    }

    fn check(&self) -> std::result::Result<(), StoreError> {
        match self {
            TestStore::Sqlite(s, _) => s.check(),
            TestStore::Postgres(s) => s.check(),
        }
    }

    fn engine(&self) -> &'static str {
        match self {
            TestStore::Sqlite(s, _) => s.engine(),
            TestStore::Postgres(s) => s.engine(),
        }
    }
}

/// An account: its store and policy.
struct Account {
    store: TestStore,
    policy: Policy,
}

impl Account {
    /// A new account on `engine` with the built-in groups, limited to `domains` when not
    /// empty.
    fn new(engine: &Engine, domains: &[&str]) -> Self {
        let store = match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let store = SqliteStore::open(&dir.path().join("bridge.db")).expect("a store");
                TestStore::Sqlite(store, dir)
            }
            Engine::Postgres(url) => {
                TestStore::Postgres(Box::new(PgStore::open(url).expect("a store")))
            }
        };
        store
            .write(ensure_builtin_groups)
            .expect("the built-in groups");
        let policy = Policy {
            allowed_domains: domains.iter().map(|d| d.to_string()).collect(),
            ..Policy::default()
        };
        Account { store, policy }
    }

    fn write<T>(&self, f: impl FnOnce(&mut dyn Tx, &Policy) -> Result<T>) -> Result<T> {
        self.store.write(|tx| f(tx, &self.policy))
    }

    /// Creates `resource` as the service would: with `id` and `meta`.
    fn create(&self, kind: Kind, id: &str, mut resource: Value) -> Result<Value> {
        stamp_new(&mut resource, kind.as_str(), id);
        self.write(|tx, policy| create(tx, &Writer::new(policy, &Actor::cli()), kind, resource))
    }

    fn user(&self, id: &str, user_name: &str) -> Result<Value> {
        let user = json!({"schemas": [urn::USER], "userName": user_name, "active": true});
        self.create(Kind::User, id, user)
    }

    fn group(&self, id: &str, name: &str, members: &[&str]) -> Result<Value> {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        let group = json!({"schemas": [urn::GROUP], "displayName": name, "members": members});
        self.create(Kind::Group, id, group)
    }

    fn get(&self, kind: Kind, id: &str) -> Result<Value> {
        self.store.read(|tx| get(tx, kind, id))
    }

    /// A PUT of the resource as read, changed by `change`.
    fn put(&self, kind: Kind, id: &str, change: impl FnOnce(&mut Value)) -> Result<Value> {
        self.write(|tx, policy| {
            let old = get(tx, kind, id)?;
            let mut new = old.clone();
            change(&mut new);
            update(tx, &Writer::new(policy, &Actor::cli()), kind, id, &old, new)
        })
    }

    fn set_active(&self, id: &str, active: bool) -> Result<Value> {
        self.put(Kind::User, id, |u| u["active"] = Value::Bool(active))
    }

    fn set_members(&self, group: &str, members: &[&str]) -> Result<Value> {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
        self.put(Kind::Group, group, |g| g["members"] = Value::from(members))
    }

    fn delete(&self, kind: Kind, id: &str) -> Result<()> {
        self.write(|tx, policy| delete(tx, &Writer::new(policy, &Actor::cli()), kind, id, None))
    }

    fn state(&self, id: &str) -> (AccountState, Option<AccountState>) {
        self.store
            .read(|tx| Ok::<_, StoreError>(tx.account(id)?.expect("an account record")))
            .map(|a| (a.state, a.suspended_from))
            .expect("a read")
    }

    fn accept(&self, user_name: &str) -> Result<AccountState> {
        self.store
            .write(|tx| accept_invitation(tx, user_name, &Actor::cli()))
    }

    /// A PATCH of a group's members that takes the row-by-row path.
    fn patch_members(&self, group: &str, operations: Value) -> Result<Value> {
        let request: PatchRequest = serde_json::from_value(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        }))
        .expect("a PATCH request");
        let changes = member_changes(Kind::Group, &request).expect("a members-only PATCH");
        self.store
            .write(|tx| patch_members(tx, group, &changes, &request, None, true, &Actor::cli()))
    }

    fn member_ids(&self, group: &str) -> Vec<String> {
        let group = self.get(Kind::Group, group).expect("the group");
        group["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["value"].as_str().map(str::to_owned))
            .collect()
    }
}

on_each_engine!(
    builtin_groups_exist_and_cannot_be_deleted_or_renamed,
    the_last_owner_cannot_be_suspended_deleted_or_removed_from_owners,
    suspension_restores_the_state_from_before,
    a_user_created_suspended_who_accepts_is_restored_to_pending,
    invitations_are_accepted_then_confirmed,
    allowed_domains_limit_user_names,
    user_names_are_unique_case_insensitively,
    members_are_users_or_groups_of_the_account_and_never_a_cycle,
    a_members_only_patch_moves_the_version_only_when_membership_changes,
);

/// The status of a refused rule.
fn status<T: std::fmt::Debug>(result: Result<T>) -> StatusCode {
    match result {
        Err(RuleError::Scim(e)) => e.status(),
        other => panic!("expected a SCIM error, got {other:?}"),
    }
}

fn builtin_groups_exist_and_cannot_be_deleted_or_renamed(engine: Engine) {
    let account = Account::new(&engine, &[]);
    // Preparing an account twice changes nothing.
    account.store.write(ensure_builtin_groups).expect("again");
    for (id, name) in BUILTIN_GROUPS {
        let group = account.get(Kind::Group, id).expect("a built-in group");
        assert_eq!(group["displayName"], name);
        assert_eq!(
            status(account.delete(Kind::Group, id)),
            StatusCode::FORBIDDEN
        );
        let renamed = account.put(Kind::Group, id, |g| g["displayName"] = "Renamed".into());
        assert_eq!(status(renamed), StatusCode::BAD_REQUEST, "{id}");
    }
    // A managed group is deleted, and its name was unique among groups.
    account.group("g1", "Engineering", &[]).expect("a group");
    assert_eq!(
        status(account.group("g2", "ENGINEERING", &[])),
        StatusCode::CONFLICT
    );
    assert_eq!(
        status(account.group("g3", "owners", &[])),
        StatusCode::CONFLICT
    );
    account.delete(Kind::Group, "g1").expect("deleted");
    assert_eq!(
        status(account.get(Kind::Group, "g1")),
        StatusCode::NOT_FOUND
    );
}

fn the_last_owner_cannot_be_suspended_deleted_or_removed_from_owners(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account.user("a", "a@example.com").expect("a");
    account.user("b", "b@example.com").expect("b");
    account.set_members(OWNERS, &["a"]).expect("a is an Owner");

    assert_eq!(
        status(account.set_active("a", false)),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(account.delete(Kind::User, "a")),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(account.set_members(OWNERS, &[])),
        StatusCode::FORBIDDEN
    );
    let remove = json!([{"op": "remove", "path": "members[value eq \"a\"]"}]);
    assert_eq!(
        status(account.patch_members(OWNERS, remove.clone())),
        StatusCode::FORBIDDEN
    );
    // Refusals are rolled back: a is still an enabled Owner.
    assert_eq!(account.member_ids(OWNERS), ["a"]);
    assert_eq!(account.state("a").0, AccountState::Invited);

    // With a second Owner, the first may go; a suspended Owner does not count.
    account
        .patch_members(
            OWNERS,
            json!([{"op": "add", "path": "members", "value": [{"value": "b"}]}]),
        )
        .expect("b is an Owner");
    account.set_active("a", false).expect("a suspended");
    assert_eq!(
        status(account.set_active("b", false)),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(account.delete(Kind::User, "b")),
        StatusCode::FORBIDDEN
    );
    account.patch_members(OWNERS, remove).expect("a removed");
    assert_eq!(account.member_ids(OWNERS), ["b"]);
    // Deleting a user who is no Owner is not the rule's business.
    account.delete(Kind::User, "a").expect("a deleted");
}

fn suspension_restores_the_state_from_before(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account.user("u", "u@example.com").expect("u");
    assert_eq!(account.state("u"), (AccountState::Invited, None));
    assert_eq!(
        account.accept("U@example.com").expect("accepted"),
        AccountState::Pending
    );

    let suspended = account.set_active("u", false).expect("suspended");
    assert_eq!(suspended["active"], false);
    assert_eq!(suspended[EXTENSION]["state"], "suspended");
    assert_eq!(
        account.state("u"),
        (AccountState::Suspended, Some(AccountState::Pending))
    );
    // Suspending again changes nothing.
    account.set_active("u", false).expect("still suspended");
    assert_eq!(
        account.state("u"),
        (AccountState::Suspended, Some(AccountState::Pending))
    );
    let restored = account.set_active("u", true).expect("restored");
    assert_eq!(restored["active"], true);
    assert_eq!(account.state("u"), (AccountState::Pending, None));

    account
        .store
        .write(|tx| confirm_pending(tx, &Actor::watcher()))
        .expect("confirmed");
    account.set_active("u", false).expect("suspended");
    account.set_active("u", true).expect("restored");
    assert_eq!(account.state("u"), (AccountState::Active, None));
}

fn a_user_created_suspended_who_accepts_is_restored_to_pending(engine: Engine) {
    let account = Account::new(&engine, &[]);
    let user = json!({"schemas": [urn::USER], "userName": "s@example.com", "active": false});
    account
        .create(Kind::User, "s", user)
        .expect("created suspended");
    assert_eq!(
        account.state("s"),
        (AccountState::Suspended, Some(AccountState::Invited))
    );
    assert_eq!(
        account.accept("s@example.com").expect("accepted"),
        AccountState::Suspended
    );
    assert_eq!(
        account.state("s"),
        (AccountState::Suspended, Some(AccountState::Pending))
    );
    account.set_active("s", true).expect("restored");
    assert_eq!(account.state("s"), (AccountState::Pending, None));
}

fn invitations_are_accepted_then_confirmed(engine: Engine) {
    let account = Account::new(&engine, &[]);
    let created = account.user("u", "u@example.com").expect("u");
    account.user("v", "v@example.com").expect("v");
    assert_eq!(created[EXTENSION]["state"], "invited");
    assert_eq!(
        account
            .store
            .write(|tx| confirm_pending(tx, &Actor::watcher()))
            .expect("none"),
        Vec::<String>::new()
    );

    account.accept("u@example.com").expect("accepted");
    let pending = account.get(Kind::User, "u").expect("u");
    assert_eq!(pending[EXTENSION]["state"], "pending");
    assert_ne!(version_of(&pending), version_of(&created), "a new version");

    assert_eq!(
        account
            .store
            .write(|tx| confirm_pending(tx, &Actor::watcher()))
            .expect("one"),
        ["u"]
    );
    assert_eq!(account.state("u").0, AccountState::Active);
    // Accepting again changes nothing.
    assert_eq!(
        account.accept("u@example.com").expect("again"),
        AccountState::Active
    );
    assert_eq!(
        status(account.accept("nobody@example.com")),
        StatusCode::NOT_FOUND
    );

    let counts = account.store.read(state_counts).expect("counts");
    assert_eq!(counts["active"], 1);
    assert_eq!(counts["invited"], 1);
    assert_eq!(counts["pending"], 0);
    assert_eq!(counts["suspended"], 0);
}

fn allowed_domains_limit_user_names(engine: Engine) {
    let account = Account::new(&engine, &["example.com"]);
    let user = account
        .user("a", "a@Example.COM")
        .expect("an allowed domain");
    // The work email derives from an email-shaped userName.
    assert_eq!(
        user["emails"],
        json!([{"value": "a@Example.COM", "type": "work", "primary": true}])
    );
    assert_eq!(
        status(account.user("b", "b@other.com")),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(account.user("c", "no-at-sign")),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(account.user("d", "d@sub.example.com")),
        StatusCode::BAD_REQUEST
    );
    let moved = account.put(Kind::User, "a", |u| u["userName"] = "a@other.com".into());
    assert_eq!(status(moved), StatusCode::BAD_REQUEST);

    let open = Account::new(&engine, &[]);
    open.user("c", "no-at-sign")
        .expect("any userName without a policy");
    assert!(open
        .get(Kind::User, "c")
        .expect("c")
        .get("emails")
        .is_none());
}

fn user_names_are_unique_case_insensitively(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account.user("a", "a@example.com").expect("a");
    assert_eq!(
        status(account.user("b", "A@EXAMPLE.COM")),
        StatusCode::CONFLICT
    );
    account.user("b", "b@example.com").expect("b");
    let taken = account.put(Kind::User, "b", |u| u["userName"] = "A@example.com".into());
    assert_eq!(status(taken), StatusCode::CONFLICT);
}

fn members_are_users_or_groups_of_the_account_and_never_a_cycle(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account.user("u", "u@example.com").expect("u");
    let g1 = account.group("g1", "One", &["u"]).expect("g1");
    assert_eq!(g1["members"][0]["type"], "User");
    let user = account.get(Kind::User, "u").expect("u");
    let groups: Vec<&str> = user["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["value"].as_str())
        .collect();
    assert_eq!(groups, [TEAM_MEMBERS, "g1"], "everyone is in Team Members");

    assert_eq!(
        status(account.group("g0", "Zero", &["nobody"])),
        StatusCode::BAD_REQUEST
    );
    let g2 = account.group("g2", "Two", &["g1"]).expect("g2 holds g1");
    assert_eq!(g2["members"][0]["type"], "Group");
    assert_eq!(
        status(account.set_members("g1", &["u", "g2"])),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        status(account.set_members("g1", &["g1"])),
        StatusCode::BAD_REQUEST
    );
    let add_self = json!([{"op": "add", "path": "members", "value": [{"value": "g2"}]}]);
    assert_eq!(
        status(account.patch_members("g2", add_self)),
        StatusCode::BAD_REQUEST
    );

    // Team Members' membership is implicit: nothing is stored.
    account.set_members(TEAM_MEMBERS, &["u"]).expect("accepted");
    assert!(account.member_ids(TEAM_MEMBERS).is_empty());

    // A deleted member leaves every group.
    account.delete(Kind::User, "u").expect("u deleted");
    assert!(account.member_ids("g1").is_empty());
    account.delete(Kind::Group, "g1").expect("g1 deleted");
    assert!(account.member_ids("g2").is_empty());
}

fn a_members_only_patch_moves_the_version_only_when_membership_changes(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account.user("u", "u@example.com").expect("u");
    let before = account.group("g", "G", &[]).expect("g");
    let add = json!([{"op": "add", "path": "members", "value": [{"value": "u", "display": "U"}]}]);
    let added = account.patch_members("g", add.clone()).expect("added");
    assert_eq!(
        added["members"],
        json!([{"value": "u", "type": "User", "display": "U"}])
    );
    assert_ne!(version_of(&added), version_of(&before));
    let again = account.patch_members("g", add).expect("added again");
    assert_eq!(version_of(&again), version_of(&added), "nothing changed");
    let remove = json!([{"op": "remove", "path": "members", "value": [{"value": "u"}]}]);
    let removed = account.patch_members("g", remove).expect("removed");
    assert!(removed.get("members").is_none());
    assert_ne!(version_of(&removed), version_of(&added));

    // Only group member changes take this path.
    let request: PatchRequest = serde_json::from_value(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": "u"}]}],
    }))
    .expect("a PATCH request");
    assert!(member_changes(Kind::User, &request).is_none());
}

mod journal;
mod nul;
