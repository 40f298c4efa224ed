//! Found by the attack review of the bridge: with a valid token,
//! `POST /Users/.search {"filter": "password sw \"a\""}` answered one user or none, so a
//! stored password could be recovered a character at a time, and `sortBy=password`
//! leaked its order. Only a filter in a URL was refused (as `sensitive`).
//!
//! Now an attribute the schema marks `returned: never` (RFC 7643 §7) may not be filtered
//! on (400 `invalidFilter`; in a URL still 400 `sensitive`, RFC 7644 §3.4.2.2) nor sorted
//! by (400 `invalidValue`), in any spelling, URN-qualified, inside a value path or under
//! `not`/`and`/`or`, per type and at root. `password pr` stays allowed. And the in-memory
//! store keeps no password at all.

use std::sync::Arc;

use crate::common::{call, send};
use scim2_core::provisioner::{InMemoryProvisioner, Provisioner, RequestContext};
use scim2_core::service::ScimService;
use serde_json::{json, Value};

const SECRET: &str = "s3cret-Pa55word";

async fn with_user() -> (ScimService, Arc<InMemoryProvisioner>, String) {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = ScimService::new(store.clone());
    let r = send(
        &svc,
        "POST",
        "/scim/v2/Users",
        &json!({"userName": "ann", "password": SECRET}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_owned();
    (svc, store, id)
}

fn search(filter: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter})
}

const REFUSED: [&str; 10] = [
    r#"password sw "s""#,
    r#"PASSWORD sw "s""#,
    r#"urn:ietf:params:scim:schemas:core:2.0:User:password sw "s""#,
    r#"URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:PassWord eq "x""#,
    r#"not (password sw "s")"#,
    r#"userName eq "ann" and password sw "s""#,
    r#"userName eq "zz" or password gt "a""#,
    r#"password[value sw "s"]"#,
    r#"emails[value pr] and (password ew "d")"#,
    r#"not(password pr) or password co "e""#,
];

#[tokio::test]
async fn filters_on_a_never_returned_attribute_are_refused_in_search_bodies() {
    let (svc, _, _) = with_user().await;
    for path in ["/scim/v2/Users/.search", "/scim/v2/.search"] {
        for f in REFUSED {
            let r = send(&svc, "POST", path, &search(f)).await;
            assert_eq!(r.status, 400, "{path} {f}: {}", r.json);
            assert_eq!(r.json["scimType"], "invalidFilter", "{path} {f}");
            let detail = r.json["detail"].as_str().unwrap();
            assert!(
                detail.contains("never returned") && detail.contains("pr"),
                "{detail}"
            );
        }
    }
}

#[tokio::test]
async fn filters_on_a_never_returned_attribute_are_refused_in_urls() {
    let (svc, _, _) = with_user().await;
    for base in ["/scim/v2/Users", "/scim/v2/"] {
        for f in REFUSED {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("filter", f)
                .finish();
            let r = call(&svc, "GET", &format!("{base}?{q}"), &[], None).await;
            assert_eq!(r.status, 400, "{base} {f}: {}", r.json);
            let t = r.json["scimType"].as_str().unwrap();
            assert!(t == "sensitive" || t == "invalidFilter", "{base} {f}: {t}");
        }
    }
}

#[tokio::test]
async fn password_pr_is_allowed() {
    let (svc, _, _) = with_user().await;
    for f in [
        "password pr",
        "not (password pr)",
        r#"password pr and userName eq "ann""#,
    ] {
        let r = send(&svc, "POST", "/scim/v2/Users/.search", &search(f)).await;
        assert_eq!(r.status, 200, "{f}: {}", r.json);
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", f)
            .finish();
        let r = call(&svc, "GET", &format!("/scim/v2/Users?{q}"), &[], None).await;
        assert_eq!(r.status, 200, "{f}: {}", r.json);
    }
}

#[tokio::test]
async fn sorting_by_a_never_returned_attribute_is_refused() {
    let (svc, _, _) = with_user().await;
    for sort in [
        "password",
        "Password",
        "urn:ietf:params:scim:schemas:core:2.0:User:password",
    ] {
        for base in ["/scim/v2/Users", "/scim/v2"] {
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("sortBy", sort)
                .finish();
            let r = call(&svc, "GET", &format!("{base}?{q}"), &[], None).await;
            assert_eq!(r.status, 400, "{base} {sort}: {}", r.json);
            assert_eq!(r.json["scimType"], "invalidValue");
            assert!(r.json["detail"]
                .as_str()
                .unwrap()
                .contains("never returned"));
        }
        let body = json!({"sortBy": sort});
        let r = send(&svc, "POST", "/scim/v2/Users/.search", &body).await;
        assert_eq!(
            (r.status.as_u16(), r.json["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{sort}"
        );
    }
}

#[tokio::test]
async fn the_in_memory_store_keeps_no_plaintext_password() {
    let (svc, store, id) = with_user().await;
    // A PUT and a PATCH that set it again.
    let r = send(
        &svc,
        "PUT",
        &format!("/scim/v2/Users/{id}"),
        &json!({"userName": "ann", "password": SECRET}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "password", "value": SECRET}]});
    let r = send(&svc, "PATCH", &format!("/scim/v2/Users/{id}"), &patch).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let stored = store
        .get(&RequestContext::default(), "User", &id)
        .await
        .unwrap();
    assert!(!stored.to_string().contains(SECRET), "{stored}");
    // Nothing in the store's state holds it either.
    assert!(!format!("{store:?}").contains(SECRET));
}
