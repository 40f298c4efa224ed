//! Found by the review of the PostgreSQL mode: two `scim-bridge token rotate
//! --database-url …` run at once both stored a hash and both printed a token, and only
//! the one stored last worked: an operator could paste a token that was already dead.
//! (In a data directory the token lock refuses the second one.)
//!
//! Now a rotation holds a transaction-scoped advisory lock until its hash is committed,
//! and a rotation that finds it held is refused, saying so, and prints no token.
//!
//! The test makes the rotations overlap for certain: it holds a row lock on the token's
//! hash, so that the rotation that takes the advisory lock waits (holding it) until the
//! test lets go; without the advisory lock every rotation would wait there, then all
//! would store and print.

use std::process::{Child, Command, Stdio};

use crate::common::postgres::server;
use crate::common::{binary, eventually, Bridge};

/// Rotations started at once in each round.
const AT_ONCE: usize = 3;
/// Rounds.
const ROUNDS: usize = 3;

/// A `token rotate` on the database at `url`, running.
fn rotate(url: &str) -> Child {
    Command::new(binary())
        .args(["token", "rotate", "--database-url", url])
        .env_remove("SCIM_BRIDGE_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// What a finished rotation said: whether it succeeded, its standard output and error.
fn finish(child: Child) -> (bool, String, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The token a successful rotation printed.
fn printed_token(stdout: &str) -> Option<String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("New Secret Token"))
        .map(str::trim)
        .find(|l| l.len() >= 32 && !l.contains(' '))
        .map(str::to_owned)
}

/// Whether `bridge` accepts `token`.
fn accepts(bridge: &Bridge, token: &str) -> bool {
    let auth = format!("Bearer {token}");
    bridge
        .call_with("GET", "/scim/v2/Users", None, &[("Authorization", &auth)])
        .0
        == 200
}

#[test]
fn of_overlapping_rotations_one_prints_a_token_and_it_works() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A bridge with its own token kept in the database (not the test token).
    let bridge = Bridge::start_with_own_token(&data, &["--database-url", &url]);
    let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    for round in 0..ROUNDS {
        let mut hold = admin.transaction().unwrap();
        hold.query_one(
            "SELECT value FROM settings WHERE name = 'token_hash' FOR UPDATE",
            &[],
        )
        .unwrap();
        let mut running: Vec<Child> = (0..AT_ONCE).map(|_| rotate(&url)).collect();
        // All but the one holding the rotation lock are refused while the row is held;
        // without the lock, none finishes until it is released.
        let mut finished = Vec::new();
        eventually(30, || {
            let mut i = 0;
            while i < running.len() {
                if running[i].try_wait().unwrap().is_some() {
                    finished.push(finish(running.remove(i)));
                } else {
                    i += 1;
                }
            }
            finished.len() >= AT_ONCE - 1
        });
        hold.commit().unwrap();
        finished.extend(running.into_iter().map(finish));
        let tokens: Vec<String> = finished
            .iter()
            .filter_map(|(_, stdout, _)| printed_token(stdout))
            .collect();
        assert_eq!(
            tokens.len(),
            1,
            "round {round}: overlapping rotations printed {} tokens: {finished:?}",
            tokens.len()
        );
        for (ok, stdout, stderr) in &finished {
            if printed_token(stdout).is_none() {
                assert!(!ok, "round {round}: a rotation succeeded without a token");
                assert!(
                    stderr.contains("another `scim-bridge token rotate` is running"),
                    "round {round}: {stderr}"
                );
            } else {
                assert!(ok, "round {round}: {stderr}");
            }
        }
        let token = &tokens[0];
        assert!(
            eventually(30, || accepts(&bridge, token)),
            "round {round}: the one token printed does not work"
        );
    }
}
