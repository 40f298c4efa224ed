//! The status page over HTTP, against the real binary (no browser; tests/browser.rs
//! drives it in Chromium): `/` redirects, the sign-in form, a refused token, the session
//! cookie and its attributes, the page, sign-out ending the session for good, and the
//! security headers on every answer.

mod common;

use std::time::Duration;

use common::{Bridge, TOKEN};
use serde_json::json;

/// One answer: status, headers (lower-case names, every value), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request that follows no redirect.
fn send(
    bridge: &Bridge,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: Option<&str>,
) -> Answer {
    let agent = ureq::AgentBuilder::new()
        .redirects(0)
        .timeout(Duration::from_secs(30))
        .build();
    let mut req = agent.request(method, &format!("{}{path}", bridge.url));
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match form {
        Some(f) => req
            .set("Content-Type", "application/x-www-form-urlencoded")
            .send_string(f),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: {e}"),
    };
    let status = resp.status();
    let headers = resp
        .headers_names()
        .into_iter()
        .flat_map(|n| {
            resp.all(&n)
                .into_iter()
                .map(|v| (n.to_ascii_lowercase(), v.to_owned()))
                .collect::<Vec<_>>()
        })
        .collect();
    let body = resp.into_string().unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}

/// The security headers every status-page answer carries.
fn assert_secured(a: &Answer, what: &str) {
    assert_eq!(a.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(
        a.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(a.header("referrer-policy"), Some("no-referrer"), "{what}");
    let csp = a.header("content-security-policy").unwrap_or_default();
    for part in [
        "default-src 'none'",
        "style-src 'sha256-",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    if let Some(location) = a.header("location") {
        assert!(!location.contains(TOKEN), "{what}: the token in a Location");
    }
}

/// Signs in with `token`; the answer.
fn sign_in(bridge: &Bridge, token: &str) -> Answer {
    let origin = bridge.url.clone();
    send(
        bridge,
        "POST",
        "/app/sign-in",
        &[("Origin", &origin), ("Sec-Fetch-Site", "same-origin")],
        Some(&format!("token={token}")),
    )
}

/// The `name=value` part of the session cookie an answer sets.
fn session_cookie(a: &Answer) -> String {
    let set = a.header("set-cookie").expect("a Set-Cookie header");
    set.split(';').next().unwrap().trim().to_owned()
}

#[test]
fn sign_in_page_and_sign_out_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);

    let root = send(&b, "GET", "/", &[], None);
    assert_eq!(root.status, 303);
    assert_eq!(root.header("location"), Some("/app"));
    assert_secured(&root, "/");

    let form = send(&b, "GET", "/app", &[], None);
    assert_eq!(form.status, 200);
    assert!(form
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert!(form
        .body
        .contains("<form class=\"sign-in\" method=\"post\" action=\"/app/sign-in\">"));
    assert!(form.body.contains("type=\"password\""));
    assert!(form.body.contains("name=\"viewport\""));
    assert!(!form.body.contains("<script"), "no script on the page");
    assert!(
        !form.body.contains("http://") && !form.body.contains("https://"),
        "no external asset"
    );
    assert_secured(&form, "the sign-in form");

    let wrong = sign_in(&b, "not-the-token-0123456789abcdef0123456789");
    assert_eq!(wrong.status, 401);
    assert!(wrong.header("set-cookie").is_none());
    assert!(wrong.body.contains("not the Secret Token of this bridge"));
    assert!(
        !wrong.body.contains("not-the-token"),
        "the typed token is not echoed"
    );
    assert_secured(&wrong, "a refused sign-in");

    // A provisioning request, and a read whose query must never be kept.
    let (status, user) = b.call(
        "POST",
        "/scim/v2/Users",
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": "<script>alert(1)</script>@example.com", "active": true}),
        ),
    );
    assert_eq!(status, 201, "{user}");

    let ok = sign_in(&b, TOKEN);
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.header("location"), Some("/app"));
    assert_secured(&ok, "a sign-in");
    let set = ok.header("set-cookie").unwrap();
    for attr in ["Path=/app", "Max-Age=28800", "HttpOnly", "SameSite=Strict"] {
        assert!(set.split("; ").any(|a| a == attr), "{attr} in {set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: no Secure attribute");
    assert!(!set.contains(TOKEN));
    let cookie = session_cookie(&ok);
    let id = cookie.trim_start_matches("scim_bridge_session=");
    assert!(id.len() >= 43, "at least 256 bits, base64url: {id}");

    let page = send(&b, "GET", "/app", &[("Cookie", &cookie)], None);
    assert_eq!(page.status, 200);
    assert_secured(&page, "the page");
    for want in [
        "<h2>Store</h2>",
        "<h2>Confirmation watcher</h2>",
        "<h2>SCIM server</h2>",
        "<h2>Accounts</h2>",
        "<dt>invited</dt><dd>1</dd>",
        "<code>POST /scim/v2/Users</code> → 201",
        &format!("{}/scim/v2", b.url),
        // The test's token is supplied (SCIM_BRIDGE_TOKEN): the page says where to change it.
        "The token comes from the SCIM_BRIDGE_TOKEN environment variable: change it there",
        "action=\"/app/sign-out\"",
    ] {
        assert!(page.body.contains(want), "missing {want:?}");
    }
    assert!(!page.body.contains(TOKEN));

    let (status, _) = b.call(
        "GET",
        "/scim/v2/Users?filter=userName+eq+%22secret-person%40example.com%22",
        None,
    );
    assert_eq!(status, 200);
    let page = send(&b, "GET", "/app", &[("Cookie", &cookie)], None);
    assert!(page.body.contains("<code>GET /scim/v2/Users</code> → 200"));
    assert!(
        !page.body.contains("secret-person"),
        "the query is never kept"
    );
    let (_, health) = b.call("GET", "/health", None);
    assert_eq!(
        health["components"]["scimServer"]["lastRequest"]["path"],
        "/scim/v2/Users"
    );

    let out = send(
        &b,
        "POST",
        "/app/sign-out",
        &[("Cookie", &cookie), ("Origin", &b.url.clone())],
        Some(""),
    );
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), Some("/app"));
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_secured(&out, "a sign-out");

    // The cookie, replayed, opens nothing.
    let replayed = send(&b, "GET", "/app", &[("Cookie", &cookie)], None);
    assert_eq!(replayed.status, 200);
    assert!(replayed.body.contains("Your session ended; sign in again."));
    assert!(replayed.body.contains("action=\"/app/sign-in\""));
    assert!(!replayed.body.contains("<h2>Store</h2>"));
    let more = send(&b, "GET", "/app/audit", &[("Cookie", &cookie)], None);
    assert_eq!(more.status, 303, "back to the sign-in form");
}

#[test]
fn forms_from_another_site_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    let form = format!("token={TOKEN}");
    for headers in [
        &[("Origin", "https://attacker.example")][..],
        &[("Sec-Fetch-Site", "cross-site")][..],
    ] {
        let a = send(&b, "POST", "/app/sign-in", headers, Some(&form));
        assert_eq!(a.status, 403, "{headers:?}");
        assert!(a.header("set-cookie").is_none());
    }
    let ok = sign_in(&b, TOKEN);
    let cookie = session_cookie(&ok);
    let a = send(
        &b,
        "POST",
        "/app/sign-out",
        &[("Cookie", &cookie), ("Origin", "https://attacker.example")],
        Some(""),
    );
    assert_eq!(a.status, 403);
    let page = send(&b, "GET", "/app", &[("Cookie", &cookie)], None);
    assert!(page.body.contains("<h2>Store</h2>"), "still signed in");

    // The token is never taken from the URL.
    let a = send(&b, "GET", &format!("/app?token={TOKEN}"), &[], None);
    assert!(a.header("set-cookie").is_none());
    assert!(a.body.contains("action=\"/app/sign-in\""));
    let a = send(
        &b,
        "POST",
        &format!("/app/sign-in?token={TOKEN}"),
        &[],
        Some(""),
    );
    assert_eq!(a.status, 401);
}

/// The token a `token rotate` printed.
fn rotated_token(bridge: &Bridge) -> String {
    let (ok, out) = bridge.subcommand(&["token", "rotate"]);
    assert!(ok, "{out}");
    out.lines()
        .find(|l| l.starts_with("  ") && !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .unwrap_or_else(|| panic!("a token in {out}"))
}

#[test]
fn rotating_the_token_ends_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start_with_own_token(dir.path(), &[]);
    let first = rotated_token(&b);
    // The bridge reads the token file again within a second.
    let cookie = wait_until(|| {
        let a = sign_in(&b, &first);
        (a.status == 303).then(|| session_cookie(&a))
    });
    let page = send(&b, "GET", "/app", &[("Cookie", &cookie)], None);
    assert!(page.body.contains("<h2>Store</h2>"));

    let second = rotated_token(&b);
    assert_ne!(first, second);
    wait_until(|| {
        let page = send(&b, "GET", "/app", &[("Cookie", &cookie)], None);
        page.body.contains("Your session ended").then_some(())
    });
    assert_eq!(
        sign_in(&b, &first).status,
        401,
        "the old token signs in no more"
    );
    assert_eq!(sign_in(&b, &second).status, 303);
}

/// Polls `f` until it gives a value (at most 30 s).
fn wait_until<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let mut found = None;
    assert!(
        common::eventually(30, || {
            found = f();
            found.is_some()
        }),
        "timed out"
    );
    found.unwrap()
}

/// Held deprovisioning is on the page, with the commands that release or discard it, and
/// in `/health`; the page's latest changes come from the audit trail.
#[test]
fn held_deprovisioning_and_the_audit_trail_are_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    // A limit of 0: every suspension is held.
    let bridge = Bridge::start(dir.path(), &["--deprovision-limit", "0"]);
    let (status, v) = bridge.call(
        "POST",
        "/scim/v2/Users",
        Some(&json!({"userName": "held@example.com"})),
    );
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (status, _) = bridge.call("DELETE", &format!("/scim/v2/Users/{id}"), None);
    assert_eq!(status, 204);
    let (_, health) = bridge.call("GET", "/health", None);
    let d = &health["components"]["deprovisioning"];
    assert_eq!(
        (d["state"].as_str(), d["held"].as_u64()),
        (Some("holding"), Some(1)),
        "{health}"
    );
    // A refused sign-in counts as an authentication failure.
    assert_eq!(
        sign_in(&bridge, "not-the-token-0123456789abcdef0123").status,
        401
    );
    let (_, metrics) = bridge.call("GET", "/metrics", None);
    assert!(
        metrics
            .as_str()
            .is_some_and(|m| m.lines().any(|l| l == "scim_bridge_auth_failures_total 1")),
        "{metrics}"
    );
    let cookie = session_cookie(&sign_in(&bridge, TOKEN));
    let page = send(&bridge, "GET", "/app", &[("Cookie", &cookie)], None);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("scim-bridge deprovisioning release"),
        "{}",
        page.body
    );
    assert!(page.body.contains("deprovisioning.held"), "{}", page.body);
    assert!(page.body.contains("held@example.com"), "{}", page.body);
}
