//! scim-bridge as a library: a 1Password-style SCIM bridge that Microsoft Entra ID, Okta,
//! OneLogin and JumpCloud can drive end to end, on hyper and tokio with an embedded
//! SQLite store (or PostgreSQL, for several replicas). The `scim-bridge` binary parses
//! the command line ([`cli::Cli`]) and calls [`run`]; everything else lives here.
//!
//! - [`onepassword`]: the 1Password account model (states, built-in groups, the
//!   last-Owner rule, allowed domains) as a SCIM provisioner over a [`store::Store`];
//! - [`store`]: the storage interface and its engines (SQLite, embedded; PostgreSQL, for
//!   several replicas), which know nothing of the rules written over them;
//! - the HTTP server, the Secret Token, the data directory, `/health`, `/metrics`, the
//!   status page (`/app`) and the confirmation watcher, private to the crate.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod cli;
mod commands;
mod datadir;
mod descriptors;
mod error;
mod health;
mod metrics;
mod migrate;
pub mod onepassword;
mod retention;
mod run;
mod server;
mod small_file;
mod status;
pub mod store;
mod token;
mod watcher;

pub use datadir::DataDirError;
pub use error::Error;
pub use run::{init_logging, run};
pub use server::TlsError;
pub use token::TokenError;
