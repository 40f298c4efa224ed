//! SCIM 2.0 core: schemas as data, resources, validation, projection, errors and an exact
//! PATCH engine (RFC 7643, RFC 7644), tolerant of what Microsoft Entra ID really sends.
//!
//! Apply the PATCH Entra ID sends when a user's profile changes in the directory:
//!
//! ```
//! use scim2_core::patch::{apply, Compat, PatchRequest};
//! use scim2_core::schema::SchemaRegistry;
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
//! # Ok::<(), scim2_core::ScimError>(())
//! ```
//!
//! # Implement `Provisioner`, mount `ScimService`
//!
//! A service provider is one trait over your storage. [`ScimService`](service::ScimService)
//! does the protocol: routing, validation, `id`/`meta`, PATCH, projection, paging, ETags,
//! bulk, discovery and errors. The store does what only it can: uniqueness (409),
//! versions (412), a User's `groups` and the other duties listed on
//! [`Provisioner`](provisioner::Provisioner). A complete store over a map:
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::{Arc, Mutex};
//! use async_trait::async_trait;
//! use serde_json::Value;
//! use scim2_core::meta::check_version;
//! use scim2_core::provisioner::*;
//! use scim2_core::service::ScimService;
//! use scim2_core::ScimError;
//!
//! type Map = HashMap<(String, String), Value>; // (resource type, id) → resource
//!
//! /// One lock, so that each check and the write it guards are atomic.
//! #[derive(Default)]
//! struct MapStore(Mutex<Map>);
//!
//! /// 409 if another resource of the type holds `r`'s userName (displayName for groups).
//! fn check_unique(map: &Map, rt: &str, id: &str, r: &Value) -> Result<(), ScimError> {
//!     let attr = if rt == "Group" { "displayName" } else { "userName" };
//!     let key = |v: &Value| v[attr].as_str().map(str::to_lowercase);
//!     match map.iter().any(|((t, i), v)| t == rt && i != id && key(v) == key(r)) {
//!         true if key(r).is_some() => Err(ScimError::uniqueness(format!("{attr} is taken"))),
//!         _ => Ok(()),
//!     }
//! }
//!
//! /// A resource as returned: a User's read-only `groups` follows group membership.
//! fn returned(map: &Map, rt: &str, mut r: Value) -> Value {
//!     if rt == "User" {
//!         let groups = map.iter().filter(|((t, _), _)| t == "Group").map(|(_, g)| g);
//!         let refs = groups_of(r["id"].as_str().unwrap_or_default(), groups);
//!         set_groups(&mut r, refs);
//!     }
//!     r
//! }
//!
//! #[async_trait]
//! impl Provisioner for MapStore {
//!     async fn create(&self, _: &RequestContext, rt: &str, r: Value) -> Result<Value, ProvisionerError> {
//!         let mut map = self.0.lock().unwrap();
//!         let key = (rt.to_owned(), r["id"].as_str().unwrap_or_default().to_owned());
//!         if map.contains_key(&key) {
//!             return Err(ScimError::uniqueness("id is taken").into());
//!         }
//!         check_unique(&map, rt, &key.1, &r)?;
//!         map.insert(key, r.clone());
//!         Ok(returned(&map, rt, r))
//!     }
//!     async fn get(&self, _: &RequestContext, rt: &str, id: &str) -> Result<Value, ProvisionerError> {
//!         let map = self.0.lock().unwrap();
//!         let r = map.get(&(rt.into(), id.into())).cloned().ok_or_else(|| not_found(rt, id))?;
//!         Ok(returned(&map, rt, r))
//!     }
//!     async fn replace(&self, _: &RequestContext, rt: &str, id: &str, r: Value, expected: Option<&str>)
//!         -> Result<Value, ProvisionerError> {
//!         let mut map = self.0.lock().unwrap();
//!         let current = map.get(&(rt.into(), id.into())).ok_or_else(|| not_found(rt, id))?;
//!         check_version(current, expected)?; // 412 for a stale version
//!         check_unique(&map, rt, id, &r)?; // 409: PATCH and PUT come here too
//!         map.insert((rt.into(), id.into()), r.clone());
//!         Ok(returned(&map, rt, r))
//!     }
//!     async fn delete(&self, _: &RequestContext, rt: &str, id: &str, expected: Option<&str>)
//!         -> Result<(), ProvisionerError> {
//!         let mut map = self.0.lock().unwrap();
//!         let current = map.get(&(rt.into(), id.into())).ok_or_else(|| not_found(rt, id))?;
//!         check_version(current, expected)?; // 412 for a stale If-Match
//!         map.remove(&(rt.into(), id.into()));
//!         for ((t, _), group) in map.iter_mut() {
//!             if t == "Group" {
//!                 remove_member(group, id); // deleted members leave their groups
//!             }
//!         }
//!         Ok(())
//!     }
//!     async fn list(&self, _: &RequestContext, rt: &str, q: &ListQuery) -> Result<ListPage, ProvisionerError> {
//!         let map = self.0.lock().unwrap();
//!         let all = map.iter().filter(|((t, _), _)| t == rt).map(|(_, v)| returned(&map, rt, v.clone()));
//!         Ok(q.page(all)?) // filter, sort and page in memory
//!     }
//!     // `patch` has a default: get, apply the PATCH engine, replace with the version read.
//! }
//!
//! let scim = ScimService::new(Arc::new(MapStore::default()));
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let call = |method: &str, uri: &str, if_match: Option<&str>, body: &str| {
//!     let mut req = http::Request::builder().method(method).uri(uri)
//!         .header("content-type", "application/scim+json");
//!     if let Some(etag) = if_match {
//!         req = req.header("if-match", etag);
//!     }
//!     let req = req.body(bytes::Bytes::from(body.to_owned())).unwrap();
//!     async { scim.handle(req).await } // mount `handle` in hyper, axum, actix, tower …
//! };
//! let json = |resp: &http::Response<bytes::Bytes>| -> Value {
//!     serde_json::from_slice(resp.body()).unwrap()
//! };
//! let ann = call("POST", "/Users", None, r#"{"userName":"ann","active":"True"}"#).await;
//! assert_eq!(ann.status(), 201);
//! let bob = call("POST", "/Users", None, r#"{"userName":"bob"}"#).await;
//! let bob_id = json(&bob)["id"].as_str().unwrap().to_owned();
//! let bob_etag = bob.headers()["etag"].to_str().unwrap().to_owned();
//!
//! // A PATCH of userName to a taken name (any case) is 409 uniqueness.
//! let rename = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations":[{"op":"replace","path":"userName","value":"ANN"}]}"#;
//! let resp = call("PATCH", &format!("/Users/{bob_id}"), None, rename).await;
//! assert_eq!(resp.status(), 409);
//! assert_eq!(json(&resp)["scimType"], "uniqueness");
//!
//! // A group lists bob; bob's `groups` says so.
//! let group = format!(r#"{{"displayName":"Sales","members":[{{"value":"{bob_id}"}}]}}"#);
//! let sales = call("POST", "/Groups", None, &group).await;
//! assert_eq!(sales.status(), 201);
//! let sales_id = json(&sales)["id"].as_str().unwrap().to_owned();
//! let resp = call("GET", &format!("/Users/{bob_id}"), None, "").await;
//! assert_eq!(json(&resp)["groups"][0]["value"], sales_id.as_str());
//!
//! // bob changes after the ETag was read: a DELETE with the stale If-Match is 412.
//! let active = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!     "Operations":[{"op":"replace","path":"active","value":false}]}"#;
//! assert_eq!(call("PATCH", &format!("/Users/{bob_id}"), None, active).await.status(), 200);
//! let resp = call("DELETE", &format!("/Users/{bob_id}"), Some(&bob_etag), "").await;
//! assert_eq!(resp.status(), 412);
//!
//! // Deleted, bob leaves the group.
//! assert_eq!(call("DELETE", &format!("/Users/{bob_id}"), None, "").await.status(), 204);
//! let resp = call("GET", &format!("/Groups/{sales_id}"), None, "").await;
//! assert!(json(&resp).get("members").is_none());
//! # });
//! ```
//!
//! # Mounting it in a server
//!
//! [`ScimService::handle`](service::ScimService::handle) is `http::Request<Bytes>` in,
//! `http::Response<Bytes>` out, for any server. With the cargo feature `tower`, the
//! service is a `tower_service::Service` that reads bodies itself within the configured
//! limit (413 past it) and mounts in axum in one line:
//! `Router::new().nest_service("/scim/v2", scim)` with
//! `ServiceConfig::default().with_mount_path("/scim/v2").with_serve_root(false)`. The
//! [`service`] module docs hold the axum example and say where the service answers;
//! `scim-core/examples/hyper_server.rs` mounts it in plain hyper.
//!
//! # Cargo features
//!
//! - `tower` (off by default): `impl tower_service::Service<http::Request<B>> for
//!   ScimService` for any `http_body::Body` `B`, and `ScimService::handle_body`. Adds the
//!   small `tower-service`, `http-body` and `http-body-util` crates; no runtime, no axum.
//! - `testkit` (off by default, no extra dependency): `scim2_core::testkit`, one call
//!   that runs the recorded Entra ID, Okta, OneLogin and JumpCloud sessions and the
//!   uniqueness, `If-Match`/412, membership and concurrency checks against your own
//!   [`Provisioner`](provisioner::Provisioner), in process, from your tests.
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
//! - [`limits`]: bounds on the size of one resource.
//! - [`filter`]: the filter and attribute-path grammar (the `scim2-filter` crate).
//! - [`sql`]: filters as parameterised SQL predicates over a JSON document column
//!   (SQLite, PostgreSQL), for stores that answer lists in SQL.
//! - `testkit` (feature `testkit`): the test kit for any `Provisioner`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(doctest, doc = include_str!("../../README.md"), doc = include_str!("../../scim-filter/README.md"))]
// This crate's README mounts the service with the `tower` feature (CI tests with every feature).
#![cfg_attr(all(doctest, feature = "tower"), doc = include_str!("../README.md"))]
#![cfg_attr(docsrs, feature(doc_cfg))]

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
pub mod sql;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod validate;
pub mod version;

pub use error::{ScimError, ScimType};
/// The filter and attribute-path grammar (RFC 7644 §3.4.2.2, §3.5.2), re-exported so that a
/// store translating [`ListQuery::filter`](provisioner::ListQuery::filter) needs no
/// dependency of its own.
pub use scim2_filter as filter;
