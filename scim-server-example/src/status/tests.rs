//! The status page's routes, in process: sign-in, sessions, sign-out, refused forms.

use http_body_util::Full;
use serde_json::json;

use super::*;
use crate::token::TokenHash;

const TOKEN: &str = "status-page-test-token-0123456789abcdef";

fn get(path: &str, cookie: Option<&str>) -> Request<Full<Bytes>> {
    let mut b = Request::get(path).header(header::HOST, "bridge.test:8443");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Full::new(Bytes::new())).unwrap()
}

fn post(path: &str, body: &str, extra: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut b = Request::post(path)
        .header(header::HOST, "bridge.test:8443")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    for (k, v) in extra {
        b = b.header(*k, *v);
    }
    b.body(Full::new(Bytes::from(body.to_owned()))).unwrap()
}

async fn report() -> Value {
    json!({"status": "healthy", "version": "9.9.9", "components": {}})
}

fn body(r: &Response<Bytes>) -> String {
    String::from_utf8_lossy(r.body()).into_owned()
}

/// The `name=value` of a `Set-Cookie` header.
fn cookie(r: &Response<Bytes>) -> String {
    let v = r.headers()[header::SET_COOKIE].to_str().unwrap();
    v.split(';').next().unwrap().to_owned()
}

fn page() -> StatusPage {
    StatusPage::new(true, Duration::from_secs(5))
        .with_tenant_url("https://bridge.test:8443/scim/v2".to_owned())
}

async fn sign_in(page: &StatusPage, auth: &BearerAuth) -> String {
    let r = page
        .handle(
            post("/app/sign-in", &format!("token={TOKEN}"), &[]),
            auth,
            report,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    cookie(&r)
}

#[tokio::test]
async fn sign_in_shows_the_page_and_sign_out_ends_the_session() {
    let (page, auth) = (page(), BearerAuth::fixed(TOKEN));
    let r = page.handle(get("/app", None), &auth, report).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(&r).contains("action=\"/app/sign-in\""));
    assert!(!body(&r).contains("9.9.9"), "no report before signing in");

    let r = page
        .handle(
            post(
                "/app/sign-in",
                &format!("token=+{TOKEN}%0A"),
                &[
                    ("origin", "https://bridge.test:8443"),
                    ("sec-fetch-site", "same-origin"),
                ],
            ),
            &auth,
            report,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", body(&r));
    assert_eq!(r.headers()[header::LOCATION], "/app");
    let set = r.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(set.contains("; Path=/app; Max-Age=28800; HttpOnly; SameSite=Strict; Secure"));
    assert!(!set.contains(TOKEN));
    let c = cookie(&r);

    let r = page.handle(get("/app", Some(&c)), &auth, report).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(&r).contains("Version 9.9.9"));
    assert!(body(&r).contains("https://bridge.test:8443/scim/v2"));

    let r = page
        .handle(post("/app/sign-out", "", &[("cookie", &c)]), &auth, report)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let r = page.handle(get("/app", Some(&c)), &auth, report).await;
    assert!(
        body(&r).contains("Your session ended"),
        "the replayed cookie is refused"
    );
    assert!(!body(&r).contains("9.9.9"));
}

#[tokio::test]
async fn a_wrong_token_gets_401_and_is_never_echoed() {
    let (page, auth) = (page(), BearerAuth::fixed(TOKEN));
    let wrong = "wrong-token-<script>-0123456789";
    let r = page
        .handle(
            post("/app/sign-in", &format!("token={wrong}"), &[]),
            &auth,
            report,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(body(&r).contains("not the Secret Token of this bridge"));
    assert!(!body(&r).contains("wrong-token"));
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    for missing in ["", "other=1", "token="] {
        let r = page
            .handle(post("/app/sign-in", missing, &[]), &auth, report)
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{missing:?}");
    }
}

#[tokio::test]
async fn forms_from_other_sites_and_other_shapes_are_refused() {
    let (page, auth) = (page(), BearerAuth::fixed(TOKEN));
    let form = format!("token={TOKEN}");
    for headers in [
        &[("origin", "https://evil.test")][..],
        &[("origin", "null"), ("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "cross-site")][..],
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "https://bridge.test:8443"),
        ][..],
    ] {
        let r = page
            .handle(post("/app/sign-in", &form, headers), &auth, report)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{headers:?}");
        assert!(r.headers().get(header::SET_COOKIE).is_none());
    }
    // The page's own form under `Referrer-Policy: no-referrer` says `Origin: null`.
    let r = page
        .handle(
            post(
                "/app/sign-in",
                &form,
                &[("origin", "null"), ("sec-fetch-site", "same-origin")],
            ),
            &auth,
            report,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Signing out from another site ends nothing.
    let c = sign_in(&page, &auth).await;
    let r = page
        .handle(
            post(
                "/app/sign-out",
                "",
                &[("cookie", &c), ("origin", "https://evil.test")],
            ),
            &auth,
            report,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = page.handle(get("/app", Some(&c)), &auth, report).await;
    assert!(body(&r).contains("9.9.9"), "still signed in");

    // The public URL's origin is the page's too (behind a proxy that rewrites Host).
    let behind = page.with_public_url(Some("https://status.example.com/base"));
    let r = behind
        .handle(
            post(
                "/app/sign-in",
                &form,
                &[("origin", "https://status.example.com")],
            ),
            &auth,
            report,
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let json = Request::post("/app/sign-in")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(format!("{{\"token\":\"{TOKEN}\"}}"))))
        .unwrap();
    let r = behind.handle(json, &auth, report).await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let big = format!("token={}", "a".repeat(MAX_FORM_BYTES));
    let r = behind
        .handle(post("/app/sign-in", &big, &[]), &auth, report)
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn rotating_the_token_ends_sessions() {
    let (page, auth) = (page(), BearerAuth::fixed(TOKEN));
    let c = sign_in(&page, &auth).await;
    auth.set_hash(TokenHash::new("a-new-token-after-rotation-0123456789"));
    let r = page.handle(get("/app", Some(&c)), &auth, report).await;
    assert!(body(&r).contains("Your session ended"));
}

#[tokio::test]
async fn routes_redirect_refuse_methods_and_carry_the_security_headers() {
    let (page, auth) = (page(), BearerAuth::fixed(TOKEN));
    for path in ["/", "/app/", "/app/audit"] {
        let r = page.handle(get(path, None), &auth, report).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()[header::LOCATION], "/app");
    }
    let r = page.handle(get("/app/nothing", None), &auth, report).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = page.handle(get("/app/sign-in", None), &auth, report).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()[header::ALLOW], "POST");
    let r = page.handle(post("/app", "", &[]), &auth, report).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    for r in [
        page.handle(get("/app", None), &auth, report).await,
        page.handle(get("/", None), &auth, report).await,
    ] {
        let h = r.headers();
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}

#[tokio::test]
async fn audit_events_come_from_the_feed() {
    let auth = BearerAuth::fixed(TOKEN);
    let feed: AuditFeed = Arc::new(|n| {
        Ok((0..n.min(300))
            .map(|i| {
                json!({"seq": i, "at": "2026-12-01T16:20:00Z", "action": "user.invited",
                             "resourceType": "User", "resourceName": format!("user{i}@example.com"),
                             "attributes": ["userName"], "member": null, "actor": "token:1a2b3c4d"})
            })
            .collect())
    });
    let page = page().with_audit_feed(feed);
    let c = sign_in(&page, &auth).await;
    let r = page.handle(get("/app", Some(&c)), &auth, report).await;
    let html = body(&r);
    assert!(html.contains("user9@example.com") && !html.contains("user10@example.com"));
    assert!(html.contains("href=\"/app/audit\""));
    let r = page
        .handle(get("/app/audit", Some(&c)), &auth, report)
        .await;
    let html = body(&r);
    assert!(html.contains("user199@example.com") && !html.contains("user200@example.com"));

    let failing = self::page().with_audit_feed(Arc::new(|_| Err("no table".to_owned())));
    let c = sign_in(&failing, &auth).await;
    let r = failing.handle(get("/app", Some(&c)), &auth, report).await;
    assert!(body(&r).contains("The audit trail cannot be read: no table"));
}
