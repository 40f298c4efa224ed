//! Every status code the service produces, each provoked and asserted: 200, 201, 204,
//! 304, 400 with each scimType, 401, 403, 404, 405, 409, 412, 413, 415, 501.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use common::{call, send, service, Reply};
use scim2_core::provisioner::{InMemoryProvisioner, Principal};
use scim2_core::service::{AuthError, Authenticator, ScimService, ServiceConfig};
use serde_json::{json, Value};

const U: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn create_user(svc: &ScimService, name: &str) -> Reply {
    send(
        svc,
        "POST",
        "/scim/v2/Users",
        &json!({"schemas": [U], "userName": name}),
    )
    .await
}

fn assert_error(r: &Reply, status: u16, scim_type: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{}", r.json);
    assert_eq!(r.json["scimType"].as_str(), scim_type, "{}", r.json);
}

#[tokio::test]
async fn success_statuses_and_etags() {
    let svc = service();
    let created = create_user(&svc, "ann").await;
    assert_eq!(created.status, 201);
    let id = created.json["id"].as_str().unwrap().to_owned();
    let etag = created.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(created.json["meta"]["version"], etag.as_str());
    let loc = created.headers["location"].to_str().unwrap();
    assert_eq!(loc, format!("http://localhost/scim/v2/Users/{id}"));
    assert_eq!(created.json["meta"]["location"], loc);

    let path = format!("/scim/v2/Users/{id}");
    let got = call(&svc, "GET", &path, &[("host", "scim.example.com")], None).await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.json["meta"]["location"],
        format!("http://scim.example.com/scim/v2/Users/{id}")
    );

    // 304 when the version is current; 200 when not.
    let r = call(&svc, "GET", &path, &[("if-none-match", &etag)], None).await;
    assert_eq!(r.status, 304);
    assert!(r.json.is_null());
    assert_eq!(r.headers["etag"], etag.as_str());
    let r = call(
        &svc,
        "GET",
        &path,
        &[("if-none-match", "W/\"other\"")],
        None,
    )
    .await;
    assert_eq!(r.status, 200);

    // PATCH with the current version: 200 and a new version; the old one is now stale.
    let body = serde_json::to_vec(
        &json!({"schemas": [P], "Operations": [{"op": "add", "path": "title", "value": "Guide"}]}),
    )
    .unwrap();
    let r = call(
        &svc,
        "PATCH",
        &path,
        &[
            ("content-type", "application/scim+json"),
            ("if-match", &etag),
        ],
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 200);
    let new_etag = r.headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);

    // 412 on PUT, PATCH and DELETE with the stale version.
    let put = serde_json::to_vec(&json!({"schemas": [U], "userName": "ann"})).unwrap();
    for (method, body) in [
        ("PUT", Some(put.as_slice())),
        ("PATCH", Some(body.as_slice())),
        ("DELETE", None),
    ] {
        let r = call(
            &svc,
            method,
            &path,
            &[
                ("content-type", "application/scim+json"),
                ("if-match", &etag),
            ],
            body,
        )
        .await;
        assert_error(&r, 412, None);
    }
    // If-Match: * is no condition.
    let r = call(
        &svc,
        "PUT",
        &path,
        &[("content-type", "application/scim+json"), ("if-match", "*")],
        Some(&put),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.json.get("title").is_none(), "PUT replaces: {}", r.json);

    let r = call(&svc, "DELETE", &path, &[], None).await;
    assert_eq!(r.status, 204);
    assert!(r.json.is_null());
    assert_error(&call(&svc, "DELETE", &path, &[], None).await, 404, None);
}

#[tokio::test]
async fn bad_requests_carry_each_scim_type() {
    let svc = service();
    let id = create_user(&svc, "ann").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let user = format!("/scim/v2/Users/{id}");
    let patch =
        |ops: Value| serde_json::to_vec(&json!({"schemas": [P], "Operations": ops})).unwrap();
    let body = |v: Value| serde_json::to_vec(&v).unwrap();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes();
    // (method, path, body, scimType)
    let cases: Vec<(&str, &str, Option<Vec<u8>>, &str)> = vec![
        (
            "GET",
            "/scim/v2/Users?filter=userName+regex+%22a%22",
            None,
            "invalidFilter",
        ),
        (
            "GET",
            "/scim/v2/Users?filter=active+gt+true",
            None,
            "invalidFilter",
        ),
        (
            "POST",
            "/scim/v2/Users",
            Some(b"{\"userName\":".to_vec()),
            "invalidSyntax",
        ),
        (
            "POST",
            "/scim/v2/Users",
            Some(b"   ".to_vec()),
            "invalidSyntax",
        ),
        ("POST", "/scim/v2/Users", Some(deep), "invalidSyntax"),
        (
            "POST",
            "/scim/v2/Users",
            Some(body(json!({"displayName": "no userName"}))),
            "invalidValue",
        ),
        (
            "PATCH",
            &user,
            Some(patch(
                json!([{"op": "replace", "path": "active", "value": "maybe"}]),
            )),
            "invalidValue",
        ),
        (
            "PATCH",
            &user,
            Some(patch(
                json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
            )),
            "invalidPath",
        ),
        (
            "PATCH",
            &user,
            Some(patch(json!([{"op": "remove"}]))),
            "noTarget",
        ),
        (
            "PATCH",
            &user,
            Some(patch(
                json!([{"op": "replace", "path": "id", "value": "x"}]),
            )),
            "mutability",
        ),
        (
            "GET",
            "/scim/v2/Users?filter=password+eq+%22secret%22",
            None,
            "sensitive",
        ),
        ("GET", "/scim/v1/Users", None, "invalidVers"),
        (
            "GET",
            "/scim/v2/Users?startIndex=first",
            None,
            "invalidValue",
        ),
        (
            "GET",
            "/scim/v2/Users?sortOrder=sideways",
            None,
            "invalidValue",
        ),
        (
            "GET",
            "/scim/v2/Users?attributes=name[",
            None,
            "invalidPath",
        ),
    ];
    for (method, path, body, scim_type) in &cases {
        let r = call(
            &svc,
            method,
            path,
            &[("content-type", "application/scim+json")],
            body.as_deref(),
        )
        .await;
        assert_error(&r, 400, Some(scim_type));
    }
    let r = call(
        &svc,
        "GET",
        "/scim/v2/Users?filter=userName+regex+%22a%22",
        &[],
        None,
    )
    .await;
    assert!(
        r.json["detail"].as_str().unwrap().contains("byte 9"),
        "{}",
        r.json
    );

    let small = ScimService::new(Arc::new(InMemoryProvisioner::new()))
        .with_config(ServiceConfig::default().with_max_search_results(1));
    create_user(&small, "a").await;
    create_user(&small, "b").await;
    let r = call(&small, "GET", "/scim/v2/?filter=id+pr", &[], None).await;
    assert_error(&r, 400, Some("tooMany"));
}

#[tokio::test]
async fn client_errors_outside_400() {
    let svc = service();
    assert_eq!(create_user(&svc, "ann").await.status, 201);
    assert_error(&create_user(&svc, "ANN").await, 409, Some("uniqueness"));
    assert_error(
        &call(&svc, "GET", "/scim/v2/Users/nope", &[], None).await,
        404,
        None,
    );
    assert_error(
        &call(&svc, "GET", "/scim/v2/Devices", &[], None).await,
        404,
        None,
    );
    assert_error(
        &call(&svc, "DELETE", "/scim/v2/Users", &[], None).await,
        405,
        None,
    );
    assert_error(
        &call(&svc, "PUT", "/scim/v2/ServiceProviderConfig", &[], None).await,
        405,
        None,
    );
    assert_error(
        &call(&svc, "GET", "/scim/v2/Bulk", &[], None).await,
        405,
        None,
    );
    let r = call(
        &svc,
        "POST",
        "/scim/v2/Users",
        &[("content-type", "text/plain")],
        Some(b"userName=ann"),
    )
    .await;
    assert_error(&r, 415, None);
    let big = json!({"schemas": [U], "userName": "x".repeat(2 * 1024 * 1024)});
    let r = send(&svc, "POST", "/scim/v2/Users", &big).await;
    assert_error(&r, 413, None);
    assert!(
        r.json["detail"].as_str().unwrap().contains("1048576"),
        "{}",
        r.json
    );
    assert_error(
        &call(&svc, "GET", "/scim/v2/Me", &[], None).await,
        501,
        None,
    );
}

/// A test authenticator: `Bearer good` is a client mapped to a user, `Bearer readonly`
/// is forbidden, anything else is refused.
struct TestAuth {
    me: String,
}

#[async_trait]
impl Authenticator for TestAuth {
    async fn authenticate(
        &self,
        req: &http::request::Parts,
    ) -> Result<Option<Principal>, AuthError> {
        match req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        {
            Some("Bearer good") => Ok(Some(
                Principal::new("client").with_me("User", self.me.clone()),
            )),
            Some("Bearer readonly") => Err(AuthError::forbidden("this token may not provision")),
            _ => Err(AuthError::bearer("a valid bearer token is required")),
        }
    }
}

#[tokio::test]
async fn authentication_401_403_and_me() {
    let store = Arc::new(InMemoryProvisioner::new());
    let open = ScimService::new(store.clone());
    let me = create_user(&open, "me").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let svc = ScimService::new(store).with_authenticator(Arc::new(TestAuth { me: me.clone() }));

    let r = call(&svc, "GET", "/scim/v2/Users", &[], None).await;
    assert_error(&r, 401, None);
    assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"scim\"");
    assert_error(
        &call(
            &svc,
            "GET",
            "/scim/v2/Users",
            &[("authorization", "Bearer bad")],
            None,
        )
        .await,
        401,
        None,
    );
    assert_error(
        &call(
            &svc,
            "GET",
            "/scim/v2/Users",
            &[("authorization", "Bearer readonly")],
            None,
        )
        .await,
        403,
        None,
    );

    let r = call(
        &svc,
        "GET",
        "/scim/v2/Me",
        &[("authorization", "Bearer good")],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["id"], me.as_str());
    assert_eq!(r.json["userName"], "me");
}

#[tokio::test]
async fn discovery_matches_what_the_service_does() {
    let svc = service();
    let r = call(&svc, "GET", "/scim/v2/ServiceProviderConfig", &[], None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["patch"]["supported"], true);
    assert_eq!(
        r.json["bulk"],
        json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576})
    );
    assert_eq!(
        r.json["filter"],
        json!({"supported": true, "maxResults": 200})
    );
    assert_eq!(r.json["sort"]["supported"], true);
    assert_eq!(r.json["etag"]["supported"], true);
    assert_eq!(r.json["changePassword"]["supported"], false);
    assert_eq!(
        r.json["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );

    let r = call(&svc, "GET", "/scim/v2/ResourceTypes", &[], None).await;
    assert_eq!(r.json["totalResults"], 2);
    assert_eq!(r.json["Resources"][0]["endpoint"], "/Users");
    assert_eq!(
        r.json["Resources"][0]["schemaExtensions"][0]["required"],
        false
    );
    let r = call(&svc, "GET", "/scim/v2/ResourceTypes/Group", &[], None).await;
    assert_eq!(
        r.json["schema"],
        "urn:ietf:params:scim:schemas:core:2.0:Group"
    );

    let r = call(&svc, "GET", "/scim/v2/Schemas", &[], None).await;
    assert_eq!(r.status, 200);
    let ids: Vec<&str> = r.json["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&U)
            && ids.contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    let r = call(&svc, "GET", &format!("/scim/v2/Schemas/{U}"), &[], None).await;
    let user_name = r.json["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "userName")
        .unwrap();
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["required"], true);
    assert_error(
        &call(&svc, "GET", "/scim/v2/Schemas/urn:nope", &[], None).await,
        404,
        None,
    );
}

#[tokio::test]
async fn lists_sort_page_project_and_search() {
    let svc = service();
    for n in ["carol", "ann", "bob"] {
        create_user(&svc, n).await;
    }
    let r = call(
        &svc,
        "GET",
        "/scim/v2/Users?sortBy=userName&sortOrder=descending&attributes=userName",
        &[],
        None,
    )
    .await;
    let names: Vec<&str> = r.json["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["carol", "bob", "ann"]);
    assert!(r.json["Resources"][0].get("meta").is_none());
    assert!(r.json["Resources"][0].get("id").is_some());

    let r = call(&svc, "GET", "/scim/v2/Users?count=0", &[], None).await;
    assert_eq!(r.json["totalResults"], 3);
    assert_eq!(r.json["itemsPerPage"], 0);
    let r = call(
        &svc,
        "GET",
        "/scim/v2/Users?startIndex=-4&count=-1",
        &[],
        None,
    )
    .await;
    assert_eq!(
        (
            r.json["startIndex"].as_u64(),
            r.json["itemsPerPage"].as_u64()
        ),
        (Some(1), Some(0))
    );
    let r = call(&svc, "GET", "/scim/v2/Users?count=100000", &[], None).await;
    assert_eq!(r.json["itemsPerPage"], 3);

    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                        "filter": "userName sw \"b\" or userName sw \"c\"", "sortBy": "userName",
                        "attributes": ["userName"], "startIndex": 1, "count": 10});
    let r = send(&svc, "POST", "/scim/v2/Users/.search", &search).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["totalResults"], 2);
    assert_eq!(r.json["Resources"][0]["userName"], "bob");

    send(
        &svc,
        "POST",
        "/scim/v2/Groups",
        &json!({"displayName": "bobcats"}),
    )
    .await;
    let across = json!({"filter": "userName sw \"b\" or displayName sw \"b\""});
    let r = send(&svc, "POST", "/scim/v2/.search", &across).await;
    assert_eq!(r.json["totalResults"], 2, "{}", r.json);
    let r = call(&svc, "GET", "/?filter=displayName+sw+%22bob%22", &[], None).await;
    assert_eq!(r.json["totalResults"], 1);

    // Across types, one order over every match (RFC 7644 §3.4.2.3): the users, without a
    // displayName, after the groups when ascending and before them when descending.
    send(
        &svc,
        "POST",
        "/scim/v2/Groups",
        &json!({"displayName": "banana"}),
    )
    .await;
    let names = |r: &Reply| -> Vec<String> {
        r.json["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                x["displayName"]
                    .as_str()
                    .or(x["userName"].as_str())
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let sorted = json!({"filter": "userName sw \"b\" or displayName sw \"b\"",
                        "sortBy": "displayName"});
    let r = send(&svc, "POST", "/scim/v2/.search", &sorted).await;
    assert_eq!(names(&r), ["banana", "bobcats", "bob"], "{}", r.json);
    let mut sorted = sorted;
    sorted["sortOrder"] = json!("descending");
    sorted["count"] = json!(2);
    let r = send(&svc, "POST", "/scim/v2/.search", &sorted).await;
    assert_eq!(names(&r), ["bob", "bobcats"], "{}", r.json);
    assert_eq!(r.json["totalResults"], 3);
}

#[tokio::test]
async fn patch_can_answer_204_for_chosen_types() {
    let svc = ScimService::new(Arc::new(InMemoryProvisioner::new()))
        .with_config(ServiceConfig::default().with_patch_no_content(["Group"]));
    let gid = send(
        &svc,
        "POST",
        "/scim/v2/Groups",
        &json!({"displayName": "g"}),
    )
    .await
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = json!({"schemas": [P], "Operations": [{"op": "replace", "path": "displayName", "value": "h"}]});
    let r = send(&svc, "PATCH", &format!("/scim/v2/Groups/{gid}"), &body).await;
    assert_eq!(r.status, 204);
    assert!(r.json.is_null());
    let etag = r.headers["etag"].to_str().unwrap().to_owned();
    let got = call(&svc, "GET", &format!("/scim/v2/Groups/{gid}"), &[], None).await;
    assert_eq!(
        (
            got.json["displayName"].as_str(),
            got.headers["etag"].to_str().unwrap()
        ),
        (Some("h"), etag.as_str())
    );
    let r = send(
        &svc,
        "PATCH",
        &format!("/scim/v2/Groups/{gid}?attributes=displayName"),
        &body,
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.json["displayName"].as_str()),
        (200, Some("h"))
    );
    let uid = create_user(&svc, "u").await.json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body =
        json!({"schemas": [P], "Operations": [{"op": "add", "path": "title", "value": "x"}]});
    assert_eq!(
        send(&svc, "PATCH", &format!("/scim/v2/Users/{uid}"), &body)
            .await
            .status,
        200,
        "other types keep 200"
    );
}
