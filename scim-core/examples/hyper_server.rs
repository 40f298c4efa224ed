//! Mounts `ScimService` with the in-memory provisioner in a plain hyper 1 server, with
//! `ScimService::handle_body` (feature `tower`) reading each body within the configured
//! limit (413 past it).
//!
//! ```sh
//! cargo run -p scim2-core --features tower --example hyper_server   # listens on 127.0.0.1:8080
//! curl -s localhost:8080/scim/v2/ServiceProviderConfig
//! curl -s -X POST localhost:8080/scim/v2/Users -H 'content-type: application/scim+json' \
//!      -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ann"}'
//! ```

use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scim2_core::provisioner::InMemoryProvisioner;
use scim2_core::service::ScimService;
use tokio::net::TcpListener;

/// Hands one request, body unread, to the service.
async fn serve(
    scim: Arc<ScimService>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(scim.handle_body(req).await.map(Full::new))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
    let scim = Arc::new(ScimService::new(Arc::new(InMemoryProvisioner::new())));
    let listener = TcpListener::bind(&addr).await?;
    println!("SCIM service on http://{addr}/scim/v2");
    loop {
        let (stream, _) = listener.accept().await?;
        let scim = scim.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| serve(scim.clone(), req));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await
            {
                eprintln!("connection error: {e}");
            }
        });
    }
}
