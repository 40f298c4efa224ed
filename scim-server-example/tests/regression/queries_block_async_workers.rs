//! Attack: indexed `eq` lookups ran their SQLite query in place on the async worker
//! threads. While slow requests held every read connection, each lookup blocked a worker
//! waiting for one, and the whole server stalled (`/ping` went from 0 ms to over a
//! second). Every query now runs on the blocking pool: `/ping` answers while the slow
//! requests are still running.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::common::store::{initialise, seed_users, send, start_with_env};

#[test]
fn ping_answers_while_slow_scans_hold_every_read_connection() {
    let dir = tempfile::tempdir().unwrap();
    initialise(dir.path());
    seed_users(dir.path(), "many-", 20_000, 500);
    // Admit many scans at once, so that they hold every read connection.
    let b = start_with_env(
        dir.path(),
        &[("SCIM_BRIDGE_MAX_FULL_SCANS", "64")],
        std::process::Stdio::null(),
    );
    const SCANS: usize = 8;
    const LOOKUPS: usize = 16;
    let scans_done = Arc::new(AtomicUsize::new(0));
    let scans: Vec<_> = (0..SCANS)
        .map(|_| {
            let (url, done) = (b.url.clone(), scans_done.clone());
            std::thread::spawn(move || {
                let r = send(
                    &url,
                    "GET",
                    // On a computed attribute: every user read and assembled.
                    "/scim/v2/Users?filter=groups.display+co+%22zzz%22",
                    None,
                    Duration::from_secs(600),
                );
                done.fetch_add(1, Ordering::SeqCst);
                r
            })
        })
        .collect();
    // Let the scans take the read connections (not an assertion: the ordering below is).
    std::thread::sleep(Duration::from_millis(500));
    let lookups: Vec<_> = (0..LOOKUPS)
        .map(|i| {
            let url = b.url.clone();
            std::thread::spawn(move || {
                send(
                    &url,
                    "GET",
                    &format!("/scim/v2/Users?filter=userName+eq+%22many-{i}%40example.com%22"),
                    None,
                    Duration::from_secs(600),
                )
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));

    let ping = send(&b.url, "GET", "/ping", None, Duration::from_secs(600));
    let finished_before_ping = scans_done.load(Ordering::SeqCst);
    assert_eq!(ping.status, 200);
    assert_eq!(
        finished_before_ping, 0,
        "/ping waited for the slow scans: the async workers were blocked"
    );

    for h in scans {
        let r = h.join().unwrap();
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["totalResults"], 0);
    }
    for h in lookups {
        let r = h.join().unwrap();
        assert_eq!(r.status, 200, "{:?}", r.body);
        assert_eq!(r.body["totalResults"], 1);
    }
}
