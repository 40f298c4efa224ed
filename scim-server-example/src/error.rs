//! Why the bridge could not start or a subcommand failed: the error [`crate::run`]
//! returns, printed by the binary after `scim-bridge: `.

use std::net::SocketAddr;
use std::path::PathBuf;

use scim2_core::provisioner::ProvisionerError;

use crate::datadir::DataDirError;
use crate::onepassword::RuleError;
use crate::server::TlsError;
use crate::store::StoreError;
use crate::token::TokenError;

/// A failure of `scim-bridge` (serving or a subcommand), each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A command-line setting is out of range.
    #[error("{0}")]
    Setting(String),
    /// The data directory cannot be used (missing, not a bridge's, or not writable).
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The database cannot be opened.
    #[error("cannot open the database {}: {source}", path.display())]
    OpenStore {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: StoreError,
    },
    /// The PostgreSQL database (`--database-url`) cannot be reached, migrated or used.
    #[error("cannot open the PostgreSQL database given by --database-url: {0}")]
    OpenDatabase(StoreError),
    /// `migrate` failed; nothing was written to the target.
    #[error("cannot migrate (nothing was written to the database): {0}")]
    Migrate(StoreError),
    /// The token file named by `--token-file` cannot be read.
    #[error("cannot read the token file {}: {source}", path.display())]
    ReadTokenFile {
        /// The token file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The Secret Token cannot be used, stored or locked.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// `token rotate` while the token is managed outside the data directory (`source`
    /// names where).
    #[error(
        "the Secret Token is not managed in the data directory ({0}); nothing was \
         changed. Put a new token there, restart the bridge, and paste it into Entra ID. \
         (To manage it in the data directory again, start the bridge once without \
         SCIM_BRIDGE_TOKEN and --token-file.)"
    )]
    TokenManagedElsewhere(String),
    /// `token rotate --database-url` while the replicas on that database take a token
    /// supplied to them (`source` names how).
    #[error(
        "the Secret Token of the bridges on this database is not managed in the database \
         ({0}); nothing was changed. Give the bridges a new token there, restart them, and \
         paste it into Entra ID. (To manage it in the database again, start a bridge once \
         without SCIM_BRIDGE_TOKEN and --token-file.)"
    )]
    DatabaseTokenManagedElsewhere(String),
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The account (its built-in groups) cannot be prepared in the store.
    #[error("cannot prepare the account: {0}")]
    Account(ProvisionerError),
    /// The async runtime cannot start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// The listening address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The bound socket's address cannot be read.
    #[error(transparent)]
    LocalAddr(std::io::Error),
    /// `invitations accept` failed (no such user, or the store).
    #[error(transparent)]
    Invitation(RuleError),
    /// The command's output could not be written (a full disk).
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
    /// `deprovisioning release` could not apply some held changes (they stay held).
    #[error("{0} held change(s) could not be released and stay held (see above); `scim-bridge deprovisioning discard` forgets them")]
    NotReleased(usize),
    /// Reading the audit trail, or settling held deprovisioning, failed.
    #[error("cannot read or change the store: {0}")]
    Journal(StoreError),
}
