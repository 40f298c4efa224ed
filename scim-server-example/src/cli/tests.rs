//! Unit tests of the command line: redacted values, parsers, env fallbacks.

use super::*;

#[test]
fn a_database_url_is_postgres_or_empty_and_never_printed() {
    let url: DatabaseUrl = "postgres://scim:s3cret@db:5432/scim"
        .parse()
        .expect("valid");
    assert_eq!(url.as_str(), "postgres://scim:s3cret@db:5432/scim");
    assert!(!format!("{url:?}").contains("s3cret"));
    let cli = Cli::try_parse_from(["scim-bridge", "--database-url", url.as_str()]).expect("parsed");
    assert!(!format!("{cli:?}").contains("s3cret"));
    let cli =
        Cli::try_parse_from(["scim-bridge", "--metrics-token", "m3trics-s3cret"]).expect("parsed");
    assert!(!format!("{cli:?}").contains("m3trics-s3cret"));
    assert_eq!(" ".parse::<DatabaseUrl>().expect("empty").as_str(), "");
    assert!("mysql://db/scim".parse::<DatabaseUrl>().is_err());
}

#[test]
fn migrate_reads_its_target_from_the_environment_without_showing_it() {
    use clap::CommandFactory;
    let cli = Cli::command();
    let migrate = cli.find_subcommand("migrate").expect("migrate");
    let target = migrate
        .get_arguments()
        .find(|a| a.get_id() == "to_database_url")
        .expect("--to-database-url");
    assert_eq!(
        target.get_env(),
        Some(std::ffi::OsStr::new("SCIM_BRIDGE_DATABASE_URL"))
    );
    assert!(target.is_hide_env_values_set());
    // The same variable as --database-url: one setting names the bridges' database.
    let serve = cli
        .get_arguments()
        .find(|a| a.get_id() == "database_url")
        .expect("--database-url");
    assert_eq!(target.get_env(), serve.get_env());
    // Given on the command line it still parses as before.
    let parsed = Cli::try_parse_from([
        "scim-bridge",
        "migrate",
        "--from-data-dir",
        "d",
        "--to-database-url",
        "postgres://scim:s3cret@db/scim",
    ])
    .expect("parsed");
    assert!(matches!(
        parsed.command,
        Some(Command::Migrate { to_database_url, .. })
            if to_database_url.as_str() == "postgres://scim:s3cret@db/scim"
    ));
}
