//! Running the bridge: serving (`scim-bridge`, `scim-bridge serve`) and the
//! subcommands (`token rotate`, `invitations accept`), from a parsed [`Cli`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use scim2_core::limits::ResourceLimits;
use scim2_core::service::{ScimService, ServiceConfig};

use crate::cli::{Cli, Command, InvitationAction, LogFormat, TokenAction};
use crate::metrics::Metrics;
use crate::onepassword::audit::Actor;
use crate::onepassword::{self, OnePassword};
use crate::status::StatusPage;
use crate::store::postgres::{PgOptions, PgStore};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use crate::token::{BearerAuth, TokenHash, TOKEN_FILE};
use crate::{commands, datadir, descriptors, health, retention, server, watcher, Error};

mod tokens;

use tokens::{
    authenticator, database_authenticator, database_token_hash, metrics_token, rotate_command,
    rotate_how, rotate_token, TOKEN_SETTING,
};

/// Runs what `cli` asks for: serves until stopped, or runs a subcommand.
pub fn run(cli: &Cli) -> Result<(), Error> {
    match &cli.command {
        None | Some(Command::Serve) => serve(cli),
        Some(Command::Token {
            action: TokenAction::Rotate,
        }) => rotate_token(cli),
        Some(Command::Invitations {
            action: InvitationAction::Accept { user_name },
        }) => on_store!(cli, |store| accept_on(store, user_name)),
        Some(Command::Audit {
            since,
            user,
            action,
            count,
            json,
        }) => {
            let args = commands::AuditArgs {
                since: since.as_deref(),
                user: user.as_deref(),
                action: action.as_deref(),
                count: *count,
                json: *json,
            };
            on_store!(cli, |store| commands::audit_on(store, &args))
        }
        Some(Command::Deprovisioning { action }) => {
            let policy = commands::policy(cli);
            on_store!(cli, |store| commands::deprovisioning_on(
                store, &policy, *action
            ))
        }
        Some(Command::Migrate {
            from_data_dir,
            to_database_url,
        }) if to_database_url.as_str().is_empty() => Err(Error::Setting(
            "--to-database-url (or SCIM_BRIDGE_DATABASE_URL) is empty: name the PostgreSQL database to fill"
                .to_owned(),
        )),
        Some(Command::Migrate {
            from_data_dir,
            to_database_url,
        }) => migrate_to_database(from_data_dir, to_database_url.as_str()),
    }
}

/// Logs to standard error, in `format`, at the level `RUST_LOG` sets (default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// Opens the store in `dir` (created by [`datadir::for_serving`] or checked by
/// [`datadir::existing`]).
fn open_store(dir: &Path) -> Result<Arc<SqliteStore>, Error> {
    let path = dir.join(datadir::DB_FILE);
    match SqliteStore::open(&path) {
        Ok(store) => Ok(Arc::new(store)),
        Err(source) => Err(Error::OpenStore { path, source }),
    }
}

/// The PostgreSQL database named by `--database-url`, if one is.
fn database_url(cli: &Cli) -> Option<&str> {
    cli.database_url
        .as_ref()
        .map(|u| u.as_str())
        .filter(|u| !u.is_empty())
}

/// Opens (and migrates) the PostgreSQL database at `url`, with the default bounds on
/// its sessions (for the subcommands; failing at once when it cannot be reached).
fn open_database(url: &str) -> Result<Arc<PgStore>, Error> {
    open_database_with(url, PgOptions::default())
}

/// [`open_database`] with these options.
fn open_database_with(url: &str, options: PgOptions) -> Result<Arc<PgStore>, Error> {
    PgStore::open_with(url, options)
        .map(Arc::new)
        .map_err(Error::OpenDatabase)
}

/// The Tenant URL to enter in the identity provider.
fn tenant_url(cli: &Cli, local: std::net::SocketAddr) -> String {
    match &cli.public_url {
        Some(u) => format!("{}/scim/v2", u.trim_end_matches('/')),
        None => {
            let scheme = if cli.tls_cert.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{local}/scim/v2")
        }
    }
}

/// Serves until stopped, with the confirmation watcher running beside.
fn serve(cli: &Cli) -> Result<(), Error> {
    if cli.confirmation_interval < 30 && !cli.allow_short_interval {
        return Err(Error::Setting(format!(
            "--confirmation-interval must be at least 30 seconds (got {})",
            cli.confirmation_interval
        )));
    }
    let interval = Duration::from_secs(cli.confirmation_interval.max(1));
    let seconds = |s: f64, name: &str| {
        Duration::try_from_secs_f64(s)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| Error::Setting(format!("--{name} must be a positive number of seconds")))
    };
    if !(MIN_DEPROVISION_WINDOW..=MAX_DEPROVISION_WINDOW).contains(&cli.deprovision_window) {
        return Err(Error::Setting(format!(
            "--deprovision-window must be from 1 minute to 7 days (got {}; `10m` is ten minutes, `10M` ten months)",
            humantime::format_duration(cli.deprovision_window)
        )));
    }
    if cli.max_connections == Some(0) {
        return Err(Error::Setting(
            "--max-connections must be at least 1".to_owned(),
        ));
    }
    let nofile = descriptors::raise_limit();
    let limits = server::Limits {
        header_timeout: seconds(cli.header_timeout, "header-timeout")?,
        body_timeout: seconds(cli.body_timeout, "body-timeout")?,
        idle_timeout: seconds(cli.idle_timeout, "idle-timeout")?,
        max_connections: descriptors::max_connections(cli.max_connections, nofile),
        max_body_memory: cli.max_body_memory.max(1),
    };
    let largest_body = cli
        .max_body_bytes
        .max(ServiceConfig::default().bulk_max_payload);
    if limits.max_body_memory < largest_body {
        return Err(Error::Setting(format!(
            "--max-body-memory ({}) must be at least the largest body a request may send \
             ({largest_body} bytes, --max-body-bytes or the Bulk payload limit); else such \
             requests could never be admitted",
            limits.max_body_memory
        )));
    }
    let statement_timeout = if cli.database_statement_timeout == 0.0 {
        None
    } else {
        Some(seconds(
            cli.database_statement_timeout,
            "database-statement-timeout",
        )?)
    };
    let settings = Settings {
        interval,
        limits,
        nofile,
    };
    match database_url(cli) {
        Some(url) => {
            // Serving waits for a database that is not up yet (a replica started before
            // it, or with it), saying so in the log, rather than exiting.
            // A watcher leader silent for three intervals (it records a heartbeat each
            // run) is taken over.
            let options = PgOptions::default()
                .with_statement_timeout(statement_timeout)
                .with_watcher_takeover(Some(interval.saturating_mul(WATCHER_TAKEOVER_RUNS)))
                .with_wait_for_server(true);
            let store = open_database_with(url, options)?;
            let (auth, new_token, follow) = database_authenticator(cli, &store)?;
            // Each second: the schema version (a newer bridge that migrated the database
            // during a rolling upgrade stops this one serving), and the token's hash
            // when it is followed.
            let refresh: Option<TokenRefresh> = Some({
                let store = store.clone();
                Arc::new(move || {
                    let _ = store.check();
                    follow
                        .then(|| database_token_hash(&store).ok().flatten())
                        .flatten()
                }) as TokenRefresh
            });
            let token = Token {
                auth,
                new_token,
                refresh,
            };
            serve_on(cli, store, settings, token)
        }
        None => {
            let dir = datadir::for_serving(&cli.data_dir)?;
            let store = open_store(dir)?;
            let (auth, new_token) = authenticator(cli, dir)?;
            let token = Token {
                auth,
                new_token,
                refresh: None,
            };
            serve_on(cli, store, settings, token)
        }
    }
}

/// Checks again what replicas share (the database): that no newer bridge upgraded it,
/// and the Secret Token's current hash, if it is followed there.
type TokenRefresh = Arc<dyn Fn() -> Option<TokenHash> + Send + Sync>;

/// How requests are authenticated.
struct Token {
    /// The authenticator.
    auth: BearerAuth,
    /// The token to print, if one was just generated.
    new_token: Option<String>,
    /// What to check again each second, where the store is shared.
    refresh: Option<TokenRefresh>,
}

/// How often a replica checks the database's schema version and reads the shared token
/// hash again.
const TOKEN_REFRESH: Duration = Duration::from_secs(1);

/// The shortest `--deprovision-window`: shorter, the guard would hardly count anything.
const MIN_DEPROVISION_WINDOW: Duration = Duration::from_secs(60);
/// The longest `--deprovision-window` (past it, more likely a typo: `10M` is ten months).
const MAX_DEPROVISION_WINDOW: Duration = Duration::from_secs(7 * 86_400);

/// How many confirmation intervals the replica running the watcher may let pass without
/// a heartbeat before another replica takes the watcher over.
const WATCHER_TAKEOVER_RUNS: u32 = 3;

/// What [`serve`] checked and derived from the command line.
struct Settings {
    /// The confirmation watcher's interval.
    interval: Duration,
    /// Connection and request limits.
    limits: server::Limits,
    /// The file descriptor limit, if known.
    nofile: Option<u64>,
}

/// Serves on `store` until stopped.
fn serve_on<S: Store>(
    cli: &Cli,
    store: Arc<S>,
    settings: Settings,
    token: Token,
) -> Result<(), Error> {
    let Settings {
        interval,
        limits,
        nofile,
    } = settings;
    let Token {
        auth,
        new_token,
        refresh,
    } = token;
    let auth = Arc::new(auth);
    let metrics_token = metrics_token(cli)?;
    let metrics = Arc::new(Metrics::new());
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(c), Some(k)) => Some(server::tls_acceptor(c, k)?),
        _ => None,
    };
    let policy = commands::policy(cli);
    let guard = policy.deprovisioning;
    let provisioner = Arc::new(
        OnePassword::new(store.clone(), policy)
            .map_err(Error::Account)?
            .with_scan_limits(onepassword::ScanLimits {
                max_concurrent: cli.max_full_scans,
                max_held: cli.max_held_resources,
            })
            .with_max_held_bytes(cli.max_held_bytes)
            .with_store_error_observer(metrics.store_error_observer()),
    );
    let mut config = ServiceConfig::default()
        .with_base_paths(["/scim/v2", "/scim"])
        .with_max_body_bytes(cli.max_body_bytes)
        .with_max_page_size(cli.max_page_size)
        // Lists page by cursor too (RFC 9865): an index seek however deep the page.
        .with_cursor_pagination(true)
        .with_resource_limits(
            ResourceLimits::default()
                .with_max_values_per_attribute(cli.max_values_per_attribute.max(1)),
        )
        // Group PATCHes answer 204, as Entra ID's own documentation shows: a member
        // change on a 100,000-member group then costs the change, not the group.
        .with_patch_no_content(["Group"])
        // What each identity provider sends beyond RFC 7644 (docs/clients.md).
        .with_compat(cli.client_profile)
        // Requests come off the wire: an HTTP/1.1 request without Host is refused
        // (RFC 9112 §3.2).
        .with_require_host(true);
    if let Some(url) = &cli.public_url {
        config = config.with_public_url(url.clone());
    }
    let scim = ScimService::new(provisioner.clone())
        .with_registry(onepassword::registry())
        .with_authenticator(auth.clone())
        .with_config(config);
    let health =
        Arc::new(health::Health::new(interval.as_secs(), tls.is_some()).with_deprovisioning(guard));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let app_store = store.clone();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cli.listen)
            .await
            .map_err(|source| Error::Listen {
                addr: cli.listen,
                source,
            })?;
        let local = listener.local_addr().map_err(Error::LocalAddr)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        if let Some(token) = new_token {
            println!("\nscim-bridge is set up. Enter these in Entra ID (Provisioning > Admin Credentials):\n");
            println!("  Tenant URL:   {}", tenant_url(cli, local));
            println!("  Secret Token: {token}\n");
            println!("The token is shown only now; only its hash is stored. Rotate it with {}.\n", rotate_command(cli));
        }
        println!("scim-bridge listening on {scheme}://{local}");
        // The data directory only where it holds the store (not with --database-url).
        let data_dir = database_url(cli)
            .is_none()
            .then(|| cli.data_dir.display().to_string());
        tracing::info!(%local, data_dir = data_dir.as_deref(), engine = app_store.engine(), tls = tls.is_some(),
            max_connections = limits.max_connections, file_descriptor_limit = nofile,
            client_profile = ?cli.client_profile, "scim-bridge started");
        let watcher = tokio::spawn(watcher::run(
            provisioner.clone(),
            health.clone(),
            metrics.clone(),
            interval,
        ));
        let pruner = tokio::spawn(retention::run(app_store.clone(), cli.audit_retention_days));
        let follower = refresh.map(|refresh| {
            let auth = auth.clone();
            tokio::spawn(async move {
                let mut ticker = tokio::time::interval(TOKEN_REFRESH);
                loop {
                    ticker.tick().await;
                    let refresh = refresh.clone();
                    if let Ok(Some(hash)) = tokio::task::spawn_blocking(move || refresh()).await {
                        auth.set_hash(hash);
                    }
                }
            })
        });
        let status_page = StatusPage::new(tls.is_some(), limits.body_timeout)
            .with_tenant_url(tenant_url(cli, local))
            .with_rotate_command(&rotate_how(cli))
            .with_database(database_url(cli).is_some())
            .with_public_url(cli.public_url.as_deref())
            .with_audit_feed(audit_feed(app_store.clone()));
        let app = Arc::new(
            server::App::new(scim, auth, health, app_store, limits, tls.is_some(), local)
                .with_metrics(metrics, metrics_token.as_deref())
                .with_status_page(status_page),
        );
        server::serve(listener, app, tls).await;
        watcher.abort();
        pruner.abort();
        if let Some(follower) = follower {
            follower.abort();
        }
        tracing::info!("scim-bridge stopped");
        Ok::<(), Error>(())
    })?;
    // Stop the runtime (and its blocking threads) first; the last handle to the store
    // then closes the database.
    drop(runtime);
    drop(store);
    Ok(())
}

/// The status page's view of the audit trail: the latest `n` records of `store`, as
/// `GET /audit` shows them.
fn audit_feed<S: Store>(store: Arc<S>) -> crate::status::AuditFeed {
    Arc::new(move |n| {
        let query = crate::store::AuditQuery {
            limit: n as u64,
            ..crate::store::AuditQuery::default()
        };
        onepassword::audit::read_json(&*store, &query).map_err(|e| e.to_string())
    })
}

/// `migrate`: the SQLite bridge in `from` copied into the database at `url` with its
/// Secret Token's hash, in one transaction, so that the identity provider's token keeps
/// working. Its sessions have no statement timeout: the copy is one long transaction.
fn migrate_to_database(from: &Path, url: &str) -> Result<(), Error> {
    let dir = datadir::existing(from)?;
    let source = open_store(dir)?;
    let hash = TokenHash::load(&dir.join(TOKEN_FILE))?.map(|h| h.to_text());
    let target = open_database_with(url, PgOptions::unbounded())?;
    let settings: Vec<(&str, &str)> = hash.iter().map(|h| (TOKEN_SETTING, h.as_str())).collect();
    let copied = crate::migrate::copy(&*source, &target, &settings).map_err(Error::Migrate)?;
    let token = match hash {
        Some(_) => "the Secret Token stays the same",
        None => "no Secret Token in the data directory (it came from SCIM_BRIDGE_TOKEN or --token-file: give the new bridges the same)",
    };
    println!(
        "Copied {} users, {} groups, {} memberships and {} account records; {token}.",
        copied.users, copied.groups, copied.members, copied.accounts
    );
    println!("Start the bridges with --database-url, then point the load balancer at them.");
    Ok(())
}

/// Runs `$body` with `$store` bound to the store the command line names: the
/// PostgreSQL database of --database-url, else the SQLite database in --data-dir (which
/// must exist). For the commands that work while the server runs.
macro_rules! on_store {
    ($cli:expr, |$store:ident| $body:expr) => {
        match database_url($cli) {
            Some(url) => {
                let $store = &*open_database(url)?;
                $body
            }
            None => {
                let $store = &*open_store(datadir::existing(&$cli.data_dir)?)?;
                $body
            }
        }
    };
}
use on_store;

/// `invitations accept` on `store`.
fn accept_on<S: Store>(store: &S, user_name: &str) -> Result<(), Error> {
    let state = store
        .write(|tx| onepassword::accept_invitation(tx, user_name, &Actor::cli()))
        .map_err(Error::Invitation)?;
    println!("{user_name} is now {}", state.as_str());
    Ok(())
}
