//! Errors carry where they arose as fields: the failing PATCH operation's 0-based index
//! and `path`, and the attribute a validation error is about; read through the public
//! PATCH and validation functions and by a provisioner mounted in `ScimService`, while
//! the client still gets the plain RFC 7644 §3.12 body.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use scim2_core::patch::{apply, Compat, PatchRequest};
use scim2_core::provisioner::{
    InMemoryProvisioner, ListPage, ListQuery, PatchInput, Provisioner, ProvisionerError,
    RequestContext,
};
use scim2_core::schema::SchemaRegistry;
use scim2_core::service::ScimService;
use scim2_core::validate::{validate, Context, ValidationOptions};
use scim2_core::{ScimError, ScimType};
use serde_json::{json, Value};

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn patch_body(ops: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

fn user() -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "1",
           "userName": "ann", "emails": [{"value": "ann@example.com", "type": "work"}]})
}

/// PATCH `ops` on [`user`] through the public engine.
fn patch_user(ops: Value, compat: &Compat) -> Result<Value, ScimError> {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let request = PatchRequest::from_value(&patch_body(ops), compat)?;
    apply(&users, &user(), &request, compat)
}

#[test]
fn a_failing_operation_is_named_by_index_and_path() {
    let e = patch_user(
        json!([
            {"op": "replace", "path": "displayName", "value": "Ann"},
            {"op": "add", "path": "title", "value": "Boss"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": 7}
        ]),
        &Compat::strict(),
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    assert_eq!(e.operation_index(), Some(2));
    assert_eq!(e.operation_path(), Some("emails[type eq \"work\"].value"));
    assert_eq!(e.attribute(), Some("emails.value"));
    // Found when the result was validated: the detail is the validation's, as before.
    assert_eq!(e.detail(), "`emails.value` must be a string, not a number");
}

#[test]
fn each_kind_of_operation_error_carries_its_operation() {
    let strict = Compat::strict();
    // readOnly target.
    let e = patch_user(
        json!([{"op": "replace", "path": "id", "value": "2"}]),
        &strict,
    )
    .unwrap_err();
    assert_eq!(
        (e.scim_type(), e.operation_index(), e.operation_path()),
        (Some(ScimType::Mutability), Some(0), Some("id"))
    );
    assert_eq!(e.attribute(), Some("id"));
    // The prose, for a person, is unchanged: 1-based, with op and path.
    assert!(
        e.detail().starts_with("operation 1 (replace id)"),
        "{}",
        e.detail()
    );
    // A path naming no attribute in a strict registry is invalidPath; the attribute is
    // unknown, so none is named.
    let e = patch_user(
        json!([
            {"op": "add", "path": "title", "value": "x"},
            {"op": "remove", "path": "name[", "value": null}
        ]),
        &strict,
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidPath));
    assert_eq!(
        (e.operation_index(), e.operation_path()),
        (Some(1), Some("name["))
    );
    // A path-less operation: an index, no path.
    let e = patch_user(
        json!([{"op": "replace", "value": {"active": "maybe"}}]),
        &Compat::default(),
    )
    .unwrap_err();
    assert_eq!((e.operation_index(), e.operation_path()), (Some(0), None));
    assert_eq!(e.attribute(), Some("active"));
    // An extension attribute's sub-attribute is named with its schema URN.
    let e = patch_user(
        json!([{"op": "add", "path": format!("{ENT}:manager.value"), "value": 5}]),
        &strict,
    )
    .unwrap_err();
    assert_eq!(e.operation_index(), Some(0));
    assert_eq!(e.attribute(), Some(format!("{ENT}:manager.value").as_str()));
    // A value filter that cannot be evaluated names the attribute it compares.
    let e = patch_user(
        json!([{"op": "remove", "path": "emails[value gt true]"}]),
        &strict,
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidPath));
    assert_eq!(e.operation_index(), Some(0));
    assert_eq!(e.attribute(), Some("emails.value"));
}

#[test]
fn a_malformed_operation_is_named_when_the_body_is_read() {
    let body = patch_body(json!([
        {"op": "add", "path": "title", "value": "x"},
        {"op": "frobnicate", "path": "nickName", "value": "y"}
    ]));
    let e = PatchRequest::from_value(&body, &Compat::strict()).unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    assert_eq!(e.operation_index(), Some(1));
    assert_eq!(e.operation_path(), Some("nickName"));
}

#[test]
fn validation_outside_patch_names_no_operation() {
    // Removing a required attribute is refused at the operation.
    let e = patch_user(
        json!([{"op": "remove", "path": "userName"}]),
        &Compat::strict(),
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::Mutability));
    assert_eq!(e.attribute(), Some("userName"));
    assert_eq!(e.operation_index(), Some(0));
    // The same error from validation alone names no operation.
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let existing = user();
    let e = validate(
        &users,
        Context::Patch {
            existing: &existing,
        },
        &json!({"id": "1"}),
        &ValidationOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.attribute(), Some("userName"));
    assert_eq!(e.operation_index(), None);
}

#[test]
fn validation_names_the_attribute_of_each_rule() {
    let registry = SchemaRegistry::standard();
    let users = registry.resource_schema("User").unwrap();
    let groups = registry.resource_schema("Group").unwrap();
    let create = |schema, input: Value| {
        validate(
            schema,
            Context::Create,
            &input,
            &ValidationOptions::default(),
        )
        .unwrap_err()
    };
    // The userName rules.
    let e = create(&users, json!({"userName": "  "}));
    assert_eq!(e.attribute(), Some("userName"));
    let e = create(&users, json!({"userName": "a\u{200B}b"}));
    assert_eq!(e.attribute(), Some("userName"));
    let e = create(&groups, json!({"displayName": "a\u{7}"}));
    assert_eq!(e.attribute(), Some("displayName"));
    // Too many values of one attribute.
    let limited = ValidationOptions::default().with_limits(
        scim2_core::limits::ResourceLimits::default().with_max_values_per_attribute(1),
    );
    let e = validate(
        &users,
        Context::Create,
        &json!({"userName": "a", "emails": [{"value": "a@x"}, {"value": "b@x"}]}),
        &limited,
    )
    .unwrap_err();
    assert_eq!(e.scim_type(), Some(ScimType::TooMany));
    assert_eq!(e.attribute(), Some("emails"));
}

/// A store that keeps the last error its `patch` returned: what an embedder's wrapper or
/// store sees of the PATCH engine's errors.
struct Recording {
    inner: InMemoryProvisioner,
    last_patch_error: Mutex<Option<ScimError>>,
}

#[async_trait]
impl Provisioner for Recording {
    async fn create(
        &self,
        ctx: &RequestContext,
        rt: &str,
        r: Value,
    ) -> Result<Value, ProvisionerError> {
        self.inner.create(ctx, rt, r).await
    }
    async fn get(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
    ) -> Result<Value, ProvisionerError> {
        self.inner.get(ctx, rt, id).await
    }
    async fn replace(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
        r: Value,
        expected: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        self.inner.replace(ctx, rt, id, r, expected).await
    }
    async fn delete(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
        expected: Option<&str>,
    ) -> Result<(), ProvisionerError> {
        self.inner.delete(ctx, rt, id, expected).await
    }
    async fn list(
        &self,
        ctx: &RequestContext,
        rt: &str,
        q: &ListQuery,
    ) -> Result<ListPage, ProvisionerError> {
        self.inner.list(ctx, rt, q).await
    }
    async fn patch(
        &self,
        ctx: &RequestContext,
        rt: &str,
        id: &str,
        input: &PatchInput<'_>,
        expected: Option<&str>,
    ) -> Result<Value, ProvisionerError> {
        let result = self.inner.patch(ctx, rt, id, input, expected).await;
        if let Err(ProvisionerError::Scim(e)) = &result {
            *self.last_patch_error.lock().unwrap() = Some(e.clone());
        }
        result
    }
}

async fn send(svc: &ScimService, method: &str, uri: &str, body: &Value) -> (u16, Value) {
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/scim+json")
        .body(Bytes::from(body.to_string()))
        .unwrap();
    let resp = svc.handle(req).await;
    let status = resp.status().as_u16();
    let json = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
    (status, json)
}

#[tokio::test]
async fn a_mounted_store_sees_the_failing_operation_and_the_client_a_plain_body() {
    let store = Arc::new(Recording {
        inner: InMemoryProvisioner::new(),
        last_patch_error: Mutex::new(None),
    });
    let svc = ScimService::new(store.clone());
    let (status, created) = send(&svc, "POST", "/Users", &json!({"userName": "ann"})).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let ops = json!([
        {"op": "replace", "path": "displayName", "value": "Ann"},
        {"op": "replace", "path": "active", "value": "perhaps"}
    ]);
    let (status, body) = send(&svc, "PATCH", &format!("/Users/{id}"), &patch_body(ops)).await;
    assert_eq!(status, 400);
    // The body is RFC 7644 §3.12's members only: no index, path or attribute in it.
    let mut members: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    members.sort_unstable();
    assert_eq!(
        members,
        ["detail", "schemas", "scimType", "status"],
        "{body}"
    );
    let e = store.last_patch_error.lock().unwrap().take().unwrap();
    assert_eq!(
        (e.operation_index(), e.operation_path()),
        (Some(1), Some("active"))
    );
    assert_eq!(e.attribute(), Some("active"));
    assert_eq!(body["detail"], e.detail());

    // A PATCH inside a Bulk request: the index is within that PATCH's `Operations`.
    let bulk = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "PATCH", "path": format!("/Users/{id}"), "data": patch_body(json!([
            {"op": "add", "path": "title", "value": "x"},
            {"op": "add", "path": "nickName", "value": "y"},
            {"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}
        ]))}]
    });
    let (status, body) = send(&svc, "POST", "/Bulk", &bulk).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Operations"][0]["status"], "400", "{body}");
    let e = store.last_patch_error.lock().unwrap().take().unwrap();
    assert_eq!(e.scim_type(), Some(ScimType::Mutability));
    assert_eq!(
        (e.operation_index(), e.operation_path()),
        (Some(2), Some("meta.created"))
    );
    assert_eq!(e.attribute(), Some("meta.created"));
}
