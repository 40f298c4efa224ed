//! A replica frozen (SIGSTOP: a paused VM, a hung host, whose kernel still answers TCP
//! keepalives) in the middle of a write transaction, holding the write lock: the server
//! ends its session once it has idled in that transaction for the write idle timeout
//! (5 s), so the other replicas' writes succeed again within seconds, not the session's
//! 60 s; the frozen one, let run again, serves writes again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::postgres::server;
use crate::{replica, try_create};

/// The `application_name` of the replica frozen, to find its session in `pg_stat_activity`.
const FROZEN: &str = "frozen_replica";

/// Whether a session of the replica named [`FROZEN`] holds the write lock (advisory lock
/// 2 of the bridge's lock space) and idles in its transaction.
fn frozen_holds_the_write_lock(admin: &mut postgres::Client) -> bool {
    admin
        .query_one(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
             WHERE l.locktype = 'advisory' AND l.objid = 2 AND l.objsubid = 2 AND l.granted
               AND a.application_name = $1 AND a.state = 'idle in transaction'",
            &[&FROZEN],
        )
        .and_then(|r| r.try_get::<_, i64>(0))
        .expect("pg_locks")
        > 0
}

/// On drop: stops the load and lets the frozen replica run again.
struct Release<'a> {
    stop: &'a AtomicBool,
    replica: &'a crate::Replica,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.replica.thaw();
    }
}

#[test]
fn a_replica_frozen_holding_the_write_lock_blocks_the_others_for_seconds_only() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let frozen = replica(&format!("{url}&application_name={FROZEN}"));
    let other = replica(&url);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).expect("connect");

    // Writes under way on the replica to freeze, so that it often holds the write lock.
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // Whatever happens below (a failed assertion too), the load stops and the
        // replica runs again, so that the scope's threads end.
        let _release = Release {
            stop: &stop,
            replica: &frozen,
        };
        for t in 0..4 {
            let (stop, url) = (&stop, frozen.url.as_str());
            s.spawn(move || {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let _ = try_create(url, &format!("load{t}-{i}@example.com"));
                }
            });
        }
        // Freeze it; keep it frozen only if it was caught inside a write transaction.
        let mut caught = None;
        for _ in 0..500 {
            frozen.freeze();
            std::thread::sleep(Duration::from_millis(50));
            if frozen_holds_the_write_lock(&mut admin) {
                caught = Some(Instant::now());
                break;
            }
            frozen.thaw();
            std::thread::sleep(Duration::from_millis(20));
        }
        let caught = caught.expect("never caught the replica holding the write lock");

        // The other replica's writes succeed again once the server has ended the frozen
        // session: well before the 60 s of the session's idle-in-transaction timeout.
        let mut statuses = Vec::new();
        let mut n = 0;
        let written = common::eventually(40, || {
            n += 1;
            let got = try_create(&other.url, &format!("during{n}@example.com"));
            statuses.push(got.as_ref().map(|c| c.status));
            got.is_some_and(|c| c.status == 201)
        });
        let after = caught.elapsed();
        assert!(
            written,
            "no write succeeded on the other replica while one was frozen holding the \
             write lock: {statuses:?}"
        );
        eprintln!(
            "frozen write lock holder: the other replica wrote again {:.1} s after the \
             freeze ({} attempts)",
            after.as_secs_f64(),
            statuses.len()
        );
        assert!(
            !frozen_holds_the_write_lock(&mut admin),
            "the frozen replica's session still holds the write lock"
        );
    });

    // Running again, the frozen replica replaces its ended session and writes again.
    let mut last = None;
    assert!(
        common::eventually(30, || {
            last = try_create(&frozen.url, "after-thaw@example.com").map(|c| c.status);
            last == Some(201)
        }),
        "the thawed replica does not write again: {last:?}"
    );
}
