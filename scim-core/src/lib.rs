//! SCIM 2.0 core: schemas as data, resources, validation, projection, errors and an exact
//! PATCH engine (RFC 7643, RFC 7644), tolerant of what Microsoft Entra ID really sends.
//!
//! Apply the PATCH Entra ID sends when a user's profile changes in the directory:
//!
//! ```
//! use scim_core::patch::{apply, Compat, PatchRequest};
//! use scim_core::schema::SchemaRegistry;
//! use serde_json::json;
//!
//! let registry = SchemaRegistry::standard();
//! let users = registry.resource_schema("User").unwrap();
//! let user = json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
//!     "id": "2819c223", "userName": "ann@example.com", "active": true,
//!     "name": {"givenName": "Anne", "familyName": "Lee"}
//! });
//! // Capitalised ops, a string boolean, path-like keys in a path-less value, and an add
//! // through a value path that matches nothing yet.
//! let body = json!({
//!     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations": [
//!         {"op": "Replace", "value": {
//!             "name.givenName": "Ann",
//!             "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales"}},
//!         {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ann@example.com"},
//!         {"op": "Replace", "path": "active", "value": "False"}
//!     ]
//! });
//! let compat = Compat::default();
//! let patched = apply(&users, &user, &PatchRequest::from_value(&body, &compat)?, &compat)?;
//! assert_eq!(patched, json!({
//!     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
//!                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
//!     "id": "2819c223", "userName": "ann@example.com", "active": false,
//!     "name": {"givenName": "Ann", "familyName": "Lee"},
//!     "emails": [{"type": "work", "value": "ann@example.com"}],
//!     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}
//! }));
//! # Ok::<(), scim_core::ScimError>(())
//! ```
//!
//! # Implement `Provisioner`, mount `ScimService`
//!
//! A service provider is one trait over your storage. [`ScimService`](service::ScimService)
//! does the protocol: routing, validation, `id`/`meta`, PATCH, projection, paging, ETags,
//! bulk, discovery and errors. A minimal store over a map:
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex};
//! use async_trait::async_trait;
//! use serde_json::Value;
//! use scim_core::provisioner::*;
//! use scim_core::service::ScimService;
//! use scim_core::ScimError;
//!
//! #[derive(Default)]
//! struct MapStore(Mutex<HashMap<(String, String), Value>>);
//!
//! #[async_trait]
//! impl Provisioner for MapStore {
//!     async fn create(&self, _: &RequestContext, rt: &str, r: Value) -> Result<Value, ProvisionerError> {
//!         let mut map = self.0.lock().unwrap();
//!         let name = r["userName"].as_str().unwrap_or_default().to_lowercase();
//!         if !name.is_empty() && map.values().any(|v| v["userName"].as_str().map(str::to_lowercase) == Some(name.clone())) {
//!             return Err(ScimError::uniqueness("userName is taken").into());
//!         }
//!         map.insert((rt.into(), r["id"].as_str().unwrap().into()), r.clone());
//!         Ok(r)
//!     }
//!     async fn get(&self, _: &RequestContext, rt: &str, id: &str) -> Result<Value, ProvisionerError> {
//!         self.0.lock().unwrap().get(&(rt.into(), id.into())).cloned().ok_or_else(|| not_found(rt, id))
//!     }
//!     async fn replace(&self, _: &RequestContext, rt: &str, id: &str, r: Value, expected: Option<&str>)
//!         -> Result<Value, ProvisionerError> {
//!         let mut map = self.0.lock().unwrap();
//!         let current = map.get(&(rt.into(), id.into())).ok_or_else(|| not_found(rt, id))?;
//!         let actual = scim_core::meta::version_of(current).unwrap_or_default();
//!         if expected.is_some_and(|e| e != actual) {
//!             return Err(precondition_failed(expected.unwrap(), actual));
//!         }
//!         map.insert((rt.into(), id.into()), r.clone());
//!         Ok(r)
//!     }
//!     async fn delete(&self, _: &RequestContext, rt: &str, id: &str, _: Option<&str>) -> Result<(), ProvisionerError> {
//!         self.0.lock().unwrap().remove(&(rt.into(), id.into())).map(|_| ()).ok_or_else(|| not_found(rt, id))
//!     }
//!     async fn list(&self, _: &RequestContext, rt: &str, q: &ListQuery) -> Result<ListPage, ProvisionerError> {
//!         let map = self.0.lock().unwrap();
//!         let all = map.iter().filter(|((t, _), _)| t == rt).map(|(_, v)| v.clone());
//!         Ok(q.page(all)?) // filter, sort and page in memory
//!     }
//!     // `patch` has a default: get, apply the PATCH engine, replace with the version read.
//! }
//!
//! let scim = ScimService::new(Arc::new(MapStore::default()));
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let req = http::Request::post("/scim/v2/Users")
//!     .header("content-type", "application/scim+json")
//!     .body(bytes::Bytes::from(r#"{"userName":"ann","active":"True"}"#)).unwrap();
//! let resp = scim.handle(req).await; // mount `handle` in hyper, axum, actix, tower …
//! assert_eq!(resp.status(), 201);
//! # });
//! ```
//!
//! # Modules
//!
//! - [`schema`]: attribute definitions, the core schemas as data, the registry you extend.
//! - [`resource`]: typed `User`, `Group`, messages; unknown data kept.
//! - [`validate`]: create/replace/patch validation with Entra's string booleans.
//! - [`patch`]: the PATCH engine and its identity-provider compatibility toggles.
//! - [`projection`]: `attributes` / `excludedAttributes` with `returned` rules.
//! - [`version`]: weak ETags from content.
//! - [`error`]: [`ScimError`], rendered as the RFC 7644 §3.12 body.
//! - [`provisioner`]: the [`Provisioner`](provisioner::Provisioner) trait, list queries,
//!   and the ready [`InMemoryProvisioner`](provisioner::InMemoryProvisioner).
//! - [`service`]: [`ScimService`](service::ScimService), HTTP in, HTTP out.
//! - [`meta`]: `id`/`meta` stamping helpers.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(doctest, doc = include_str!("../../README.md"), doc = include_str!("../README.md"), doc = include_str!("../../scim-filter/README.md"))]

pub mod error;
mod json;
pub mod limits;
pub mod meta;
pub mod patch;
pub mod projection;
pub mod provisioner;
pub mod resource;
pub mod schema;
pub mod service;
pub mod validate;
pub mod version;

pub use error::{ScimError, ScimType};
