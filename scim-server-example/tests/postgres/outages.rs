//! The database going away and coming back: 503 with `Retry-After` and `degraded`
//! meanwhile, then recovery without a restart, with one bridge and with two under a
//! write load (no acknowledged write lost, the confirmation watcher re-elected).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::postgres::PgServer;
use crate::common::{self, TOKEN};
use crate::{
    accept, create_user, health, replica, replicas_with, total_confirmed, try_create, user,
    watcher_leader, Created,
};

#[test]
fn a_database_that_goes_away_gives_503_and_degraded_then_recovers() {
    let Some(pg) = PgServer::start() else { return };
    let bridge = replica(&pg.database());
    create_user(&bridge, "before@example.com");
    pg.pg_ctl_stop();
    let (status, h) = health(&bridge);
    assert_eq!(status, 503, "{h}");
    assert_eq!(h["status"], "degraded");
    assert_eq!(h["components"]["store"]["state"], "down");
    let detail = h["components"]["store"]["detail"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!detail.is_empty(), "{h}");
    assert!(
        !detail.contains("127.0.0.1") && !detail.contains(&pg.port.to_string()),
        "the detail names the server: {detail}"
    );
    let (status, retry, v) = {
        let (status, mut named, v) = common::request(
            &format!("{}/scim/v2/Users", bridge.url),
            "POST",
            Some(&user("during@example.com")),
            &[("Authorization", &format!("Bearer {TOKEN}"))],
            Duration::from_secs(30),
            &["retry-after"],
        );
        (status, named.remove(0), v)
    };
    assert_eq!(status, 503, "{v}");
    assert!(retry.is_some(), "503 without Retry-After");
    let text = v.to_string();
    assert!(
        !text.contains("127.0.0.1") && !text.contains(&pg.port.to_string()),
        "{text}"
    );
    pg.pg_ctl_start();
    let mut last = Value::Null;
    assert!(
        common::eventually(30, || {
            let (status, h) = health(&bridge);
            last = h;
            status == 200
        }),
        "the bridge did not recover once the database was back: {last}"
    );
    create_user(&bridge, "after@example.com");
    let (_, list) = bridge.call("GET", "/scim/v2/Users", None);
    assert_eq!(list["totalResults"], 2, "{list}");
}

/// The watcher's interval in the restart test, in seconds: short, so that the watcher is
/// re-elected soon after the database is back.
const INTERVAL: &str = "2";

/// Sets its flag when dropped: load threads in a scope stop even when an assertion of
/// the test's own thread fails (the scope would otherwise wait for them forever).
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// How many sessions hold the confirmation watcher's advisory lock in the database at
/// `url`: the PostgreSQL store's `WATCHER_LOCK` (keys `LOCK_SPACE` = 0x5C1B_0001, 3).
fn watcher_lock_holders(url: &str) -> i64 {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    client
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
             WHERE d.datname = current_database() AND l.locktype = 'advisory'
               AND l.classid = 1545273345 AND l.objid = 3 AND l.objsubid = 2 AND l.granted",
            &[],
        )
        .expect("pg_locks")
        .get(0)
}

#[test]
fn the_database_restarted_under_load_on_two_replicas_gives_503s_then_both_recover_and_one_watcher_runs(
) {
    let Some(pg) = PgServer::start() else { return };
    let url = pg.database();
    let all = replicas_with(
        &url,
        2,
        &[
            "--confirmation-interval",
            INTERVAL,
            "--allow-short-interval",
        ],
    );
    let bridges = [&*all[0], &*all[1]];
    watcher_leader(&bridges);
    let stop = AtomicBool::new(false);
    // Which replica answered, and what.
    let answers = Mutex::new(Vec::<(usize, Created)>::new());
    // When the server was back, and how soon both replicas took writes again.
    let (mut back, mut writing) = (None, Duration::ZERO);
    std::thread::scope(|s| {
        let _stop = StopOnDrop(&stop);
        for t in 0..4 {
            let r = t % 2;
            let (url, stop, answers) = (&bridges[r].url, &stop, &answers);
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let answer = try_create(url, &format!("load{t}-{i}@example.com"))
                        .expect("the bridge answers");
                    answers.lock().expect("the list").push((r, answer));
                    i += 1;
                }
            });
        }
        let count = || answers.lock().expect("the list").len();
        // Whether each replica answered `status` since answer `from`.
        let seen = |from: usize, status: u16| {
            let answers = answers.lock().expect("the list");
            [0, 1].map(|r| {
                answers[from..]
                    .iter()
                    .any(|(by, a)| *by == r && a.status == status)
            })
        };
        assert!(
            common::eventually(60, || seen(0, 201) == [true, true] && count() >= 20),
            "no writes on both replicas before the restart"
        );
        pg.pg_ctl_stop();
        let down = count();
        assert!(
            common::eventually(90, || seen(down, 503) == [true, true]),
            "the replicas did not both answer 503 while the database was down"
        );
        pg.pg_ctl_start();
        let restarted = Instant::now();
        back = Some(restarted);
        let up = count();
        assert!(
            common::eventually(90, || seen(up, 201) == [true, true]),
            "writes never succeeded again on both replicas"
        );
        writing = restarted.elapsed();
    });
    let answers = answers.into_inner().expect("the list");
    let unexpected: Vec<_> = answers
        .iter()
        .filter(|(_, a)| a.status != 201 && a.status != 503)
        .collect();
    assert!(
        unexpected.is_empty(),
        "answers other than 201 and 503: {unexpected:?}"
    );
    let bare: Vec<_> = answers
        .iter()
        .filter(|(_, a)| a.status == 503 && !a.retry_after)
        .collect();
    assert!(bare.is_empty(), "503 without Retry-After: {bare:?}");

    // Both healthy again without a restart, and one of them runs the watcher again (the
    // session holding its lock ended with the old server).
    for (i, bridge) in bridges.iter().enumerate() {
        let mut last = Value::Null;
        assert!(
            common::eventually(60, || {
                let (status, h) = health(bridge);
                last = h;
                status == 200 && last["status"] == "healthy"
            }),
            "replica {i} never became healthy again: {last}"
        );
    }
    let leader = watcher_leader(&bridges);
    eprintln!(
        "database restart under load (two replicas, watcher interval {INTERVAL} s): once the \
         server was back, writes succeeded on both replicas within {:.1} s; both were healthy \
         and the watcher re-elected within {:.1} s",
        writing.as_secs_f64(),
        back.expect("restarted").elapsed().as_secs_f64()
    );
    assert_eq!(
        watcher_lock_holders(&url),
        1,
        "nobody holds the watcher lock, though replica {leader} says it runs the watcher"
    );

    // Every acknowledged write is there, on both replicas.
    let acknowledged: Vec<&str> = answers
        .iter()
        .filter(|(_, a)| a.status == 201)
        .map(|(_, a)| a.id.as_deref().expect("a 201 with an id"))
        .collect();
    for id in &acknowledged {
        for (i, bridge) in bridges.iter().enumerate() {
            let (status, v) = bridge.call("GET", &format!("/scim/v2/Users/{id}"), None);
            assert_eq!(
                status, 200,
                "an acknowledged write is missing on replica {i}: {v}"
            );
        }
    }

    // A person who accepts now is confirmed, once, by the re-elected watcher.
    let before = bridges.map(|b| total_confirmed(&[b]));
    let id = create_user(bridges[0], "after@example.com");
    accept(bridges[1], &url, "after@example.com");
    for bridge in bridges {
        assert!(
            common::eventually(30, || common::state(bridge, &id) == "active"),
            "the person accepted after the restart was never confirmed"
        );
    }
    let mut after = before;
    assert!(common::eventually(30, || {
        after = bridges.map(|b| total_confirmed(&[b]));
        after[leader] > before[leader]
    }));
    assert_eq!(
        (
            after[leader] - before[leader],
            after[1 - leader] - before[1 - leader]
        ),
        (1, 0),
        "not confirmed exactly once, by the replica running the watcher"
    );
}

/// Found by the attack review of group commit: a Bulk request's operations commit
/// without waiting for the WAL flush, and the flush before the answer was a transaction
/// that wrote no WAL, so it flushed nothing; a crash of the database server right after
/// the answer lost acknowledged users. The WAL writer is slowed here (10 s) so that
/// nothing but the bridge's own flush writes the WAL in time.
#[test]
fn acknowledged_writes_survive_a_crash_of_the_database_server() {
    let Some(pg) = PgServer::start_with(&[], "-c wal_writer_delay=10s") else {
        return;
    };
    let url = pg.database();
    let bridge = replica(&url);
    create_user(&bridge, "single@example.com");
    let ops: Vec<Value> = (0..20)
        .map(|i| {
            serde_json::json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                "data": {"userName": format!("bulk{i}@example.com")}})
        })
        .collect();
    let (status, v) = bridge.call(
        "POST",
        "/scim/v2/Bulk",
        Some(&serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": ops
        })),
    );
    assert_eq!(status, 200, "{v}");
    pg.pg_ctl_crash();
    drop(bridge);
    pg.pg_ctl_start();
    let bridge = replica(&url);
    for name in (0..20)
        .map(|i| format!("bulk{i}@example.com"))
        .chain(["single@example.com".to_owned()])
    {
        let (status, v) = bridge.call(
            "GET",
            &format!("/scim/v2/Users?filter=userName%20eq%20%22{name}%22"),
            None,
        );
        assert_eq!(status, 200, "{v}");
        assert_eq!(
            v["totalResults"], 1,
            "the acknowledged create of {name} was lost"
        );
    }
}
