//! Replays recorded identity-provider sessions (fixtures written from DESIGN.md §5)
//! against a `ScimService` over the in-memory provisioner.

mod common;

use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sessions")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn entra_id_provisioning_session() {
    common::replay(&common::service(), &fixture("entra.json")).await;
}

#[tokio::test]
async fn okta_provisioning_session() {
    common::replay(&common::service(), &fixture("okta.json")).await;
}
