//! The Secret Token when serving and rotating: supplied (environment, file), kept in the
//! data directory, or shared by the replicas in the database; and the read-only metrics
//! token.

use std::path::Path;

use super::{database_url, open_database, open_store};
use crate::cli::Cli;
use crate::store::postgres::PgStore;
use crate::token::{self, BearerAuth, TokenError, TokenHash, TokenLock, TOKEN_FILE};
use crate::{commands, datadir, Error};

/// Where the token comes from when it is managed outside the data directory.
pub(super) fn external_token(cli: &Cli) -> Option<&'static str> {
    if std::env::var_os("SCIM_BRIDGE_TOKEN").is_some() {
        Some("the SCIM_BRIDGE_TOKEN environment variable")
    } else if cli.token_file.is_some() {
        Some("--token-file (SCIM_BRIDGE_TOKEN_FILE)")
    } else {
        None
    }
}

/// The authenticator of a token supplied by the SCIM_BRIDGE_TOKEN environment variable or
/// --token-file, if one is.
pub(super) fn supplied_token(cli: &Cli) -> Result<Option<BearerAuth>, Error> {
    if let Ok(token) = std::env::var("SCIM_BRIDGE_TOKEN") {
        let token = token::check_supplied(&token)?;
        return Ok(Some(BearerAuth::fixed(token)));
    }
    if let Some(file) = &cli.token_file {
        let text =
            crate::small_file::read_to_string(file).map_err(|source| Error::ReadTokenFile {
                path: file.clone(),
                source,
            })?;
        let token = token::check_supplied(&text)?;
        return Ok(Some(BearerAuth::fixed(token)));
    }
    Ok(None)
}

/// The read-only metrics token from `--metrics-token` (or SCIM_BRIDGE_METRICS_TOKEN) or
/// `--metrics-token-file`, if one is given: held to the Secret Token's rules
/// ([`token::check_supplied`]).
pub(super) fn metrics_token(cli: &Cli) -> Result<Option<String>, Error> {
    let text = match (&cli.metrics_token, &cli.metrics_token_file) {
        (Some(token), _) => token.as_str().to_owned(),
        (None, Some(file)) => {
            crate::small_file::read_to_string(file).map_err(|source| Error::ReadTokenFile {
                path: file.clone(),
                source,
            })?
        }
        (None, None) => return Ok(None),
    };
    let token = token::check_supplied(&text).map_err(|e| {
        Error::Setting(format!(
            "--metrics-token (SCIM_BRIDGE_METRICS_TOKEN, --metrics-token-file): {e}"
        ))
    })?;
    Ok(Some(token.to_owned()))
}

/// The authenticator, and the token to print if one was just generated.
pub(super) fn authenticator(cli: &Cli, dir: &Path) -> Result<(BearerAuth, Option<String>), Error> {
    let external = external_token(cli);
    datadir::record_token_source(dir, external)?;
    if let Some(auth) = supplied_token(cli)? {
        return Ok((auth, None));
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

/// The database setting holding the Secret Token's hash (PostgreSQL mode).
pub(super) const TOKEN_SETTING: &str = "token_hash";
/// The database setting naming where the replicas last took a supplied token from, so
/// that `token rotate --database-url` refuses to change a token no replica uses.
pub(super) const TOKEN_SOURCE_SETTING: &str = "token_source";

/// The Secret Token's hash kept in the database, if it is there and sound.
pub(super) fn database_token_hash(store: &PgStore) -> Result<Option<TokenHash>, Error> {
    store
        .setting(TOKEN_SETTING)
        .map_err(Error::OpenDatabase)?
        .map(|text| {
            TokenHash::parse(&text).map_err(|why| TokenError::CorruptInDatabase(why).into())
        })
        .transpose()
}

/// The authenticator in PostgreSQL mode, the token to print if one was just generated,
/// and whether the hash is to be followed in the database: every replica shares one
/// hash there, and of replicas starting at once on a new database exactly one generates
/// (and prints) the token.
pub(super) fn database_authenticator(
    cli: &Cli,
    store: &PgStore,
) -> Result<(BearerAuth, Option<String>, bool), Error> {
    let external = external_token(cli).map(datadir::token_source_note);
    store
        .set_setting(TOKEN_SOURCE_SETTING, external.as_deref())
        .map_err(Error::OpenDatabase)?;
    if let Some(auth) = supplied_token(cli)? {
        return Ok((auth, None, false));
    }
    if let Some(hash) = database_token_hash(store)? {
        return Ok((BearerAuth::from_hash(hash), None, true));
    }
    let token = token::generate();
    let added = store
        .add_setting(TOKEN_SETTING, &TokenHash::new(&token).to_text())
        .map_err(Error::OpenDatabase)?;
    // Another replica may have stored its own first: that one is the token.
    let hash = database_token_hash(store)?
        .ok_or_else(|| TokenError::CorruptInDatabase("the token hash vanished".into()))?;
    Ok((BearerAuth::from_hash(hash), added.then_some(token), true))
}

/// The command that rotates the token of a bridge started with `cli`.
pub(super) fn rotate_command(cli: &Cli) -> &'static str {
    match database_url(cli) {
        Some(_) => "`scim-bridge token rotate --database-url …` (or with SCIM_BRIDGE_DATABASE_URL set) on any machine",
        None => "`scim-bridge token rotate`",
    }
}

/// How to rotate the token of a bridge started with `cli`, as the status page says it:
/// the command, or where the token is managed when it is supplied.
pub(super) fn rotate_how(cli: &Cli) -> String {
    match external_token(cli) {
        Some(source) => format!(
            "The token comes from {source}: change it there and restart the bridge (`token rotate` refuses to)"
        ),
        None => format!("Run {} on the bridge's host", rotate_command(cli)),
    }
}

/// `token rotate`: a new token in the data directory's token file, under the token lock.
/// Refused when the token is managed elsewhere, since the new one would never be used.
pub(super) fn rotate_token(cli: &Cli) -> Result<(), Error> {
    if let Some(url) = database_url(cli) {
        return rotate_database_token(cli, url);
    }
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
    commands::record_rotation(&*open_store(dir)?);
    println!("New Secret Token (shown only now; a running bridge uses it within a second):\n\n  {token}\n");
    println!("Paste it into Entra ID (Provisioning > Admin Credentials > Secret Token) and press Test Connection.");
    Ok(())
}

/// `token rotate --database-url`: a new token's hash in the database, which every replica
/// reads again each second. Refused when the replicas take a supplied token.
pub(super) fn rotate_database_token(cli: &Cli, url: &str) -> Result<(), Error> {
    let store = open_database(url)?;
    let managed = match external_token(cli) {
        Some(source) => Some(source.to_owned()),
        None => store
            .setting(TOKEN_SOURCE_SETTING)
            .map_err(Error::OpenDatabase)?,
    };
    if let Some(source) = managed {
        return Err(Error::DatabaseTokenManagedElsewhere(source));
    }
    let token = token::generate();
    // One rotation at a time, as the token lock serialises them in a data directory: a
    // second one at once is refused and prints nothing.
    let stored = store
        .set_setting_alone(TOKEN_SETTING, &TokenHash::new(&token).to_text())
        .map_err(Error::OpenDatabase)?;
    if !stored {
        return Err(TokenError::BusyInDatabase.into());
    }
    commands::record_rotation(&*store);
    println!("New Secret Token (shown only now; every bridge on this database uses it within seconds):\n\n  {token}\n");
    println!("Paste it into Entra ID (Provisioning > Admin Credentials > Secret Token) and press Test Connection.");
    Ok(())
}
