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
//!
//! Here: the store itself (its pool, its transactions, its settings). Beside it:
//! `options` (how sessions are set up and bounded), `migrations` (the schema), `errors`
//! (sorting and wording the client's errors), `lead` (which replica runs the
//! confirmation watcher, and taking it over from a frozen one), `tx` (the rules' reads and
//! writes in SQL), `params` (typed query parameters), `summary` (what is read of a
//! resource's JSON in Rust) and `tls` (the URL and TLS to the server).

mod errors;
mod journal;
mod lead;
mod migrations;
mod options;
mod params;
mod summary;
mod tls;
mod tx;

use std::time::Duration;

use postgres::error::SqlState;
use r2d2_postgres::r2d2::{self, Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Store, StoreError, Tx};
use errors::{classify, classify_connect, may_come_up, pool_error};
use migrations::{connect_and_migrate, newer_schema, MIGRATIONS, SCHEMA_VERSION};
pub use options::PgOptions;
use options::{
    nul_parameter, set_up, SessionSetup, CONNECT_TIMEOUT, KEEPALIVES_IDLE, KEEPALIVES_INTERVAL,
    KEEPALIVES_RETRIES, TCP_USER_TIMEOUT,
};
use tx::PgTx;

/// The first key of every advisory lock the bridge takes (the second names the lock), so
/// that they stay clear of other applications' locks on a shared server.
const LOCK_SPACE: i32 = 0x5C1B_0001;

/// Held (transaction-level) by every write transaction: one writer at a time across
/// every replica, the rules' single-writer semantics. It is what makes `If-Match`
/// (RFC 7644 §3.14) hold across replicas: the rules compare the version inside the
/// write transaction, after the lock, under read committed, so they see every write
/// committed before, and a resource another replica changed first gets `412`.
const WRITE_LOCK: i32 = 2;

/// Held (transaction-level, tried, never waited for) by `token rotate --database-url`
/// while it replaces the Secret Token's hash: of two rotations at once, one is refused
/// rather than both printing a token of which only the last would work.
const ROTATION_LOCK: i32 = 4;

/// How long a write transaction waits for the [`WRITE_LOCK`] (every write transaction is
/// short, so only a stuck one holds it this long) before [`StoreError::Busy`].
const LOCK_TIMEOUT: &str = "10s";

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

    /// Sets the setting `name` to `value` under the rotation lock, taken without waiting:
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

/// Sets a setting (name, value).
const SET_SETTING: &str = "INSERT INTO settings (name, value) VALUES ($1, $2)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = now()";

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
