//! The confirmation watcher on several replicas: exactly one runs it, and when that one
//! dies with people pending, another takes over within two intervals and confirms each
//! of them exactly once (none stranded, none confirmed twice); when it freezes (SIGSTOP:
//! its session and lock stay), another ends its session after three silent intervals,
//! takes over, and the frozen one, let run again, stands by.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::postgres::server;
use crate::common::{self, Bridge};
use crate::{
    accept, create_user, replicas_with, total_confirmed, watcher_leader, watcher_report,
    watcher_state,
};

/// The watcher's interval in the frozen-leader test, in seconds: a standby takes over
/// once the leader's heartbeat is three intervals old.
const FROZEN_INTERVAL: u64 = 3;

#[test]
fn a_frozen_watcher_leader_is_taken_over_and_stands_by_once_thawed() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let interval = FROZEN_INTERVAL.to_string();
    let args = [
        "--confirmation-interval",
        interval.as_str(),
        "--allow-short-interval",
    ];
    let all = replicas_with(&url, 2, &args);
    let leader_at = watcher_leader(&[&all[0], &all[1]]);
    let (leader, standby) = (&all[leader_at], &all[1 - leader_at]);

    // The leader confirms while it runs.
    let first = create_user(standby, "before@example.com");
    accept(standby, &url, "before@example.com");
    assert!(
        common::eventually(5 * FROZEN_INTERVAL, || common::state(standby, &first)
            == "active"),
        "the leader never confirmed anyone"
    );

    leader.freeze();
    let frozen = Instant::now();
    // Thawed whatever happens, so that the bridge can be killed at the end.
    struct Thaw<'a>(&'a crate::Replica);
    impl Drop for Thaw<'_> {
        fn drop(&mut self) {
            self.0.thaw();
        }
    }
    let thaw = Thaw(leader);
    let pending = create_user(standby, "during@example.com");
    accept(standby, &url, "during@example.com");

    // The standby finds the leader silent, ends its session, takes the lock and confirms.
    let mut took_over = None;
    assert!(
        common::eventually(20 * FROZEN_INTERVAL, || {
            if took_over.is_none() && watcher_state(standby) == "running" {
                took_over = Some(frozen.elapsed());
            }
            took_over.is_some() && common::state(standby, &pending) == "active"
        }),
        "no standby took over from the frozen leader (watcher: {})",
        watcher_report(standby)
    );
    let took_over = took_over.expect("taken over");
    eprintln!(
        "frozen watcher leader (interval {FROZEN_INTERVAL} s): the standby ran the watcher \
         {:.1} s after the freeze and had confirmed the pending person {:.1} s after it",
        took_over.as_secs_f64(),
        frozen.elapsed().as_secs_f64()
    );
    let leader_total = {
        drop(thaw);
        // Let run again, the old leader finds its session ended and stands by.
        let mut state = String::new();
        assert!(
            common::eventually(10 * FROZEN_INTERVAL, || {
                state = watcher_state(leader);
                state == "standby"
            }),
            "the thawed old leader does not stand by: {state} ({})",
            watcher_report(leader)
        );
        total_confirmed(&[leader])
    };
    assert_eq!(watcher_state(standby), "running");
    // Each person confirmed exactly once, by one or the other.
    assert_eq!(
        leader_total + total_confirmed(&[standby]),
        2,
        "confirmations by the old and the new leader do not add up to the two people"
    );
}

/// The watcher's interval in these tests, in seconds: long enough that people accepted
/// right after the leader's run are still pending when it is killed, even on a busy
/// machine.
const INTERVAL: u64 = 6;

/// How many people are pending when the leader dies.
const PENDING: usize = 3;

#[test]
fn the_watcher_fails_over_with_people_pending_and_confirms_each_exactly_once() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let interval = INTERVAL.to_string();
    let args = [
        "--confirmation-interval",
        interval.as_str(),
        "--allow-short-interval",
    ];
    let mut all = replicas_with(&url, 2, &args);
    let leader = watcher_leader(&[&all[0], &all[1]]);
    let survivor = 1 - leader;

    // The leader confirms while it lives.
    let first = create_user(&all[survivor], "first@example.com");
    accept(&all[survivor], &url, "first@example.com");
    assert!(
        common::eventually(3 * INTERVAL, || common::state(&all[survivor], &first)
            == "active"),
        "the leader never confirmed anyone"
    );
    let mut accepted = 1;

    // Right after one of the leader's runs, people accept; the leader is killed before
    // its next run. A machine too busy to do that within half an interval tries again
    // (the leader confirms that round's people in its next run).
    let (pending, leader_total, survivor_next) = 'attempt: {
        for attempt in 0..5 {
            let names: Vec<String> = (0..PENDING)
                .map(|i| format!("pending{attempt}-{i}@example.com"))
                .collect();
            let ids: Vec<String> = names
                .iter()
                .map(|n| create_user(&all[survivor], n))
                .collect();
            let last_run = watcher_report(&all[leader])["lastRunAt"].clone();
            assert!(
                common::eventually(3 * INTERVAL, || watcher_report(&all[leader])["lastRunAt"]
                    != last_run),
                "the leader stopped running"
            );
            let ran = Instant::now();
            let this_run = watcher_report(&all[leader])["lastRunAt"].clone();
            let (bridge, url): (&Bridge, &str) = (&all[survivor], &url);
            std::thread::scope(|s| {
                for name in &names {
                    s.spawn(move || accept(bridge, url, name));
                }
            });
            accepted += PENDING;
            // Just before the kill: every one of them still pending, and the leader has
            // not run since they accepted.
            let still_pending = ids.iter().all(|id| common::state(bridge, id) == "pending");
            let survivor_next = watcher_report(bridge)["nextRunAt"].clone();
            let before_kill = watcher_report(&all[leader]);
            if still_pending
                && before_kill["lastRunAt"] == this_run
                && ran.elapsed() < Duration::from_secs(INTERVAL) / 2
            {
                let total = before_kill["totalConfirmed"].as_u64().expect("a count");
                break 'attempt (ids, total, survivor_next);
            }
            eprintln!("attempt {attempt}: too slow to kill the leader before its next run");
        }
        panic!("never managed to kill the leader with people pending");
    };
    all.remove(leader).kill9();
    let killed = Instant::now();
    let survivor = &all[0];

    // The survivor takes over at its first look after the kill, or at the second if the
    // server had not yet seen the leader's session end: within two intervals.
    let mut looks_refused = BTreeSet::new();
    let (mut took_over, mut confirmed) = (None, None);
    assert!(
        common::eventually(6 * INTERVAL, || {
            let w = watcher_report(survivor);
            match w["state"].as_str() {
                Some("standby") if w["nextRunAt"] != survivor_next => {
                    looks_refused.insert(w["nextRunAt"].to_string());
                }
                Some("running") if took_over.is_none() => took_over = Some(killed.elapsed()),
                _ => {}
            }
            if confirmed.is_none()
                && pending
                    .iter()
                    .all(|id| common::state(survivor, id) == "active")
            {
                confirmed = Some(killed.elapsed());
            }
            took_over.is_some() && confirmed.is_some()
        }),
        "the survivor never confirmed the people pending when the leader died \
         (watcher: {})",
        watcher_report(survivor)
    );
    let (took_over, confirmed) = (
        took_over.expect("taken over"),
        confirmed.expect("confirmed"),
    );
    eprintln!(
        "watcher fail-over (interval {INTERVAL} s): the survivor ran the watcher {:.1} s \
         after the leader was killed, and had confirmed the {PENDING} pending people {:.1} s \
         after it",
        took_over.as_secs_f64(),
        confirmed.as_secs_f64()
    );
    assert!(
        looks_refused.len() <= 1,
        "the survivor was refused the watcher at {} looks after the leader died: {looks_refused:?}",
        looks_refused.len()
    );
    assert_eq!(watcher_state(survivor), "running");

    // Confirmed exactly once: what the dead leader confirmed and what the survivor
    // confirmed add up to everyone who accepted.
    let mut survivor_total = 0;
    assert!(common::eventually(3 * INTERVAL, || {
        survivor_total = total_confirmed(&[survivor]);
        leader_total + survivor_total >= accepted as u64
    }));
    assert_eq!(
        (leader_total, leader_total + survivor_total),
        (accepted as u64 - PENDING as u64, accepted as u64),
        "confirmations by the dead leader and the survivor do not add up to the people \
         who accepted"
    );
}
