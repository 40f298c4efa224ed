//! Replays the recorded identity-provider sessions (`scim2_core::testkit::SESSIONS`,
//! embedded from `src/testkit/sessions/`, written from each provider's public
//! documentation; the format is described on `scim2_core::testkit::replay()`) against a
//! `ScimService` over the in-memory provisioner, each under the default toggles and
//! under its client's own profile. The bridge's `tests/sessions.rs` replays the same
//! sessions over HTTP against the bridge binary.

use std::sync::Arc;

use scim2_core::provisioner::{InMemoryProvisioner, Provisioner};
use scim2_core::testkit::{Failure, TestKit, SESSIONS};

/// Replays every session; reports every one that fails, not only the first.
#[tokio::test]
async fn every_recorded_session_replays_against_the_in_memory_store() {
    let kit = TestKit::new(|| Arc::new(InMemoryProvisioner::new()) as Arc<dyn Provisioner>);
    let mut failures: Vec<Failure> = Vec::new();
    for session in SESSIONS {
        match kit.session(session).await {
            Ok(report) => print!("{report}"),
            Err(f) => failures.push(f),
        }
    }
    let failures: Vec<String> = failures.iter().map(ToString::to_string).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
