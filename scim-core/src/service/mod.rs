//! `ScimService`: the SCIM protocol (RFC 7644 §3) over HTTP types, framework-free —
//! `http::Request<Bytes>` in, `http::Response<Bytes>` out.
//!
//! Mount it in any server: hyper, axum, actix, a tower stack. It routes `/Users`,
//! `/Groups` (and every registered resource type), `/.search`, `/Bulk`, `/Me` and the
//! discovery endpoints under each configured base path and at root; parses and validates
//! bodies; stamps `id` and `meta`; applies projection, ETags (`If-Match`,
//! `If-None-Match`) and paging; and answers every failure with a SCIM Error body.
//!
//! # Mounting it in axum
//!
//! ```rust,ignore
//! let scim = Arc::new(ScimService::new(Arc::new(InMemoryProvisioner::new())));
//! let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
//!     let scim = scim.clone();
//!     async move {
//!         let (parts, body) = req.into_parts();
//!         let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
//!         scim.handle(http::Request::from_parts(parts, bytes)).await.map(axum::body::Body::from)
//!     }
//! });
//! ```
//!
//! The hyper version is `scim-core/examples/hyper_server.rs`.

mod auth;
mod bulk;
mod discovery;
mod list;
mod response;
mod route;

pub use auth::{AuthError, Authenticator, NoAuthentication};
pub use response::{label_json, media_type_for, PLAIN_JSON, SCIM_JSON};

/// The SCIM Error response for `e` (RFC 7644 §3.12), for servers that answer some
/// requests themselves (a health check, a connection limit) in the same format.
pub fn error_response(e: &ScimError) -> Response<Bytes> {
    response::error(e)
}

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderMap, CONTENT_TYPE, HOST, IF_MATCH, IF_NONE_MATCH};
use http::{Method, Request, Response, StatusCode};
use serde_json::Value;

use crate::error::ScimError;
use crate::meta::{set_location, stamp_new_for, stamp_update_for, version_of};
use crate::patch::{Compat, PatchRequest};
use crate::projection::Projection;
use crate::provisioner::{
    retry_on_conflict, PatchInput, Provisioner, ProvisionerError, RequestContext,
};
use crate::resource::{Bulk, FilterConfig, ListResponse, ServiceProviderConfig, Supported};
use crate::schema::{ResourceSchema, SchemaRegistry};
use crate::validate::{validate_owned, Context, ValidationOptions};
use list::RawQuery;
use route::Route;

/// How a [`ScimService`] behaves; every limit is enforced with a SCIM error naming it.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Path prefixes the service is mounted under, e.g. `["/scim/v2"]`; it also answers at
    /// root. The longest matching prefix wins.
    pub base_paths: Vec<String>,
    /// The public URL of the root, e.g. `https://scim.example.com`, for `meta.location`
    /// and `Location`. When set it is used as it is, whatever the request says.
    ///
    /// Without it, locations come from the request (`ScimService::base_url`): the
    /// scheme and authority of a request URI in absolute form (`https://host/path`, as an
    /// embedder that terminates TLS should rewrite it, and as HTTP/2's `:authority`
    /// arrives), else `http://` plus the `Host` header. An authority or `Host` that is not
    /// a valid `host[:port]` (RFC 3986 §3.2.2; userinfo refused) is answered 400
    /// `invalidValue`, for every request.
    pub public_url: Option<String>,
    /// Largest request body, in bytes (413 beyond). Default 1 MiB.
    pub max_body_bytes: usize,
    /// Largest page a list returns (`count` is capped to it; advertised as
    /// `filter.maxResults`). Default 200.
    pub max_page_size: u64,
    /// Most operations in one `/Bulk` request (413 beyond). Default 1,000.
    pub bulk_max_operations: usize,
    /// Largest `/Bulk` body, in bytes (413 beyond). Default 1 MiB.
    pub bulk_max_payload: usize,
    /// Identity-provider compatibility toggles for PATCH and validation (see
    /// [`crate::patch`] for what each one accepts beyond RFC 7644 §3.5.2). Default
    /// [`Compat::every_client`], the union of the client profiles, so a service facing any
    /// identity provider accepts what it sends. Pick a profile for the client you serve,
    /// e.g. `ServiceConfig { compat: Compat::entra(), ..ServiceConfig::default() }`, or
    /// [`Compat::strict`] to answer exactly as the RFC reads (a `replace` through a value
    /// path that matches nothing is then 400 `noTarget`); [`Compat::profile`] reads a
    /// profile's name from configuration.
    pub compat: Compat,
    /// `documentationUri` in `/ServiceProviderConfig`.
    pub documentation_uri: Option<String>,
    /// Most resources a search across all resource types (`GET /?filter=…`,
    /// `POST /.search`) will gather before answering 400 `tooMany`. Default 10,000.
    pub max_search_results: usize,
    /// Most operations in one PATCH request (400 `tooMany` beyond). Default 1,000.
    pub max_patch_operations: usize,
    /// Most values in one PATCH operation's `value` list, e.g. members added at once
    /// (400 `tooMany` beyond). Default 10,000.
    pub max_values_per_operation: usize,
    /// Most attributes in a resource, counted at every depth: top-level, sub-attributes,
    /// extension attributes (400 `tooMany` beyond; a PATCH or PUT of a resource already
    /// past it is refused only if it grows it). Default 1,000.
    pub max_attributes: usize,
    /// Most values one multi-valued attribute (e.g. `emails`) may hold after a POST, PUT
    /// or PATCH (400 `tooMany` beyond, unless the attribute does not grow). `members` is
    /// exempt: a group may have 100,000+ members. Default 1,000.
    pub max_values_per_attribute: usize,
    /// Longest `userName`, in characters (400 `invalidValue` beyond). Default 256.
    pub max_user_name_chars: usize,
    /// Resource types whose PATCH is answered `204 No Content` (RFC 7644 §3.5.2 allows
    /// either 200 with the resource or 204) when the request asks for no `attributes`:
    /// answering a member change on a 100,000-member group then costs nothing extra.
    /// Default: none (always 200 with the resource).
    pub patch_no_content: Vec<String>,
    /// Answer 400 to an HTTP/1.1 request that has no `Host` header (and no authority in
    /// its request URI), as RFC 9112 §3.2 requires of a server. Off by default: a request
    /// built in-process (`Request::builder().uri("/Users")`, as unit tests and embedders'
    /// tests do) is HTTP/1.1 without `Host`, and is then served with `http://localhost`
    /// locations. Turn it on when the requests come off the wire (the bridge does).
    /// HTTP/1.0 requests keep the fallback; HTTP/2 ones use the URI's authority. More
    /// than one `Host` header is refused whatever this says.
    pub require_host: bool,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            base_paths: vec!["/scim/v2".to_owned()],
            public_url: None,
            max_body_bytes: 1024 * 1024,
            max_page_size: 200,
            bulk_max_operations: 1000,
            bulk_max_payload: 1024 * 1024,
            compat: Compat::default(),
            documentation_uri: None,
            max_search_results: 10_000,
            max_patch_operations: 1000,
            max_values_per_operation: 10_000,
            max_attributes: 1000,
            max_values_per_attribute: 1000,
            max_user_name_chars: 256,
            patch_no_content: Vec::new(),
            require_host: false,
        }
    }
}

/// A SCIM 2.0 service provider over a [`Provisioner`].
///
/// ```
/// use std::sync::Arc;
/// use bytes::Bytes;
/// use scim_core::provisioner::InMemoryProvisioner;
/// use scim_core::service::ScimService;
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
    config: ServiceConfig,
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
            config: ServiceConfig::default(),
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
        self.config = config;
        self
    }

    /// The size bounds of one resource, from the configuration.
    pub fn resource_limits(&self) -> crate::limits::ResourceLimits {
        crate::limits::ResourceLimits {
            max_attributes: self.config.max_attributes,
            max_values_per_attribute: self.config.max_values_per_attribute,
            max_user_name_chars: self.config.max_user_name_chars,
        }
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
    /// `application/json` when the request's `Accept` asks for that and not for the SCIM
    /// media type (RFC 7644 §3.8).
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let media = media_type_for(req.headers());
        let mut resp = self.respond(req).await;
        label_json(&mut resp, media);
        resp
    }

    /// [`handle`](Self::handle) before content negotiation.
    async fn respond(&self, req: Request<Bytes>) -> Response<Bytes> {
        let (parts, body) = req.into_parts();
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
        let (route, base) = route::route(parts.uri.path(), &self.config.base_paths, types);
        let base_url = match self.base_url(&parts, base) {
            Ok(url) => url,
            Err(e) => return response::error(&e),
        };
        let call = Call {
            ctx: RequestContext {
                principal,
                request_id,
            },
            query: parts.uri.query(),
            headers: &parts.headers,
            base_url,
        };
        let outcome = self.dispatch(&call, &parts.method, route, &body).await;
        match outcome {
            Ok(resp) => resp,
            Err(e) => self.render_error(&call, e),
        }
    }

    fn render_error(&self, call: &Call<'_>, e: ProvisionerError) -> Response<Bytes> {
        match e {
            ProvisionerError::Scim(e) => response::error(&e),
            ProvisionerError::Unavailable(detail) => {
                tracing::warn!(request_id = %call.ctx.request_id, %detail, "store unavailable");
                let mut resp = response::error(&ScimError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    None,
                    format!("the service is unavailable: {detail}"),
                ));
                response::add_retry_after(&mut resp, std::time::Duration::from_secs(1));
                resp
            }
            ProvisionerError::Busy {
                detail,
                retry_after,
            } => {
                tracing::info!(request_id = %call.ctx.request_id, %detail, "request refused: busy");
                let mut resp =
                    response::error(&ScimError::new(StatusCode::TOO_MANY_REQUESTS, None, detail));
                response::add_retry_after(&mut resp, retry_after);
                resp
            }
            ProvisionerError::Internal(source) => {
                tracing::error!(request_id = %call.ctx.request_id, error = %source, "internal error");
                response::error(&ScimError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    format!("internal error (request id {})", call.ctx.request_id),
                ))
            }
        }
    }

    /// The URL of the base the request came in under, for `meta.location` and
    /// `Location` (RFC 7644 §3.1):
    ///
    /// 1. [`ServiceConfig::public_url`] when set;
    /// 2. else the scheme and authority of the request URI when it is in absolute form
    ///    (RFC 7230 §5.3.2; how an embedder that terminates TLS says `https`, and where
    ///    hyper puts HTTP/2's `:authority`, RFC 7540 §8.1.2.3), `http` or `https` only;
    /// 3. else `http://` plus the `Host` header (RFC 7230 §5.4), `http://localhost`
    ///    without one.
    ///
    /// The authority must be a valid `host[:port]`: a reg-name of letters, digits, `-`,
    /// `.`, `_`, `~`, an IPv4 address or a bracketed IPv6 literal (RFC 3986 §3.2.2), an
    /// optional numeric port, no userinfo. Anything else (`a@evil.com`, `evil.com/path`,
    /// `javascript:…`) is 400 `invalidValue`, so a hostile `Host` is never reflected.
    ///
    /// Whatever the configuration, a request with more than one `Host` header is 400
    /// `invalidValue` (RFC 9112 §3.2: which one names the target is ambiguous, and
    /// proxies may disagree); with [`ServiceConfig::require_host`], so is an HTTP/1.1
    /// request with neither a `Host` header nor an authority in its URI.
    fn base_url(&self, parts: &http::request::Parts, base: &str) -> Result<String, ScimError> {
        let uri = &parts.uri;
        let mut hosts = parts.headers.get_all(HOST).iter();
        let host = hosts.next();
        if hosts.next().is_some() {
            return Err(ScimError::invalid_value(
                "the request has more than one Host header; send exactly one Host header (RFC 9112 §3.2)",
            ));
        }
        if self.config.require_host
            && parts.version == http::Version::HTTP_11
            && host.is_none()
            && uri.authority().is_none()
        {
            return Err(ScimError::invalid_value(
                "an HTTP/1.1 request needs a Host header; send exactly one Host header (RFC 9112 §3.2)",
            ));
        }
        if let Some(url) = &self.config.public_url {
            return Ok(format!("{}{base}", url.trim_end_matches('/')));
        }
        let root = match (uri.scheme_str(), uri.authority()) {
            (Some(scheme), Some(authority)) => {
                let scheme = scheme.to_ascii_lowercase();
                if scheme != "http" && scheme != "https" {
                    return Err(ScimError::invalid_value(format!(
                        "the request URI's scheme must be http or https, not \"{scheme}\""
                    )));
                }
                format!("{scheme}://{}", host_port(authority.as_str())?)
            }
            _ => match host {
                None => "http://localhost".to_owned(),
                Some(h) if h.is_empty() => "http://localhost".to_owned(),
                Some(h) => {
                    let text = h.to_str().map_err(|_| bad_host())?;
                    format!("http://{}", host_port(text)?)
                }
            },
        };
        Ok(format!("{root}{base}"))
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

    /// GET, PUT, PATCH or DELETE of one resource.
    async fn resource(
        &self,
        call: &Call<'_>,
        method: &Method,
        rt: &str,
        id: &str,
        body: &Bytes,
    ) -> Outcome {
        match *method {
            Method::GET => self.get(call, rt, id).await,
            Method::PUT => {
                let body = self.read_json(call.headers, body, self.config.max_body_bytes)?;
                self.replace(call, rt, id, body).await
            }
            Method::PATCH => {
                let body = self.read_json(call.headers, body, self.config.max_body_bytes)?;
                self.patch(call, rt, id, body).await
            }
            Method::DELETE => self.delete(call, rt, id).await,
            _ => Err(ScimError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                format!("{method} is not allowed on a resource"),
            )
            .into()),
        }
    }

    /// The PATCH limits: operations per request, values per operation.
    fn check_patch_limits(&self, request: &PatchRequest) -> Result<(), ScimError> {
        let ops = request.operations.len();
        if ops > self.config.max_patch_operations {
            return Err(ScimError::too_many(format!(
                "the PATCH has {ops} operations, more than the limit of {}",
                self.config.max_patch_operations
            )));
        }
        for (i, op) in request.operations.iter().enumerate() {
            let n = op
                .value
                .as_ref()
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            if n > self.config.max_values_per_operation {
                return Err(ScimError::too_many(format!(
                    "operation {} has {n} values, more than the limit of {} per operation",
                    i + 1,
                    self.config.max_values_per_operation
                )));
            }
        }
        Ok(())
    }

    fn schema(&self, rt: &str) -> Result<ResourceSchema<'_>, ProvisionerError> {
        self.registry
            .resource_schema(rt)
            .ok_or_else(|| ProvisionerError::internal(format!("resource type {rt} has no schema")))
    }

    fn validation(&self) -> ValidationOptions {
        ValidationOptions {
            string_booleans: self.config.compat.string_booleans,
            limits: self.resource_limits(),
        }
    }

    /// Checks the media type and size (at most `limit` bytes) of a body and parses it
    /// (RFC 7644 §3.1, §3.8).
    fn read_json(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        limit: usize,
    ) -> Result<Value, ScimError> {
        if let Some(ct) = headers.get(CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            let media = ct.split(';').next().unwrap_or("").trim();
            if !media.eq_ignore_ascii_case(SCIM_JSON)
                && !media.eq_ignore_ascii_case("application/json")
            {
                return Err(ScimError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    None,
                    format!("Content-Type must be {SCIM_JSON} or application/json, not \"{ct}\""),
                ));
            }
        }
        if body.len() > limit {
            return Err(too_large(format!(
                "the request body ({} bytes) exceeds the limit of {limit} bytes",
                body.len()
            )));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ScimError::invalid_syntax("the request needs a JSON body"));
        }
        serde_json::from_slice(body)
            .map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
    }

    /// Adds `meta.location` and applies `projection` for output.
    fn present(
        &self,
        call: &Call<'_>,
        rt: &str,
        mut resource: Value,
        projection: &Projection,
    ) -> Result<Value, ProvisionerError> {
        let schema = self.schema(rt)?;
        if let Some(id) = resource.get("id").and_then(Value::as_str) {
            let endpoint = schema.resource_type().endpoint.trim_matches('/');
            let url = format!(
                "{}/{endpoint}/{}",
                call.base_url,
                percent_encoding::utf8_percent_encode(id, PATH_SEGMENT)
            );
            set_location(&mut resource, &url);
        }
        Ok(projection.apply(&schema, &resource))
    }

    fn projection(call: &Call<'_>) -> Result<Projection, ScimError> {
        RawQuery::from_query(call.query).projection()
    }

    async fn get(&self, call: &Call<'_>, rt: &str, id: &str) -> Outcome {
        let projection = Self::projection(call)?;
        let stored = self.provisioner.get(&call.ctx, rt, id).await?;
        if let (Some(tags), Some(version)) =
            (header_str(call.headers, IF_NONE_MATCH), version_of(&stored))
        {
            if etag_matches(tags, version) {
                let mut resp = response::empty(StatusCode::NOT_MODIFIED);
                response::add_etag(&mut resp, &stored);
                return Ok(resp);
            }
        }
        let body = self.present(call, rt, stored.clone(), &projection)?;
        Ok(response::resource(StatusCode::OK, &body, &stored))
    }

    async fn create(&self, call: &Call<'_>, rt: &str, body: Value) -> Outcome {
        let (status, stored) = self.create_value(call, rt, body).await?;
        let projection = Self::projection(call)?;
        let full = self.present(call, rt, stored, &Projection::default())?;
        let body = projection.apply(&self.schema(rt)?, &full);
        Ok(response::resource(status, &body, &full))
    }

    /// Validates, stamps and stores a new resource; returns 201 and it as stored.
    async fn create_value(
        &self,
        call: &Call<'_>,
        rt: &str,
        body: Value,
    ) -> Result<(StatusCode, Value), ProvisionerError> {
        let schema = self.schema(rt)?;
        let mut resource = validate_owned(&schema, Context::Create, body, &self.validation())?;
        let id = self.provisioner.new_id(rt);
        stamp_new_for(&schema, &mut resource, &id);
        let stored = self.provisioner.create(&call.ctx, rt, resource).await?;
        Ok((StatusCode::CREATED, stored))
    }

    async fn replace(&self, call: &Call<'_>, rt: &str, id: &str, body: Value) -> Outcome {
        let projection = Self::projection(call)?;
        let stored = self
            .replace_value(call, rt, id, body, if_match(call.headers))
            .await?;
        let body = self.present(call, rt, stored.clone(), &projection)?;
        Ok(response::resource(StatusCode::OK, &body, &stored))
    }

    /// PUT semantics (RFC 7644 §3.5.1): validates against the stored resource and
    /// replaces it, checking the expected version.
    ///
    /// Without `If-Match` (`expected` is `None`) the last writer wins (RFC 7644 §3.14):
    /// when another writer changed the resource between the read and the write, the
    /// read-validate-replace starts over, as the default [`Provisioner::patch`] does.
    /// With `If-Match`, a mismatch is 412.
    async fn replace_value(
        &self,
        call: &Call<'_>,
        rt: &str,
        id: &str,
        body: Value,
        expected: Option<String>,
    ) -> Result<Value, ProvisionerError> {
        let schema = self.schema(rt)?;
        let mut attempt = 0;
        loop {
            let existing = self.provisioner.get(&call.ctx, rt, id).await?;
            crate::meta::check_version(&existing, expected.as_deref())?;
            let version = version_of(&existing).map(str::to_owned);
            let mut resource = validate_owned(
                &schema,
                Context::Replace {
                    existing: &existing,
                },
                body.clone(),
                &self.validation(),
            )?;
            stamp_update_for(&schema, &mut resource, &existing);
            let result = self
                .provisioner
                .replace(&call.ctx, rt, id, resource, version.as_deref())
                .await;
            if let Some(done) = retry_on_conflict(result, expected.as_deref(), &mut attempt).await {
                return done;
            }
        }
    }

    async fn patch(&self, call: &Call<'_>, rt: &str, id: &str, body: Value) -> Outcome {
        let projection = Self::projection(call)?;
        let no_content = projection.is_empty()
            && self
                .config
                .patch_no_content
                .iter()
                .any(|t| t.eq_ignore_ascii_case(rt));
        let stored = self
            .patch_value(call, rt, id, &body, if_match(call.headers), !no_content)
            .await?;
        if no_content {
            let mut resp = response::empty(StatusCode::NO_CONTENT);
            response::add_etag(&mut resp, &stored);
            return Ok(resp);
        }
        let body = self.present(call, rt, stored.clone(), &projection)?;
        Ok(response::resource(StatusCode::OK, &body, &stored))
    }

    async fn patch_value(
        &self,
        call: &Call<'_>,
        rt: &str,
        id: &str,
        body: &Value,
        expected: Option<String>,
        full_result: bool,
    ) -> Result<Value, ProvisionerError> {
        let schema = self.schema(rt)?;
        let request = PatchRequest::from_value(body, &self.config.compat)?
            .with_limits(self.resource_limits());
        self.check_patch_limits(&request)?;
        let input = PatchInput {
            request: &request,
            schema: &schema,
            compat: &self.config.compat,
            full_result,
        };
        self.provisioner
            .patch(&call.ctx, rt, id, &input, expected.as_deref())
            .await
    }

    async fn delete(&self, call: &Call<'_>, rt: &str, id: &str) -> Outcome {
        self.provisioner
            .delete(&call.ctx, rt, id, if_match(call.headers).as_deref())
            .await?;
        Ok(response::empty(StatusCode::NO_CONTENT))
    }

    /// A list or search over one resource type, or over all of them (`rt` = `None`);
    /// `in_url` when the query came in the URL rather than a `/.search` body.
    async fn list(
        &self,
        call: &Call<'_>,
        rt: Option<&str>,
        raw: RawQuery,
        in_url: bool,
    ) -> Outcome {
        let max = self.config.max_page_size;
        let types: Vec<String> = match rt {
            Some(rt) => vec![rt.to_owned()],
            None => self
                .registry
                .resource_types()
                .iter()
                .map(|t| t.name.clone())
                .collect(),
        };
        let schemas = types
            .iter()
            .map(|t| self.schema(t))
            .collect::<Result<Vec<_>, _>>()?;
        let filter = raw.vet(&schemas, in_url)?;
        let (resources, total, start_index) = if types.len() == 1 {
            let schema = self.schema(&types[0])?;
            let query = raw.to_query(&schema, filter.as_ref(), max)?;
            let page = self.provisioner.list(&call.ctx, &types[0], &query).await?;
            let mut resources = Vec::with_capacity(page.resources.len());
            for r in page.resources.into_iter().take(query.count as usize) {
                resources.push(self.present(call, &types[0], r, &query.projection)?);
            }
            (resources, page.total_results, query.start_index)
        } else {
            // Across types: collect every match, then page the concatenation.
            let mut all = Vec::new();
            let mut window = None;
            for t in &types {
                let schema = self.schema(t)?;
                let mut query = raw.to_query(&schema, filter.as_ref(), max)?;
                window.get_or_insert((query.start_index, query.count));
                query.start_index = 1;
                query.count = u64::MAX;
                let page = self.provisioner.list(&call.ctx, t, &query).await?;
                if all.len() + page.resources.len() > self.config.max_search_results {
                    return Err(ScimError::too_many(format!(
                        "the search matches more than {} resources; narrow the filter or search one resource type",
                        self.config.max_search_results
                    ))
                    .into());
                }
                for r in page.resources {
                    all.push(self.present(call, t, r, &query.projection)?);
                }
            }
            let (start, count) = window.unwrap_or((1, max));
            let total = all.len() as u64;
            let page = all
                .into_iter()
                .skip(start.saturating_sub(1) as usize)
                .take(count as usize)
                .collect();
            (page, total, start)
        };
        let list = ListResponse::new(resources, total, start_index);
        let body = serde_json::to_value(&list).map_err(ProvisionerError::internal)?;
        Ok(response::json(StatusCode::OK, &body))
    }
}

/// What an id must escape to be one path segment (RFC 3986 §3.3).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

fn bad_host() -> ScimError {
    ScimError::invalid_value("the Host header is not a valid host[:port]")
}

/// `text` if it is a valid `host[:port]` (RFC 3986 §3.2.2, §3.2.3): a reg-name of
/// letters, digits, `-`, `.`, `_` and `~` (which covers IPv4 addresses), or a bracketed
/// IPv6 literal; an optional port of digits that fits in 16 bits; no userinfo.
fn host_port(text: &str) -> Result<&str, ScimError> {
    if text.contains('@') || text.parse::<http::uri::Authority>().is_err() {
        return Err(bad_host());
    }
    let (host_ok, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((literal, after)) = rest.split_once(']') else {
            return Err(bad_host());
        };
        (literal.parse::<std::net::Ipv6Addr>().is_ok(), after)
    } else {
        let (host, port) = match text.find(':') {
            Some(i) => (&text[..i], &text[i..]),
            None => (text, ""),
        };
        let reg_name = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        (reg_name, port)
    };
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => {
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && digits.parse::<u16>().is_ok()
        }
    };
    if host_ok && port_ok {
        Ok(text)
    } else {
        Err(bad_host())
    }
}

fn too_large(detail: String) -> ScimError {
    ScimError::new(StatusCode::PAYLOAD_TOO_LARGE, None, detail)
}

fn header_str(headers: &HeaderMap, name: http::header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The version an `If-Match` header asks for; `*` (any) is no condition.
fn if_match(headers: &HeaderMap) -> Option<String> {
    let v = header_str(headers, IF_MATCH)?.trim();
    if v == "*" || v.is_empty() {
        return None;
    }
    Some(v.split(',').next().unwrap_or(v).trim().to_owned())
}

/// Whether an `If-None-Match` list names `version` (or is `*`).
fn etag_matches(tags: &str, version: &str) -> bool {
    tags.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t == version)
}
