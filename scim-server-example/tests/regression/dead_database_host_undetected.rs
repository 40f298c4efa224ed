//! Found by the review of the PostgreSQL mode: the bridge's connections to the database
//! (the pool's, and the one holding the confirmation watcher's lock) kept the operating
//! system's TCP keepalive idle time, two hours: a database host that vanished behind a
//! network partition looked alive that long, and the replica holding the watcher lock
//! kept it (no other replica could take over).
//!
//! Now the bridge's connections probe after 30 s idle (`keepalives_idle`, unless the URL
//! sets it), every 10 s, dropping the connection after 3 unanswered probes, and data left
//! unacknowledged for 30 s (`tcp_user_timeout`) drops it too.
//!
//! Seen from outside: the keepalive timer of each of the bridge's sockets to the server, as
//! Linux shows it in /proc/net/tcp.

use crate::common::postgres::PgServer;
use crate::common::{eventually, Bridge};

/// The bridge's TCP connections to `port`: (timer kind, ticks until it fires), from
/// /proc/net/tcp (`tr:tm->when`; kind 2 is the keepalive timer, ticks are 1/100 s).
fn connections_to(pid: u32, port: u16) -> Vec<(u32, u64)> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    Some(l.strip_prefix("socket:[")?.strip_suffix(']')?.to_owned())
                })
                .collect()
        })
        .unwrap_or_default();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let remote_port = u16::from_str_radix(f.get(2)?.split(':').nth(1)?, 16).ok()?;
            let established = *f.get(3)? == "01";
            let inode = f.get(9)?;
            if remote_port != port || !established || !inodes.iter().any(|i| i == inode) {
                return None;
            }
            let (kind, when) = f.get(5)?.split_once(':')?;
            Some((
                u32::from_str_radix(kind, 16).ok()?,
                u64::from_str_radix(when, 16).ok()?,
            ))
        })
        .collect()
}

#[test]
fn the_bridges_database_connections_probe_a_silent_host_within_a_minute() {
    let Some(pg) = PgServer::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(
        &dir.path().join("data"),
        &["--database-url", &pg.database()],
    );
    let (status, h) = bridge.call("GET", "/health", None);
    assert_eq!(status, 200, "{h}");
    let pid = bridge.child.id();
    // The pool's connection and the watcher's lock connection, at least; each with its
    // keepalive timer armed (other timers show while data is in flight: look again).
    let mut seen = Vec::new();
    assert!(
        eventually(20, || {
            seen = connections_to(pid, pg.port);
            seen.len() >= 2 && seen.iter().all(|(kind, _)| *kind == 2)
        }),
        "the bridge's connections to the database: {seen:?}"
    );
    for (_, ticks) in &seen {
        assert!(
            *ticks <= 60 * 100,
            "a connection probes only after {} s idle: {seen:?}",
            ticks / 100
        );
    }
}
