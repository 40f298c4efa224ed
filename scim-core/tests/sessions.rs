//! Replays recorded identity-provider sessions (JSON fixtures in
//! `tests/fixtures/sessions/`, written from each provider's public documentation; the
//! format is described in `tests/common/replay.rs`) against a `ScimService` over the
//! in-memory provisioner. The bridge's `tests/sessions.rs` replays the same files over
//! HTTP against the bridge binary.

#[macro_use]
mod common;

use scim2_core::patch::Compat;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::Value;

/// The directory that holds the session fixtures.
fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sessions")
}

/// A service over a fresh in-memory store with the `compat` toggles, configured as the
/// bridge is for the providers' sake: group PATCHes are answered 204 (Entra ID's
/// documented exchange).
fn service(compat: Compat) -> ScimService {
    let config = ServiceConfig::default()
        .with_patch_no_content(["Group".to_owned()])
        .with_compat(compat);
    common::service().with_config(config)
}

/// Replays one fixture file against a fresh in-memory service under the default
/// toggles, then under the named client profile alone (which must be enough for that
/// client's traffic).
async fn replay_file(name: &str, profile: &str) {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let session: Value = serde_json::from_str(&text).unwrap();
    let own = Compat::profile(profile).expect("a known profile");
    for compat in [Compat::default(), own] {
        let sent = common::replay(&service(compat), &session).await;
        assert!(sent > 0, "{name}: no step ran against the library");
        println!("{name} ({compat:?}): {sent} requests replayed");
    }
}

session_tests!();
