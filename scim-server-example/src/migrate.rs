//! `scim-bridge migrate`: copies everything an SQLite bridge keeps (resources in their
//! order, group memberships, account states) into another store, the PostgreSQL database
//! of the replicas that replace it, in one transaction on each side: the source is read
//! from one snapshot, and the target holds all of it (with the Secret Token's hash) or
//! none of it.
//!
//! PostgreSQL holds less than SQLite: no U+0000 in its text, and no index entry past
//! [`INDEX_ENTRY_BYTES`] (an `externalId`, a `userName` or a group's `displayName`
//! longer than that once compressed). A record the target refuses stops the copy with a
//! message naming it (type, id, and the value at fault) and what to change.

use crate::onepassword::{Kind, BUILTIN_GROUPS};
use crate::store::postgres::PgStore;
use crate::store::{AccountState, MemberRow, Order, Row, Selection, Store, StoreError, Tx};

/// Rows read from the source per batch.
const BATCH: u64 = 500;

/// The most bytes a PostgreSQL btree index entry holds (a third of an 8 kB page, less
/// its headers), after compression: a longer indexed value is refused (SQLSTATE 54000).
const INDEX_ENTRY_BYTES: usize = 2704;

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
            let batch = src.scan_after(rt, &Selection::all(), after, BATCH)?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (_, row) in &batch {
                dst.insert(rt, row)
                    .map_err(|e| naming(e, || resource_fault(rt, row)))?;
                if rt == "User" {
                    copied.users += 1;
                } else {
                    copied.groups += 1;
                    for member in src.members(&row.id)? {
                        dst.add_member(&row.id, &member)
                            .map_err(|e| naming(e, || member_fault(&row.id, &member)))?;
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

/// `e`, a failure to write a record into the target, said with the record when the
/// target cannot hold one of its values: `fault` names the record and the value, and the
/// operator is told what to change. Other failures are returned as they are.
fn naming(e: StoreError, fault: impl FnOnce() -> String) -> StoreError {
    match e {
        StoreError::Unrepresentable(said) => StoreError::Unrepresentable(format!(
            "{}. Change that value on the SQLite bridge (a PUT or PATCH of the resource: \
             without U+0000, or shorter), then run migrate again (PostgreSQL said: {said})",
            fault()
        )),
        other => other,
    }
}

/// What in resource `row` of type `rt` PostgreSQL refuses, named for the operator.
fn resource_fault(rt: &str, row: &Row) -> String {
    let unique = Kind::parse(rt).map_or("unique key", Kind::unique_attr);
    let values = [
        ("id", Some(row.id.as_str())),
        (unique, row.unique_key.as_deref()),
        ("externalId", row.external_id.as_deref()),
    ];
    format!(
        "{rt} {} cannot be stored in PostgreSQL: {}",
        row.id.escape_debug(),
        fault(&values)
    )
}

/// What in member `m` of group `group` PostgreSQL refuses, named for the operator.
fn member_fault(group: &str, m: &MemberRow) -> String {
    let values = [
        ("value", Some(m.id.as_str())),
        ("display", m.display.as_deref()),
        ("$ref", m.reference.as_deref()),
    ];
    format!(
        "the member {} of Group {} cannot be stored in PostgreSQL: {}",
        m.id.escape_debug(),
        group.escape_debug(),
        fault(&values)
    )
}

/// Which of `values` (name, value) PostgreSQL cannot hold: one holding U+0000, else
/// those too long for an index entry (uncompressed, less the entry's other columns).
fn fault(values: &[(&str, Option<&str>)]) -> String {
    if let Some((name, _)) = values
        .iter()
        .find(|(_, v)| v.is_some_and(|v| v.contains('\0')))
    {
        return format!("its {name} holds U+0000 (a NUL character), which PostgreSQL cannot store");
    }
    let long: Vec<String> = values
        .iter()
        .filter_map(|(name, v)| {
            v.filter(|v| v.len() > INDEX_ENTRY_BYTES - 64)
                .map(|v| format!("its {name} ({} bytes)", v.len()))
        })
        .collect();
    if long.is_empty() {
        return "one of its values is one PostgreSQL cannot store".to_owned();
    }
    format!(
        "{} is longer than a PostgreSQL index entry holds ({INDEX_ENTRY_BYTES} bytes once \
         compressed)",
        long.join(" or ")
    )
}

/// Removes the built-in groups a bridge created on a new target; refuses a target that
/// holds anything else, so that a migration never mixes two accounts.
fn clear_fresh_target(dst: &mut dyn Tx) -> Result<(), StoreError> {
    let refuse = |what: String| {
        StoreError::Other(format!(
            "the target database already holds {what}: migrate into an empty database (or one a bridge has only started on)"
        ))
    };
    let users = dst.count("User", &Selection::all())?;
    if users > 0 {
        return Err(refuse(format!("{users} users")));
    }
    let groups = dst.page("Group", &Selection::all(), Order::Created, 0, BATCH)?;
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
    use crate::store::Account;
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
                    tx.page("User", &Selection::all(), Order::Created, 0, 1)?,
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

    #[test]
    fn a_refused_record_is_named_with_the_value_at_fault() {
        let mut r = row("u1", "u@x");
        r.external_id = Some("a\0b".into());
        let e = naming(StoreError::Unrepresentable("ERROR 22021".into()), || {
            resource_fault("User", &r)
        });
        let text = e.to_string();
        for part in [
            "User u1",
            "its externalId holds U+0000",
            "SQLite bridge",
            "ERROR 22021",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
        let mut g = row("g1", &"G".repeat(3000));
        g.external_id = Some("short".into());
        let text = resource_fault("Group", &g);
        assert!(text.contains("Group g1"), "{text}");
        assert!(text.contains("its displayName (3000 bytes)"), "{text}");
        assert!(!text.contains("externalId"), "{text}");
        let m = MemberRow {
            id: "u1".into(),
            kind: None,
            display: Some("\0".into()),
            reference: None,
        };
        assert!(member_fault("g1", &m).contains("its display holds U+0000"));
        // Any other failure is passed on as it is.
        assert!(matches!(
            naming(StoreError::Busy("b".into()), || unreachable!()),
            StoreError::Busy(_)
        ));
    }
}
