//! Found by the attack review of the bridge: `userName` accepted empty, blank, control
//! character and 100,000-character values, and a Group's `displayName` empty or blank
//! ones. RFC 7643 §4.1.1: `userName` is REQUIRED and a unique identifier. Now each is 400
//! `invalidValue` with a detail naming the problem, on create, replace and PATCH; the
//! length limit is `ResourceLimits::max_user_name_chars` (in `ServiceConfig::resource_limits`) (256 characters by default).

use crate::common::{send, service};
use serde_json::json;

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn bad_names() -> Vec<(String, &'static str)> {
    vec![
        (String::new(), "empty"),
        ("   \t ".to_owned(), "empty"),
        ("\u{3000}".to_owned(), "empty"),
        ("ann\u{0}".to_owned(), "control"),
        ("ann\nbob".to_owned(), "control"),
        ("ann\u{7f}".to_owned(), "control"),
        ("ann\u{85}".to_owned(), "control"),
        ("a".repeat(100_000), "limit of 256"),
        ("é".repeat(257), "limit of 256"),
    ]
}

#[tokio::test]
async fn bad_user_names_are_refused_on_create_replace_and_patch() {
    let svc = service();
    let r = send(&svc, "POST", "/Users", &json!({"userName": "ok"})).await;
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());
    for (name, why) in bad_names() {
        let label = format!("{:?}", name.chars().take(12).collect::<String>());
        let r = send(&svc, "POST", "/Users", &json!({"userName": name})).await;
        assert_eq!(
            (r.status.as_u16(), r.json["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{label}"
        );
        let detail = r.json["detail"].as_str().unwrap();
        assert!(
            detail.contains("userName") && detail.contains(why),
            "{label}: {detail}"
        );

        let r = send(&svc, "PUT", &path, &json!({"userName": name})).await;
        assert_eq!(r.json["scimType"], "invalidValue", "PUT {label}");
        let patch = json!({"schemas": [P], "Operations": [{"op": "replace", "path": "userName", "value": name}]});
        let r = send(&svc, "PATCH", &path, &patch).await;
        assert_eq!(r.json["scimType"], "invalidValue", "PATCH {label}");
        let pathless =
            json!({"schemas": [P], "Operations": [{"op": "replace", "value": {"userName": name}}]});
        let r = send(&svc, "PATCH", &path, &pathless).await;
        assert_eq!(r.json["scimType"], "invalidValue", "PATCH {label}");
    }
    // At the limit, and non-ASCII names, are fine.
    for ok in ["é".repeat(256), "Zoë Ångström".to_owned(), "a b".to_owned()] {
        let r = send(&svc, "POST", "/Users", &json!({"userName": ok})).await;
        assert_eq!(r.status, 201, "{}", r.json);
    }
}

#[tokio::test]
async fn bad_group_display_names_are_refused() {
    let svc = service();
    let r = send(&svc, "POST", "/Groups", &json!({"displayName": "crew"})).await;
    let path = format!("/Groups/{}", r.json["id"].as_str().unwrap());
    for name in ["", "  ", "crew\u{1b}[31m", "a\u{9f}"] {
        let r = send(&svc, "POST", "/Groups", &json!({"displayName": name})).await;
        assert_eq!(r.json["scimType"], "invalidValue", "{name:?}");
        assert!(r.json["detail"].as_str().unwrap().contains("displayName"));
        let r = send(&svc, "PUT", &path, &json!({"displayName": name})).await;
        assert_eq!(r.json["scimType"], "invalidValue", "{name:?}");
        let patch = json!({"schemas": [P], "Operations": [{"op": "replace", "path": "displayName", "value": name}]});
        let r = send(&svc, "PATCH", &path, &patch).await;
        assert_eq!(r.json["scimType"], "invalidValue", "{name:?}");
    }
    // A long group name is not limited.
    let r = send(
        &svc,
        "POST",
        "/Groups",
        &json!({"displayName": "g".repeat(1000)}),
    )
    .await;
    assert_eq!(r.status, 201);
}
