//! Found by the attack review of the PostgreSQL mode: a `--database-url` (or
//! `SCIM_BRIDGE_DATABASE_URL`, or `migrate --to-database-url`) refused for its scheme
//! (`mysql://…`, or a typo such as `postgress://…`) was repeated whole in clap's error
//! message ("invalid value 'mysql://scim:password@db/scim' for …"), printing the
//! database password to the terminal and into whatever collects the bridge's output.
//!
//! Now the refusal names the option and why, never the value.

use std::process::Command;

use crate::common;

const SECRET: &str = "Pa55w0rdXYZ";

/// Runs the bridge with `args` (and `env`); whether it succeeded and what it printed.
fn run(dir: &std::path::Path, args: &[&str], env: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(common::binary());
    cmd.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("SCIM_BRIDGE_TOKEN")
        .env_remove("SCIM_BRIDGE_DATABASE_URL");
    if let Some(url) = env {
        cmd.env("SCIM_BRIDGE_DATABASE_URL", url);
    }
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

#[test]
fn a_refused_database_url_is_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("from");
    let from = from.to_str().unwrap();
    for url in [
        format!("mysql://scim:{SECRET}@db/scim"),
        format!("postgress://scim:{SECRET}@db/scim"),
    ] {
        for (args, env) in [
            (vec!["--database-url", url.as_str()], None),
            (vec![], Some(url.as_str())),
            (
                vec![
                    "migrate",
                    "--from-data-dir",
                    from,
                    "--to-database-url",
                    &url,
                ],
                None,
            ),
        ] {
            let (ok, text) = run(dir.path(), &args, env);
            assert!(!ok, "{args:?}: {text}");
            assert!(!text.contains(SECRET), "{args:?}: password printed: {text}");
            assert!(text.contains("postgres://"), "{args:?}: says why: {text}");
            assert!(text.contains("database-url"), "{args:?}: names it: {text}");
        }
    }
}

/// `--help` showed each option's environment variable with its value
/// (`[env: SCIM_BRIDGE_DATABASE_URL=postgres://scim:password@db/scim]`).
#[test]
fn help_never_shows_the_database_url_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("postgres://scim:{SECRET}@db/scim");
    for args in [vec!["--help"], vec!["migrate", "--help"]] {
        let (ok, text) = run(dir.path(), &args, Some(&url));
        assert!(ok, "{args:?}: {text}");
        assert!(
            text.contains("SCIM_BRIDGE_DATABASE_URL"),
            "{args:?}: {text}"
        );
        assert!(!text.contains(SECRET), "{args:?}: password printed: {text}");
    }
}
