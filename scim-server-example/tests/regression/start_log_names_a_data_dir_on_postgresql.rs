//! Found by the review of frozen replicas: in PostgreSQL mode the start log line said
//! `data_dir=./scim-bridge-data`, a directory the bridge does not use then, sending an
//! operator to look for its data in the wrong place.
//!
//! Now the line names the data directory only on SQLite; `engine` says where the data is.

use serde_json::Value;

use crate::common::postgres::server;
use crate::start_log;

/// The fields of the "scim-bridge started" line among `lines`.
fn started(lines: &[String]) -> Value {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["message"] == "scim-bridge started")
        .map(|v| v["fields"].clone())
        .unwrap_or_else(|| panic!("no start line in {lines:#?}"))
}

#[test]
fn the_start_line_names_no_data_directory_on_postgresql() {
    let Some(pg) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let fields = started(&start_log(
        &dir.path().join("data"),
        &["--database-url", &pg.database()],
    ));
    assert_eq!(fields["engine"], "postgresql", "{fields}");
    assert!(fields.get("data_dir").is_none(), "{fields}");
}

#[test]
fn the_start_line_names_the_data_directory_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fields = started(&start_log(&data, &[]));
    assert_eq!(fields["engine"], "sqlite", "{fields}");
    assert_eq!(
        fields["data_dir"].as_str(),
        Some(data.to_string_lossy().as_ref()),
        "{fields}"
    );
}
