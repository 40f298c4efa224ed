//! How the PostgreSQL store's connections are set up: [`PgOptions`] (the timeouts that
//! bound each session and each write transaction, the watcher take-over, waiting for the
//! server at start), the connect timeout and TCP keepalives, and the check of the URL's
//! parameters before any connection.

use super::*;

/// How long connecting to the server may take.
pub(super) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle time before TCP keepalive probes start on a connection (unless the URL sets
/// `keepalives_idle`): the operating system's default, two hours, would leave a
/// connection to a vanished host (a network partition) looking alive that long.
pub(super) const KEEPALIVES_IDLE: Duration = Duration::from_secs(30);

/// Time between keepalive probes (unless the URL sets `keepalives_interval`).
pub(super) const KEEPALIVES_INTERVAL: Duration = Duration::from_secs(10);

/// Unanswered probes after which the connection is dropped (unless the URL sets
/// `keepalives_retries`).
pub(super) const KEEPALIVES_RETRIES: u32 = 3;

/// How long data sent may stay unacknowledged before the connection is dropped (unless
/// the URL sets `tcp_user_timeout`): a statement sent to a vanished host fails after it
/// rather than waiting for the keepalives, which only probe idle connections.
pub(super) const TCP_USER_TIMEOUT: Duration = Duration::from_secs(30);

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
    pub(super) fn write_setup(&self) -> String {
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
    /// one already (from the database, the role or the URL), and JIT compilation off.
    pub(super) fn session_setup(&self) -> String {
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
        .chain(std::iter::once(
            // JIT compilation of a translated filter's large predicate takes hundreds of
            // milliseconds whatever the number of rows: more than any list request here
            // gains from it.
            "SET jit = off;".to_owned(),
        ))
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
pub(super) fn millis(timeout: Duration) -> u128 {
    timeout.as_millis().clamp(1, 2_147_483_647)
}

/// Bounds each new pooled connection's session ([`PgOptions::session_setup`]).
#[derive(Debug)]
pub(super) struct SessionSetup(pub(super) String);

impl r2d2::CustomizeConnection<postgres::Client, postgres::Error> for SessionSetup {
    fn on_acquire(&self, conn: &mut postgres::Client) -> Result<(), postgres::Error> {
        set_up(conn, &self.0)
    }
}

/// Runs `setup` ([`PgOptions::session_setup`]) on a new session.
pub(super) fn set_up(conn: &mut postgres::Client, setup: &str) -> Result<(), postgres::Error> {
    if setup.is_empty() {
        return Ok(());
    }
    conn.batch_execute(setup)
}

/// The connection parameter of `config` that holds a NUL character, if one does: the
/// client would fail to send it at each attempt, which is not the server being away.
pub(super) fn nul_parameter(config: &postgres::Config) -> Option<&'static str> {
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
