//! From issue 11: `password pr` and `not (password pr)` must be answered, not refused:
//! whether a password is set reveals no secret. Presence is tested on the resource as
//! the provisioner stores it (before `returned: never` projects `password` away, RFC 7643
//! §7), so it matches exactly the users whose store keeps a password (here as a hash);
//! the results still carry no password. Comparisons on it stay refused
//! (`password_filter_oracle`). On this branch `RawQuery::vet` already let `pr` through
//! (the 400 `sensitive` the issue reports predates it); this test guards that presence
//! is answered from what the store keeps, which `password_pr_is_allowed` (over a store
//! that keeps no password) cannot show.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::common::{call, send};
use async_trait::async_trait;
use scim2_core::provisioner::{
    InMemoryProvisioner, ListPage, ListQuery, Provisioner, ProvisionerError, RequestContext,
};
use scim2_core::service::ScimService;
use serde_json::{json, Value};

/// The in-memory store, plus a hash of each user's password kept beside it (the
/// in-memory store itself drops passwords): what a store that checks passwords keeps.
#[derive(Default)]
struct KeepsHashes {
    store: InMemoryProvisioner,
    hashes: Mutex<HashMap<String, String>>,
}

impl KeepsHashes {
    fn keep(&self, resource: &Value) {
        let id = resource["id"].as_str().unwrap_or_default().to_owned();
        if let Some(p) = resource.get("password").and_then(Value::as_str) {
            let hash = format!("hash-of-{}-chars", p.chars().count());
            self.hashes.lock().unwrap().insert(id, hash);
        }
    }

    /// The resource as stored: with its password hash, if it has one.
    fn stored(&self, mut resource: Value) -> Value {
        let id = resource["id"].as_str().unwrap_or_default().to_owned();
        if let Some(hash) = self.hashes.lock().unwrap().get(&id) {
            resource["password"] = Value::String(hash.clone());
        }
        resource
    }
}

#[async_trait]
impl Provisioner for KeepsHashes {
    async fn create(
        &self,
        c: &RequestContext,
        t: &str,
        r: Value,
    ) -> Result<Value, ProvisionerError> {
        self.keep(&r);
        self.store.create(c, t, r).await.map(|v| self.stored(v))
    }
    async fn get(&self, c: &RequestContext, t: &str, id: &str) -> Result<Value, ProvisionerError> {
        self.store.get(c, t, id).await.map(|v| self.stored(v))
    }
    async fn replace(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        r: Value,
        v: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        self.keep(&r);
        self.store
            .replace(c, t, id, r, v)
            .await
            .map(|v| self.stored(v))
    }
    async fn delete(
        &self,
        c: &RequestContext,
        t: &str,
        id: &str,
        v: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        self.store.delete(c, t, id, v).await
    }
    async fn list(
        &self,
        c: &RequestContext,
        t: &str,
        q: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        let everything = ListQuery::default().with_count(u64::MAX);
        let all = self.store.list(c, t, &everything).await?.resources;
        Ok(q.page(all.into_iter().map(|r| self.stored(r)))?)
    }
}

fn search(filter: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter})
}

fn names(list: &Value) -> Vec<String> {
    let mut names: Vec<String> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["userName"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn password_presence_is_tested_on_the_stored_resource() {
    let svc = ScimService::new(Arc::new(KeepsHashes::default()));
    for body in [
        json!({"userName": "with", "password": "s3cret-Pa55word"}),
        json!({"userName": "without"}),
    ] {
        let r = send(&svc, "POST", "/Users", &body).await;
        assert_eq!(r.status, 201, "{}", r.json);
        assert!(r.json.get("password").is_none(), "{}", r.json);
    }
    let cases = [
        ("password pr", vec!["with"]),
        ("PASSWORD PR", vec!["with"]),
        (
            "urn:ietf:params:scim:schemas:core:2.0:User:password pr",
            vec!["with"],
        ),
        ("not (password pr)", vec!["without"]),
        (r#"password pr and userName sw "w""#, vec!["with"]),
        (
            r#"password pr or userName eq "without""#,
            vec!["with", "without"],
        ),
    ];
    for (filter, expected) in cases {
        for path in ["/Users/.search", "/.search"] {
            let r = send(&svc, "POST", path, &search(filter)).await;
            assert_eq!(r.status, 200, "{path} {filter}: {}", r.json);
            assert_eq!(names(&r.json), expected, "{path} {filter}");
            assert!(!r.json.to_string().contains("hash-of"), "{}", r.json);
        }
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filter", filter)
            .finish();
        let r = call(&svc, "GET", &format!("/Users?{q}"), &[], None).await;
        assert_eq!(r.status, 200, "{filter}: {}", r.json);
        assert_eq!(names(&r.json), expected, "{filter}");
        assert!(!r.json.to_string().contains("hash-of"), "{}", r.json);
    }
    // What the stored value is stays unasked: comparisons are refused, here too.
    for filter in [r#"password eq "hash-of-15-chars""#, r#"password sw "h""#] {
        let r = send(&svc, "POST", "/Users/.search", &search(filter)).await;
        assert_eq!(r.status, 400, "{filter}: {}", r.json);
        assert_eq!(r.json["scimType"], "invalidFilter");
    }
    let r = call(&svc, "GET", "/Users?sortBy=password", &[], None).await;
    assert_eq!(r.status, 400, "{}", r.json);
}
