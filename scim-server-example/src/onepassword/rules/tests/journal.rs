//! The audit trail and the deprovisioning guard on each engine: what the store keeps and
//! reads back, and the guard's count, holds and settlement, called directly.

use std::time::Duration;

use serde_json::Value;

use super::{Account, Engine};
use crate::onepassword::audit::{self, Action, Actor, Entry};
use crate::onepassword::{settle, DeprovisionLimit, Kind, Policy, Settled};
use crate::store::{AuditEvent, AuditQuery, HeldAction, Store, StoreError};

/// A SCIM client's actor, as a request makes it.
fn client() -> Actor {
    Actor {
        name: "token:0badc0de".into(),
        request_id: Some("req-1".into()),
    }
}

fn event(at: i64, action: &str, name: &str) -> AuditEvent {
    AuditEvent {
        seq: 0,
        at,
        request_id: Some("r".into()),
        actor: "token:0badc0de".into(),
        action: action.into(),
        resource_type: "User".into(),
        resource_id: Some(format!("id-{name}")),
        resource_name: Some(name.into()),
        attributes: vec!["title".into(), "name".into()],
        member: None,
    }
}

fn read(account: &Account, q: AuditQuery) -> Vec<(String, String)> {
    account
        .store
        .read(|tx| tx.audit_events(&q))
        .expect("read")
        .into_iter()
        .map(|e| (e.action, e.resource_name.unwrap_or_default()))
        .collect()
}

fn events_are_kept_queried_counted_and_pruned(engine: Engine) {
    let account = Account::new(&engine, &[]);
    account
        .store
        .write(|tx| {
            // Cleared of the built-in groups' records, to count from nothing.
            tx.prune_audit(i64::MAX, u64::MAX)?;
            for (at, action, name) in [
                (100, "user.invited", "Ann@Example.com"),
                (200, "user.suspended", "bo@example.com"),
                (300, "user.deleted", "cy@example.com"),
                (400, "user.suspended", "dee@example.com"),
            ] {
                tx.append_audit(&event(at, action, name))?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("appended");
    let all = account
        .store
        .read(|tx| {
            tx.audit_events(&AuditQuery {
                limit: 10,
                ..AuditQuery::default()
            })
        })
        .expect("read");
    assert_eq!(all.len(), 4);
    assert_eq!(all[0].resource_name.as_deref(), Some("dee@example.com"));
    assert_eq!(
        all[3].attributes,
        ["title", "name"],
        "attributes keep their order"
    );
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
    let q = |f: fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            limit: 10,
            ..AuditQuery::default()
        };
        f(&mut q);
        q
    };
    let names = |v: Vec<(String, String)>| v.into_iter().map(|(_, n)| n).collect::<Vec<_>>();
    assert_eq!(
        names(read(
            &account,
            q(|q| q.resource = Some("ann@EXAMPLE.com".into()))
        )),
        ["Ann@Example.com"]
    );
    assert_eq!(
        names(read(
            &account,
            q(|q| q.resource = Some("id-bo@example.com".into()))
        )),
        ["bo@example.com"]
    );
    assert_eq!(
        names(read(
            &account,
            q(|q| {
                q.since = Some(200);
                q.until = Some(400);
            })
        )),
        ["cy@example.com", "bo@example.com"]
    );
    assert_eq!(
        names(read(
            &account,
            q(|q| q.action = Some("user.suspended".into()))
        )),
        ["dee@example.com", "bo@example.com"]
    );
    let page = AuditQuery {
        before: Some(all[1].seq),
        limit: 10,
        ..AuditQuery::default()
    };
    assert_eq!(
        names(read(&account, page)),
        ["bo@example.com", "Ann@Example.com"]
    );
    let counted = account
        .store
        .read(|tx| tx.count_audit(&["user.suspended", "user.deleted"], &["cli"], 250))
        .expect("counted");
    assert_eq!(counted, 2);
    let by_others = account
        .store
        .read(|tx| tx.count_audit(&["user.suspended", "user.deleted"], &["token:0badc0de"], 0))
        .expect("counted");
    assert_eq!(by_others, 0);
    let pruned = account
        .store
        .write(|tx| tx.prune_audit(300, 1))
        .expect("pruned");
    assert_eq!(pruned, 1, "at most the batch");
    let pruned = account
        .store
        .write(|tx| tx.prune_audit(300, 100))
        .expect("pruned");
    assert_eq!(pruned, 1);
    assert_eq!(
        names(read(&account, q(|_| {}))),
        ["dee@example.com", "cy@example.com"]
    );
}

fn the_guard_holds_past_its_limit_and_settles_in_order(engine: Engine) {
    let mut account = Account::new(&engine, &[]);
    account.policy = Policy {
        deprovisioning: Some(DeprovisionLimit {
            limit: 1,
            window: Duration::from_secs(600),
        }),
        ..Policy::default()
    };
    for (id, name) in [("u1", "a@x.com"), ("u2", "b@x.com"), ("u3", "c@x.com")] {
        account.user(id, name).expect("created");
    }
    let w = |tx: &mut dyn crate::store::Tx, id: &str, active: bool| {
        let old = super::get(tx, Kind::User, id)?;
        let mut new = old.clone();
        new["active"] = Value::Bool(active);
        super::update(
            tx,
            &super::Writer::new(&account.policy, &client()),
            Kind::User,
            id,
            &old,
            new,
        )
    };
    // The operator's own suspension never counts and is never held.
    let op = account
        .store
        .write(|tx| {
            let old = super::get(tx, Kind::User, "u3")?;
            let mut new = old.clone();
            new["active"] = Value::Bool(false);
            super::update(
                tx,
                &super::Writer::new(&account.policy, &Actor::cli()),
                Kind::User,
                "u3",
                &old,
                new,
            )
        })
        .expect("suspended by the operator");
    assert_eq!(op["active"], false);
    let first = account.store.write(|tx| w(tx, "u1", false)).expect("u1");
    assert_eq!(first["active"], false, "the first goes through");
    let second = account.store.write(|tx| w(tx, "u2", false)).expect("u2");
    assert_eq!(second["active"], true, "the second is held");
    account
        .store
        .write(|tx| {
            super::delete(
                tx,
                &super::Writer::new(&account.policy, &client()),
                Kind::User,
                "u1",
                None,
            )
        })
        .expect("held, not refused");
    assert!(
        account.get(Kind::User, "u1").is_ok(),
        "a held deletion keeps the user"
    );
    let held = account.store.read(|tx| tx.held(0, 10)).expect("held");
    let held: Vec<(HeldAction, &str)> = held
        .iter()
        .map(|h| (h.action, h.user_id.as_str()))
        .collect();
    assert_eq!(
        held,
        [(HeldAction::Suspend, "u2"), (HeldAction::Delete, "u1")]
    );
    let outcomes = settle(&account.store, &account.policy, &Actor::cli(), true).expect("settled");
    assert!(
        outcomes.iter().all(|o| o.result == Ok(Settled::Done)),
        "{outcomes:?}"
    );
    assert_eq!(account.get(Kind::User, "u2").expect("u2")["active"], false);
    assert!(account.get(Kind::User, "u1").is_err(), "released: deleted");
    assert_eq!(
        account.store.read(|tx| tx.held_summary()).expect("none").0,
        0
    );
    // A second settlement finds nothing.
    assert!(settle(&account.store, &account.policy, &Actor::cli(), true)
        .expect("settled")
        .is_empty());
}

fn records_are_written_with_the_change_or_not_at_all(engine: Engine) {
    let account = Account::new(&engine, &[]);
    let recorded = || {
        let all = AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        };
        account
            .store
            .read(|tx| tx.audit_events(&all))
            .expect("read")
            .len()
    };
    let before = recorded();
    // A transaction that records, then fails: neither stays.
    let failed: Result<(), StoreError> = account.store.write(|tx| {
        audit::record(
            tx,
            &client(),
            [Entry::on(Action::UserUpdated, "User", &Value::Null)],
        )?;
        Err(StoreError::Other("the change failed".into()))
    });
    assert!(failed.is_err());
    assert_eq!(recorded(), before);
    assert_eq!(before, 5, "the built-in groups' creation, recorded once");
}

on_each_engine!(
    events_are_kept_queried_counted_and_pruned,
    the_guard_holds_past_its_limit_and_settles_in_order,
    records_are_written_with_the_change_or_not_at_all,
);
