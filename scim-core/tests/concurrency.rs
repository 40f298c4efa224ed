//! Many tasks PATCHing one group's members at once lose no update, through the
//! in-memory provisioner and through the default (get, apply, replace) `patch`.

mod common;

use std::sync::Arc;

use common::{call, send, Delegating};
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::ScimService;
use serde_json::json;

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

async fn hammer(svc: ScimService) {
    let svc = Arc::new(svc);
    let gid = send(
        &svc,
        "POST",
        "/scim/v2/Groups",
        &json!({"displayName": "crowd"}),
    )
    .await
    .json["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/scim/v2/Groups/{gid}");
    // 40 tasks add 40 members; then 20 tasks remove the even ones while 20 add more.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let (svc, path) = (svc.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let body = json!({"schemas": [P], "Operations": [{"op": "Add", "path": "members", "value": [{"value": format!("m{i}")}]}]});
            assert_eq!(send(&svc, "PATCH", &path, &body).await.status, 200);
        }));
    }
    for t in tasks.drain(..) {
        t.await.unwrap();
    }
    for i in 0..40 {
        let (svc, path) = (svc.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let op = if i % 2 == 0 {
                json!({"op": "remove", "path": format!("members[value eq \"m{i}\"]")})
            } else {
                json!({"op": "add", "path": "members", "value": [{"value": format!("n{i}")}]})
            };
            assert_eq!(
                send(
                    &svc,
                    "PATCH",
                    &path,
                    &json!({"schemas": [P], "Operations": [op]})
                )
                .await
                .status,
                200
            );
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let group = call(&svc, "GET", &path, &[], None).await.json;
    let mut members: Vec<String> = group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect();
    members.sort();
    let mut expected: Vec<String> = (0..40)
        .filter(|i| i % 2 == 1)
        .flat_map(|i| [format!("m{i}"), format!("n{i}")])
        .collect();
    expected.sort();
    assert_eq!(members, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_patches_lose_nothing_in_memory() {
    hammer(ScimService::new(Arc::new(InMemoryProvisioner::new()))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_patches_lose_nothing_with_the_default_patch() {
    hammer(ScimService::new(Arc::new(Delegating::default()))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_user_name_make_exactly_one() {
    let svc = Arc::new(ScimService::new(Arc::new(InMemoryProvisioner::new())));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            let name = if i % 2 == 0 {
                "Same@Example.com"
            } else {
                "same@example.com"
            };
            send(&svc, "POST", "/scim/v2/Users", &json!({"userName": name}))
                .await
                .status
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
}
