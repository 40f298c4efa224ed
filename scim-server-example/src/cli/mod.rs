//! Command line and environment (every flag has an environment variable).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// scim-bridge: a 1Password-style SCIM bridge for Microsoft Entra ID, Okta and other
/// identity providers.
///
/// With no command it serves: on first start it creates the data directory and prints
/// the Tenant URL and Secret Token to paste into Entra ID.
#[derive(Debug, Parser)]
#[command(name = "scim-bridge", version, about, long_about)]
pub struct Cli {
    /// Address to listen on (use 0.0.0.0:3002 to accept connections from other hosts).
    #[arg(
        long,
        env = "SCIM_BRIDGE_LISTEN",
        default_value = "127.0.0.1:3002",
        global = true
    )]
    pub listen: SocketAddr,

    /// Directory for the database and the token hash.
    #[arg(
        long,
        env = "SCIM_BRIDGE_DATA_DIR",
        default_value = "./scim-bridge-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// PostgreSQL database to keep everything in (`postgres://user:password@host/db`,
    /// with `sslmode=require` or `verify-full` and `sslrootcert` as libpq reads them), so
    /// that several bridges can serve behind a load balancer; without it the bridge keeps
    /// its SQLite database in --data-dir.
    #[arg(
        long,
        env = "SCIM_BRIDGE_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<DatabaseUrl>,

    /// Seconds one SQL statement of the bridge may run on PostgreSQL (its sessions'
    /// `statement_timeout`, unless the database or role sets one) before the server
    /// cancels it and the request is answered 503 with Retry-After; 0 for none. Not
    /// applied to `migrate`.
    #[arg(
        long,
        env = "SCIM_BRIDGE_DATABASE_STATEMENT_TIMEOUT",
        default_value_t = 30.0,
        global = true
    )]
    pub database_statement_timeout: f64,

    /// Seconds between runs of the confirmation watcher (minimum 30).
    #[arg(
        long,
        env = "SCIM_BRIDGE_CONFIRMATION_INTERVAL",
        default_value_t = 300,
        global = true
    )]
    pub confirmation_interval: u64,

    /// Allow confirmation intervals under 30 seconds (for tests).
    #[arg(
        long,
        env = "SCIM_BRIDGE_ALLOW_SHORT_INTERVAL",
        hide = true,
        global = true
    )]
    pub allow_short_interval: bool,

    /// Email domains userName must belong to, comma-separated; any userName when unset.
    #[arg(
        long,
        env = "SCIM_BRIDGE_ALLOWED_DOMAINS",
        value_delimiter = ',',
        global = true
    )]
    pub allowed_domains: Vec<String>,

    /// TLS certificate chain (PEM). With --tls-key, serve HTTPS directly; without, plain
    /// HTTP for use behind a load balancer that terminates TLS.
    #[arg(
        long,
        env = "SCIM_BRIDGE_TLS_CERT",
        requires = "tls_key",
        global = true
    )]
    pub tls_cert: Option<PathBuf>,

    /// TLS private key (PEM).
    #[arg(
        long,
        env = "SCIM_BRIDGE_TLS_KEY",
        requires = "tls_cert",
        global = true
    )]
    pub tls_key: Option<PathBuf>,

    /// Log format.
    #[arg(long, env = "SCIM_BRIDGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// Largest request body in bytes.
    #[arg(long, env = "SCIM_BRIDGE_MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Largest page a list returns.
    #[arg(
        long,
        env = "SCIM_BRIDGE_MAX_PAGE_SIZE",
        default_value_t = 200,
        global = true
    )]
    pub max_page_size: u64,

    /// The bridge's public URL (e.g. `https://scim.example.com`), for the Tenant URL and
    /// resource locations; by default derived from the request's Host header.
    #[arg(long, env = "SCIM_BRIDGE_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Most connections (and requests in flight) served at once; more are answered 429
    /// with Retry-After (connections past it are then closed). Default: 1024, or fewer if the file descriptor limit is lower (the
    /// limit less 128 kept for the database and the listener).
    #[arg(long, env = "SCIM_BRIDGE_MAX_CONNECTIONS", global = true)]
    pub max_connections: Option<usize>,

    /// Seconds a kept-alive connection may stay open with no request in flight (only the
    /// header timeout while 90% of the connection slots are taken).
    #[arg(
        long,
        env = "SCIM_BRIDGE_IDLE_TIMEOUT",
        default_value_t = 75.0,
        global = true
    )]
    pub idle_timeout: f64,

    /// Most bytes of request bodies held in memory at once, over all requests; a body
    /// that would go over is answered 429 with Retry-After.
    #[arg(long, env = "SCIM_BRIDGE_MAX_BODY_MEMORY", default_value_t = 64 * 1024 * 1024, global = true)]
    pub max_body_memory: usize,

    /// Seconds a client may take, from connecting, to finish its TLS handshake and send
    /// its first request head (the connection is closed after).
    #[arg(
        long,
        env = "SCIM_BRIDGE_HEADER_TIMEOUT",
        default_value_t = 10.0,
        global = true
    )]
    pub header_timeout: f64,

    /// Seconds a client may take to send its request body (408 after).
    #[arg(
        long,
        env = "SCIM_BRIDGE_BODY_TIMEOUT",
        default_value_t = 30.0,
        global = true
    )]
    pub body_timeout: f64,

    /// Most values one multi-valued attribute (e.g. emails) may hold; more are refused
    /// with 400 tooMany. Group members are not counted against it.
    #[arg(
        long,
        env = "SCIM_BRIDGE_MAX_VALUES_PER_ATTRIBUTE",
        default_value_t = 1000,
        global = true
    )]
    pub max_values_per_attribute: usize,

    /// Most list requests that read every row of a type (unindexed filters, sortBy,
    /// searches across types) running at once; more are answered 429 with Retry-After.
    #[arg(
        long,
        env = "SCIM_BRIDGE_MAX_FULL_SCANS",
        default_value_t = 2,
        global = true
    )]
    pub max_full_scans: usize,

    /// Most resources one list request may hold in memory (every match when sorting);
    /// past it, 400 tooMany asking to narrow the filter or drop sortBy.
    #[arg(
        long,
        env = "SCIM_BRIDGE_MAX_HELD_RESOURCES",
        default_value_t = 5000,
        global = true
    )]
    pub max_held_resources: usize,

    /// Most bytes of JSON one list request may hold in memory (sort keys, the page,
    /// matches of a search across types); past it, 400 tooMany.
    #[arg(long, env = "SCIM_BRIDGE_MAX_HELD_BYTES", default_value_t = 64 << 20, global = true)]
    pub max_held_bytes: usize,

    /// Which identity providers' PATCH quirks to accept (docs/clients.md has the table):
    /// every-client accepts what Entra ID, Okta, OneLogin and JumpCloud send; strict reads
    /// RFC 7644 literally.
    #[arg(
        long,
        env = "SCIM_BRIDGE_CLIENT_PROFILE",
        value_name = "every-client|entra|okta|onelogin|jumpcloud|strict",
        value_parser = client_profile,
        default_value = "every-client",
        global = true
    )]
    pub client_profile: scim2_core::patch::Compat,

    /// Read the Secret Token from this file instead of generating one (for automation;
    /// the SCIM_BRIDGE_TOKEN environment variable does the same).
    #[arg(long, env = "SCIM_BRIDGE_TOKEN_FILE", global = true)]
    pub token_file: Option<PathBuf>,

    /// Suspensions and deletions SCIM clients may make within --deprovision-window;
    /// past it, further ones are held until an operator runs `scim-bridge
    /// deprovisioning release` (or `discard`). Off unless set.
    #[arg(long, env = "SCIM_BRIDGE_DEPROVISION_LIMIT", global = true)]
    pub deprovision_limit: Option<u64>,

    /// The window --deprovision-limit counts over (`10m`, `1h`, `2h 30m`).
    #[arg(
        long,
        env = "SCIM_BRIDGE_DEPROVISION_WINDOW",
        default_value = "10m",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub deprovision_window: std::time::Duration,

    /// Days the audit trail keeps each record; older ones are deleted by the bridge
    /// (hourly). 0 keeps them for ever.
    #[arg(
        long,
        env = "SCIM_BRIDGE_AUDIT_RETENTION_DAYS",
        default_value_t = 365,
        global = true
    )]
    pub audit_retention_days: u32,

    /// A read-only token for `GET /metrics` (at least 32 characters), so that a
    /// Prometheus scraper never holds the Secret Token, which can provision. It
    /// authenticates nothing else; the Secret Token is accepted at /metrics too.
    #[arg(
        long,
        env = "SCIM_BRIDGE_METRICS_TOKEN",
        hide_env_values = true,
        conflicts_with = "metrics_token_file",
        global = true
    )]
    pub metrics_token: Option<MetricsToken>,

    /// Read the metrics token (see --metrics-token) from this file.
    #[arg(long, env = "SCIM_BRIDGE_METRICS_TOKEN_FILE", global = true)]
    pub metrics_token_file: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A `--metrics-token`: shown redacted, like the database URL.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// The token as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

impl std::str::FromStr for MetricsToken {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(MetricsToken(s.to_owned()))
    }
}

/// A `--client-profile` value: a profile named by `scim2_core::patch::Compat::profile`;
/// empty (an environment variable set to nothing) is the default, every-client.
fn client_profile(name: &str) -> Result<scim2_core::patch::Compat, String> {
    if name.trim().is_empty() {
        return Ok(scim2_core::patch::Compat::every_client());
    }
    scim2_core::patch::Compat::profile(name).ok_or_else(|| {
        format!("no such profile `{name}`: use every-client, entra, okta, onelogin, jumpcloud or strict")
    })
}

/// A `--database-url`: shown redacted (it may hold a password). Empty (an environment
/// variable set to nothing) means none: SQLite in --data-dir.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DatabaseUrl(<redacted>)")
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() || s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(DatabaseUrl(s.to_owned()))
        } else {
            Err("a PostgreSQL URL starts with postgres:// or postgresql://".to_owned())
        }
    }
}

/// Parses a [`DatabaseUrl`] argument: a refusal names the option and why, never the
/// value (clap's own message would repeat it, password and all).
#[derive(Clone, Copy, Debug)]
pub struct DatabaseUrlParser;

impl clap::builder::TypedValueParser for DatabaseUrlParser {
    type Value = DatabaseUrl;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<DatabaseUrl, clap::Error> {
        let name = arg.map_or_else(|| "--database-url".to_owned(), ToString::to_string);
        let refuse = |why: &str| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "invalid value for '{name}' (not repeated: it may hold a password): {why}\n"
                ),
            )
            .with_cmd(cmd)
        };
        value
            .to_str()
            .ok_or_else(|| refuse("not UTF-8"))?
            .parse()
            .map_err(|why: String| refuse(&why))
    }
}

impl clap::builder::ValueParserFactory for DatabaseUrl {
    type Parser = DatabaseUrlParser;

    fn value_parser() -> DatabaseUrlParser {
        DatabaseUrlParser
    }
}

/// Log output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve SCIM (the default).
    Serve,
    /// Manage the Secret Token.
    Token {
        /// What to do with it.
        #[command(subcommand)]
        action: TokenAction,
    },
    /// Copy everything an SQLite bridge keeps (users, groups, memberships, account
    /// states, the Secret Token) into an empty PostgreSQL database, for bridges started
    /// with --database-url. Stop the SQLite bridge first.
    Migrate {
        /// The SQLite bridge's data directory.
        #[arg(long)]
        from_data_dir: PathBuf,
        /// The PostgreSQL database to fill: the one the bridges will use, so it is read
        /// from SCIM_BRIDGE_DATABASE_URL too (keeping the password out of the command
        /// line and the shell's history).
        #[arg(long, env = "SCIM_BRIDGE_DATABASE_URL", hide_env_values = true)]
        to_database_url: DatabaseUrl,
    },
    /// Simulate people answering their invitations (no real 1Password account is
    /// reachable); works while the server runs.
    Invitations {
        /// What to do.
        #[command(subcommand)]
        action: InvitationAction,
    },
    /// Read the audit trail (newest first): every change the bridge made, by whom.
    Audit {
        /// Only records since this time: RFC 3339 (`2026-12-01T09:00:00Z`) or an age
        /// (`24h`, `7d`).
        #[arg(long)]
        since: Option<String>,
        /// Only records about this user (userName or id).
        #[arg(long)]
        user: Option<String>,
        /// Only records with this action (`user.suspended`, `member.added`, …).
        #[arg(long)]
        action: Option<String>,
        /// Most records to print.
        #[arg(long, default_value_t = 100)]
        count: u64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// See, release or discard the suspensions and deletions the deprovisioning guard
    /// held (--deprovision-limit); works while the server runs.
    Deprovisioning {
        /// What to do.
        #[command(subcommand)]
        action: DeprovisioningAction,
    },
}

/// What to do with held deprovisioning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Subcommand)]
pub enum DeprovisioningAction {
    /// List what is held, oldest first.
    List,
    /// Apply every held suspension and deletion, oldest first (each recorded in the
    /// audit trail as released by `cli`).
    Release,
    /// Forget every held suspension and deletion: the people stay as they are.
    Discard,
}

/// Token actions.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Generate a new Secret Token, store its hash, and print it once. A running bridge
    /// switches to it within a second; paste it into Entra ID. Refused when the token
    /// comes from SCIM_BRIDGE_TOKEN or --token-file (change it there instead).
    Rotate,
}

/// Invitation actions.
#[derive(Debug, Subcommand)]
pub enum InvitationAction {
    /// The person with this userName accepts their invitation: invited becomes pending,
    /// and the confirmation watcher will confirm them.
    Accept {
        /// The user's userName (their email).
        user_name: String,
    },
}

#[cfg(test)]
mod tests;
