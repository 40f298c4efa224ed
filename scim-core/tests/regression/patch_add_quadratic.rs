//! Found by the attack review of the bridge: one 263 KB PATCH adding thousands of values
//! to `emails` took 5.8 s, and repeats 17, 30 then 47 s, while the stored user grew
//! without bound: every added value was compared with every value already there, and
//! nothing capped how many values one attribute could hold. A body with one attribute
//! holding a huge object (`{"name": {"a1": …, 100,000 keys}}`) also passed the
//! attributes-per-resource limit, which counted only top-level keys.
//!
//! Now the merge indexes existing values (linear), a multi-valued attribute may hold at
//! most `ResourceLimits::max_values_per_attribute` (in `ServiceConfig::resource_limits`) values after a POST, PUT or PATCH (400
//! `tooMany` naming the limit; `members` exempt; an attribute already past the limit may
//! be changed in ways that do not grow it), and the attribute limit counts nested keys.
//! No timing is asserted: the statuses and the results are.

use std::sync::Arc;

use crate::common::{call, send};
use scim2_core::limits::ResourceLimits;
use scim2_core::patch::{apply, Compat, PatchOperation, PatchRequest};
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::schema::SchemaRegistry;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Map, Value};

const P: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn emails(from: usize, n: usize) -> Vec<Value> {
    (from..from + n)
        .map(|i| json!({"value": format!("user{i}@example.com"), "type": "work"}))
        .collect()
}

fn add(path: &str, values: Vec<Value>) -> Value {
    json!({"schemas": [P], "Operations": [{"op": "add", "path": path, "value": values}]})
}

fn service(store: Arc<InMemoryProvisioner>, cap: usize) -> ScimService {
    ScimService::new(store).with_config(
        ServiceConfig::default()
            .with_resource_limits(ResourceLimits::default().with_max_values_per_attribute(cap))
            .with_max_body_bytes(4 << 20),
    )
}

#[tokio::test]
async fn thousands_of_values_are_accepted_under_the_cap_and_refused_past_it() {
    let store = Arc::new(InMemoryProvisioner::new());
    let svc = service(store.clone(), 5000);
    let r = send(&svc, "POST", "/Users", &json!({"userName": "many"})).await;
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());

    let r = send(&svc, "PATCH", &path, &add("emails", emails(0, 4000))).await;
    assert_eq!(r.status, 200, "{}", r.json["detail"]);
    assert_eq!(r.json["emails"].as_array().unwrap().len(), 4000);

    // The same values again, in another case: merged, not duplicated.
    let again: Vec<Value> = emails(0, 4000)
        .into_iter()
        .map(|mut e| {
            e["value"] = Value::from(e["value"].as_str().unwrap().to_uppercase());
            e
        })
        .collect();
    let r = send(&svc, "PATCH", &path, &add("emails", again)).await;
    assert_eq!(r.status, 200, "{}", r.json["detail"]);
    assert_eq!(r.json["emails"].as_array().unwrap().len(), 4000);

    // Up to the cap, then one past it.
    let r = send(&svc, "PATCH", &path, &add("emails", emails(4000, 1000))).await;
    assert_eq!(r.status, 200, "{}", r.json["detail"]);
    assert_eq!(r.json["emails"].as_array().unwrap().len(), 5000);
    let r = send(&svc, "PATCH", &path, &add("emails", emails(5000, 1))).await;
    assert_eq!(
        (r.status.as_u16(), r.json["scimType"].as_str()),
        (400, Some("tooMany")),
        "{}",
        r.json
    );
    let detail = r.json["detail"].as_str().unwrap();
    assert!(
        detail.contains("emails") && detail.contains("limit of 5000"),
        "{detail}"
    );

    // POST and PUT past the cap are refused too.
    let r = send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "b", "emails": emails(0, 5001)}),
    )
    .await;
    assert_eq!(r.json["scimType"], "tooMany", "{}", r.json);
    let r = send(
        &svc,
        "PUT",
        &path,
        &json!({"userName": "many", "emails": emails(0, 5001)}),
    )
    .await;
    assert_eq!(r.json["scimType"], "tooMany", "{}", r.json);

    // Under a lower cap, the user (5,000 emails) can still be changed without growing
    // them: another attribute, one email removed, a value already there merged.
    let strict = service(store, 1000);
    let title = json!({"schemas": [P], "Operations": [{"op": "replace", "path": "title", "value": "boss"}]});
    assert_eq!(send(&strict, "PATCH", &path, &title).await.status, 200);
    let remove = json!({"schemas": [P], "Operations": [{"op": "remove", "path": "emails[value eq \"user0@example.com\"]"}]});
    assert_eq!(send(&strict, "PATCH", &path, &remove).await.status, 200);
    let r = send(&strict, "PATCH", &path, &add("emails", emails(1, 1))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = send(&strict, "PATCH", &path, &add("emails", emails(0, 2))).await;
    assert_eq!(r.json["scimType"], "tooMany", "growing it is refused");
}

#[tokio::test]
async fn group_members_are_exempt_from_the_cap() {
    let svc = service(Arc::new(InMemoryProvisioner::new()), 10);
    let r = send(&svc, "POST", "/Groups", &json!({"displayName": "big"})).await;
    let path = format!("/Groups/{}", r.json["id"].as_str().unwrap());
    let members: Vec<Value> = (0..3000)
        .map(|i| json!({"value": format!("m{i}")}))
        .collect();
    let r = send(&svc, "PATCH", &path, &add("members", members)).await;
    assert_eq!(r.status, 200, "{}", r.json["detail"]);
    assert_eq!(r.json["members"].as_array().unwrap().len(), 3000);
}

#[test]
fn the_engine_adds_twenty_thousand_values_with_merge_semantics_intact() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a",
        "emails": [{"value": "user0@example.com", "type": "work", "primary": true}]});
    let mut values = emails(0, 20_000);
    values.push(json!({"value": "user7@example.com", "type": "home"}));
    values.push(json!({"value": "USER9@example.com", "primary": true}));
    let request = PatchRequest::new(vec![PatchOperation::new(
        scim2_core::patch::OpKind::Add,
        Some("emails"),
        Some(Value::Array(values)),
    )])
    .with_limits(ResourceLimits::default().with_max_values_per_attribute(50_000));
    let out = apply(&users, &user, &request, &Compat::default()).unwrap();
    let list = out["emails"].as_array().unwrap();
    // 20,000 work addresses (user0 merged into the stored one) plus user7's home one.
    assert_eq!(list.len(), 20_001);
    let primaries: Vec<&str> = list
        .iter()
        .filter(|e| e["primary"] == true)
        .map(|e| e["value"].as_str().unwrap())
        .collect();
    // The merged value takes the incoming spelling.
    assert_eq!(primaries, ["USER9@example.com"]);
}

#[tokio::test]
async fn nested_keys_count_against_the_attribute_limit() {
    let svc = ScimService::new(Arc::new(InMemoryProvisioner::new())).with_config(
        ServiceConfig::default()
            .with_resource_limits(ResourceLimits::default().with_max_attributes(50)),
    );
    let wide = |n: usize| {
        let mut m = Map::new();
        for i in 0..n {
            m.insert(format!("a{i}"), json!(i));
        }
        Value::Object(m)
    };
    // userName, name and its 48 keys make 50; one more key is past the limit.
    let r = send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "n", "name": wide(48)}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let r = send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "m", "name": wide(49)}),
    )
    .await;
    assert_eq!(r.json["scimType"], "tooMany", "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("limit of 50"));
    // An extension object.
    let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let r = send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "e", ext: wide(100)}),
    )
    .await;
    assert_eq!(r.json["scimType"], "tooMany", "{}", r.json);
    // An unknown extension-like object.
    let r = send(
        &svc,
        "POST",
        "/Users",
        &json!({"userName": "u", "urn:x:y": wide(100)}),
    )
    .await;
    assert_eq!(r.json["scimType"], "tooMany", "{}", r.json);
    // A PATCH that grows one past the limit.
    let r = send(&svc, "POST", "/Users", &json!({"userName": "p"})).await;
    let path = format!("/Users/{}", r.json["id"].as_str().unwrap());
    let patch =
        json!({"schemas": [P], "Operations": [{"op": "add", "path": "name", "value": wide(100)}]});
    let r = send(&svc, "PATCH", &path, &patch).await;
    assert_eq!(r.json["scimType"], "tooMany", "{}", r.json);
    let r = call(&svc, "GET", &path, &[], None).await;
    assert!(r.json.get("name").is_none());
}
