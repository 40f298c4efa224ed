//! Running the bridge: serving (`scim-bridge`, `scim-bridge serve`) and the
//! subcommands (`token rotate`, `invitations accept`), from a parsed [`Cli`].

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use scim2_core::limits::ResourceLimits;
use scim2_core::service::{ScimService, ServiceConfig};

use crate::cli::{Cli, Command, InvitationAction, LogFormat, TokenAction};
use crate::onepassword::{self, OnePassword, Policy};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use crate::token::{self, BearerAuth, TokenHash, TokenLock, TOKEN_FILE};
use crate::{datadir, descriptors, health, server, watcher, Error};

/// Runs what `cli` asks for: serves until stopped, or runs a subcommand.
pub fn run(cli: &Cli) -> Result<(), Error> {
    match &cli.command {
        None | Some(Command::Serve) => serve(cli),
        Some(Command::Token {
            action: TokenAction::Rotate,
        }) => rotate_token(cli),
        Some(Command::Invitations {
            action: InvitationAction::Accept { user_name },
        }) => accept(cli, user_name),
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

/// Where the token comes from when it is managed outside the data directory.
fn external_token(cli: &Cli) -> Option<&'static str> {
    if std::env::var_os("SCIM_BRIDGE_TOKEN").is_some() {
        Some("the SCIM_BRIDGE_TOKEN environment variable")
    } else if cli.token_file.is_some() {
        Some("--token-file (SCIM_BRIDGE_TOKEN_FILE)")
    } else {
        None
    }
}

/// The authenticator, and the token to print if one was just generated.
fn authenticator(cli: &Cli, dir: &Path) -> Result<(BearerAuth, Option<String>), Error> {
    let external = external_token(cli);
    datadir::record_token_source(dir, external)?;
    if let Ok(token) = std::env::var("SCIM_BRIDGE_TOKEN") {
        let token = token::check_supplied(&token)?;
        return Ok((BearerAuth::fixed(token), None));
    }
    if let Some(file) = &cli.token_file {
        let text =
            crate::small_file::read_to_string(file).map_err(|source| Error::ReadTokenFile {
                path: file.clone(),
                source,
            })?;
        let token = token::check_supplied(&text)?;
        return Ok((BearerAuth::fixed(token), None));
    }
    let path = dir.join(TOKEN_FILE);
    let _lock = TokenLock::acquire(dir)?;
    match TokenHash::load(&path)? {
        Some(hash) => Ok((BearerAuth::from_file(path, hash), None)),
        None => {
            let token = token::generate();
            let hash = TokenHash::new(&token);
            hash.save(&path)?;
            Ok((BearerAuth::from_file(path, hash), Some(token)))
        }
    }
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
    let dir = datadir::for_serving(&cli.data_dir)?;
    let store = open_store(dir)?;
    let (auth, new_token) = authenticator(cli, dir)?;
    let auth = Arc::new(auth);
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(c), Some(k)) => Some(server::tls_acceptor(c, k)?),
        _ => None,
    };
    let policy = Policy {
        allowed_domains: cli
            .allowed_domains
            .iter()
            .map(|d| d.trim().to_lowercase())
            .filter(|d| !d.is_empty())
            .collect(),
    };
    let provisioner = Arc::new(
        OnePassword::new(store.clone(), policy)
            .map_err(Error::Account)?
            .with_scan_limits(onepassword::ScanLimits {
                max_concurrent: cli.max_full_scans,
                max_held: cli.max_held_resources,
            })
            .with_max_held_bytes(cli.max_held_bytes),
    );
    let mut config = ServiceConfig::default()
        .with_base_paths(["/scim/v2", "/scim"])
        .with_max_body_bytes(cli.max_body_bytes)
        .with_max_page_size(cli.max_page_size)
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
    let health = Arc::new(health::Health::new(interval.as_secs(), tls.is_some()));
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
            println!("The token is shown only now; only its hash is stored. Rotate it with `scim-bridge token rotate`.\n");
        }
        println!("scim-bridge listening on {scheme}://{local}");
        tracing::info!(%local, data_dir = %cli.data_dir.display(), tls = tls.is_some(),
            max_connections = limits.max_connections, file_descriptor_limit = nofile,
            client_profile = ?cli.client_profile, "scim-bridge started");
        let watcher = tokio::spawn(watcher::run(provisioner.clone(), health.clone(), interval));
        let app = Arc::new(server::App::new(
            scim,
            auth,
            health,
            app_store,
            limits,
            tls.is_some(),
            local,
        ));
        server::serve(listener, app, tls).await;
        watcher.abort();
        tracing::info!("scim-bridge stopped");
        Ok::<(), Error>(())
    })?;
    // Stop the runtime (and its blocking threads) first; the last handle to the store
    // then closes the database.
    drop(runtime);
    drop(store);
    Ok(())
}

/// `token rotate`: a new token in the data directory's token file, under the token lock.
/// Refused when the token is managed elsewhere, since the new one would never be used.
fn rotate_token(cli: &Cli) -> Result<(), Error> {
    let dir = datadir::existing(&cli.data_dir)?;
    let managed = external_token(cli)
        .map(str::to_owned)
        .or_else(|| datadir::external_token_source(dir));
    if let Some(source) = managed {
        return Err(Error::TokenManagedElsewhere(source));
    }
    let _lock = TokenLock::try_acquire(dir)?;
    let token = token::generate();
    TokenHash::new(&token).save(&dir.join(TOKEN_FILE))?;
    println!("New Secret Token (shown only now; a running bridge uses it within a second):\n\n  {token}\n");
    println!("Paste it into Entra ID (Provisioning > Admin Credentials > Secret Token) and press Test Connection.");
    Ok(())
}

/// `invitations accept`: the person with this `userName` accepted their invitation.
fn accept(cli: &Cli, user_name: &str) -> Result<(), Error> {
    let store = open_store(datadir::existing(&cli.data_dir)?)?;
    let state = store
        .write(|tx| onepassword::accept_invitation(tx, user_name))
        .map_err(Error::Invitation)?;
    println!("{user_name} is now {}", state.as_str());
    Ok(())
}
