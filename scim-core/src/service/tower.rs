//! `ScimService` as a [`tower_service::Service`] (feature `tower`): it reads the request
//! body itself, within the configured limit, so that axum, hyper-util or any tower stack
//! mounts it in one line. [`ScimService::handle_body`] is the same without tower.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::Body;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};

use super::{response, ScimService};
use crate::error::ScimError;

/// The body of the responses the tower service sends: the whole SCIM JSON document.
pub type ResponseBody = Full<Bytes>;

/// The error type a request body may fail with, as tower and hyper box it.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl ScimService {
    /// Reads the body of `req` (any [`http_body::Body`], e.g. hyper's `Incoming` or
    /// axum's `Body`) and [`handle`](Self::handle)s it.
    ///
    /// A body past [`body_limit`](Self::body_limit) is answered
    /// [`payload_too_large`](Self::payload_too_large) (413) without being read further: at
    /// once when its `Content-Length` says so, else as soon as the bytes read pass the
    /// limit. A body cut off by a limit set in front of the service (tower-http's
    /// `RequestBodyLimitLayer`) is 413 too; one that cannot be read (the client went
    /// away) is answered 400.
    ///
    /// With plain hyper (the whole program is `scim-core/examples/hyper_server.rs`):
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use hyper::service::service_fn;
    /// use hyper_util::rt::TokioIo;
    /// use scim2_core::provisioner::InMemoryProvisioner;
    /// use scim2_core::service::ScimService;
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let scim = Arc::new(ScimService::new(Arc::new(InMemoryProvisioner::new())));
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// loop {
    ///     let (stream, _) = listener.accept().await?;
    ///     let scim = scim.clone();
    ///     tokio::spawn(async move {
    ///         let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
    ///             let scim = scim.clone();
    ///             async move {
    ///                 let resp = scim.handle_body(req).await;
    ///                 Ok::<_, std::convert::Infallible>(resp.map(http_body_util::Full::new))
    ///             }
    ///         });
    ///         let io = TokioIo::new(stream);
    ///         let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, svc).await;
    ///     });
    /// }
    /// # }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
    pub async fn handle_body<B>(&self, req: Request<B>) -> Response<Bytes>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = req.into_parts();
        let limit = self.body_limit();
        let declared = parts
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > limit as u64) {
            return self.negotiated(&parts.headers, self.payload_too_large());
        }
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if over_a_limit(&*e) => {
                return self.negotiated(&parts.headers, self.payload_too_large());
            }
            Err(e) => {
                let e =
                    ScimError::invalid_syntax(format!("the request body could not be read: {e}"));
                return self.negotiated(&parts.headers, response::error(&e));
            }
        };
        self.handle(Request::from_parts(parts, bytes)).await
    }

    /// `resp` labelled with the media type the request's `Accept` prefers, as
    /// [`handle`](Self::handle) labels its own answers.
    fn negotiated(&self, headers: &http::HeaderMap, mut resp: Response<Bytes>) -> Response<Bytes> {
        super::label_json(&mut resp, super::media_type_for(headers));
        resp
    }
}

/// Whether a body failed because a length limit was passed: this service's, or one a
/// layer in front of it set (tower-http's `RequestBodyLimitLayer` wraps the body in
/// `Limited`), however the host wrapped that error (axum's `Body` boxes it in its own).
fn over_a_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| e.is::<LengthLimitError>())
}

/// Mounts the service in axum (`Router::nest_service`, `route_service`,
/// `fallback_service`), hyper-util or any tower stack. Requests for a path the service
/// does not [`serve`](ScimService::serves) get a bare `404 Not Found` with an empty body,
/// so a host's own 404 handling is not shadowed by SCIM errors; every other request is
/// [`handle_body`](ScimService::handle_body)d. Never fails: every failure is an HTTP
/// answer.
///
/// The [module documentation](super#mounting-it-in-axum) mounts it in axum.
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
impl<B> tower_service::Service<Request<B>> for ScimService
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let scim = self.clone();
        Box::pin(async move {
            if !scim.serves(req.uri().path()) {
                let mut resp = Response::new(Full::new(Bytes::new()));
                *resp.status_mut() = StatusCode::NOT_FOUND;
                return Ok(resp);
            }
            Ok(scim.handle_body(req).await.map(Full::new))
        })
    }
}
