//! The HTTP side: hyper 1 over tokio, optional TLS (rustls), the accept loop with its
//! connection limit (past it, `429` with `Retry-After`), and graceful shutdown on
//! SIGINT/SIGTERM.
//!
//! - [`connection`]: one connection's life and the timeouts that bound it, whatever the
//!   client sends (nothing, a byte, an HTTP/2 preface, a TLS handshake), and the SCIM
//!   errors for HTTP/1 heads over the limit (414 for a too-long request line, else 431).
//! - [`request`]: one request: `/ping`, `/livez`, `/readyz`, `/health`, `/metrics`, and
//!   SCIM with the token checked on the head before any body byte is read.
//! - [`throttle`]: rate-limited warnings, so that a flood is not a log flood.
//! - [`tls`]: loading the certificate and key.
//!
//! Every limit and timeout here is listed in `docs/limits.md`.

mod audit;
mod connection;
mod request;
mod throttle;
mod tls;
mod watched;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use scim2_core::ScimError;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::store::Store;
use throttle::Throttle;

pub use request::App;
pub use tls::{tls_acceptor, TlsError};

/// How long in-flight requests get to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);
/// Largest HTTP/1 request head (request line and header fields), which is also the
/// limit of the request line and so of the request target. Past it the bridge answers
/// `414 URI Too Long` (RFC 9110 §15.5.15) when the request line has not ended, else
/// `431 Request Header Fields Too Large` (RFC 6585 §5), both with a SCIM error body
/// (see [`connection`]). For HTTP/2 it is the header list size (RFC 9113 §6.5.2).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Most header fields in an HTTP/1 request head (hyper's default, set explicitly);
/// past it, 431.
pub const MAX_HEADER_FIELDS: usize = 100;
/// Most concurrent HTTP/2 streams (requests) on one connection.
pub const MAX_H2_STREAMS: u32 = 32;
/// HTTP/2 receive window per stream: what a client may send on a stream before the
/// bridge reads it (before the token is checked).
pub const H2_STREAM_WINDOW: u32 = 64 * 1024;
/// HTTP/2 receive window per connection: all that a client may have in flight on one
/// connection unread, whatever its streams.
pub const H2_CONNECTION_WINDOW: u32 = 128 * 1024;
/// How long a refused connection may take to receive its 429.
const REFUSE_WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// How long a newcomer waits for the slot of a connection evicted for it.
const EVICTION_WAIT: Duration = Duration::from_secs(1);
/// The longest pause between retries when `accept` keeps failing (descriptors exhausted).
const MAX_ACCEPT_BACKOFF: Duration = Duration::from_secs(1);

/// Connection-level limits (all in `docs/limits.md`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// From accept, how long a client may take to finish its TLS handshake and send its
    /// first request head; later heads are bounded by the idle timeout.
    pub header_timeout: Duration,
    /// How long a client may take to send its body (else 408).
    pub body_timeout: Duration,
    /// How long a kept-alive connection may sit with no request in flight before it is
    /// closed (the header timeout instead, while connections are scarce).
    pub idle_timeout: Duration,
    /// Most connections served at once; more get 429 with `Retry-After` and are closed.
    pub max_connections: usize,
    /// Most bytes of request bodies held in memory at once, over all requests.
    pub max_body_memory: usize,
}

/// Serves until SIGINT or SIGTERM, then lets in-flight requests finish.
pub async fn serve<S: Store>(listener: TcpListener, app: Arc<App<S>>, tls: Option<TlsAcceptor>) {
    let limits = app.limits;
    let builder = builder(&limits);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let accept_errors = Throttle::new(Duration::from_secs(1));
    let refusals = Throttle::new(Duration::from_secs(1));
    let mut backoff = Duration::ZERO;
    let registry = Arc::new(connection::Registry::default());
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => {
                    backoff = Duration::ZERO;
                    a
                }
                Err(e) => {
                    // Usually EMFILE/ENFILE: retrying at once would spin. Back off
                    // (doubling up to a second) and say so at most once a second.
                    backoff = (backoff * 2).clamp(Duration::from_millis(10), MAX_ACCEPT_BACKOFF);
                    if let Some(suppressed) = accept_errors.allow() {
                        tracing::warn!(error = %e, suppressed, retry_in_ms = backoff.as_millis() as u64,
                            "accept failed; backing off");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => continue,
                        _ = &mut shutdown => break,
                    }
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let crowded = {
            let slots = slots.clone();
            let spare = limits.max_connections / 10;
            move || slots.available_permits() <= spare
        };
        let conn = connection::Connection {
            peer,
            app: app.clone(),
            builder: builder.clone(),
            tls: tls.clone(),
            crowded: Box::new(crowded),
            activity: connection::Activity::new(),
            registry: registry.clone(),
        };
        if let Ok(slot) = slots.clone().try_acquire_owned() {
            tokio::spawn(conn.run(stream, slot, graceful.watcher()));
            continue;
        }
        // Every slot is taken: make room by evicting an idle connection that never
        // authenticated, or refuse.
        if registry.evict_one() {
            let (slots, watcher, tls) = (slots.clone(), graceful.watcher(), tls.is_some());
            let limit = limits.max_connections;
            tokio::spawn(async move {
                match tokio::time::timeout(EVICTION_WAIT, slots.acquire_owned()).await {
                    Ok(Ok(slot)) => conn.run(stream, slot, watcher).await,
                    _ => refuse(stream, tls, limit).await,
                }
            });
            continue;
        }
        if let Some(suppressed) = refusals.allow() {
            tracing::warn!(%peer, limit = limits.max_connections, suppressed,
                "too many connections; refusing new ones");
        }
        tokio::spawn(refuse(stream, tls.is_some(), limits.max_connections));
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

/// The hyper connection builder: HTTP/1.1 and HTTP/2 with bounded heads, streams and
/// windows. (The time a connection may stay open without a request is enforced by
/// [`connection`], for both protocols and before the protocol is even known.)
fn builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // No hyper header_read_timeout: it would also close idle keep-alive connections at
    // the header timeout. The watchdog bounds every head instead.
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_headers(MAX_HEADER_FIELDS)
        .max_buf_size(MAX_HEADER_BYTES);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_H2_STREAMS)
        .max_header_list_size(MAX_HEADER_BYTES as u32)
        .max_pending_accept_reset_streams(Some(MAX_H2_STREAMS as usize))
        .max_local_error_reset_streams(Some(1024))
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(H2_CONNECTION_WINDOW)
        .max_send_buf_size(256 * 1024)
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(limits.header_timeout);
    builder
}

/// Answers a connection over the limit with `429 Too Many Requests` and `Retry-After`
/// (RFC 6585 §4; plain HTTP), or just closes it (TLS: answering would mean a handshake
/// for a client there is no room for).
async fn refuse(mut stream: tokio::net::TcpStream, tls: bool, limit: usize) {
    use tokio::io::AsyncWriteExt;
    let answer = async {
        if !tls {
            let body = ScimError::new(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                format!("the bridge is serving its limit of {limit} connections; retry shortly"),
            )
            .to_body()
            .to_string();
            let head = format!(
                "HTTP/1.1 429 Too Many Requests\r\ncontent-type: {}\r\ncontent-length: {}\r\nretry-after: {}\r\nconnection: close\r\n\r\n",
                scim2_core::service::SCIM_JSON,
                body.len(),
                request::SATURATED_RETRY.as_secs()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
        }
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(REFUSE_WRITE_TIMEOUT, answer).await;
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
