//! Found by the attack review of the mounting surface. A service nested by its host under
//! a prefix that is not one of its base paths (`nest_service("/api/scim", scim)` with
//! `with_mount_path("/api/scim")` and the default base path `/scim/v2`) answered 404 to
//! every request, SCIM errors or the tower service's bare 404s, with nothing saying why:
//! the mount path was put back in front of each path, and the result was then under no
//! base path. And a base path written without its leading slash (`scim/v2`, as the
//! mount path may be) matched nothing.
//!
//! Now the mount path is a base path too (every request the host hands over is served,
//! with locations under it), and base paths are compared without their slashes. A mount
//! path of `/` (nothing stripped) is not: it would serve every path with
//! `serve_root(false)`.

use std::sync::Arc;

use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::json;

use crate::common::send;

fn scim(config: ServiceConfig) -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new())).with_config(config)
}

fn user() -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann"})
}

#[tokio::test]
async fn a_mount_path_that_is_not_a_base_path_is_served() {
    for serve_root in [true, false] {
        let svc = scim(
            ServiceConfig::default()
                .with_mount_path("/api/scim")
                .with_serve_root(serve_root),
        );
        // What `nest_service("/api/scim", …)` hands over for `POST /api/scim/Users`.
        assert!(svc.serves("/Users"));
        let reply = send(&svc, "POST", "/Users", &user()).await;
        assert_eq!(reply.status, 201, "{}", reply.json);
        let location = reply.json["meta"]["location"].as_str().unwrap();
        assert!(
            location.starts_with("http://localhost/api/scim/Users/"),
            "{location}"
        );
    }
}

#[tokio::test]
async fn a_base_path_without_its_leading_slash_is_served() {
    let svc = scim(
        ServiceConfig::default()
            .with_base_paths(["scim/v2"])
            .with_serve_root(false),
    );
    assert!(svc.serves("/scim/v2/Users"));
    assert!(!svc.serves("/Users"));
    let reply = send(&svc, "POST", "/scim/v2/Users", &user()).await;
    assert_eq!(reply.status, 201, "{}", reply.json);
    let location = reply.json["meta"]["location"].as_str().unwrap();
    assert!(
        location.starts_with("http://localhost/scim/v2/Users/"),
        "{location}"
    );
}

#[tokio::test]
async fn a_mount_path_of_root_does_not_turn_serve_root_back_on() {
    let svc = scim(
        ServiceConfig::default()
            .with_mount_path("/")
            .with_serve_root(false),
    );
    assert!(!svc.serves("/Users"));
    assert!(svc.serves("/scim/v2/Users"));
    let reply = send(&svc, "POST", "/Users", &user()).await;
    assert_eq!(reply.status, 404, "{}", reply.json);
}
