//! scim-bridge: a 1Password-style SCIM bridge that Microsoft Entra ID, Okta, OneLogin and
//! JumpCloud can drive end to end — the example binary of the scim-rs workspace.
//!
//! `cargo run -p scim-server-example` starts it on its embedded SQLite store; see
//! `docs/azure-ad.md` and `docs/operations.md`. The bridge itself is the
//! `scim_server_example` library; this binary parses the command line and runs it.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use scim_server_example::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    scim_server_example::init_logging(cli.log_format);
    match scim_server_example::run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scim-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}
