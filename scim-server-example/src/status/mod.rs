//! The status page at `/app`: what an operator sees in a browser, signed in with the
//! Secret Token. `/` redirects to it.
//!
//! - `GET /app`: the sign-in form, or (signed in) the page: the `/health` report
//!   (overall state, components, account counts, the last SCIM request, held
//!   deprovisioning), the Tenant URL, the latest audit events and how to rotate the token.
//! - `POST /app/sign-in` (a form with the token; never in the URL): a session cookie and
//!   `303` to `/app`, or `401` with the form again.
//! - `POST /app/sign-out`: ends the session here (its cookie no longer works, even
//!   replayed) and clears the cookie.
//! - `GET /app/audit`: more audit events.
//!
//! Sessions ([`session`]) live in this process's memory. Every response forbids caching,
//! scripts, external loads and framing ([`secure`]). A form is refused when a browser
//! says another site sent it (`Sec-Fetch-Site`, `Origin`), beside the `SameSite=Strict`
//! cookie. The HTML is built in [`page`].

mod page;
mod session;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;

use crate::token::BearerAuth;

/// Where the audit trail's latest events come from: called on the blocking pool with how
/// many are wanted, answering them newest first (each shaped like a `GET /audit` entry:
/// `at`, `action`, `resourceType`, `resourceId`, `resourceName`, `attributes`,
/// `member`, `actor`), or why they cannot be read.
pub type AuditFeed = Arc<dyn Fn(usize) -> Result<Vec<Value>, String> + Send + Sync>;

/// Audit events on the page itself.
const PAGE_EVENTS: usize = 10;
/// Audit events on `/app/audit`.
const MORE_EVENTS: usize = 200;
/// Largest sign-in form body: a token is at most 1 KiB.
const MAX_FORM_BYTES: usize = 4096;

/// Whether `path` is the status page's (or `/`, which redirects to it).
pub fn serves(path: &str) -> bool {
    path == "/" || path == "/app" || path.starts_with("/app/")
}

/// The status page's settings and sessions.
pub struct StatusPage {
    sessions: session::Sessions,
    /// Whether the bridge serves TLS (the cookie is then `Secure`).
    secure: bool,
    /// How long the sign-in form's body may take to arrive.
    body_timeout: Duration,
    tenant_url: String,
    rotate_command: String,
    store_argument: String,
    /// The origin of `--public-url`, also accepted as a form's `Origin`.
    public_origin: Option<String>,
    audit: Option<AuditFeed>,
}

impl std::fmt::Debug for StatusPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPage")
            .field("secure", &self.secure)
            .field("tenant_url", &self.tenant_url)
            .field("audit", &self.audit.is_some())
            .finish_non_exhaustive()
    }
}

impl StatusPage {
    /// A status page for a bridge that serves TLS or not, reading sign-in forms within
    /// `body_timeout`; it knows no Tenant URL and no audit trail until told.
    pub fn new(secure: bool, body_timeout: Duration) -> Self {
        StatusPage {
            sessions: session::Sessions::default(),
            secure,
            body_timeout,
            tenant_url: String::new(),
            rotate_command: "Run `scim-bridge token rotate` on the bridge's host".to_owned(),
            store_argument: String::new(),
            public_origin: None,
            audit: None,
        }
    }

    /// The Tenant URL to show.
    pub fn with_tenant_url(mut self, url: String) -> Self {
        self.tenant_url = url;
        self
    }

    /// How to rotate the token, a sentence (`` `code` `` spans are set as code).
    pub fn with_rotate_command(mut self, text: &str) -> Self {
        self.rotate_command = text.to_owned();
        self
    }

    /// Whether the store is a PostgreSQL database: the subcommands shown then take
    /// `--database-url`.
    pub fn with_database(mut self, database: bool) -> Self {
        self.store_argument = if database {
            " --database-url …".to_owned()
        } else {
            String::new()
        };
        self
    }

    /// The `--public-url` the bridge is reached at, if any: its origin is the page's.
    pub fn with_public_url(mut self, url: Option<&str>) -> Self {
        self.public_origin = url.and_then(|u| {
            let (scheme, rest) = u.split_once("://")?;
            let authority = rest.split(['/', '?', '#']).next()?;
            Some(format!("{scheme}://{authority}"))
        });
        self
    }

    /// Where the latest audit events come from (none are shown without one).
    pub fn with_audit_feed(mut self, feed: AuditFeed) -> Self {
        self.audit = Some(feed);
        self
    }

    /// Answers a request for a path [`serves`] accepts; `report` gathers the `/health`
    /// report, asked only for a signed-in page.
    pub async fn handle<B, F, Fut>(
        &self,
        req: Request<B>,
        auth: &BearerAuth,
        report: F,
    ) -> Response<Bytes>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Value>,
    {
        let read = matches!(*req.method(), Method::GET | Method::HEAD);
        let post = *req.method() == Method::POST;
        let resp = match req.uri().path() {
            "/" | "/app/" if read => redirect(),
            "/app" if read => self.page(req.headers(), auth, report).await,
            "/app/audit" if read => self.more(req.headers(), auth).await,
            "/app/sign-in" if post => self.sign_in(req, auth).await,
            "/app/sign-out" if post => self.sign_out(req.headers()),
            "/" | "/app/" | "/app" | "/app/audit" => not_allowed("GET, HEAD"),
            "/app/sign-in" | "/app/sign-out" => not_allowed("POST"),
            _ => html(
                StatusCode::NOT_FOUND,
                page::error("Not found", "The status page has no such address."),
            ),
        };
        secure(resp)
    }

    /// Whether the request carries a session that is live under the current token.
    fn signed_in(&self, headers: &HeaderMap, auth: &BearerAuth) -> bool {
        let ids = session::ids(headers);
        if ids.is_empty() {
            return false;
        }
        let token = auth.fingerprint();
        ids.into_iter().any(|id| self.sessions.check(id, token))
    }

    /// `GET /app`: the page, or the sign-in form (saying the session ended, if the
    /// request carried one that did, and clearing its cookie).
    async fn page<F, Fut>(
        &self,
        headers: &HeaderMap,
        auth: &BearerAuth,
        report: F,
    ) -> Response<Bytes>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Value>,
    {
        if !self.signed_in(headers, auth) {
            if session::ids(headers).is_empty() {
                return html(StatusCode::OK, page::sign_in(None));
            }
            let mut r = html(
                StatusCode::OK,
                page::sign_in(Some("Your session ended; sign in again.")),
            );
            self.set_cookie(&mut r, session::clear_cookie(self.secure));
            return r;
        }
        let report = report().await;
        let events = self.events(PAGE_EVENTS).await;
        let ctx = page::Context {
            tenant_url: &self.tenant_url,
            rotate_command: &self.rotate_command,
            store_argument: &self.store_argument,
        };
        let body = page::status(&report, &ctx, events.as_deref().map_err(String::as_str));
        html(StatusCode::OK, body)
    }

    /// `GET /app/audit`: more audit events, or back to `/app` to sign in.
    async fn more(&self, headers: &HeaderMap, auth: &BearerAuth) -> Response<Bytes> {
        if !self.signed_in(headers, auth) {
            return redirect();
        }
        let events = self.events(MORE_EVENTS).await;
        html(
            StatusCode::OK,
            page::audit(events.as_deref().map_err(String::as_str), MORE_EVENTS),
        )
    }

    /// The latest `n` audit events, read on the blocking pool.
    async fn events(&self, n: usize) -> Result<Vec<Value>, String> {
        let Some(feed) = self.audit.clone() else {
            return Ok(Vec::new());
        };
        tokio::task::spawn_blocking(move || feed(n))
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
    }

    /// `POST /app/sign-in`: checks the form's token; a new session on success.
    async fn sign_in<B>(&self, req: Request<B>, auth: &BearerAuth) -> Response<Bytes>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        if let Some(refusal) = self.refuse_form(req.headers()) {
            return refusal;
        }
        let (parts, body) = req.into_parts();
        let bytes = match self.read_form(&parts.headers, body).await {
            Ok(b) => b,
            Err((status, title, message)) => return html(status, page::error(title, message)),
        };
        let token = form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default();
        if !auth.verify_token(&token) {
            tracing::warn!("status page: sign-in refused (not the Secret Token)");
            return html(
                StatusCode::UNAUTHORIZED,
                page::sign_in(Some(
                    "That is not the Secret Token of this bridge. Sign in with the token the \
                     identity provider uses.",
                )),
            );
        }
        for old in session::ids(&parts.headers) {
            self.sessions.end(old);
        }
        let Some(id) = self.sessions.start(auth.fingerprint()) else {
            return html(
                StatusCode::INTERNAL_SERVER_ERROR,
                page::error(
                    "Cannot sign in",
                    "The operating system's random number generator failed; try again.",
                ),
            );
        };
        tracing::info!("status page: signed in");
        let mut r = redirect();
        self.set_cookie(
            &mut r,
            session::set_cookie(&id, self.sessions.lifetime(), self.secure),
        );
        r
    }

    /// `POST /app/sign-out`: ends the request's sessions here and clears the cookie.
    fn sign_out(&self, headers: &HeaderMap) -> Response<Bytes> {
        if let Some(refusal) = self.refuse_form(headers) {
            return refusal;
        }
        for id in session::ids(headers) {
            self.sessions.end(id);
        }
        tracing::info!("status page: signed out");
        let mut r = redirect();
        self.set_cookie(&mut r, session::clear_cookie(self.secure));
        r
    }

    fn set_cookie(&self, r: &mut Response<Bytes>, cookie: String) {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
    }

    /// The refusal of a form another site made the browser send (`403`), or of one that
    /// is not `application/x-www-form-urlencoded` (`415`); `None` for a form to read.
    fn refuse_form(&self, headers: &HeaderMap) -> Option<Response<Bytes>> {
        if !self.same_origin(headers) {
            tracing::warn!("status page: form refused (sent from another site)");
            return Some(html(
                StatusCode::FORBIDDEN,
                page::error(
                    "Refused",
                    "This form was not sent from the status page itself.",
                ),
            ));
        }
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !form {
            return Some(html(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                page::error(
                    "Unsupported form",
                    "Send the form as application/x-www-form-urlencoded.",
                ),
            ));
        }
        None
    }

    /// Whether a form comes from the page itself, as far as the browser says: a
    /// `Sec-Fetch-Site` other than `same-origin`, or an `Origin` that is neither the
    /// address the request was sent to nor `--public-url`'s, is another site's. A
    /// client that sends neither (not a browser, or an old one) is let through: the
    /// cookie is `SameSite=Strict`, and signing in needs the token anyway. So is
    /// `Origin: null`, which is what a browser sends for the page's own forms under its
    /// `Referrer-Policy: no-referrer` (the Fetch standard's "append a request `Origin`
    /// header"); a browser that sends `Sec-Fetch-Site` has said which site it is.
    fn same_origin(&self, headers: &HeaderMap) -> bool {
        if let Some(site) = headers.get("sec-fetch-site") {
            if site.as_bytes() != b"same-origin" {
                return false;
            }
        }
        let origin = match headers.get(header::ORIGIN).map(|o| o.to_str()) {
            None => return true,
            Some(Ok("null")) => return true,
            Some(Ok(o)) => o,
            Some(Err(_)) => return false,
        };
        if self
            .public_origin
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(origin))
        {
            return true;
        }
        let authority = origin.split_once("://").map(|(_, a)| a);
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
    }

    /// The form's body, at most [`MAX_FORM_BYTES`], within the body timeout; or the
    /// status, title and message of the page that says why not.
    async fn read_form<B>(&self, headers: &HeaderMap, body: B) -> Result<Bytes, Unread>
    where
        B: hyper::body::Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        const TOO_LARGE: Unread = (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Form too large",
            "The sign-in form is larger than it can be.",
        );
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_FORM_BYTES as u64) {
            return Err(TOO_LARGE);
        }
        let read = http_body_util::Limited::new(body, MAX_FORM_BYTES).collect();
        match tokio::time::timeout(self.body_timeout, read).await {
            Ok(Ok(collected)) => Ok(collected.to_bytes()),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(TOO_LARGE),
            Ok(Err(_)) => Err((
                StatusCode::BAD_REQUEST,
                "Unreadable form",
                "The form could not be read.",
            )),
            Err(_) => Err((
                StatusCode::REQUEST_TIMEOUT,
                "Too slow",
                "The form took too long to arrive.",
            )),
        }
    }
}

/// Why a form's body was not read: the status, and the title and message of the page.
type Unread = (StatusCode, &'static str, &'static str);

/// An HTML response.
fn html(status: StatusCode, body: String) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// `303 See Other` to `/app` (RFC 9110 §15.4.4: the browser follows with a `GET`).
fn redirect() -> Response<Bytes> {
    let mut r = Response::new(Bytes::new());
    *r.status_mut() = StatusCode::SEE_OTHER;
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/app"));
    r
}

/// `405 Method Not Allowed` with the methods that are (RFC 9110 §15.5.6).
fn not_allowed(allow: &'static str) -> Response<Bytes> {
    let mut r = html(
        StatusCode::METHOD_NOT_ALLOWED,
        page::error("Not allowed", "This address does not take that method."),
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

/// The headers every status-page response carries: never cached (it shows a live
/// state, and a session's page must not outlive it), no script, no external load, no
/// framing, no content sniffing, no `Referer` sent from it.
fn secure(mut r: Response<Bytes>) -> Response<Bytes> {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(page::content_security_policy()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    r
}

#[cfg(test)]
mod tests;
