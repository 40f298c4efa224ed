//! `scim-bridge migrate`: copies everything an SQLite bridge keeps (resources in their
//! order, group memberships, account states) into another store, the PostgreSQL database
//! of the replicas that replace it, in one transaction on each side: the source is read
//! from one snapshot, and the target holds all of it (with the Secret Token's hash) or
//! none of it.

use crate::onepassword::BUILTIN_GROUPS;
use crate::store::postgres::PgStore;
use crate::store::{AccountState, Store, StoreError, Tx};

/// Rows read from the source per batch.
const BATCH: u64 = 500;

/// What [`copy`] copied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Copied {
    /// Users.
    pub(crate) users: u64,
    /// Groups (the built-in ones included).
    pub(crate) groups: u64,
    /// Group memberships.
    pub(crate) members: u64,
    /// Account records.
    pub(crate) accounts: u64,
}

/// Copies every resource, membership and account of `from` into `to`, which must hold
/// nothing but (member-less) built-in groups: a target a bridge only started on; and
/// sets `settings` (the Secret Token's hash) in the same transaction, so that a failure
/// leaves the target as it was.
pub(crate) fn copy<A: Store>(
    from: &A,
    to: &PgStore,
    settings: &[(&str, &str)],
) -> Result<Copied, StoreError> {
    from.read(|src| to.write_with_settings(settings, |dst| copy_in(src, dst)))
}

/// [`copy`], inside the two transactions.
fn copy_in(src: &mut dyn Tx, dst: &mut dyn Tx) -> Result<Copied, StoreError> {
    clear_fresh_target(dst)?;
    let mut copied = Copied::default();
    for rt in ["User", "Group"] {
        let mut after = 0;
        loop {
            let batch = src.scan_after(rt, after, BATCH)?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (_, row) in &batch {
                dst.insert(rt, row)?;
                if rt == "User" {
                    copied.users += 1;
                } else {
                    copied.groups += 1;
                    for member in src.members(&row.id)? {
                        dst.add_member(&row.id, &member)?;
                        copied.members += 1;
                    }
                }
            }
        }
    }
    for state in AccountState::ALL {
        for account in src.accounts_in(state, u64::MAX)? {
            dst.set_account(&account)?;
            copied.accounts += 1;
        }
    }
    Ok(copied)
}

/// Removes the built-in groups a bridge created on a new target; refuses a target that
/// holds anything else, so that a migration never mixes two accounts.
fn clear_fresh_target(dst: &mut dyn Tx) -> Result<(), StoreError> {
    let refuse = |what: String| {
        StoreError::Other(format!(
            "the target database already holds {what}: migrate into an empty database (or one a bridge has only started on)"
        ))
    };
    let users = dst.count("User")?;
    if users > 0 {
        return Err(refuse(format!("{users} users")));
    }
    let groups = dst.page("Group", 0, BATCH)?;
    for group in &groups {
        if !BUILTIN_GROUPS.iter().any(|(id, _)| *id == group.id) {
            return Err(refuse(format!("the group {}", group.id)));
        }
        if !dst.members(&group.id)?.is_empty() {
            return Err(refuse(format!("members in the group {}", group.id)));
        }
    }
    for group in groups {
        dst.remove("Group", &group.id)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{Account, MemberRow, Row};
    use serde_json::json;

    fn row(id: &str, key: &str) -> Row {
        Row {
            id: id.to_owned(),
            data: json!({"id": id, "userName": key}),
            unique_key: Some(key.to_owned()),
            external_id: None,
        }
    }

    #[test]
    fn everything_is_copied_in_order_and_a_used_target_is_refused() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let from = SqliteStore::open(&dir.path().join("from.db")).expect("a store");
        let to = SqliteStore::open(&dir.path().join("to.db")).expect("a store");
        from.write(|tx| {
            for i in (0..1200).rev() {
                tx.insert("User", &row(&format!("u{i}"), &format!("u{i}@x")))?;
            }
            tx.insert("Group", &row("owners", "owners"))?;
            tx.add_member(
                "owners",
                &MemberRow {
                    id: "u7".into(),
                    kind: Some("User".into()),
                    display: None,
                    reference: None,
                },
            )?;
            tx.set_account(&Account {
                user_id: "u7".into(),
                state: AccountState::Suspended,
                suspended_from: Some(AccountState::Pending),
                changed_at: "2026-01-01T00:00:00Z".into(),
            })
        })
        .expect("a source");
        to.write(|tx| tx.insert("Group", &row("owners", "owners")))
            .expect("a built-in group on the target");
        let copied = from
            .read(|src| to.write(|dst| copy_in(src, dst)))
            .expect("copied");
        assert_eq!(
            copied,
            Copied {
                users: 1200,
                groups: 1,
                members: 1,
                accounts: 1
            }
        );
        let (first, members, account) = to
            .read(|tx| {
                Ok::<_, StoreError>((
                    tx.page("User", 0, 1)?,
                    tx.members("owners")?,
                    tx.account("u7")?,
                ))
            })
            .expect("read back");
        assert_eq!(first[0].id, "u1199", "creation order kept");
        assert_eq!(members.len(), 1);
        assert_eq!(
            account.map(|a| (a.state, a.suspended_from)),
            Some((AccountState::Suspended, Some(AccountState::Pending)))
        );
        let again = from
            .read(|src| to.write(|dst| copy_in(src, dst)))
            .expect_err("refused");
        assert!(again.to_string().contains("1200 users"), "{again}");
    }
}
