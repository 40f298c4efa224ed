//! The bridge's own endpoints beside SCIM and the status page: `/readyz` (no token),
//! `/health`, `/metrics` and `/audit` (a token each).

use super::*;

impl<S: Store> App<S> {
    /// `/metrics`: the Secret Token or the metrics token; the account and group counts
    /// read from the store now, on a blocking thread (the last ones, and a storage
    /// failure counted, when the store fails or does not answer within
    /// [`SCRAPE_STORE_WAIT`]).
    pub(super) async fn metrics(
        &self,
        req: &Request<Incoming>,
        conn: &Activity,
    ) -> Response<Bytes> {
        let by_metrics_token = self
            .metrics_auth
            .as_ref()
            .is_some_and(|m| m.check_headers(req.headers()).is_ok());
        if !by_metrics_token {
            if let Some(resp) = self.refusal(req.headers()) {
                return resp;
            }
        }
        conn.trust();
        if let Some(refused) = get_only(req, "/metrics") {
            return refused;
        }
        let store = self.store.clone();
        let read = tokio::task::spawn_blocking(move || store.read(Counts::read));
        match tokio::time::timeout(SCRAPE_STORE_WAIT, read).await {
            Ok(Ok(Ok(counts))) => {
                self.metrics
                    .set_store_counts(&counts.accounts, counts.groups);
                self.metrics.set_deprovisioning_held(counts.held.0);
            }
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %e, "metrics: the store's counts could not be read");
                if let RuleError::Store(e) = &e {
                    self.metrics.store_error(e);
                }
            }
            Ok(Err(_)) | Err(_) => {
                tracing::warn!("metrics: the store did not answer; serving the last counts");
                self.metrics
                    .store_error(&StoreError::Unavailable(String::new()));
            }
        }
        let mut r = Response::new(Bytes::from(self.metrics.encode()));
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
        );
        r
    }

    /// `/readyz`, with no token (a load balancer's probe often cannot send one, and must
    /// not stop working when the token is rotated): `200 ok` when the store answers (the
    /// check `/health` makes of it; on PostgreSQL, also that no newer bridge upgraded the
    /// database), else `503 unavailable`. The body never says more: the reason is in
    /// `/health`, behind the token. The confirmation watcher does not count: it runs
    /// beside the SCIM service, on one replica, and taking that replica out of the load
    /// balancer would not make it run.
    ///
    /// One probe at a time asks the store, and its verdict serves every probe for
    /// [`READINESS_TTL`]: while the database is unreachable a check waits for a
    /// connection for seconds, and probes arriving meanwhile wait for its verdict
    /// (holding no thread) instead of each holding a blocking thread. A check that has
    /// not answered within [`READINESS_WAIT`] counts as `unavailable`.
    pub(super) async fn ready(&self) -> Response<Bytes> {
        let ok = if self.store.superseded().is_some() {
            // A write that found the database upgraded need not wait for the next check.
            false
        } else {
            let mut state = self.readiness.lock().await;
            match state.verdict {
                Some((at, ok)) if at.elapsed() < READINESS_TTL => ok,
                _ => {
                    let mut check = state.pending.take().unwrap_or_else(|| {
                        let store = self.store.clone();
                        tokio::task::spawn_blocking(move || store.check().is_ok())
                    });
                    let ok = match tokio::time::timeout(READINESS_WAIT, &mut check).await {
                        Ok(joined) => joined.unwrap_or(false),
                        Err(_) => {
                            state.pending = Some(check);
                            false
                        }
                    };
                    state.verdict = Some((Instant::now(), ok));
                    ok
                }
            }
        };
        if ok {
            text(StatusCode::OK, "ok")
        } else {
            text(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }

    /// `GET /audit` (token): a page of the audit trail ([`crate::server::audit`]).
    pub(super) async fn audit(&self, req: &Request<Incoming>, conn: &Activity) -> Response<Bytes> {
        if let Some(resp) = self.refusal(req.headers()) {
            return resp;
        }
        conn.trust();
        if let Some(refused) = get_only(req, "/audit") {
            return refused;
        }
        let query = match crate::server::audit::parse(req.uri().query()) {
            Ok(q) => q,
            Err(e) => return error_response(&e),
        };
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || crate::server::audit::answer(&*store, &query))
            .await
            .unwrap_or_else(|_| {
                error_response(&ScimError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "reading the audit trail failed",
                ))
            })
    }

    pub(super) async fn health(&self, req: &Request<Incoming>, conn: &Activity) -> Response<Bytes> {
        if let Some(resp) = self.refusal(req.headers()) {
            return resp;
        }
        conn.trust();
        let body = self.health.gather(&self.store).await;
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
}

/// `405 Method Not Allowed` with `Allow: GET, HEAD` (RFC 9110 §15.5.6, §9.1) for a
/// request to `path`, a resource only read, that is neither a `GET` nor a `HEAD`.
fn get_only(req: &Request<Incoming>, path: &str) -> Option<Response<Bytes>> {
    if matches!(*req.method(), http::Method::GET | http::Method::HEAD) {
        return None;
    }
    let mut r = error_response(&ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{path} is read with GET"),
    ));
    r.headers_mut()
        .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    Some(r)
}
