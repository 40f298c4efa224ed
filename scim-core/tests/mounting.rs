//! Mounting `ScimService` in a host (feature `tower`): a prefix stripped by the host's
//! router comes back in every location, the service answers only where it is configured
//! to, bodies are read within the configured limit (413 past it), and axum end to end.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::routing::get;
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::{ScimService, ServiceConfig};
use serde_json::{json, Value};
use tower::ServiceExt;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn scim(config: ServiceConfig) -> ScimService {
    ScimService::new(Arc::new(InMemoryProvisioner::new())).with_config(config)
}

fn request(method: &str, path: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "app.example.com")
        .header("content-type", "application/scim+json")
        .body(Full::new(body.into()))
        .unwrap()
}

fn user(name: &str) -> Bytes {
    Bytes::from(json!({"schemas": [USER], "userName": name}).to_string())
}

/// Status, headers and body (as JSON, `Null` when empty) of any response.
async fn read<B>(resp: Response<B>) -> (StatusCode, http::HeaderMap, Bytes)
where
    B: Body,
    B::Error: std::fmt::Debug,
{
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, bytes)
}

fn json_of(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

/// Sends one request through the tower service.
async fn tower_call<B>(svc: &ScimService, req: Request<B>) -> (StatusCode, http::HeaderMap, Bytes)
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let resp = svc.clone().oneshot(req).await.unwrap();
    read(resp).await
}

/// A body that arrives in chunks without a declared length (as chunked transfer coding
/// does), optionally failing after its chunks (a client that went away).
struct Chunks {
    chunks: VecDeque<Bytes>,
    fail: bool,
}

impl Body for Chunks {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.chunks.pop_front() {
            Some(c) => Poll::Ready(Some(Ok(Frame::data(c)))),
            None if self.fail => {
                self.fail = false;
                Poll::Ready(Some(Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "the client went away",
                ))))
            }
            None => Poll::Ready(None),
        }
    }
}

fn chunked(path: &str, total: usize, fail: bool) -> Request<Chunks> {
    let chunks = (0..total.div_ceil(1000))
        .map(|i| Bytes::from(vec![b' '; 1000.min(total - i * 1000)]))
        .collect();
    Request::post(path)
        .header("content-type", "application/scim+json")
        .body(Chunks { chunks, fail })
        .unwrap()
}

#[tokio::test]
async fn a_stripped_prefix_comes_back_in_every_location() {
    let svc = scim(ServiceConfig::default().with_mount_path("/scim/v2"));
    // What a router that strips `/scim/v2` (axum's `nest_service`) hands over.
    let (status, headers, body) = tower_call(&svc, request("POST", "/Users", user("ann"))).await;
    assert_eq!(status, 201, "{body:?}");
    let created = json_of(&body);
    let id = created["id"].as_str().unwrap();
    let expected = format!("http://app.example.com/scim/v2/Users/{id}");
    assert_eq!(headers["location"], expected.as_str());
    assert_eq!(created["meta"]["location"], expected.as_str());

    let (status, _, body) = tower_call(&svc, request("GET", "/Users", "")).await;
    assert_eq!(status, 200);
    assert_eq!(
        json_of(&body)["Resources"][0]["meta"]["location"],
        expected.as_str()
    );

    let (_, _, body) = tower_call(&svc, request("GET", "/ResourceTypes/User", "")).await;
    assert_eq!(
        json_of(&body)["meta"]["location"],
        "http://app.example.com/scim/v2/ResourceTypes/User"
    );
    let (_, _, body) = tower_call(&svc, request("GET", "/Schemas", "")).await;
    let schemas = json_of(&body);
    let location = schemas["Resources"][0]["meta"]["location"]
        .as_str()
        .unwrap();
    assert!(
        location.starts_with("http://app.example.com/scim/v2/Schemas/urn:"),
        "{location}"
    );

    let bulk = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b1",
                        "data": {"schemas": [USER], "userName": "bob"}}]
    });
    let (status, _, body) = tower_call(&svc, request("POST", "/Bulk", bulk.to_string())).await;
    assert_eq!(status, 200, "{body:?}");
    let location = json_of(&body)["Operations"][0]["location"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("http://app.example.com/scim/v2/Users/"),
        "{location}"
    );
}

#[tokio::test]
async fn without_serve_root_the_root_is_not_served_and_nothing_is_created() {
    let svc = scim(ServiceConfig::default().with_serve_root(false));
    assert!(!svc.serves("/Users"));
    assert!(svc.serves("/scim/v2/Users"));
    assert!(svc.serves("/scim/v2"));

    // Through tower: a bare 404, no SCIM body, so the host's own 404 stays its own.
    let (status, headers, body) = tower_call(&svc, request("POST", "/Users", user("ann"))).await;
    assert_eq!(status, 404);
    assert!(body.is_empty(), "{body:?}");
    assert!(headers.get("content-type").is_none());

    // Through `handle`: a SCIM 404; through `try_handle`: the request handed back.
    let plain = |path: &str| {
        Request::post(path)
            .header("content-type", "application/scim+json")
            .body(user("ann"))
            .unwrap()
    };
    let resp = svc.handle(plain("/Users")).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(json_of(resp.body())["status"], "404");
    let back = svc.try_handle(plain("/Users")).await.unwrap_err();
    assert_eq!(back.uri().path(), "/Users");
    assert_eq!(back.body(), &user("ann"));

    let (_, _, body) = tower_call(&svc, request("GET", "/scim/v2/Users", "")).await;
    assert_eq!(
        json_of(&body)["totalResults"],
        0,
        "the root POST created a user"
    );

    // Under the base path it is served.
    let (status, _, _) = tower_call(&svc, request("POST", "/scim/v2/Users", user("ann"))).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn serve_root_is_on_by_default() {
    let svc = scim(ServiceConfig::default());
    assert!(svc.serves("/Users"));
    let (status, _, _) = tower_call(&svc, request("POST", "/Users", user("ann"))).await;
    assert_eq!(status, 201);
}

#[tokio::test]
async fn a_mount_path_with_serve_root_off_serves_everything_it_is_handed() {
    let svc = scim(
        ServiceConfig::default()
            .with_mount_path("/scim/v2/")
            .with_serve_root(false),
    );
    assert!(svc.serves("/Users"));
    assert!(svc.serves("/"));
    let (status, _, _) = tower_call(&svc, request("GET", "/ServiceProviderConfig", "")).await;
    assert_eq!(status, 200);
}

fn limited() -> ScimService {
    scim(
        ServiceConfig::default()
            .with_max_body_bytes(4096)
            .with_bulk_max_payload(4096),
    )
}

/// A user document of exactly `len` bytes (padded with whitespace, still valid JSON).
fn padded_user(len: usize) -> Bytes {
    let mut doc = user("ann").to_vec();
    assert!(doc.len() <= len);
    doc.resize(len, b' ');
    Bytes::from(doc)
}

#[tokio::test]
async fn a_body_one_byte_over_the_limit_is_413_with_content_length() {
    let svc = limited();
    let (status, _, body) =
        tower_call(&svc, request("POST", "/scim/v2/Users", padded_user(4096))).await;
    assert_eq!(status, 201, "a body at the limit is served: {body:?}");

    // `Full` declares its length, so the refusal comes before any read.
    let req = request("POST", "/scim/v2/Users", padded_user(4097));
    assert_eq!(req.body().size_hint().exact(), Some(4097));
    let (status, headers, body) = tower_call(&svc, req).await;
    assert_eq!(status, 413);
    assert_eq!(headers["content-type"], "application/scim+json");
    let err = json_of(&body);
    assert_eq!(err["status"], "413");
    assert!(
        err["detail"].as_str().unwrap().contains("4096 bytes"),
        "{err}"
    );
    // One answer for an oversized body, whoever measured it.
    assert_eq!(body, svc.payload_too_large().into_body());
}

#[tokio::test]
async fn a_declared_length_past_the_limit_is_refused_before_the_body_is_read() {
    let svc = limited();
    let req = Request::post("/scim/v2/Users")
        .header("content-length", "4097")
        .body(Chunks {
            chunks: VecDeque::new(),
            fail: true,
        })
        .unwrap();
    // The body would fail if read: 413, not 400, shows it was not.
    let (status, _, _) = tower_call(&svc, req).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn a_streamed_body_one_byte_over_the_limit_is_413() {
    let svc = limited();
    let (status, _, body) = tower_call(&svc, chunked("/scim/v2/Users", 4097, false)).await;
    assert_eq!(status, 413);
    assert_eq!(body, svc.payload_too_large().into_body());
    // At the limit it is read whole and handed on (all whitespace: 400 "needs a JSON body").
    let (status, _, body) = tower_call(&svc, chunked("/scim/v2/Users", 4096, false)).await;
    assert_eq!(status, 400);
    assert!(
        json_of(&body)["detail"]
            .as_str()
            .unwrap()
            .contains("JSON body"),
        "{body:?}"
    );
}

#[tokio::test]
async fn a_body_that_breaks_off_is_400() {
    let svc = limited();
    let (status, _, body) = tower_call(&svc, chunked("/scim/v2/Users", 10, true)).await;
    assert_eq!(status, 400);
    let err = json_of(&body);
    assert_eq!(err["scimType"], "invalidSyntax");
    assert!(
        err["detail"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{err}"
    );
}

#[tokio::test]
async fn the_bulk_limit_applies_to_bulk_when_larger() {
    let svc = scim(
        ServiceConfig::default()
            .with_max_body_bytes(1000)
            .with_bulk_max_payload(8000),
    );
    assert_eq!(svc.body_limit(), 8000);
    let bulk = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{"method": "POST", "path": "/Users", "bulkId": "b1",
                        "data": {"schemas": [USER], "userName": "bob"}}]
    });
    let mut doc = bulk.to_string().into_bytes();
    doc.resize(3000, b' ');
    let (status, _, body) = tower_call(&svc, request("POST", "/scim/v2/Bulk", doc.clone())).await;
    assert_eq!(status, 200, "{body:?}");
    // The same size to /Users passes the read and meets the endpoint's own limit.
    let mut doc = user("carol").to_vec();
    doc.resize(3000, b' ');
    let (status, _, body) = tower_call(&svc, request("POST", "/scim/v2/Users", doc)).await;
    assert_eq!(status, 413);
    assert!(
        json_of(&body)["detail"]
            .as_str()
            .unwrap()
            .contains("limit of 1000 bytes"),
        "{body:?}"
    );
}

#[tokio::test]
async fn axum_nest_service_end_to_end() {
    let svc = scim(
        ServiceConfig::default()
            .with_mount_path("/scim/v2")
            .with_serve_root(false)
            .with_max_body_bytes(4096)
            .with_bulk_max_payload(4096),
    );
    let app = axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest_service("/scim/v2", svc)
        .fallback(|| async { (StatusCode::NOT_FOUND, "host 404") });
    let send = |req: Request<axum::body::Body>| {
        let app = app.clone();
        async move { read(app.oneshot(req).await.unwrap()).await }
    };
    let body = |b: Bytes| axum::body::Body::from(b);
    let post = |path: &str, b: Bytes| {
        Request::post(path)
            .header("host", "app.example.com")
            .header("content-type", "application/scim+json")
            .body(body(b))
            .unwrap()
    };

    let (status, headers, created) = send(post("/scim/v2/Users", user("ann"))).await;
    assert_eq!(status, 201, "{created:?}");
    let created = json_of(&created);
    let expected = format!(
        "http://app.example.com/scim/v2/Users/{}",
        created["id"].as_str().unwrap()
    );
    assert_eq!(headers["location"], expected.as_str());
    assert_eq!(created["meta"]["location"], expected.as_str());

    let get = |path: &str| {
        Request::get(path)
            .header("host", "app.example.com")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let (_, _, list) = send(get("/scim/v2/Users?filter=userName+eq+%22ann%22")).await;
    let list = json_of(&list);
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["meta"]["location"], expected.as_str());
    let (_, _, types) = send(get("/scim/v2/ResourceTypes")).await;
    let types = json_of(&types);
    let locations: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["meta"]["location"].as_str().unwrap())
        .collect();
    assert!(locations.contains(&"http://app.example.com/scim/v2/ResourceTypes/User"));

    // Over the limit: 413 through axum's own body type.
    let (status, _, _) = send(post("/scim/v2/Users", padded_user(4097))).await;
    assert_eq!(status, 413);

    // The host's routes and 404s stay the host's.
    let (status, _, text) = send(get("/health")).await;
    assert_eq!((status, &text[..]), (StatusCode::OK, &b"ok"[..]));
    let (status, _, text) = send(post("/Users", user("eve"))).await;
    assert_eq!(
        (status, &text[..]),
        (StatusCode::NOT_FOUND, &b"host 404"[..])
    );
    let (_, _, list) = send(get("/scim/v2/Users")).await;
    assert_eq!(
        json_of(&list)["totalResults"],
        1,
        "POST /Users reached SCIM"
    );
}

#[tokio::test]
async fn as_an_axum_fallback_it_leaves_other_paths_alone() {
    let svc = scim(ServiceConfig::default().with_serve_root(false));
    let app = axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .fallback_service(svc);
    let req = |path: &str| Request::get(path).body(axum::body::Body::empty()).unwrap();
    let resp = app.clone().oneshot(req("/nothing/here")).await.unwrap();
    let (status, _, body) = read(resp).await;
    assert_eq!(status, 404);
    assert!(body.is_empty(), "a SCIM body for a host path: {body:?}");
    let resp = app
        .oneshot(req("/scim/v2/ServiceProviderConfig"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// The service's future can cross threads (as `tokio::spawn` and axum require).
#[test]
fn the_service_is_send_and_sync() {
    fn assert_service<S>(_: &S)
    where
        S: tower::Service<Request<axum::body::Body>, Error = Infallible> + Clone + Send + Sync,
        S::Future: Send,
    {
    }
    assert_service(&scim(ServiceConfig::default()));
}
