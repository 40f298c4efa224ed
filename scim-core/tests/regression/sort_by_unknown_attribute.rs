//! Found by the attack review of the bridge: `sortBy` naming an attribute no schema
//! defines was accepted silently (and the list came back unsorted). RFC 7644 §3.4.2.3
//! sorts by an attribute of the resources; now `sortBy` must name an attribute of the
//! resource type (any case, URN-qualified or not, sub-attributes too) or, at root, of
//! at least one type, else 400 `invalidValue` naming it.

use crate::common::{call, send, service};
use serde_json::json;

async fn get(
    svc: &scim2_core::service::ScimService,
    base: &str,
    sort: &str,
) -> (u16, serde_json::Value) {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("sortBy", sort)
        .finish();
    let r = call(svc, "GET", &format!("{base}?{q}"), &[], None).await;
    (r.status.as_u16(), r.json)
}

#[tokio::test]
async fn unknown_sort_attributes_are_refused_known_ones_work() {
    let svc = service();
    send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "b", "name": {"familyName": "B"}}),
    )
    .await;
    send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "a", "name": {"familyName": "A"}}),
    )
    .await;
    send(&svc, "POST", "/Groups", &json!({"displayName": "g"})).await;
    for sort in [
        "userName",
        "USERNAME",
        "name.familyName",
        "Name.FamilyName",
        "emails.value",
        "emails",
        "meta.lastModified",
        "id",
        "externalId",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    ] {
        let (status, json) = get(&svc, "/Users", sort).await;
        assert_eq!(status, 200, "{sort}: {json}");
    }
    let (_, json) = get(&svc, "/Users", "name.familyName").await;
    assert_eq!(json["Resources"][0]["userName"], "a");

    for sort in [
        "nickname2",
        "name.middle",
        "meta.nothing",
        "members.value",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nothing",
        "urn:x:unknown:userName",
    ] {
        let (status, json) = get(&svc, "/Users", sort).await;
        assert_eq!(status, 400, "{sort}: {json}");
        assert_eq!(json["scimType"], "invalidValue");
        let detail = json["detail"].as_str().unwrap();
        assert!(detail.contains(sort) && detail.contains("User"), "{detail}");
        let r = send(&svc, "POST", "/Users/.search", &json!({"sortBy": sort})).await;
        assert_eq!(r.json["scimType"], "invalidValue", "{sort}");
    }
}

#[tokio::test]
async fn at_root_a_sort_attribute_one_type_knows_is_enough() {
    let svc = service();
    send(&svc, "POST", "/Users", &json!({"userName": "u"})).await;
    send(&svc, "POST", "/Groups", &json!({"displayName": "g"})).await;
    for sort in ["userName", "members.value", "displayName", "meta.created"] {
        let (status, json) = get(&svc, "/", sort).await;
        assert_eq!(status, 200, "{sort}: {json}");
        let r = send(&svc, "POST", "/.search", &json!({"sortBy": sort})).await;
        assert_eq!(r.status, 200, "{sort}");
    }
    let (status, json) = get(&svc, "/", "shoeSize").await;
    assert_eq!(
        (status, json["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{json}"
    );
    let r = send(&svc, "POST", "/.search", &json!({"sortBy": "shoeSize"})).await;
    assert_eq!(r.json["scimType"], "invalidValue");
}
