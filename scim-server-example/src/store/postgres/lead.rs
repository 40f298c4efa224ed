//! Which replica runs the confirmation watcher: the one holding a session advisory lock
//! on a connection of its own, recording a heartbeat each run; a standby that finds the
//! holder's heartbeat too old (a frozen process, whose session the server keeps) ends
//! that session and takes the lock over.

use super::*;

impl PgStore {
    /// Whether this replica holds the watcher lock, taking it if it is free: on a
    /// connection of its own, kept open while held, so that the lock is freed when this
    /// process (or its connection) dies and another replica takes it on its next try.
    /// The holder records its heartbeat at each call; a holder whose heartbeat is older
    /// than [`PgOptions::watcher_takeover`] (a frozen process, whose session the server
    /// keeps) has its session ended ([`PgStore::take_over`]) and the lock is taken.
    pub(super) fn hold_watcher_lock(&self) -> Result<bool, StoreError> {
        let mut leader = self
            .leader
            .lock()
            .map_err(|_| StoreError::Other("watcher lock poisoned".into()))?;
        if let Some(conn) = leader.as_mut() {
            // Still ours if the session is: a lost connection (or a session ended by a
            // replica that took over) lost the lock with it.
            match conn.batch_execute(HEARTBEAT) {
                Ok(()) => return Ok(true),
                Err(e) => {
                    tracing::warn!(error = %classify(e),
                        "lost the connection holding the watcher lock: no longer running the confirmation watcher");
                    *leader = None;
                }
            }
        }
        let mut conn = self
            .config
            .connect(self.connector.clone())
            .map_err(|e| classify_connect(&e))?;
        set_up(&mut conn, &self.setup).map_err(classify)?;
        let mut taken = try_watcher_lock(&mut conn)?;
        if !taken {
            if let Some(after) = self.watcher_takeover {
                taken = take_over(&mut conn, after)?;
            }
        }
        if taken {
            conn.batch_execute(HEARTBEAT).map_err(classify)?;
            tracing::info!("this replica runs the confirmation watcher");
            *leader = Some(conn);
        }
        Ok(taken)
    }
}

/// Held (session-level, on a connection of its own) by the one replica that runs the
/// confirmation watcher; freed when that replica's session ends.
pub(super) const WATCHER_LOCK: i32 = 3;

/// Records the watcher lock holder's heartbeat: its session and now.
pub(super) const HEARTBEAT: &str = "INSERT INTO watcher_heartbeat (id, pid, beat_at)
    VALUES (true, pg_backend_pid(), now())
    ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, beat_at = excluded.beat_at";

/// How long a take-over waits for the ended session's lock to be freed.
pub(super) const TAKEOVER_WAIT: Duration = Duration::from_secs(10);

/// Tries [`WATCHER_LOCK`] on `conn`, without waiting.
pub(super) fn try_watcher_lock(conn: &mut postgres::Client) -> Result<bool, StoreError> {
    conn.query_one(
        "SELECT pg_try_advisory_lock($1, $2)",
        &[&LOCK_SPACE, &WATCHER_LOCK],
    )
    .and_then(|r| r.try_get(0))
    .map_err(classify)
}

/// When the session holding [`WATCHER_LOCK`] has recorded no heartbeat for longer than
/// `after` (or, if it never recorded one, has been connected that long): ends it
/// (`pg_terminate_backend`, allowed on the sessions of one's own role) and takes the lock
/// on `conn`, logging both. Whether the lock was taken.
pub(super) fn take_over(conn: &mut postgres::Client, after: Duration) -> Result<bool, StoreError> {
    let stale = conn
        .query_opt(
            &format!(
                "SELECT l.pid, extract(epoch FROM now() - coalesce(h.beat_at, a.backend_start))::float8
                 FROM pg_locks l
                 JOIN pg_stat_activity a ON a.pid = l.pid
                 LEFT JOIN watcher_heartbeat h ON h.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND l.classid = {LOCK_SPACE} AND l.objid = {WATCHER_LOCK} AND l.objsubid = 2
                   AND coalesce(h.beat_at, a.backend_start) < now() - make_interval(secs => $1)"
            ),
            &[&after.as_secs_f64()],
        )
        .map_err(classify)?;
    let Some(row) = stale else {
        return Ok(false);
    };
    let (pid, silent): (i32, f64) = (
        row.try_get(0).map_err(classify)?,
        row.try_get(1).map_err(classify)?,
    );
    tracing::warn!(
        holder_pid = pid,
        silent_seconds = silent.round(),
        takeover_after_seconds = after.as_secs(),
        "the replica holding the watcher lock has not run the confirmation watcher for too \
         long (frozen or hung): ending its database session to take the watcher over"
    );
    conn.query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .map_err(classify)?;
    let deadline = std::time::Instant::now() + TAKEOVER_WAIT;
    loop {
        if try_watcher_lock(conn)? {
            tracing::warn!(
                old_holder_pid = pid,
                "took the watcher lock over from a replica that had stopped running the watcher"
            );
            return Ok(true);
        }
        if std::time::Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
