//! The HTTP side: hyper 1 over tokio, optional TLS (rustls), `/ping`, `/health`, request
//! logs, body limits and timeouts, and graceful shutdown on SIGINT/SIGTERM.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use scim_core::service::{error_response, AuthError, ScimService};
use scim_core::ScimError;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::health::Health;
use crate::onepassword::state_counts;
use crate::store::Store;
use crate::token::BearerAuth;

/// How long in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);
/// Largest request head (request line and headers); hyper answers 431 beyond.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Connection-level limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How long a client may take to send its request head (else the connection closes).
    pub header_timeout: Duration,
    /// How long a client may take to send its body (else 408).
    pub body_timeout: Duration,
    /// Most connections served at once; more get 503 and are closed.
    pub max_connections: usize,
}

/// Everything a request handler needs.
pub struct App<S: Store> {
    /// The SCIM service (with the bearer authenticator).
    pub scim: ScimService,
    /// The same authenticator, for `/health`.
    pub auth: Arc<BearerAuth>,
    /// Health state.
    pub health: Arc<Health>,
    /// The store, for `/health`.
    pub store: Arc<S>,
    /// Connection limits.
    pub limits: Limits,
}

fn text(status: StatusCode, body: &'static str) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from_static(body.as_bytes()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

impl<S: Store> App<S> {
    async fn health(&self, req: &Request<Incoming>) -> Response<Bytes> {
        let header = req
            .headers()
            .get(http::header::AUTHORIZATION)
            .map(|v| v.to_str().unwrap_or(""));
        if let Err(AuthError::Unauthorized { detail, challenge }) = self.auth.check(header) {
            let mut r = error_response(&ScimError::new(StatusCode::UNAUTHORIZED, None, detail));
            if let Ok(v) = HeaderValue::from_str(&challenge) {
                r.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
            }
            return r;
        }
        let store = self.store.clone();
        let counts = tokio::task::spawn_blocking(move || {
            store.check().map_err(|e| e.to_string())?;
            store
                .read(state_counts)
                .map_err(|e| e.to_string())
                .map(|c| serde_json::to_value(c).unwrap_or_default())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let body = self.health.report(counts);
        let status = if body["status"] == "healthy" {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        let mut r = Response::new(Bytes::from(body.to_string()));
        *r.status_mut() = status;
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    }

    /// Handles one request and logs it (method, path, status, latency, request id; never
    /// the token, the query or the body).
    pub async fn handle(
        self: Arc<Self>,
        mut req: Request<Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let started = Instant::now();
        self.health.count_request();
        let request_id = next_request_id();
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            req.headers_mut().insert("x-request-id", v);
        }
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let mut resp = match path.as_str() {
            "/ping" => text(StatusCode::OK, "pong"),
            "/health" => self.health(&req).await,
            _ => self.scim(req).await,
        };
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert("x-request-id", v);
        }
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

    async fn scim(&self, req: Request<Incoming>) -> Response<Bytes> {
        let (parts, body) = req.into_parts();
        let limit = self
            .scim
            .config()
            .max_body_bytes
            .max(self.scim.config().bulk_max_payload);
        let body_timeout = self.limits.body_timeout;
        let collected =
            tokio::time::timeout(body_timeout, Limited::new(body, limit).collect()).await;
        let bytes = match collected {
            Ok(Ok(c)) => c.to_bytes(),
            Ok(Err(e))
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                return error_response(&ScimError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    None,
                    format!("the request body exceeds the limit of {limit} bytes"),
                ))
            }
            Ok(Err(_)) => {
                return error_response(&ScimError::invalid_syntax(
                    "the request body could not be read",
                ))
            }
            Err(_) => {
                return error_response(&ScimError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    None,
                    format!(
                        "the request body took longer than the limit of {} s to arrive",
                        body_timeout.as_secs_f64()
                    ),
                ))
            }
        };
        self.scim.handle(Request::from_parts(parts, bytes)).await
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

/// Loads a rustls server configuration from PEM files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    let certs = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", cert.display()))?;
    let key = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| format!("{}: {e}", key.display()))?
        .ok_or_else(|| format!("{}: no private key found", key.display()))?;
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("TLS certificate and key do not fit: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
pub async fn serve<S: Store>(listener: TcpListener, app: Arc<App<S>>, tls: Option<TlsAcceptor>) {
    let limits = app.limits;
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = limits.max_connections, "too many connections; refusing one");
            tokio::spawn(refuse(stream, tls.is_some(), limits.max_connections));
            continue;
        };
        let app = app.clone();
        let svc = service_fn(move |req| app.clone().handle(req));
        match &tls {
            None => {
                let conn = builder
                    .serve_connection(TokioIo::new(stream), svc)
                    .into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection closed with an error");
                    }
                    drop(slot);
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let builder = builder.clone();
                let watcher = graceful.watcher();
                let header_timeout = limits.header_timeout;
                tokio::spawn(async move {
                    let _slot = slot;
                    let stream =
                        match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(s)) => s,
                            _ => {
                                tracing::debug!(%peer, "TLS handshake failed or timed out");
                                return;
                            }
                        };
                    let conn = builder
                        .serve_connection(TokioIo::new(stream), svc)
                        .into_owned();
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(%peer, error = %e, "connection closed with an error");
                    }
                });
            }
        }
    }
    tracing::info!("shutting down: finishing in-flight requests");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "some connections did not finish within {} s",
            SHUTDOWN_GRACE.as_secs()
        );
    }
}

/// Answers a connection over the limit with 503 (plain HTTP) or just closes it (TLS).
async fn refuse(mut stream: tokio::net::TcpStream, tls: bool, limit: usize) {
    use tokio::io::AsyncWriteExt;
    if !tls {
        let body = ScimError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            format!("the bridge is serving its limit of {limit} connections; retry shortly"),
        )
        .to_body()
        .to_string();
        let head = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {}\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
            scim_core::service::SCIM_JSON,
            body.len()
        );
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(body.as_bytes()).await;
    }
    let _ = stream.shutdown().await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
