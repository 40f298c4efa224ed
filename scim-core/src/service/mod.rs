//! `ScimService`: the SCIM protocol (RFC 7644 §3) over HTTP types, framework-free —
//! `http::Request<Bytes>` in, `http::Response<Bytes>` out.
//!
//! Mount it in any server: hyper, axum, actix, a tower stack. It routes `/Users`,
//! `/Groups` (and every registered resource type), `/.search`, `/Bulk`, `/Me` and the
//! discovery endpoints under each configured base path and at root; parses and validates
//! bodies; stamps `id` and `meta`; applies projection, ETags (`If-Match`,
//! `If-None-Match`) and paging; and answers every failure with a SCIM Error body.
//!
//! # Mounting it in axum, hyper or a tower stack
//!
//! With the cargo feature `tower` (off by default), `ScimService` is a
//! `tower_service::Service<http::Request<B>>` for any body `B`: it reads the body itself
//! within [`ScimService::body_limit`] (413 past it, at once when `Content-Length` says so)
//! and answers with `http::Response<ResponseBody>`. Without tower,
//! `ScimService::handle_body` does the same for one request (plain hyper:
//! `scim-core/examples/hyper_server.rs`); without the feature, read the body yourself,
//! answer [`ScimService::payload_too_large`] past the limit and call
//! [`ScimService::handle`].
//!
//! Where it answers:
//!
//! - [`ServiceConfig::base_paths`] (default `/scim/v2`) are the prefixes clients use;
//!   locations (`meta.location`, `Location`, Bulk results, discovery) keep them.
//! - A router that strips the prefix before handing the request over (axum's `nest` and
//!   `nest_service`) is declared with [`ServiceConfig::with_mount_path`]: the service puts
//!   the prefix back before routing, so locations keep it; the mount path is served
//!   whatever the base paths are.
//! - [`ServiceConfig::with_serve_root`]`(false)` stops it answering outside its base paths
//!   (by default `POST /Users` is served too, as at root). Such paths are then the host's:
//!   [`ScimService::serves`] says `false`, [`ScimService::try_handle`] hands the request
//!   back, and the tower service answers a bare, empty 404, so that a host that mounts it
//!   as a fallback keeps its own 404s.
//!
//! In axum, under `/scim/v2` beside the host's own routes (`cargo add scim2-core -F tower`):
//!
//! ```
//! # #[cfg(feature = "tower")] {
//! use std::sync::Arc;
//! use axum::routing::get;
//! use scim2_core::provisioner::InMemoryProvisioner;
//! use scim2_core::service::{ScimService, ServiceConfig};
//! use tower::ServiceExt; // oneshot
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let scim = ScimService::new(Arc::new(InMemoryProvisioner::new())).with_config(
//!     ServiceConfig::default()
//!         .with_mount_path("/scim/v2")
//!         .with_serve_root(false)
//!         .with_max_body_bytes(64 * 1024),
//! );
//! let app = axum::Router::new()
//!     .route("/health", get(|| async { "ok" }))
//!     .nest_service("/scim/v2", scim);
//!
//! let create = http::Request::post("/scim/v2/Users")
//!     .header("host", "app.example.com")
//!     .header("content-type", "application/scim+json")
//!     .body(axum::body::Body::from(
//!         r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}"#,
//!     ))
//!     .unwrap();
//! let resp = app.clone().oneshot(create).await.unwrap();
//! assert_eq!(resp.status(), 201);
//! let location = resp.headers()["location"].to_str().unwrap();
//! assert!(location.starts_with("http://app.example.com/scim/v2/Users/"));
//!
//! let health = http::Request::get("/health").body(axum::body::Body::empty()).unwrap();
//! assert_eq!(app.oneshot(health).await.unwrap().status(), 200);
//! # });
//! # }
//! ```

mod auth;
mod bulk;
mod config;
mod discovery;
mod handlers;
mod list;
mod request;
mod response;
mod route;
#[cfg(feature = "tower")]
mod tower;

pub use auth::{AuthError, Authenticator, NoAuthentication};
pub use config::ServiceConfig;
pub use response::{label_json, media_type_for, PLAIN_JSON, SCIM_JSON};
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub use tower::ResponseBody;

/// The SCIM Error response for `e` (RFC 7644 §3.12), for servers that answer some
/// requests themselves (a health check, a connection limit) in the same format.
pub fn error_response(e: &ScimError) -> Response<Bytes> {
    response::error(e)
}

use std::sync::Arc;

use bytes::Bytes;
use http::header::HeaderMap;
use http::{Method, Request, Response, StatusCode};

use crate::error::ScimError;
use crate::provisioner::{Provisioner, ProvisionerError, RequestContext};
use crate::resource::{Bulk, FilterConfig, ServiceProviderConfig, Supported};
use crate::schema::SchemaRegistry;
use list::RawQuery;
use route::Route;

/// A SCIM 2.0 service provider over a [`Provisioner`].
///
/// ```
/// use std::sync::Arc;
/// use bytes::Bytes;
/// use scim2_core::provisioner::InMemoryProvisioner;
/// use scim2_core::service::ScimService;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let scim = ScimService::new(Arc::new(InMemoryProvisioner::new()));
/// let create = http::Request::post("/scim/v2/Users")
///     .header("content-type", "application/scim+json")
///     .body(Bytes::from(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}"#))
///     .unwrap();
/// let resp = scim.handle(create).await;
/// assert_eq!(resp.status(), 201);
///
/// // Entra ID's Test Connection: a lookup that matches nothing is 200 with an empty list.
/// let probe = http::Request::get("/scim/v2/Users?filter=userName+eq+%22a1b2c3%22")
///     .body(Bytes::new()).unwrap();
/// let resp = scim.handle(probe).await;
/// assert_eq!(resp.status(), 200);
/// let body: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
/// assert_eq!(body["totalResults"], 0);
/// # });
/// ```
#[derive(Clone)]
pub struct ScimService {
    provisioner: Arc<dyn Provisioner>,
    registry: Arc<SchemaRegistry>,
    auth: Arc<dyn Authenticator>,
    /// Shared, so that a clone per request (as tower makes) costs no allocation.
    config: Arc<ServiceConfig>,
}

impl std::fmt::Debug for ScimService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScimService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What one request carries besides its body.
struct Call<'a> {
    ctx: RequestContext,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
    /// The URL of the base the request came in under, for locations.
    base_url: String,
}

/// An outcome inside the service: a response, or an error to render.
type Outcome = Result<Response<Bytes>, ProvisionerError>;

impl ScimService {
    /// A service over `provisioner` with the standard schemas, no authentication and the
    /// default configuration.
    pub fn new(provisioner: Arc<dyn Provisioner>) -> Self {
        ScimService {
            provisioner,
            registry: Arc::new(SchemaRegistry::standard()),
            auth: Arc::new(NoAuthentication),
            config: Arc::new(ServiceConfig::default()),
        }
    }

    /// Uses `registry` for schemas and resource types.
    pub fn with_registry(mut self, registry: SchemaRegistry) -> Self {
        self.registry = Arc::new(registry);
        self
    }

    /// Uses `auth` to authenticate every request.
    pub fn with_authenticator(mut self, auth: Arc<dyn Authenticator>) -> Self {
        self.auth = auth;
        self
    }

    /// Uses `config`.
    pub fn with_config(mut self, config: ServiceConfig) -> Self {
        self.config = Arc::new(config);
        self
    }

    /// Whether the service answers requests for `path`, the path as this service is handed
    /// it (after a host router stripped [`ServiceConfig::mount_path`]): `true` when it is
    /// under a base path, and for every path while [`ServiceConfig::serve_root`] is on.
    ///
    /// A host that tries the service before its own routes (a fallback) asks this first
    /// and keeps the paths it gets `false` for; [`try_handle`](Self::try_handle) does both.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use scim2_core::provisioner::InMemoryProvisioner;
    /// use scim2_core::service::{ScimService, ServiceConfig};
    ///
    /// let scim = ScimService::new(Arc::new(InMemoryProvisioner::new()))
    ///     .with_config(ServiceConfig::default().with_serve_root(false));
    /// assert!(scim.serves("/scim/v2/Users"));
    /// assert!(!scim.serves("/Users"));
    /// assert!(!scim.serves("/scim/v2x/Users"));
    /// ```
    pub fn serves(&self, path: &str) -> bool {
        self.config.serve_root || route::under_base(&self.client_path(path), &self.bases())
    }

    /// The prefixes the service answers under: the base paths, and the mount path (every
    /// path a host that strips it hands over is under it) unless it is the root, which
    /// strips nothing and must not count as a base path of `/` (which holds every path,
    /// whatever [`ServiceConfig::serve_root`] says).
    fn bases(&self) -> Vec<&str> {
        let config = &self.config;
        let mount = config.mount_path.as_deref();
        let mount = mount.filter(|m| !m.trim_matches('/').is_empty());
        let bases = config.base_paths.iter().map(String::as_str);
        bases.chain(mount).collect()
    }

    /// `path` as the client sent it: [`ServiceConfig::mount_path`] put back in front.
    fn client_path<'p>(&self, path: &'p str) -> std::borrow::Cow<'p, str> {
        let mount = self.config.mount_path.as_deref().unwrap_or("");
        let mount = mount.trim_matches('/');
        if mount.is_empty() {
            return std::borrow::Cow::Borrowed(path);
        }
        let sep = if path.starts_with('/') { "" } else { "/" };
        std::borrow::Cow::Owned(format!("/{mount}{sep}{path}"))
    }

    /// Handles `req` as [`handle`](Self::handle) does when the service
    /// [`serves`](Self::serves) its path; hands it back untouched otherwise, for the host's
    /// own routes.
    pub async fn try_handle(&self, req: Request<Bytes>) -> Result<Response<Bytes>, Request<Bytes>> {
        if !self.serves(req.uri().path()) {
            return Err(req);
        }
        Ok(self.handle(req).await)
    }

    /// The largest request body any endpoint accepts, in bytes:
    /// [`ServiceConfig::max_body_bytes`], or [`ServiceConfig::bulk_max_payload`] when that
    /// is larger (`/Bulk` takes up to it). A host that reads bodies itself stops here and
    /// answers [`payload_too_large`](Self::payload_too_large); the service then enforces
    /// each endpoint's own limit.
    pub fn body_limit(&self) -> usize {
        self.config.max_body_bytes.max(self.config.bulk_max_payload)
    }

    /// The answer to a request body past [`body_limit`](Self::body_limit): 413 with a SCIM
    /// Error naming the limit (RFC 7644 §3.12), the one the service gives for a body it
    /// measures itself. For hosts that read bodies themselves.
    pub fn payload_too_large(&self) -> Response<Bytes> {
        response::error(&request::body_too_large(None, self.body_limit()))
    }

    /// The configuration.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The schema registry.
    pub fn registry(&self) -> &SchemaRegistry {
        &self.registry
    }

    /// What `/ServiceProviderConfig` advertises: exactly what this service does.
    pub fn service_provider_config(&self) -> ServiceProviderConfig {
        ServiceProviderConfig {
            documentation_uri: self.config.documentation_uri.clone(),
            patch: Supported { supported: true },
            bulk: Bulk {
                supported: true,
                max_operations: self.config.bulk_max_operations as u64,
                max_payload_size: self.config.bulk_max_payload as u64,
            },
            filter: FilterConfig {
                supported: true,
                max_results: self.config.max_page_size,
            },
            change_password: Supported { supported: false },
            sort: Supported { supported: true },
            etag: Supported { supported: true },
            authentication_schemes: self.auth.schemes(),
            ..ServiceProviderConfig::default()
        }
    }

    /// Handles one request. The response is `application/scim+json`, or
    /// `application/json` when the request's `Accept` prefers that (RFC 7644 §3.8). HEAD
    /// is answered as GET without the body; a 405 names the allowed methods in `Allow`.
    pub async fn handle(&self, mut req: Request<Bytes>) -> Response<Bytes> {
        let media = media_type_for(req.headers());
        // HEAD is GET without the body (RFC 9110 §9.3.2).
        let head = req.method() == Method::HEAD;
        if head {
            *req.method_mut() = Method::GET;
        }
        let mut resp = self.respond(req).await;
        label_json(&mut resp, media);
        if head {
            let len = resp.body().len();
            resp.headers_mut()
                .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(len));
            *resp.body_mut() = Bytes::new();
        }
        resp
    }

    /// [`handle`](Self::handle) before content negotiation.
    async fn respond(&self, req: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = req.into_parts();
        if !self.serves(parts.uri.path()) {
            return response::error(&ScimError::not_found("no SCIM endpoint at this path"));
        }
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map(str::to_owned)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let principal = match self.auth.authenticate(&parts).await {
            Ok(p) => p,
            Err(AuthError::Unauthorized { detail, challenge }) => {
                return response::unauthorized(&detail, &challenge)
            }
            Err(AuthError::Forbidden(detail)) => {
                return response::error(&ScimError::new(StatusCode::FORBIDDEN, None, detail))
            }
        };
        let types = self
            .registry
            .resource_types()
            .iter()
            .map(|t| (t.name.as_str(), t.endpoint.as_str()));
        let path = self.client_path(parts.uri.path());
        let (route, base) = route::route(&path, &self.bases(), types);
        let base_url = match self.base_url(&parts, base) {
            Ok(url) => url,
            Err(e) => return response::error(&e),
        };
        let call = Call {
            ctx: RequestContext {
                principal,
                request_id,
                bulk: None,
            },
            query: parts.uri.query(),
            headers: &parts.headers,
            base_url,
        };
        let allowed = route.allowed();
        let outcome = self.dispatch(&call, &parts.method, route, &body).await;
        let mut resp = match outcome {
            Ok(resp) => resp,
            Err(e) => self.render_error(&call, e),
        };
        if let (StatusCode::METHOD_NOT_ALLOWED, Some(allowed)) = (resp.status(), allowed) {
            resp.headers_mut()
                .insert(http::header::ALLOW, http::HeaderValue::from_static(allowed));
        }
        resp
    }

    async fn dispatch(
        &self,
        call: &Call<'_>,
        method: &Method,
        route: Route,
        body: &Bytes,
    ) -> Outcome {
        let not_allowed = || -> Outcome {
            Err(ScimError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                format!("{method} is not allowed here"),
            )
            .into())
        };
        match route {
            Route::UnsupportedVersion(v) => Err(ScimError::bad_request(
                crate::ScimType::InvalidVers,
                format!("SCIM protocol version {v} is not supported; this service speaks v2"),
            )
            .into()),
            Route::NotFound => Err(ScimError::not_found("no SCIM endpoint at this path").into()),
            Route::Collection(rt) => match *method {
                Method::GET => {
                    let raw = RawQuery::from_query(call.query);
                    self.list(call, Some(&rt), raw, true).await
                }
                Method::POST => {
                    let body = self.read_json(call.headers, body, self.config.max_body_bytes)?;
                    self.create(call, &rt, body).await
                }
                _ => not_allowed(),
            },
            Route::Search(rt) if *method == Method::POST => {
                let body = self.read_json(call.headers, body, self.config.max_body_bytes)?;
                self.list(call, Some(&rt), RawQuery::from_search(&body)?, false)
                    .await
            }
            Route::RootSearch if *method == Method::POST => {
                let body = self.read_json(call.headers, body, self.config.max_body_bytes)?;
                self.list(call, None, RawQuery::from_search(&body)?, false)
                    .await
            }
            Route::Root if *method == Method::GET => {
                let raw = RawQuery::from_query(call.query);
                self.list(call, None, raw, true).await
            }
            Route::Search(_) | Route::RootSearch | Route::Root => not_allowed(),
            Route::Resource(rt, id) => self.resource(call, method, &rt, &id, body).await,
            Route::Me => {
                let me = call.ctx.principal.as_ref().and_then(|p| p.me.clone());
                match me {
                    Some((rt, id)) => self.resource(call, method, &rt, &id, body).await,
                    None => Err(ScimError::new(
                        StatusCode::NOT_IMPLEMENTED,
                        None,
                        "/Me is not supported: the authenticated client is not a SCIM resource",
                    )
                    .into()),
                }
            }
            Route::Bulk if *method == Method::POST => self.bulk(call, body).await,
            Route::Bulk => not_allowed(),
            Route::ServiceProviderConfig | Route::ResourceTypes(_) | Route::Schemas(_) => {
                if *method != Method::GET {
                    return not_allowed();
                }
                self.discovery(call, route)
            }
        }
    }
}
