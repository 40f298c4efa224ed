//! One connection's life, bounded in time whatever the client sends.
//!
//! A watchdog runs beside every connection from the moment it is accepted, and a thin
//! I/O wrapper ([`Watched`]) tells it when bytes arrive:
//! - until the first request head has arrived, the connection may live for the header
//!   timeout, counted from accept. That covers the TLS handshake, hyper's HTTP/1-vs-2
//!   detection (a silent socket, one byte, a bare HTTP/2 preface, SETTINGS and PINGs
//!   without a request), and a slow first head;
//! - while a request is in flight (an HTTP/1 request, or any HTTP/2 stream), the request
//!   is bounded by the body timeout and the handler, not by the watchdog;
//! - once nothing is in flight, the connection may stay idle for the idle timeout, or only
//!   for the header timeout while connections are scarce (90% of the slots taken), so
//!   that kept-alive sockets cannot hold every slot;
//! - on HTTP/1, the first byte of a later request starts the header timeout for its head
//!   (hyper's own header timer is not used: it would also cut idle keep-alive
//!   connections at the header timeout). HTTP/2 frames between requests (PINGs,
//!   SETTINGS) do not start it;
//! - a client that stops reading its response (writes blocked) for the body timeout is
//!   cut, so that an unread response does not pin its memory until the idle timeout;
//! - a connection that has not yet made an authenticated request (only `/ping`, 401s,
//!   or nothing) may be evicted, when idle, to make room for a newcomer once every slot
//!   is taken ([`Registry`]): clients without the token cannot keep the slots from
//!   those with it by pinging on kept-alive connections.
//!
//! When the watchdog fires, the connection future is dropped, which closes the socket.
//!
//! The same wrapper turns hyper's bodiless refusal of an HTTP/1 head over the limit into
//! a SCIM error (`super::watched`).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit};
use tokio_rustls::TlsAcceptor;

use super::request::App;
use super::watched::Watched;
use super::Limits;
use crate::store::Store;

/// What the watchdog knows of a connection: when it started, whether a request has
/// begun, how many are in flight, when the last one ended, and when the head of the next
/// one began to arrive.
#[derive(Debug)]
pub(super) struct Activity {
    start: Instant,
    served: AtomicBool,
    in_flight: AtomicUsize,
    /// Milliseconds after `start` at which the last request ended.
    last_done_ms: AtomicU64,
    /// One more than the milliseconds after `start` at which bytes arrived on an idle
    /// HTTP/1 connection (a new request head began); 0 when none has.
    head_started_ms: AtomicU64,
    /// Whether the connection speaks HTTP/2 (its first bytes are the preface).
    h2: AtomicBool,
    /// Whether any byte has arrived yet.
    heard: AtomicBool,
    /// One more than the milliseconds after `start` since which writes to the client
    /// have been blocked; 0 when they are not.
    write_blocked_ms: AtomicU64,
    /// Whether a request on this connection carried the Secret Token.
    trusted: AtomicBool,
    /// Whether the connection has been chosen for eviction.
    evicted: AtomicBool,
    /// Wakes the watchdog: to evict the connection, or because writes became blocked.
    poke: Notify,
}

impl Activity {
    /// A connection accepted now.
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Activity {
            start: Instant::now(),
            served: AtomicBool::new(false),
            in_flight: AtomicUsize::new(0),
            last_done_ms: AtomicU64::new(0),
            head_started_ms: AtomicU64::new(0),
            h2: AtomicBool::new(false),
            heard: AtomicBool::new(false),
            write_blocked_ms: AtomicU64::new(0),
            trusted: AtomicBool::new(false),
            evicted: AtomicBool::new(false),
            poke: Notify::new(),
        })
    }

    /// Whether the connection speaks HTTP/2 (its first bytes were the preface).
    pub(super) fn is_h2(&self) -> bool {
        self.h2.load(Ordering::Acquire)
    }

    /// Whether a request is in flight.
    pub(super) fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// Records that a request on this connection was authenticated.
    pub(super) fn trust(&self) {
        self.trusted.store(true, Ordering::Release);
    }

    /// Whether the connection may be evicted for a newcomer: never authenticated, and
    /// nothing in flight.
    fn evictable(&self) -> bool {
        !self.trusted.load(Ordering::Acquire) && self.in_flight.load(Ordering::Acquire) == 0
    }

    /// Notes a write that could not proceed (`blocked`) or that did.
    pub(super) fn wrote(&self, blocked: bool) {
        if blocked {
            let newly = self
                .write_blocked_ms
                .compare_exchange(0, self.now_ms() + 1, Ordering::AcqRel, Ordering::Acquire)
                .is_ok();
            if newly {
                self.poke.notify_one();
            }
        } else {
            self.write_blocked_ms.store(0, Ordering::Release);
        }
    }

    fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Notes bytes read from the client.
    pub(super) fn saw(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        if !self.heard.swap(true, Ordering::AcqRel) && bytes.starts_with(b"PRI ") {
            self.h2.store(true, Ordering::Release);
        }
        if self.served.load(Ordering::Acquire)
            && !self.h2.load(Ordering::Acquire)
            && self.in_flight.load(Ordering::Acquire) == 0
        {
            let _ = self.head_started_ms.compare_exchange(
                0,
                self.now_ms() + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }

    /// Marks a request (head received) as in flight until the guard is dropped.
    fn begin(self: &Arc<Self>) -> InFlight {
        self.served.store(true, Ordering::Release);
        self.head_started_ms.store(0, Ordering::Release);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.clone())
    }

    fn last_done(&self) -> Instant {
        self.start + Duration::from_millis(self.last_done_ms.load(Ordering::Acquire))
    }

    /// Why the connection must close now, or when to look again.
    fn verdict(
        &self,
        now: Instant,
        limits: &Limits,
        crowded: bool,
    ) -> Result<Instant, &'static str> {
        let wake = self.read_verdict(now, limits, crowded)?;
        let blocked = self.write_blocked_ms.load(Ordering::Acquire);
        if blocked == 0 {
            return Ok(wake);
        }
        let deadline = self.start + Duration::from_millis(blocked - 1) + limits.body_timeout;
        if now >= deadline {
            Err("the client stopped reading its response")
        } else {
            Ok(wake.min(deadline))
        }
    }

    /// [`Activity::verdict`] for what the client sends.
    fn read_verdict(
        &self,
        now: Instant,
        limits: &Limits,
        crowded: bool,
    ) -> Result<Instant, &'static str> {
        if !self.served.load(Ordering::Acquire) {
            let deadline = self.start + limits.header_timeout;
            return if now >= deadline {
                Err("no request head within the header timeout")
            } else {
                Ok(deadline)
            };
        }
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return Ok(now + limits.header_timeout.min(limits.idle_timeout));
        }
        let head_started = self.head_started_ms.load(Ordering::Acquire);
        if head_started > 0 {
            let deadline =
                self.start + Duration::from_millis(head_started - 1) + limits.header_timeout;
            return if now >= deadline {
                Err("a request head not finished within the header timeout")
            } else {
                Ok(deadline)
            };
        }
        let idle_since = self.last_done();
        let short = idle_since + limits.header_timeout.min(limits.idle_timeout);
        let long = idle_since + limits.idle_timeout;
        if now >= long {
            Err("idle for the idle timeout")
        } else if now >= short && crowded {
            Err("idle while connections are scarce")
        } else if now < short {
            Ok(short)
        } else {
            Ok(long.min(now + limits.header_timeout))
        }
    }
}

/// The live connections, oldest first, for finding one to evict when every slot is
/// taken.
#[derive(Debug, Default)]
pub(super) struct Registry {
    live: std::sync::Mutex<Vec<std::sync::Weak<Activity>>>,
}

impl Registry {
    /// Registers a connection that holds a slot.
    pub(super) fn add(&self, activity: &Arc<Activity>) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        // Forget closed connections now and then (amortised: when the list doubles).
        if live.len() >= 64 && live.len().is_power_of_two() {
            live.retain(|w| w.strong_count() > 0);
        }
        live.push(Arc::downgrade(activity));
    }

    /// Asks the oldest idle connection that never authenticated to close; whether one
    /// was found.
    pub(super) fn evict_one(&self) -> bool {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|w| w.strong_count() > 0);
        for a in live.iter().filter_map(std::sync::Weak::upgrade) {
            if a.evictable() && !a.evicted.swap(true, Ordering::AcqRel) {
                a.poke.notify_one();
                return true;
            }
        }
        false
    }
}

/// A request in flight on a connection; ends when dropped.
pub(super) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_done_ms.fetch_max(a.now_ms(), Ordering::AcqRel);
        a.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Resolves with the reason when the connection must be closed.
async fn watchdog(
    activity: &Activity,
    limits: &Limits,
    crowded: &(dyn Fn() -> bool + Send + Sync),
) -> &'static str {
    loop {
        match activity.verdict(Instant::now(), limits, crowded()) {
            Err(reason) => return reason,
            Ok(wake) => tokio::select! {
                () = tokio::time::sleep_until(wake.into()) => {}
                () = activity.poke.notified() => {
                    if activity.evicted.load(Ordering::Acquire) {
                        if activity.evictable() {
                            return "evicted for a newcomer (never authenticated)";
                        }
                        activity.evicted.store(false, Ordering::Release);
                    }
                }
            },
        }
    }
}

/// An accepted connection and what serving it needs.
pub(super) struct Connection<S: Store> {
    /// The client's address, for logs.
    pub peer: SocketAddr,
    /// The request handler.
    pub app: Arc<App<S>>,
    /// The hyper builder (HTTP/1.1 and HTTP/2 settings).
    pub builder: auto::Builder<TokioExecutor>,
    /// TLS, when the bridge terminates it.
    pub tls: Option<TlsAcceptor>,
    /// Whether connection slots are scarce now.
    pub crowded: Box<dyn Fn() -> bool + Send + Sync>,
    /// The connection's activity.
    pub activity: Arc<Activity>,
    /// Where it is registered (once it holds a slot) as a candidate for eviction.
    pub registry: Arc<Registry>,
}

impl<S: Store> Connection<S> {
    /// Serves the connection until the client closes it, the watchdog fires, or shutdown.
    pub(super) async fn run(
        self,
        stream: TcpStream,
        slot: OwnedSemaphorePermit,
        graceful: Watcher,
    ) {
        let _slot = slot;
        let activity = self.activity.clone();
        self.registry.add(&activity);
        let limits = self.app.limits;
        let peer = self.peer;
        let serve = async {
            match &self.tls {
                None => self.serve_io(stream, &activity, graceful).await,
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(s) => self.serve_io(s, &activity, graceful).await,
                    Err(e) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                },
            }
        };
        tokio::select! {
            () = serve => {}
            reason = watchdog(&activity, &limits, &*self.crowded) => {
                tracing::debug!(%peer, reason, "closing connection");
            }
        }
    }

    async fn serve_io<I>(&self, io: I, activity: &Arc<Activity>, graceful: Watcher)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = TokioIo::new(Watched::new(io, activity.clone()));
        let app = self.app.clone();
        let activity = activity.clone();
        let svc = service_fn(move |req| {
            let in_flight = activity.begin();
            let app = app.clone();
            let activity = activity.clone();
            async move {
                let resp = app.handle(req, &activity).await;
                drop(in_flight);
                resp
            }
        });
        let conn = self.builder.serve_connection(io, svc).into_owned();
        if let Err(e) = graceful.watch(conn).await {
            tracing::debug!(peer = %self.peer, error = %e, "connection closed with an error");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10,
            max_body_memory: 1 << 20,
        }
    }

    #[test]
    fn a_client_that_stops_reading_is_cut_after_the_body_timeout() {
        let a = Activity::new();
        let l = limits();
        drop(a.begin());
        let done = a.last_done();
        a.wrote(true);
        assert!(a.verdict(done + l.body_timeout, &l, false).is_err());
        a.wrote(false);
        assert!(a.verdict(done + l.body_timeout, &l, false).is_ok());
    }

    #[test]
    fn only_idle_connections_that_never_authenticated_are_evicted() {
        let registry = Registry::default();
        let add = || {
            let a = Activity::new();
            registry.add(&a);
            a
        };
        let trusted = add();
        trusted.trust();
        let busy = add();
        let _in_flight = busy.begin();
        assert!(!registry.evict_one(), "nothing evictable");
        let idle = add();
        assert!(registry.evict_one());
        assert!(idle.evicted.load(Ordering::Acquire));
        assert!(!registry.evict_one(), "each connection is chosen once");
    }

    #[test]
    fn a_connection_without_a_request_lives_for_the_header_timeout_from_accept() {
        let a = Activity::new();
        let l = limits();
        assert_eq!(
            a.verdict(a.start, &l, false),
            Ok(a.start + l.header_timeout)
        );
        assert!(a.verdict(a.start + l.header_timeout, &l, false).is_err());
    }

    #[test]
    fn in_flight_requests_are_not_cut_and_idle_ones_are() {
        let a = Activity::new();
        let l = limits();
        let guard = a.begin();
        let late = a.start + Duration::from_secs(3600);
        assert!(
            a.verdict(late, &l, true).is_ok(),
            "a request in flight is never idle"
        );
        drop(guard);
        let done = a.last_done();
        assert!(a.verdict(done + Duration::from_secs(5), &l, true).is_ok());
        assert!(a.verdict(done + l.header_timeout, &l, false).is_ok());
        assert!(
            a.verdict(done + l.header_timeout, &l, true).is_err(),
            "scarce slots: short idle"
        );
        assert!(a.verdict(done + l.idle_timeout, &l, false).is_err());
    }

    #[test]
    fn a_later_http1_head_gets_the_header_timeout_from_its_first_byte() {
        let a = Activity::new();
        let l = limits();
        a.saw(b"GET /ping HTTP/1.1\r\n\r\n");
        drop(a.begin());
        let done = a.last_done();
        a.saw(b"G");
        let started =
            a.start + Duration::from_millis(a.head_started_ms.load(Ordering::Acquire) - 1);
        assert!(started >= done);
        assert!(a.verdict(started + l.header_timeout, &l, false).is_err());
        drop(a.begin());
        assert_eq!(
            a.head_started_ms.load(Ordering::Acquire),
            0,
            "a request began"
        );
    }

    #[test]
    fn http2_frames_between_requests_do_not_start_a_head() {
        let a = Activity::new();
        let l = limits();
        a.saw(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        drop(a.begin());
        a.saw(&[0, 0, 8, 6, 0, 0, 0, 0, 0]);
        assert_eq!(a.head_started_ms.load(Ordering::Acquire), 0);
        assert!(a
            .verdict(a.last_done() + l.header_timeout, &l, false)
            .is_ok());
    }
}
