//! Found by the code review of the PATCH hardening: `add` had been made linear by
//! indexing existing values by `value`, but values with the same `value` and different
//! `type`s all landed in one bucket, and each new one was compared with the whole bucket:
//! 2,000, 4,000 and 8,000 such values took 0.28, 1.34 and 10.6 s (release), against 30
//! to 85 ms for distinct values. The values cap was checked only after the merge, so a
//! request the cap refused still paid for all of it.
//!
//! Now values are indexed by everything the merge compares (`value` and `type`), and the
//! merge stops with `tooMany` as soon as the attribute passes the cap (and the number of
//! values it held before: an attribute already past a lowered cap may still change
//! without growing). No timing is asserted: the refusal's detail shows where the merge
//! stopped (the unit tests beside the merge count its comparisons).

use std::sync::Arc;

use crate::common::send;
use scim2_core::limits::ResourceLimits;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Value};

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn same_value(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"value": "shared@example.com", "type": format!("type{i}")}))
        .collect()
}

#[tokio::test]
async fn ten_thousand_values_sharing_one_value_stop_at_the_cap() {
    let svc = ScimService::new(Arc::new(InMemoryProvisioner::new())).with_config(
        ServiceConfig::default()
            .with_resource_limits(ResourceLimits::default().with_max_values_per_attribute(1000))
            .with_max_body_bytes(4 << 20),
    );
    let r = send(&svc, "POST", "/Users", &json!({"userName": "shared"})).await;
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());

    let body = json!({"schemas": [P], "Operations": [
        {"op": "add", "path": "emails", "value": same_value(10_000)}
    ]});
    let r = send(&svc, "PATCH", &path, &body).await;
    assert_eq!(
        (r.status.as_u16(), r.json["scimType"].as_str()),
        (400, Some("tooMany")),
        "{}",
        r.json
    );
    let detail = r.json["detail"].as_str().unwrap();
    // Stopped at the first value past the cap, not after merging all 10,000.
    assert!(
        detail.contains("emails") && detail.contains("would hold 1001 values"),
        "{detail}"
    );

    // Up to the cap, the same shape is accepted, every value kept apart by its type.
    let body = json!({"schemas": [P], "Operations": [
        {"op": "add", "path": "emails", "value": same_value(1000)}
    ]});
    let r = send(&svc, "PATCH", &path, &body).await;
    assert_eq!(r.status, 200, "{}", r.json["detail"]);
    assert_eq!(r.json["emails"].as_array().unwrap().len(), 1000);
}
