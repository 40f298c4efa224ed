//! Found by the review of frozen replicas: every start (and every subcommand) on a
//! migrated PostgreSQL database logged the server's `NOTICE: relation
//! "schema_migrations" already exists, skipping`, noise an operator would chase.
//!
//! Now the bridge asks the server to keep that notice to itself.

use crate::common::postgres::server;
use crate::start_log;

#[test]
fn a_start_on_a_migrated_database_logs_no_notice_of_the_existing_table() {
    let Some(pg) = server() else { return };
    let url = pg.database();
    let dir = tempfile::tempdir().unwrap();
    let first = start_log(&dir.path().join("a"), &["--database-url", &url]);
    assert!(
        first.iter().any(|l| l.contains("database migrated")),
        "{first:#?}"
    );
    let again = start_log(&dir.path().join("b"), &["--database-url", &url]);
    assert!(
        again.iter().any(|l| l.contains("scim-bridge started")),
        "{again:#?}"
    );
    assert!(
        !again.iter().any(|l| l.contains("already exists")),
        "{again:#?}"
    );
}
