//! The store on PostgreSQL, for several bridges (replicas behind a load balancer) on one
//! database: versioned migrations under an advisory lock, write transactions serialised
//! across every replica by a transaction-scoped advisory lock (as SQLite serialises its
//! one writer), reads on consistent snapshots running beside them, and TLS to the server
//! through rustls.
//!
//! The store interface stays synchronous: the rules already run on tokio's blocking pool,
//! so the synchronous `postgres` client (tokio-postgres driven by a runtime of its own
//! per connection) fits it without an async executor inside a blocking thread, and r2d2
//! pools its connections (checked on check-out, so a connection dropped by a database
//! restart is replaced, not reused).
//!
//! Every session the bridge opens is bounded ([`PgOptions`]): a `statement_timeout` and an
//! `idle_in_transaction_session_timeout` (unless the database or role sets its own), so
//! that a statement stuck behind another session's lock is cancelled (busy, 503) instead
//! of holding a pooled connection for ever; and TCP keepalives with a user timeout, so
//! that a database host that vanished (a network partition) is noticed within a minute,
//! on the pool's connections and on the watcher's lock connection alike.

mod tls;
mod tx;

use std::time::Duration;

use postgres::error::SqlState;
use r2d2_postgres::r2d2::{self, Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Store, StoreError, Tx};
use tx::PgTx;

/// Schema migrations, applied in order; `schema_migrations` records each one applied.
///
/// `resources_unique` is what keeps `userName` and group `displayName` unique across
/// every replica: `unique_key` holds the value lower-cased by the rules (`userName` is
/// case-insensitive, `caseExact` false, RFC 7643 §4.1.1), so a second create of the same
/// name, from any replica, violates the index and is answered `409` with `scimType`
/// `uniqueness` (RFC 7644 §3.3, §3.12) through [`StoreError::Duplicate`].
const MIGRATIONS: &[&str] = &[
    // 1: resources, accounts, memberships (the tables of the SQLite engine), with `seq`
    // (the insertion order) from an identity column.
    "CREATE TABLE resources (
        resource_type text NOT NULL,
        id text NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        data text NOT NULL,
        unique_key text,
        external_id text,
        PRIMARY KEY (resource_type, id)
     );
     CREATE UNIQUE INDEX resources_unique ON resources (resource_type, unique_key)
        WHERE unique_key IS NOT NULL;
     CREATE INDEX resources_external ON resources (resource_type, external_id, seq);
     CREATE INDEX resources_seq ON resources (resource_type, seq);
     CREATE TABLE accounts (
        user_id text PRIMARY KEY,
        state text NOT NULL,
        suspended_from text,
        changed_at text NOT NULL
     );
     CREATE INDEX accounts_state ON accounts (state, user_id);
     CREATE TABLE members (
        group_id text NOT NULL,
        member_id text NOT NULL,
        kind text,
        display text,
        reference text,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        PRIMARY KEY (group_id, member_id)
     );
     CREATE INDEX members_by_member ON members (member_id);
     CREATE INDEX members_order ON members (group_id, seq);
     CREATE INDEX members_groups ON members (group_id) WHERE kind = 'Group';",
    // 2: what the bridge keeps beside the resources (the Secret Token's hash), so that
    // every replica reads it from one place.
    "CREATE TABLE settings (
        name text PRIMARY KEY,
        value text NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now()
     );",
    // 3: the confirmation watcher's heartbeat: one row, written by the session holding
    // the watcher lock each time it runs the watcher, so that the other replicas can
    // tell a leader that stopped (frozen, paused) from one that runs.
    "CREATE TABLE watcher_heartbeat (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        pid integer NOT NULL,
        beat_at timestamptz NOT NULL
     );",
];

/// The first key of every advisory lock the bridge takes (the second names the lock), so
/// that they stay clear of other applications' locks on a shared server.
const LOCK_SPACE: i32 = 0x5C1B_0001;
/// Held (session-level) while migrations run: replicas starting at once migrate one at a
/// time, and each one after the first finds nothing left to do.
const MIGRATION_LOCK: i32 = 1;
/// Held (transaction-level) by every write transaction: one writer at a time across
/// every replica, the rules' single-writer semantics. It is what makes `If-Match`
/// (RFC 7644 §3.14) hold across replicas: the rules compare the version inside the
/// write transaction, after the lock, under read committed, so they see every write
/// committed before, and a resource another replica changed first gets `412`.
const WRITE_LOCK: i32 = 2;

/// Held (session-level, on a connection of its own) by the one replica that runs the
/// confirmation watcher; freed when that replica's session ends.
const WATCHER_LOCK: i32 = 3;

/// Held (transaction-level, tried, never waited for) by `token rotate --database-url`
/// while it replaces the Secret Token's hash: of two rotations at once, one is refused
/// rather than both printing a token of which only the last would work.
const ROTATION_LOCK: i32 = 4;

/// How long a write transaction waits for the [`WRITE_LOCK`] (every write transaction is
/// short, so only a stuck one holds it this long) before [`StoreError::Busy`].
const LOCK_TIMEOUT: &str = "10s";

/// How long opening the store waits for [`MIGRATION_LOCK`] (another bridge migrating the
/// schema) before giving up with a message saying so.
const MIGRATION_LOCK_TIMEOUT: &str = "20s";

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle time before TCP keepalive probes start on a connection (unless the URL sets
/// `keepalives_idle`): the operating system's default, two hours, would leave a
/// connection to a vanished host (a network partition) looking alive that long.
const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);

/// Time between keepalive probes (unless the URL sets `keepalives_interval`).
const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);

/// Unanswered probes after which the connection is dropped (unless the URL sets
/// `keepalives_retries`).
const KEEPALIVES_RETRIES: u32 = 3;

/// How long data sent may stay unacknowledged before the connection is dropped (unless
/// the URL sets `tcp_user_timeout`): a statement sent to a vanished host fails after it
/// rather than waiting for the keepalives, which only probe idle connections.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long [`PgStore::open_with`], told to wait for the server, waits between attempts.
const OPEN_RETRY: Duration = Duration::from_secs(2);

/// How long a transaction waits for a pooled connection (all in use, or the server
/// unreachable) before [`StoreError::Unavailable`].
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

/// Most connections one bridge holds: the queued writers (see
/// [`crate::onepassword::MAX_QUEUED_WRITES`]) and as many readers.
const POOL_SIZE: u32 = 16;

/// The pool's connections.
type Manager = PostgresConnectionManager<MakeRustlsConnect>;

/// How the store's sessions are bounded, and whether opening it waits for the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PgOptions {
    /// The `statement_timeout` of each session, unless the database or role (or the URL's
    /// `options`) sets one; `None`: none. A statement cancelled by it is
    /// [`StoreError::Busy`]. Default [`PgOptions::DEFAULT_STATEMENT_TIMEOUT`].
    pub statement_timeout: Option<Duration>,
    /// The `idle_in_transaction_session_timeout` of each session, likewise: a transaction
    /// left open between statements longer than this is ended by the server. Default
    /// [`PgOptions::DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT`].
    pub idle_in_transaction_timeout: Option<Duration>,
    /// The `idle_in_transaction_session_timeout` of each write transaction (set for it
    /// alone, whatever the session's): a transaction holding the write lock that its
    /// client leaves waiting longer than this (a frozen or paused bridge) is ended by the
    /// server, freeing the lock for every other replica. `None`: the session's. Default
    /// [`PgOptions::DEFAULT_WRITE_IDLE_TIMEOUT`].
    pub write_idle_timeout: Option<Duration>,
    /// How long the replica holding the watcher lock may go without recording that it
    /// runs the watcher (its heartbeat, once each run) before another replica ends its
    /// session and takes the lock over; `None`: never. Default
    /// [`PgOptions::DEFAULT_WATCHER_TAKEOVER`].
    pub watcher_takeover: Option<Duration>,
    /// Whether [`PgStore::open_with`] keeps trying, with a log line each attempt, while
    /// the server cannot be reached (or is starting, or another bridge holds the migration
    /// lock), rather than failing. Default `false`.
    pub wait_for_server: bool,
}

impl PgOptions {
    /// The default [`PgOptions::statement_timeout`]: longer than the write lock's wait
    /// (10 s), far longer than any statement of the bridge takes.
    pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);
    /// The default [`PgOptions::idle_in_transaction_timeout`].
    pub const DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(60);
    /// The default [`PgOptions::write_idle_timeout`]: a write transaction of the bridge
    /// takes milliseconds between its statements (a PATCH is applied outside it).
    pub const DEFAULT_WRITE_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
    /// The default [`PgOptions::watcher_takeover`]: three of the default confirmation
    /// intervals (300 s).
    pub const DEFAULT_WATCHER_TAKEOVER: Duration = Duration::from_secs(900);

    /// No statement or idle-in-transaction timeout (the database's own, if it sets
    /// them): for `migrate`, whose one transaction copies a whole bridge.
    pub fn unbounded() -> Self {
        PgOptions {
            statement_timeout: None,
            idle_in_transaction_timeout: None,
            write_idle_timeout: None,
            ..Self::default()
        }
    }

    /// Sets [`PgOptions::write_idle_timeout`].
    pub fn with_write_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.write_idle_timeout = timeout;
        self
    }

    /// Sets [`PgOptions::watcher_takeover`].
    pub fn with_watcher_takeover(mut self, after: Option<Duration>) -> Self {
        self.watcher_takeover = after;
        self
    }

    /// The statement that bounds one write transaction's idle time, if any.
    fn write_setup(&self) -> String {
        self.write_idle_timeout
            .map(|t| {
                format!(
                    "SET LOCAL idle_in_transaction_session_timeout = '{}ms'; ",
                    millis(t)
                )
            })
            .unwrap_or_default()
    }

    /// Sets [`PgOptions::statement_timeout`].
    pub fn with_statement_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// Sets [`PgOptions::idle_in_transaction_timeout`].
    pub fn with_idle_in_transaction_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_in_transaction_timeout = timeout;
        self
    }

    /// Sets [`PgOptions::wait_for_server`].
    pub fn with_wait_for_server(mut self, wait: bool) -> Self {
        self.wait_for_server = wait;
        self
    }

    /// The statements that bound a new session: each timeout set unless the session has
    /// one already (from the database, the role or the URL). Empty when there is none.
    fn session_setup(&self) -> String {
        [
            ("statement_timeout", self.statement_timeout),
            (
                "idle_in_transaction_session_timeout",
                self.idle_in_transaction_timeout,
            ),
        ]
        .into_iter()
        .filter_map(|(name, timeout)| {
            let ms = millis(timeout?);
            Some(format!(
                "SELECT set_config('{name}', '{ms}ms', false) \
                 WHERE current_setting('{name}') = '0';"
            ))
        })
        .collect()
    }
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            statement_timeout: Some(Self::DEFAULT_STATEMENT_TIMEOUT),
            idle_in_transaction_timeout: Some(Self::DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT),
            write_idle_timeout: Some(Self::DEFAULT_WRITE_IDLE_TIMEOUT),
            watcher_takeover: Some(Self::DEFAULT_WATCHER_TAKEOVER),
            wait_for_server: false,
        }
    }
}

/// `timeout` in milliseconds, within the server's range for a timeout (a 32-bit integer,
/// at least 1: 0 would mean none).
fn millis(timeout: Duration) -> u128 {
    timeout.as_millis().clamp(1, 2_147_483_647)
}

/// Bounds each new pooled connection's session ([`PgOptions::session_setup`]).
#[derive(Debug)]
struct SessionSetup(String);

impl r2d2::CustomizeConnection<postgres::Client, postgres::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut postgres::Client) -> Result<(), postgres::Error> {
        set_up(conn, &self.0)
    }
}

/// Runs `setup` ([`PgOptions::session_setup`]) on a new session.
fn set_up(conn: &mut postgres::Client, setup: &str) -> Result<(), postgres::Error> {
    if setup.is_empty() {
        return Ok(());
    }
    conn.batch_execute(setup)
}

/// PostgreSQL through a pool of connections; see the module comment.
pub struct PgStore {
    /// The pooled connections; `None` only while [`PgStore`] is dropped.
    pool: Option<Pool<Manager>>,
    /// How to open a connection outside the pool (the watcher's lock).
    config: postgres::Config,
    /// The TLS connector of every connection.
    connector: MakeRustlsConnect,
    /// What bounds each session ([`PgOptions::session_setup`]).
    setup: String,
    /// What bounds each write transaction ([`PgOptions::write_setup`]).
    write_setup: String,
    /// [`PgOptions::watcher_takeover`].
    watcher_takeover: Option<Duration>,
    /// The connection holding [`WATCHER_LOCK`], while this replica holds it.
    leader: std::sync::Mutex<Option<postgres::Client>>,
    /// Why this bridge must stop serving: the database's schema, when last checked, was
    /// newer than this bridge knows ([`Store::superseded`]).
    superseded: std::sync::Mutex<Option<String>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.write_str("PgStore")
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, with
    /// `sslmode` and `sslrootcert` as libpq reads them), migrates it, and opens the pool,
    /// with the default [`PgOptions`]. A database migrated by a newer bridge is refused.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, PgOptions::default())
    }

    /// [`PgStore::open`] with these options.
    pub fn open_with(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let (mut config, connector) = tls::config(url)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("scim-bridge");
        }
        if !tls::url_sets(url, "keepalives_idle") {
            config.keepalives_idle(KEEPALIVES_IDLE);
        }
        if !tls::url_sets(url, "keepalives_interval") {
            config.keepalives_interval(KEEPALIVES_INTERVAL);
        }
        if !tls::url_sets(url, "keepalives_retries") {
            config.keepalives_retries(KEEPALIVES_RETRIES);
        }
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(TCP_USER_TIMEOUT);
        }
        if let Some(name) = nul_parameter(&config) {
            return Err(StoreError::Other(format!(
                "invalid --database-url: its {name} holds a NUL character (%00), which \
                 PostgreSQL cannot take"
            )));
        }
        let mut attempt = 0u64;
        loop {
            attempt += 1;
            match connect_and_migrate(&config, &connector) {
                Ok(()) => break,
                Err((e, retry)) if retry && options.wait_for_server => {
                    tracing::warn!(detail = %e, attempt, retry_in_seconds = OPEN_RETRY.as_secs(),
                        "waiting for the database (--database-url) to accept connections");
                    std::thread::sleep(OPEN_RETRY);
                }
                Err((e, _)) => return Err(e),
            }
        }
        let setup = options.session_setup();
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .connection_customizer(Box::new(SessionSetup(setup.clone())))
            .build(PostgresConnectionManager::new(
                config.clone(),
                connector.clone(),
            ))
            .map_err(pool_error)?;
        Ok(PgStore {
            pool: Some(pool),
            config,
            connector,
            setup,
            write_setup: options.write_setup(),
            watcher_takeover: options.watcher_takeover,
            leader: std::sync::Mutex::new(None),
            superseded: std::sync::Mutex::new(None),
        })
    }

    /// [`Store::write`], with `settings` (name, value) set in the same transaction: they
    /// are stored if and only if everything `f` wrote is.
    pub(crate) fn write_with_settings<T, E: From<StoreError>>(
        &self,
        settings: &[(&str, &str)],
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.connection()?;
        // Read committed, so that each statement after the lock sees every write
        // committed before it was granted (a repeatable-read snapshot would be taken
        // before the wait, and miss the last writer's changes).
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::ReadCommitted)
            .start()
            .map_err(classify)?;
        // The schema version is read once the lock is granted (each statement of a read
        // committed transaction sees what was committed before it began), in the same
        // round trip: a write that begins after a newer bridge migrated the database is
        // refused, not only the requests after the next check.
        let replies = tx
            .simple_query(&format!(
                "{}SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; \
                 SELECT pg_advisory_xact_lock({LOCK_SPACE}, {WRITE_LOCK}); \
                 {SCHEMA_VERSION}",
                self.write_setup
            ))
            .map_err(classify)?;
        let applied = replies.iter().rev().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(row) => row.get(0)?.parse::<i32>().ok(),
            _ => None,
        });
        if let Some(why) = applied.and_then(|v| self.note_schema(v)) {
            return Err(StoreError::Superseded(why).into());
        }
        let out = f(&mut PgTx { tx: &mut tx })?;
        for (name, value) in settings {
            tx.execute(SET_SETTING, &[name, value]).map_err(classify)?;
        }
        tx.commit().map_err(classify)?;
        Ok(out)
    }

    /// The setting `name` (see [`PgStore::set_setting`]), if it is set.
    pub fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        let mut conn = self.connection()?;
        let row = conn
            .query_opt("SELECT value FROM settings WHERE name = $1", &[&name])
            .map_err(classify)?;
        row.map(|r| r.try_get(0).map_err(classify)).transpose()
    }

    /// Sets (or, with `None`, removes) the setting `name`: what the bridge keeps beside
    /// the resources, read by every replica (the Secret Token's hash).
    pub fn set_setting(&self, name: &str, value: Option<&str>) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        match value {
            Some(value) => conn.execute(SET_SETTING, &[&name, &value]),
            None => conn.execute("DELETE FROM settings WHERE name = $1", &[&name]),
        }
        .map(|_| ())
        .map_err(classify)
    }

    /// Sets the setting `name` to `value` under [`ROTATION_LOCK`], taken without waiting:
    /// `Ok(false)`, with nothing changed, when another process holds it (another
    /// `token rotate` under way). The lock is held until the new value is committed.
    pub fn set_setting_alone(&self, name: &str, value: &str) -> Result<bool, StoreError> {
        let mut conn = self.connection()?;
        let mut tx = conn.transaction().map_err(classify)?;
        let taken: bool = tx
            .query_one(
                "SELECT pg_try_advisory_xact_lock($1, $2)",
                &[&LOCK_SPACE, &ROTATION_LOCK],
            )
            .and_then(|r| r.try_get(0))
            .map_err(classify)?;
        if !taken {
            return Ok(false);
        }
        tx.execute(SET_SETTING, &[&name, &value])
            .map_err(classify)?;
        tx.commit().map_err(classify)?;
        Ok(true)
    }

    /// Sets the setting `name` unless it is set already: whether this call set it (of
    /// replicas starting at once, exactly one does).
    pub fn add_setting(&self, name: &str, value: &str) -> Result<bool, StoreError> {
        let mut conn = self.connection()?;
        conn.execute(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&name, &value],
        )
        .map(|n| n == 1)
        .map_err(classify)
    }

    /// Whether this replica holds the watcher lock, taking it if it is free: on a
    /// connection of its own, kept open while held, so that the lock is freed when this
    /// process (or its connection) dies and another replica takes it on its next try.
    /// The holder records its heartbeat at each call; a holder whose heartbeat is older
    /// than [`PgOptions::watcher_takeover`] (a frozen process, whose session the server
    /// keeps) has its session ended ([`PgStore::take_over`]) and the lock is taken.
    fn hold_watcher_lock(&self) -> Result<bool, StoreError> {
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

    /// Records the database's schema version `applied`, as last read: why this bridge
    /// must stop serving ([`Store::superseded`]), if a newer bridge migrated it.
    fn note_schema(&self, applied: i32) -> Option<String> {
        let verdict = newer_schema(applied);
        if let Ok(mut superseded) = self.superseded.lock() {
            if verdict.is_some() && superseded.is_none() {
                tracing::error!(applied, known = MIGRATIONS.len(),
                    "the database was upgraded by a newer scim-bridge: no longer serving SCIM (503); upgrade this bridge");
            }
            superseded.clone_from(&verdict);
        }
        verdict
    }

    fn connection(&self) -> Result<PooledConnection<Manager>, StoreError> {
        let pool = self
            .pool
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("the store is shutting down".into()))?;
        pool.get().map_err(pool_error)
    }
}

/// Records the watcher lock holder's heartbeat: its session and now.
const HEARTBEAT: &str = "INSERT INTO watcher_heartbeat (id, pid, beat_at)
    VALUES (true, pg_backend_pid(), now())
    ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, beat_at = excluded.beat_at";

/// How long a take-over waits for the ended session's lock to be freed.
const TAKEOVER_WAIT: Duration = Duration::from_secs(10);

/// Tries [`WATCHER_LOCK`] on `conn`, without waiting.
fn try_watcher_lock(conn: &mut postgres::Client) -> Result<bool, StoreError> {
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
fn take_over(conn: &mut postgres::Client, after: Duration) -> Result<bool, StoreError> {
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

/// Sets a setting (name, value).
const SET_SETTING: &str = "INSERT INTO settings (name, value) VALUES ($1, $2)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = now()";

/// The connection parameter of `config` that holds a NUL character, if one does: the
/// client would fail to send it at each attempt, which is not the server being away.
fn nul_parameter(config: &postgres::Config) -> Option<&'static str> {
    let text = [
        ("user", config.get_user()),
        ("database name", config.get_dbname()),
        ("options", config.get_options()),
        ("application_name", config.get_application_name()),
    ];
    text.into_iter()
        .find(|(_, value)| value.is_some_and(|v| v.contains('\0')))
        .map(|(name, _)| name)
        .or_else(|| {
            config
                .get_password()
                .is_some_and(|p| p.contains(&0))
                .then_some("password")
        })
}

/// Connects and applies the migrations this database lacks, on a connection of its own,
/// closed after: its session-level lock cannot outlive the migration, even if the
/// migration fails half-way. On failure, whether trying again later may succeed (the
/// server unreachable or starting, or another bridge migrating).
fn connect_and_migrate(
    config: &postgres::Config,
    connector: &MakeRustlsConnect,
) -> Result<(), (StoreError, bool)> {
    let mut conn = config
        .connect(connector.clone())
        .map_err(|e| (classify_connect(&e), may_come_up(&e)))?;
    migrate(&mut conn).map_err(|e| {
        let retry = matches!(e, StoreError::Busy(_) | StoreError::Unavailable(_));
        (e, retry)
    })
}

/// Whether a failure to connect may pass by itself: the server unreachable (refused, timed
/// out, its name not resolving yet), starting, shutting down or full. Not a refused
/// password, a missing database, or a certificate refused: trying again changes nothing.
fn may_come_up(e: &postgres::Error) -> bool {
    if let Some(code) = e.code() {
        return [
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
        ]
        .contains(code)
            || code.code().starts_with("08");
    }
    if certificate_error(e).is_some() {
        return false;
    }
    // The client's I/O failures (a refused or reset connection, a name lookup failing)
    // carry an I/O error; its timeouts and closed connections carry nothing.
    let mut source = std::error::Error::source(e);
    if source.is_none() {
        return true;
    }
    while let Some(cause) = source {
        if cause.is::<std::io::Error>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// [`classify`], for a failure to connect: a certificate refused is a setting to fix,
/// not the server being away.
fn classify_connect(e: &postgres::Error) -> StoreError {
    match certificate_error(e) {
        Some(why) => StoreError::Other(why),
        None => classify_ref(e),
    }
}

/// The server's certificate refused, said without the host names a certificate-name
/// failure would repeat (the text reaches `/health`): `None` for any other failure.
fn certificate_error(e: &postgres::Error) -> Option<String> {
    use tokio_rustls::rustls;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = source {
        let tls = cause.downcast_ref::<rustls::Error>().or_else(|| {
            cause
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        });
        if let Some(rustls::Error::InvalidCertificate(why)) = tls {
            return Some(match why {
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. } => {
                    "error performing TLS handshake: the database server's certificate is not \
                     valid for the host name in --database-url"
                        .to_owned()
                }
                other => format!(
                    "error performing TLS handshake: the database server's certificate is \
                     refused: {other}"
                ),
            });
        }
        source = cause.source();
    }
    None
}

/// Reads the database's schema version (the last migration applied).
const SCHEMA_VERSION: &str = "SELECT coalesce(max(version), 0) FROM schema_migrations";

/// Why this bridge must not use a database at schema version `applied`, if it is newer
/// than the last of [`MIGRATIONS`]: a newer bridge migrated it (at start, the bridge
/// refuses it; once serving, it stops serving SCIM). The text names no host.
fn newer_schema(applied: i32) -> Option<String> {
    let known = MIGRATIONS.len();
    (usize::try_from(applied).unwrap_or_default() > known).then(|| {
        format!(
            "the database was upgraded by a newer scim-bridge: it is at schema version \
             {applied}, newer than this bridge knows ({known}); upgrade this bridge"
        )
    })
}

/// Applies the migrations this database lacks, under [`MIGRATION_LOCK`], waited for at
/// most [`MIGRATION_LOCK_TIMEOUT`].
fn migrate(conn: &mut postgres::Client) -> Result<(), StoreError> {
    conn.batch_execute(&format!(
        "SET lock_timeout = '{MIGRATION_LOCK_TIMEOUT}'; \
         SELECT pg_advisory_lock({LOCK_SPACE}, {MIGRATION_LOCK}); \
         RESET lock_timeout"
    ))
    .map_err(|e| match classify(e) {
        StoreError::Busy(_) => StoreError::Busy(format!(
            "another scim-bridge has been migrating this database's schema for over \
             {MIGRATION_LOCK_TIMEOUT} (it holds the migration lock, advisory lock \
             ({LOCK_SPACE}, {MIGRATION_LOCK})); try again once it has finished"
        )),
        other => other,
    })?;
    // Without the server's notice that the table exists already, which every start
    // would log.
    conn.batch_execute(
        "SET client_min_messages = warning;
         CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
         );
         RESET client_min_messages",
    )
    .map_err(classify)?;
    let applied: i32 = conn
        .query_one(SCHEMA_VERSION, &[])
        .and_then(|r| r.try_get(0))
        .map_err(classify)?;
    if let Some(why) = newer_schema(applied) {
        return Err(StoreError::Other(why));
    }
    let applied = usize::try_from(applied).unwrap_or_default();
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let mut tx = conn.transaction().map_err(classify)?;
        tx.batch_execute(sql).map_err(classify)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .map_err(classify)?;
        tx.commit().map_err(classify)?;
        tracing::info!(version, "database migrated");
    }
    conn.query_one(
        "SELECT pg_advisory_unlock($1, $2)",
        &[&LOCK_SPACE, &MIGRATION_LOCK],
    )
    .map_err(classify)?;
    Ok(())
}

/// A pool failure: no connection within [`CHECKOUT_TIMEOUT`] (the server is down or
/// unreachable, or every connection is busy).
fn pool_error(e: r2d2::Error) -> StoreError {
    StoreError::Unavailable(format!("no database connection: {e}"))
}

/// Sorts a client error: a taken unique key ([`StoreError::Duplicate`]: `409`
/// `uniqueness`, RFC 7644 §3.3, §3.12), a lock waited for too long, a statement
/// cancelled, or a transaction to retry ([`StoreError::Busy`]), the server unreachable
/// or going away ([`StoreError::Unavailable`]) — both `503` with `Retry-After` (RFC 9110
/// §15.6.4, §10.2.3), since trying again later may succeed — or anything else.
fn classify(e: postgres::Error) -> StoreError {
    classify_ref(&e)
}

/// [`classify`], by reference.
fn classify_ref(e: &postgres::Error) -> StoreError {
    let Some(code) = e.code() else {
        if let Some(why) = certificate_error(e) {
            return StoreError::Unavailable(why);
        }
        // No SQLSTATE: the connection failed or closed (an I/O error, a TLS failure, a
        // timeout); none of their texts names the server. The causes are kept: "error
        // performing TLS handshake" alone would not say that a certificate was refused.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        return StoreError::Unavailable(text);
    };
    // The server's SQLSTATE and message (the client library's own text is only "db
    // error"); not its DETAIL, which may repeat the values of a row.
    let text = match e.as_db_error() {
        Some(db) => server_text(db),
        None => e.to_string(),
    };
    if *code == SqlState::UNIQUE_VIOLATION {
        StoreError::Duplicate(text)
    } else if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE
        || *code == SqlState::UNTRANSLATABLE_CHARACTER
        || *code == SqlState::PROGRAM_LIMIT_EXCEEDED
    {
        // A text parameter holding U+0000 (which PostgreSQL's text cannot hold), or too
        // long for an index entry (an `externalId` past about 2.7 kB).
        StoreError::Unrepresentable(text)
    } else if [
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
        // A statement the server cancelled: its `statement_timeout`, or by hand.
        SqlState::QUERY_CANCELED,
    ]
    .contains(code)
    {
        StoreError::Busy(text)
    } else if [
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::TOO_MANY_CONNECTIONS,
        // The session ended for idling in a transaction (the bridge was frozen in a
        // write): the pool replaces the connection.
        SqlState::IDLE_IN_TRANSACTION_SESSION_TIMEOUT,
        SqlState::READ_ONLY_SQL_TRANSACTION,
        SqlState::DISK_FULL,
        SqlState::OUT_OF_MEMORY,
    ]
    .contains(code)
        // Class 08: connection exceptions.
        || code.code().starts_with("08")
    {
        StoreError::Unavailable(text)
    } else {
        StoreError::Other(text)
    }
}

/// What a server error says, fit to show (answers, `/health`'s store detail and the
/// watcher's `lastError` all come through [`classify`]): its severity, SQLSTATE and
/// message; but for a connection refused (classes 28, invalid authorization; 3D, invalid
/// catalog name; 08, connection exception), whose messages name the client's address,
/// the role or the database, what its class means instead (the server's log has the rest).
fn server_text(db: &postgres::error::DbError) -> String {
    let code = db.code().code();
    let refused = match code.get(..2) {
        Some("28") => Some(
            "the database server refused the connection: the role, its password, or this \
             client's address is not allowed (invalid authorization; see the server's log \
             and pg_hba.conf)",
        ),
        Some("3D") => Some("the database named in --database-url does not exist"),
        Some("08") => Some("the database server refused the connection (see its log)"),
        _ => None,
    };
    match refused {
        Some(what) => format!("{} {code}: {what}", db.severity()),
        None => format!("{} {code}: {}", db.severity(), db.message()),
    }
}

impl Store for PgStore {
    fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.connection()?;
        // One snapshot for the whole transaction, as a SQLite read transaction has.
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(classify)?;
        let out = f(&mut PgTx { tx: &mut tx })?;
        tx.commit().map_err(classify)?;
        Ok(out)
    }

    fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        self.write_with_settings(&[], f)
    }

    /// The server answers, and the schema is not newer than this bridge knows: a newer
    /// bridge that migrated it during a rolling upgrade makes this bridge superseded.
    fn check(&self) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        let applied: i32 = conn
            .query_one(SCHEMA_VERSION, &[])
            .and_then(|r| r.try_get(0))
            .map_err(classify)?;
        match self.note_schema(applied) {
            Some(why) => Err(StoreError::Superseded(why)),
            None => Ok(()),
        }
    }

    fn superseded(&self) -> Option<String> {
        self.superseded.lock().ok().and_then(|s| s.clone())
    }

    fn engine(&self) -> &'static str {
        "postgresql"
    }

    fn lead(&self) -> Result<bool, StoreError> {
        self.hold_watcher_lock()
    }
}

impl Drop for PgStore {
    /// Closing a connection of the synchronous client blocks on a runtime of its own,
    /// which panics (and, while unwinding, aborts) on a thread that drives async tasks.
    /// When the last handle goes away on such a thread (a service dropped by an
    /// embedder's async code), the connections are closed on a thread of their own.
    fn drop(&mut self) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let pool = self.pool.take();
        let leader = match self.leader.get_mut() {
            Ok(leader) => leader.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        std::thread::spawn(move || drop((pool, leader)));
    }
}
