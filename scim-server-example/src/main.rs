//! scim-bridge: a 1Password-style SCIM bridge that Microsoft Entra ID, Okta, OneLogin and
//! JumpCloud can drive end to end — the example binary of the scim-rs workspace.
//!
//! `cargo run -p scim-server-example` starts it on its embedded SQLite store; see
//! `docs/azure-ad.md` and `docs/operations.md`.
#![forbid(unsafe_code)]

mod cli;
mod datadir;
mod descriptors;
mod health;
mod onepassword;
mod server;
mod store;
mod token;
mod watcher;

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use scim_core::service::{ScimService, ServiceConfig};

use cli::{Cli, Command, InvitationAction, LogFormat, TokenAction};
use onepassword::{OnePassword, Policy};
use store::sqlite::SqliteStore;
use store::Store;
use token::{BearerAuth, TokenHash, TokenLock, TOKEN_FILE};

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let result = match &cli.command {
        None | Some(Command::Serve) => serve(&cli),
        Some(Command::Token {
            action: TokenAction::Rotate,
        }) => rotate_token(&cli),
        Some(Command::Invitations {
            action: InvitationAction::Accept { user_name },
        }) => accept(&cli, user_name),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scim-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
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
fn open_store(dir: &Path) -> Result<Arc<SqliteStore>, String> {
    let path = dir.join(datadir::DB_FILE);
    SqliteStore::open(&path)
        .map(Arc::new)
        .map_err(|e| format!("cannot open the database {}: {e}", path.display()))
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
fn authenticator(cli: &Cli, dir: &Path) -> Result<(BearerAuth, Option<String>), String> {
    let external = external_token(cli);
    datadir::record_token_source(dir, external)?;
    if let Ok(token) = std::env::var("SCIM_BRIDGE_TOKEN") {
        let token = token::check_supplied(&token).map_err(|e| e.to_string())?;
        return Ok((BearerAuth::fixed(token), None));
    }
    if let Some(file) = &cli.token_file {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read the token file {}: {e}", file.display()))?;
        let token = token::check_supplied(&text).map_err(|e| e.to_string())?;
        return Ok((BearerAuth::fixed(token), None));
    }
    let path = dir.join(TOKEN_FILE);
    let _lock = TokenLock::acquire(dir).map_err(|e| e.to_string())?;
    match TokenHash::load(&path).map_err(|e| e.to_string())? {
        Some(hash) => Ok((BearerAuth::from_file(path, hash), None)),
        None => {
            let token = token::generate();
            let hash = TokenHash::new(&token);
            hash.save(&path).map_err(|e| e.to_string())?;
            Ok((BearerAuth::from_file(path, hash), Some(token)))
        }
    }
}

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

fn serve(cli: &Cli) -> Result<(), String> {
    if cli.confirmation_interval < 30 && !cli.allow_short_interval {
        return Err(format!(
            "--confirmation-interval must be at least 30 seconds (got {})",
            cli.confirmation_interval
        ));
    }
    let interval = Duration::from_secs(cli.confirmation_interval.max(1));
    let seconds = |s: f64, name: &str| {
        Duration::try_from_secs_f64(s)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| format!("--{name} must be a positive number of seconds"))
    };
    if cli.max_connections == Some(0) {
        return Err("--max-connections must be at least 1".to_owned());
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
        return Err(format!(
            "--max-body-memory ({}) must be at least the largest body a request may send \
             ({largest_body} bytes, --max-body-bytes or the Bulk payload limit); else such \
             requests could never be admitted",
            limits.max_body_memory
        ));
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
            .map_err(|e| format!("cannot prepare the account: {e}"))?
            .with_scan_limits(onepassword::ScanLimits {
                max_concurrent: cli.max_full_scans,
                max_held: cli.max_held_resources,
            })
            .with_max_held_bytes(cli.max_held_bytes),
    );
    let config = ServiceConfig {
        base_paths: vec!["/scim/v2".to_owned(), "/scim".to_owned()],
        public_url: cli.public_url.clone(),
        max_body_bytes: cli.max_body_bytes,
        max_page_size: cli.max_page_size,
        max_values_per_attribute: cli.max_values_per_attribute.max(1),
        // Group PATCHes answer 204, as Entra ID's own documentation shows: a member
        // change on a 100,000-member group then costs the change, not the group.
        patch_no_content: vec!["Group".to_owned()],
        // What each identity provider sends beyond RFC 7644 (docs/clients.md).
        compat: cli.client_profile,
        // Requests come off the wire: an HTTP/1.1 request without Host is refused
        // (RFC 9112 §3.2).
        require_host: true,
        ..ServiceConfig::default()
    };
    let scim = ScimService::new(provisioner.clone())
        .with_registry(onepassword::registry())
        .with_authenticator(auth.clone())
        .with_config(config);
    let health = Arc::new(health::Health::new(interval.as_secs(), tls.is_some()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let app_store = store.clone();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cli.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", cli.listen))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
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
        Ok::<(), String>(())
    })?;
    // Stop the runtime (and its blocking threads) first; the last handle to the store
    // then closes the database.
    drop(runtime);
    drop(store);
    Ok(())
}

/// `token rotate`: a new token in the data directory's token file, under the token lock.
/// Refused when the token is managed elsewhere, since the new one would never be used.
fn rotate_token(cli: &Cli) -> Result<(), String> {
    let dir = datadir::existing(&cli.data_dir)?;
    let managed = external_token(cli)
        .map(str::to_owned)
        .or_else(|| datadir::external_token_source(dir));
    if let Some(source) = managed {
        return Err(format!(
            "the Secret Token is not managed in the data directory ({source}); nothing was \
             changed. Put a new token there, restart the bridge, and paste it into Entra ID. \
             (To manage it in the data directory again, start the bridge once without \
             SCIM_BRIDGE_TOKEN and --token-file.)"
        ));
    }
    let _lock = TokenLock::try_acquire(dir).map_err(|e| e.to_string())?;
    let token = token::generate();
    TokenHash::new(&token)
        .save(&dir.join(TOKEN_FILE))
        .map_err(|e| e.to_string())?;
    println!("New Secret Token (shown only now; a running bridge uses it within a second):\n\n  {token}\n");
    println!("Paste it into Entra ID (Provisioning > Admin Credentials > Secret Token) and press Test Connection.");
    Ok(())
}

fn accept(cli: &Cli, user_name: &str) -> Result<(), String> {
    let store = open_store(datadir::existing(&cli.data_dir)?)?;
    let state = store
        .write(|tx| onepassword::accept_invitation(tx, user_name))
        .map_err(|e| e.to_string())?;
    println!("{user_name} is now {}", state.as_str());
    Ok(())
}
