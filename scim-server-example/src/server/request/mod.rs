//! One request: `/ping` and `/livez` (no token, no store), `/readyz` (no token; the store
//! asked, at most once a second), `/health` (token), `/metrics` (the token or the
//! read-only metrics token), `/audit` (token), the status page (`/` and `/app`, signed
//! in with the token; see [`crate::status`]), and SCIM. Every answered request is
//! counted in [`Metrics`] by method, resource and status (bounded labels, never a raw
//! path).
//!
//! For SCIM the order is what keeps a client without a token cheap: the head is checked
//! first (one `Authorization` header with the Secret Token), and only then is the body
//! read (so no `100 Continue` is sent to a client that would be
//! refused), under the body size limit, the body timeout, and a budget of body bytes held
//! in memory at once over all requests. Requests in flight (HTTP/1 requests and HTTP/2
//! streams alike) are capped at the connection limit.
//!
//! A saturated bridge answers `429 Too Many Requests` with `Retry-After` (RFC 6585 §4,
//! RFC 9110 §10.2.3), which Entra ID and Okta honour by pausing and retrying: requests
//! in flight over the connection limit, and bodies over the memory budget
//! ([`SATURATED_RETRY`]). A bridge older than its database answers `503` with
//! `Retry-After` instead: that is not load, and waiting does not cure it here.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderValue, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use scim2_core::service::{error_response, label_json, media_type_for, AuthError, ScimService};
use scim2_core::ScimError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::connection::Activity;
use super::Limits;
use crate::health::{Counts, Health};
use crate::metrics::Metrics;
use crate::onepassword::RuleError;
use crate::status::{self, StatusPage};
use crate::store::{Store, StoreError};
use crate::token::{Authenticated, BearerAuth};

mod endpoints;

/// The unit of the body-memory budget: permits are KiB.
const BUDGET_UNIT: usize = 1024;

/// Everything a request handler needs.
pub struct App<S: Store> {
    scim: ScimService,
    auth: Arc<BearerAuth>,
    health: Arc<Health>,
    store: Arc<S>,
    /// Connection and request limits.
    pub limits: Limits,
    /// Whether the bridge terminates TLS (the scheme of locations).
    tls: bool,
    /// The address the bridge listens on: the authority of locations for a request that
    /// names no host (HTTP/1.0 without `Host`).
    local: std::net::SocketAddr,
    /// Body bytes held in memory, in [`BUDGET_UNIT`]s.
    body_budget: Arc<Semaphore>,
    /// Requests in flight (HTTP/2 streams count, not only connections).
    requests: Arc<Semaphore>,
    /// The last readiness verdict and when it was reached (see [`App::ready`]); held
    /// while the store is asked, so that one probe at a time asks it.
    readiness: tokio::sync::Mutex<Readiness>,
    /// What `/metrics` exposes.
    metrics: Arc<Metrics>,
    /// The read-only token `/metrics` accepts besides the Secret Token, if one is set.
    metrics_auth: Option<BearerAuth>,
    /// The status page and its sessions.
    status: StatusPage,
}

/// What `/readyz` remembers between probes.
#[derive(Default)]
struct Readiness {
    /// The last verdict and when it was reached.
    verdict: Option<(Instant, bool)>,
    /// A store check that outlived [`READINESS_WAIT`] (a frozen database server answers
    /// nothing, and only the server times statements out), waited for again by the next
    /// probe instead of starting another: at most one blocking thread stays stuck.
    pending: Option<tokio::task::JoinHandle<bool>>,
}

/// How long a readiness verdict is reused: `/readyz` needs no token, so whoever can reach
/// the bridge may call it; this bounds what that costs the database to one check a second.
const READINESS_TTL: Duration = Duration::from_secs(1);

/// How long a probe waits for the store's answer before `/readyz` says `unavailable`:
/// shorter than a load balancer's usual probe timeout, so that a database that hangs
/// (frozen, or behind a network that drops packets) drains the bridge as one that is
/// down does.
const READINESS_WAIT: Duration = Duration::from_secs(2);

/// A response with a status and a plain-text body.
fn text(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from_static(body.as_bytes()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The `Retry-After` of a request refused because the bridge is saturated (requests in
/// flight at the connection limit, bodies at the memory budget): both drain as requests
/// finish, in milliseconds to seconds.
pub(super) const SATURATED_RETRY: Duration = Duration::from_secs(1);

/// How long a scrape waits for the store's counts before answering with the last ones.
const SCRAPE_STORE_WAIT: Duration = READINESS_WAIT;

/// A SCIM error response with `Retry-After` (RFC 9110 §10.2.3).
fn retry_later(status: StatusCode, detail: String, after: Duration) -> Response<Bytes> {
    let mut r = error_response(&ScimError::new(status, None, detail));
    r.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from(after.as_secs()),
    );
    r
}

/// `429 Too Many Requests` with `Retry-After` (RFC 6585 §4), for a saturated bridge.
fn busy(detail: String) -> Response<Bytes> {
    retry_later(StatusCode::TOO_MANY_REQUESTS, detail, SATURATED_RETRY)
}

/// `503 Service Unavailable` with `Retry-After: 1` (RFC 9110 §15.6.4), for a bridge
/// older than its database.
fn unavailable(detail: String) -> Response<Bytes> {
    retry_later(
        StatusCode::SERVICE_UNAVAILABLE,
        detail,
        Duration::from_secs(1),
    )
}

/// The 401 (with its challenge) or 403 for a refused head.
fn refused(e: AuthError) -> Response<Bytes> {
    let mut r = error_response(&ScimError::new(e.status(), None, e.detail()));
    if let Some(v) = e.challenge().and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
    }
    r
}

impl<S: Store> App<S> {
    /// A handler over a configured SCIM service, its authenticator, health state and
    /// store.
    pub fn new(
        scim: ScimService,
        auth: Arc<BearerAuth>,
        health: Arc<Health>,
        store: Arc<S>,
        limits: Limits,
        tls: bool,
        local: std::net::SocketAddr,
    ) -> Self {
        let units = (limits.max_body_memory / BUDGET_UNIT).clamp(1, Semaphore::MAX_PERMITS);
        App {
            scim,
            auth,
            health,
            store,
            limits,
            tls,
            local,
            body_budget: Arc::new(Semaphore::new(units)),
            requests: Arc::new(Semaphore::new(limits.max_connections)),
            readiness: tokio::sync::Mutex::new(Readiness::default()),
            metrics: Arc::new(Metrics::new()),
            metrics_auth: None,
            status: StatusPage::new(tls, limits.body_timeout),
        }
    }

    /// Serves `page` as the status page (the Tenant URL, the rotate command and the
    /// audit feed it shows are set on it).
    pub fn with_status_page(mut self, page: StatusPage) -> Self {
        self.status = page;
        self
    }

    /// The same handler recording into `metrics`, its `/metrics` also accepting
    /// `metrics_token` (a read-only token: it authenticates nothing else).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>, metrics_token: Option<&str>) -> Self {
        self.metrics = metrics;
        self.metrics_auth = metrics_token.map(BearerAuth::fixed);
        self
    }

    /// Checks the Secret Token on a request's head: `None` when it is there, else the
    /// refusal to answer (401 with its challenge, or 403), counted.
    fn refusal(&self, headers: &http::HeaderMap) -> Option<Response<Bytes>> {
        let e = self.auth.check_headers(headers).err()?;
        self.metrics.auth_failure();
        Some(refused(e))
    }

    /// Handles one request on the connection `conn` and logs it (method, path, status,
    /// latency, request id; never the token, the query or the body). A request whose
    /// client goes away first is logged as abandoned.
    pub(super) async fn handle(
        self: Arc<Self>,
        mut req: Request<Incoming>,
        conn: &Activity,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let started = Instant::now();
        self.health.count_request();
        let request_id = next_request_id();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            req.headers_mut().insert("x-request-id", v);
        }
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let media = media_type_for(req.headers());
        let mut abandoned = Abandoned {
            method: Some(method.clone()),
            path: &path,
            request_id: &request_id,
            started,
        };
        let mut resp = match path.as_str() {
            "/ping" => text(StatusCode::OK, "pong"),
            "/livez" => text(StatusCode::OK, "ok"),
            _ => match self.requests.clone().try_acquire_owned() {
                Err(_) => busy(format!(
                    "the bridge is serving its limit of {} requests; retry shortly",
                    self.limits.max_connections
                )),
                Ok(_permit) if path == "/readyz" => self.ready().await,
                Ok(_permit) if path == "/health" => self.health(&req, conn).await,
                Ok(_permit) if path == "/audit" => self.audit(&req, conn).await,
                Ok(_permit) if path == "/metrics" => self.metrics(&req, conn).await,
                Ok(_permit) if status::serves(&path) => {
                    let report = || self.health.gather(&self.store);
                    let resp = self.status.handle(req, &self.auth, report).await;
                    // A refused sign-in is a token refused, as on SCIM.
                    if resp.status() == StatusCode::UNAUTHORIZED {
                        self.metrics.auth_failure();
                    }
                    resp
                }
                Ok(_permit) => match self.store.superseded() {
                    // RFC 9110 §15.6.4 (503) with §10.2.3 (Retry-After): the load
                    // balancer, seeing `/readyz` fail, sends the retry to a newer replica.
                    Some(why) => unavailable(why),
                    None => self.scim(req, conn).await,
                },
            },
        };
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert("x-request-id", v);
        }
        // The bridge's own SCIM errors (401, 503, 413) follow `Accept` as the service's do.
        label_json(&mut resp, media);
        abandoned.method = None;
        self.metrics.request(
            &method,
            &path,
            resp.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
        tracing::info!(
            %method,
            path = %truncate(&path, 200),
            status = resp.status().as_u16(),
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            request_id = %request_id,
            "request"
        );
        Ok(resp.map(Full::new))
    }

    async fn scim(&self, req: Request<Incoming>, conn: &Activity) -> Response<Bytes> {
        if let Some(resp) = self.refusal(req.headers()) {
            return resp;
        }
        conn.trust();
        let (mut parts, body) = req.into_parts();
        parts.extensions.insert(Authenticated);
        if let Some(uri) = self.absolute_uri(&parts) {
            parts.uri = uri;
        }
        let (method, path) = (parts.method.clone(), parts.uri.path().to_owned());
        let resp = match self.read_body(&parts.headers, body).await {
            Ok((bytes, _held)) => self.scim.handle(Request::from_parts(parts, bytes)).await,
            Err(resp) => resp,
        };
        // The status page's "last SCIM request": never the query or the body.
        let code = resp.status().as_u16();
        self.health
            .scim_request(method.as_str(), truncate(&path, 200), code);
        resp
    }

    /// The request URI in absolute form, with the scheme the bridge really serves and the
    /// authority the client addressed (`Host` in HTTP/1, `:authority` in HTTP/2), so that
    /// `Location` and `meta.location` are right (the listening address when the client
    /// named no host). `None` when `--public-url` decides, or when no absolute URI can be
    /// made of what the client sent: the request then goes
    /// on as it came, and `ScimService` refuses a `Host` that is not a plain
    /// `host[:port]` (it validates the authority of absolute URIs the same way).
    fn absolute_uri(&self, parts: &http::request::Parts) -> Option<Uri> {
        if self.scim.config().public_url.is_some() {
            return None;
        }
        let authority = match (parts.uri.authority(), parts.headers.get(http::header::HOST)) {
            (Some(a), _) => a.clone(),
            (None, Some(host)) => host.to_str().ok()?.parse().ok()?,
            // HTTP/1.0 may name no host; HTTP/1.1 must (RFC 9112 §3.2: the service
            // refuses it, with `require_host`).
            (None, None) if parts.version == http::Version::HTTP_10 => {
                self.local.to_string().parse().ok()?
            }
            (None, None) => return None,
        };
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        Uri::builder()
            .scheme(if self.tls { "https" } else { "http" })
            .authority(authority)
            .path_and_query(path_and_query)
            .build()
            .ok()
    }

    /// Reads the body under the size limit, the body timeout and the memory budget;
    /// returns it with the budget it holds (released when dropped, after the response).
    async fn read_body(
        &self,
        headers: &http::HeaderMap,
        mut body: Incoming,
    ) -> Result<(Bytes, Option<OwnedSemaphorePermit>), Response<Bytes>> {
        // The service's own limit and 413 answer (the larger of its body and Bulk limits;
        // each endpoint applies its own afterwards).
        let limit = self.scim.body_limit();
        let too_large = || self.scim.payload_too_large();
        let declared = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut held: Option<OwnedSemaphorePermit> = None;
        let mut held_units = 0usize;
        let mut buf = BytesMut::new();
        let over_budget = || {
            busy(format!(
                "the bridge is holding its limit of {} bytes of request bodies; retry shortly",
                self.limits.max_body_memory
            ))
        };
        // A declared length is reserved at once, so that requests are admitted in the
        // order their heads arrive; a chunked body takes budget as it comes.
        if let Some(n) = declared.filter(|n| *n > 0) {
            let units = (n as usize).div_ceil(BUDGET_UNIT);
            let more = u32::try_from(units).unwrap_or(u32::MAX);
            match self.body_budget.clone().try_acquire_many_owned(more) {
                Ok(permit) => {
                    held = Some(permit);
                    held_units = units;
                }
                Err(_) => return Err(over_budget()),
            }
        }
        let read = async {
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|_| {
                    error_response(&ScimError::invalid_syntax(
                        "the request body could not be read",
                    ))
                })?;
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if buf.len() + data.len() > limit {
                    return Err(too_large());
                }
                let need = (buf.len() + data.len()).div_ceil(BUDGET_UNIT);
                if need > held_units {
                    let more = u32::try_from(need - held_units).unwrap_or(u32::MAX);
                    let Ok(permit) = self.body_budget.clone().try_acquire_many_owned(more) else {
                        return Err(over_budget());
                    };
                    match &mut held {
                        Some(h) => h.merge(permit),
                        None => held = Some(permit),
                    }
                    held_units = need;
                }
                buf.extend_from_slice(&data);
            }
            Ok(())
        };
        match tokio::time::timeout(self.limits.body_timeout, read).await {
            Ok(Ok(())) => Ok((buf.freeze(), held)),
            Ok(Err(resp)) => Err(resp),
            Err(_) => Err(error_response(&ScimError::new(
                StatusCode::REQUEST_TIMEOUT,
                None,
                format!(
                    "the request body took longer than the limit of {} s to arrive",
                    self.limits.body_timeout.as_secs_f64()
                ),
            ))),
        }
    }
}

/// Logs a request whose handler was dropped before it answered (the client closed the
/// connection); disarmed by taking `method`.
struct Abandoned<'a> {
    method: Option<http::Method>,
    path: &'a str,
    request_id: &'a str,
    started: Instant,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if let Some(method) = self.method.take() {
            tracing::info!(
                %method,
                path = %truncate(self.path, 200),
                latency_ms = self.started.elapsed().as_secs_f64() * 1000.0,
                request_id = %self.request_id,
                "request abandoned by the client"
            );
        }
    }
}

/// A request id unique within and across runs: a random prefix chosen at start-up and a
/// counter (no system call per request, unlike a random UUID each time).
fn next_request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string()[..12].to_owned());
    format!("{prefix}-{:08x}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
