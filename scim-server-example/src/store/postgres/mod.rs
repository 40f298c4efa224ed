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
];

/// The first key of every advisory lock the bridge takes (the second names the lock), so
/// that they stay clear of other applications' locks on a shared server.
const LOCK_SPACE: i32 = 0x5C1B_0001;
/// Held (session-level) while migrations run: replicas starting at once migrate one at a
/// time, and each one after the first finds nothing left to do.
const MIGRATION_LOCK: i32 = 1;
/// Held (transaction-level) by every write transaction: one writer at a time across
/// every replica, the rules' single-writer semantics.
const WRITE_LOCK: i32 = 2;

/// Held (session-level, on a connection of its own) by the one replica that runs the
/// confirmation watcher; freed when that replica's session ends.
const WATCHER_LOCK: i32 = 3;

/// How long a write transaction waits for the [`WRITE_LOCK`] (every write transaction is
/// short, so only a stuck one holds it this long) before [`StoreError::Busy`].
const LOCK_TIMEOUT: &str = "10s";

/// How long connecting to the server may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

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
    pool: Pool<Manager>,
    /// How to open a connection outside the pool (the watcher's lock).
    config: postgres::Config,
    /// The TLS connector of every connection.
    connector: MakeRustlsConnect,
    /// The connection holding [`WATCHER_LOCK`], while this replica holds it.
    leader: std::sync::Mutex<Option<postgres::Client>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        f.write_str("PgStore")
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, with
    /// `sslmode` and `sslrootcert` as libpq reads them), migrates it, and opens the pool.
    /// A database migrated by a newer bridge is refused.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let (mut config, connector) = tls::config(url)?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("scim-bridge");
        }
        // A connection of its own, closed after: its session-level lock cannot outlive
        // the migration, even if the migration fails half-way.
        let mut conn = config.connect(connector.clone()).map_err(classify)?;
        migrate(&mut conn)?;
        drop(conn);
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CHECKOUT_TIMEOUT)
            .build(PostgresConnectionManager::new(
                config.clone(),
                connector.clone(),
            ))
            .map_err(pool_error)?;
        Ok(PgStore {
            pool,
            config,
            connector,
            leader: std::sync::Mutex::new(None),
        })
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
            Some(value) => conn.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = now()",
                &[&name, &value],
            ),
            None => conn.execute("DELETE FROM settings WHERE name = $1", &[&name]),
        }
        .map(|_| ())
        .map_err(classify)
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
    fn hold_watcher_lock(&self) -> Result<bool, StoreError> {
        let mut leader = self
            .leader
            .lock()
            .map_err(|_| StoreError::Other("watcher lock poisoned".into()))?;
        if let Some(conn) = leader.as_mut() {
            // Still ours if the session is: a lost connection lost the lock with it.
            if conn.simple_query("").is_ok() {
                return Ok(true);
            }
            tracing::warn!("lost the connection holding the watcher lock");
            *leader = None;
        }
        let mut conn = self
            .config
            .connect(self.connector.clone())
            .map_err(classify)?;
        let taken: bool = conn
            .query_one(
                "SELECT pg_try_advisory_lock($1, $2)",
                &[&LOCK_SPACE, &WATCHER_LOCK],
            )
            .and_then(|r| r.try_get(0))
            .map_err(classify)?;
        if taken {
            tracing::info!("this replica runs the confirmation watcher");
            *leader = Some(conn);
        }
        Ok(taken)
    }

    fn connection(&self) -> Result<PooledConnection<Manager>, StoreError> {
        self.pool.get().map_err(pool_error)
    }
}

/// Applies the migrations this database lacks, under [`MIGRATION_LOCK`].
fn migrate(conn: &mut postgres::Client) -> Result<(), StoreError> {
    conn.query_one(
        "SELECT pg_advisory_lock($1, $2)",
        &[&LOCK_SPACE, &MIGRATION_LOCK],
    )
    .map_err(classify)?;
    conn.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .map_err(classify)?;
    let applied: i32 = conn
        .query_one(
            "SELECT coalesce(max(version), 0) FROM schema_migrations",
            &[],
        )
        .and_then(|r| r.try_get(0))
        .map_err(classify)?;
    let known = MIGRATIONS.len();
    let applied = usize::try_from(applied).unwrap_or_default();
    if applied > known {
        return Err(StoreError::Other(format!(
            "the database is at schema version {applied}, newer than this bridge knows \
             ({known}): a newer scim-bridge migrated it; upgrade this bridge"
        )));
    }
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

/// Sorts a client error: a taken unique key, a lock waited for too long (or a statement
/// cancelled, or a transaction to retry), the server unreachable or going away, or
/// anything else.
fn classify(e: postgres::Error) -> StoreError {
    let Some(code) = e.code() else {
        // No SQLSTATE: the connection failed or closed (an I/O error, a TLS failure, a
        // timeout); none of their texts names the server. The causes are kept: "error
        // performing TLS handshake" alone would not say that a certificate was refused.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
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
        Some(db) => format!("{} {}: {}", db.severity(), code.code(), db.message()),
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
        let mut conn = self.connection()?;
        // Read committed, so that each statement after the lock sees every write
        // committed before it was granted (a repeatable-read snapshot would be taken
        // before the wait, and miss the last writer's changes).
        let mut tx = conn
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::ReadCommitted)
            .start()
            .map_err(classify)?;
        tx.batch_execute(&format!(
            "SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'; \
             SELECT pg_advisory_xact_lock({LOCK_SPACE}, {WRITE_LOCK})"
        ))
        .map_err(classify)?;
        let out = f(&mut PgTx { tx: &mut tx })?;
        tx.commit().map_err(classify)?;
        Ok(out)
    }

    fn check(&self) -> Result<(), StoreError> {
        let mut conn = self.connection()?;
        conn.query_one("SELECT count(*) FROM schema_migrations", &[])
            .map(|_| ())
            .map_err(classify)
    }

    fn engine(&self) -> &'static str {
        "postgresql"
    }

    fn lead(&self) -> Result<bool, StoreError> {
        self.hold_watcher_lock()
    }
}
