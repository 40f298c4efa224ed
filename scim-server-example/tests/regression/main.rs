//! Regression tests of the bridge's store and 1Password rules, over HTTP against the real
//! binary: one module per attack found by the attack review, named after it.

#[path = "../common/mod.rs"]
mod common;

mod abandoned_scans_read_on;
mod audit_piped_to_head_panics;
mod blocked_statement_holds_connections;
mod bulk_put_of_a_user_created_in_it_gets_404;
mod certificate_failure_names_the_host;
mod concurrent_token_rotations_print_dead_tokens;
mod corrupted_row_served_as_null;
mod database_down_at_start_exits;
mod database_errors_say_only_db_error;
mod database_url_password_echoed;
mod dead_database_host_undetected;
mod extension_spoofed_by_case_variant;
mod extension_spoofed_by_split_key;
mod external_id_lookups_unbounded;
mod first_start_rotate_hint_omits_database;
mod full_scans_unbounded;
mod group_membership_cycles;
mod last_owner_removed_from_owners;
mod long_external_id_gets_500;
mod long_request_target_gets_431;
mod member_patch_parses_user_rows;
mod migrate_unstorable_value_unnamed;
mod migrate_waits_unbounded_on_its_lock;
mod migrate_writes_token_after_commit;
mod nul_in_database_url_retried_for_ever;
mod nul_in_id_gets_400;
mod nul_key_makes_members_unreadable;
mod old_replica_serves_after_a_newer_migrated;
mod oversized_start_up_files_read_whole;
mod passwords_stored_in_plaintext;
mod passwords_under_split_urn_keys;
mod patch_holds_the_write_lock;
mod pg_store_dropped_on_async_worker_aborts;
mod queries_block_async_workers;
mod readiness_probe_needs_the_token;
mod readyz_hangs_on_a_frozen_database;
mod scans_hold_unbounded_bytes;
mod schema_migrations_notice_at_every_start;
mod sslrootcert_read_whole;
mod start_log_names_a_data_dir_on_postgresql;
mod statement_timeout_gets_500;
mod token_rotate_refusal_speaks_of_data_directory;
mod unparseable_database_url_says_nothing;
mod waiting_writers_hold_threads;
mod watcher_error_names_the_client;
mod write_bursts_wait_then_503;

/// The core User schema.
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The server-owned 1Password extension.
pub const EXT: &str = "urn:ietf:params:scim:schemas:extension:1password:2.0:User";

/// The log lines (JSON) a bridge started with `args` writes until it says it started.
pub fn start_log(data: &std::path::Path, args: &[&str]) -> Vec<String> {
    use std::io::BufRead;
    let mut bridge = common::Bridge::start_logging(data, args, std::process::Stdio::piped());
    let stderr = bridge.child.stderr.take().expect("piped");
    let mut lines = Vec::new();
    for line in std::io::BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
    {
        let done = line.contains("scim-bridge started");
        lines.push(line);
        if done {
            break;
        }
    }
    bridge.kill9();
    lines
}
