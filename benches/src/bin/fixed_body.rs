//! The machine's limit for the load test: a minimal hyper server answering every request
//! with one fixed body, as large as the bridge's answer to an Entra ID lookup.
//!
//! `fixed-body ADDR BYTES`

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3299".to_owned());
    let size: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(700);
    let body = Bytes::from(vec![b'x'; size]);
    let body = Arc::new(body);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("fixed-body listening on http://{addr} ({size} bytes)");
        loop {
            let (stream, _) = listener.accept().await?;
            let body = body.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |_req| {
                    let body = (*body).clone();
                    async move {
                        let mut r = Response::new(Full::new(body));
                        r.headers_mut()
                            .insert("content-type", "application/scim+json".parse().unwrap());
                        Ok::<_, Infallible>(r)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    })
}
