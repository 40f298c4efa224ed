//! Found by the attack review of the test kit: an embedder who hands the kit the
//! configuration it serves with (`TestKit::with_config`), as the kit's documentation
//! invites ("your limits and toggles"), failed every check when that configuration held
//! a mount path (`with_mount_path("/scim/v2")`, as an axum `nest_service` needs): the kit
//! sends whole paths (`/scim/v2/Users`), and the service put the mount path in front of
//! them again. And with `with_serve_root(false)` the recorded Entra ID session whose
//! Tenant URL is the server root failed. The kit now clears the mount path and serves
//! the root, as it already set the base path.

use std::sync::Arc;

use scim2_core::provisioner::{InMemoryProvisioner, Provisioner};
use scim2_core::service::ServiceConfig;
use scim2_core::testkit::TestKit;

#[tokio::test]
async fn the_serving_configuration_with_a_mount_path_passes() {
    let config = ServiceConfig::default()
        .with_mount_path("/scim/v2")
        .with_serve_root(false);
    let kit = TestKit::new(|| Arc::new(InMemoryProvisioner::new()) as Arc<dyn Provisioner>)
        .with_config(config);
    kit.run().await.unwrap();
}
