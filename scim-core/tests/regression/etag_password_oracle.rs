//! Found by the code review of the password hardening: `meta.version`, served as the weak
//! ETag, was an unsalted FNV-1a hash of the resource as the service stamped it, password
//! included. `InMemoryProvisioner` then dropped the password but kept that version, so
//! anyone who could read a user (its body and ETag) could hash the body plus a guessed
//! password and compare: an offline password-guessing oracle.
//!
//! Now the service computes versions over the resource without the values its schema
//! says are never returned (RFC 7643 §2.2 `returned: never`; RFC 7644 §3.14), for every
//! provisioner: the ETag is the hash of what the client can see, and changing only the
//! password changes no version.

use std::sync::Arc;

use crate::common::send;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::schema::SchemaRegistry;
use scim2_core::service::ScimService;
use scim2_core::version::{weak_etag, weak_etag_for};
use serde_json::{json, Value};

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The served resource with a guessed password put back: what an attacker would hash.
fn with_password(served: &Value, guess: &str) -> Value {
    let mut v = served.clone();
    v["password"] = Value::from(guess);
    v
}

#[tokio::test]
async fn the_etag_is_not_a_function_of_the_password() {
    let svc = ScimService::new(Arc::new(InMemoryProvisioner::new()));
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();

    let r = send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "ann", "password": "hunter2", "title": "boss"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert!(r.json.get("password").is_none());
    let etag = r.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(Some(etag.as_str()), r.json["meta"]["version"].as_str());

    // The ETag is the hash of the resource as served, without the password...
    assert_eq!(etag, weak_etag(&r.json));
    assert_eq!(etag, weak_etag_for(&users, &with_password(&r.json, "x")));
    // ...so no guess, the right one included, reproduces it.
    for guess in ["hunter2", "password", "123456", ""] {
        assert_ne!(
            weak_etag(&with_password(&r.json, guess)),
            etag,
            "guessing `{guess}` is told apart"
        );
    }

    // Changing only the password (PUT, PATCH) changes neither the version nor
    // lastModified: both would tell something about it.
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());
    let put = json!({"userName": "ann", "password": "correct horse", "title": "boss"});
    let r2 = send(&svc, "PUT", &path, &put).await;
    assert_eq!(r2.status, 200, "{}", r2.json);
    assert_eq!(r2.headers["etag"].to_str().unwrap(), etag);
    assert_eq!(
        r2.json["meta"]["lastModified"],
        r.json["meta"]["lastModified"]
    );
    let patch = json!({"schemas": [P], "Operations": [
        {"op": "replace", "path": "password", "value": "battery staple"}
    ]});
    let r3 = send(&svc, "PATCH", &path, &patch).await;
    assert_eq!(r3.status, 200, "{}", r3.json);
    assert_eq!(r3.headers["etag"].to_str().unwrap(), etag);

    // Anything visible still moves the version.
    let r4 = send(
        &svc,
        "PUT",
        &path,
        &json!({"userName": "ann", "password": "x", "title": "chief"}),
    )
    .await;
    assert_ne!(r4.headers["etag"].to_str().unwrap(), etag);
    assert_eq!(r4.headers["etag"].to_str().unwrap(), weak_etag(&r4.json));
}
