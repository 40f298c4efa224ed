//! Shared fixtures for the benchmarks. They live as JSON in `benches/fixtures/` so that
//! the Rust benches and the peer scripts (`benches/peers/`) measure the same inputs.

use serde_json::Value;

/// Twenty representative filters: the RFC 7644 Figure 2 examples and the lookups Entra
/// ID and Okta send during Test Connection and incremental cycles.
pub fn filters() -> Vec<String> {
    serde_json::from_str(include_str!("../fixtures/filters.json")).expect("filters.json")
}

/// The RFC 7643 §8.3 enterprise user, the resource filters and PATCHes apply to.
pub fn enterprise_user() -> Value {
    serde_json::from_str(include_str!("../fixtures/enterprise-user.json"))
        .expect("enterprise-user.json")
}

/// The Entra ID PATCH shapes of docs/clients.md, as request bodies.
pub fn entra_patches() -> Vec<Value> {
    serde_json::from_str(include_str!("../fixtures/entra-patches.json"))
        .expect("entra-patches.json")
}
