//! The status page's HTML: what it shows, what it escapes, its style sheet's hash.

use super::*;
use serde_json::json;

fn report() -> Value {
    json!({
        "status": "healthy",
        "version": "0.1.0",
        "components": {
            "store": {"state": "up", "engine": "sqlite", "checkedAt": "2026-12-01T16:20:00Z",
                      "accounts": {"invited": 2, "active": 5, "pending": 0, "suspended": 1}},
            "confirmationWatcher": {"state": "running", "intervalSeconds": 60,
                "lastRunAt": "2026-12-01T16:19:30Z", "nextRunAt": "2026-12-01T16:20:30Z",
                "lastConfirmed": 0, "totalConfirmed": 3, "lastError": null},
            "scimServer": {"state": "serving", "startedAt": "2026-12-01T10:00:00Z",
                "requests": 42, "tls": false,
                "lastRequest": {"method": "POST", "path": "/scim/v2/Users", "status": 201,
                                "at": "2026-12-01T16:19:41Z"}}
        }
    })
}

const CTX: Context<'static> = Context {
    tenant_url: "https://bridge.example.com/scim/v2",
    rotate_command: "`scim-bridge token rotate`",
    store_argument: "",
};

fn now() -> OffsetDateTime {
    OffsetDateTime::parse("2026-12-01T16:20:01Z", &Rfc3339).unwrap()
}

#[test]
fn escaping_covers_markup_and_quotes() {
    assert_eq!(
        escape(r#"<script>alert("x")</script> & 'y'"#),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
    );
}

#[test]
fn the_page_shows_components_counts_the_last_request_and_the_tenant_url() {
    let html = status_at(&report(), &CTX, Ok(&[]), now());
    for want in [
        "Overall: <span class=\"state healthy\">healthy</span>",
        "<h2>Store</h2>",
        "<h2>Confirmation watcher</h2>",
        "<h2>SCIM server</h2>",
        "<dt>invited</dt><dd>2</dd><dt>pending</dt><dd>0</dd><dt>active</dt><dd>5</dd>\
         <dt>suspended</dt><dd>1</dd>",
        "<code>POST /scim/v2/Users</code> → 201",
        "(20 s ago)",
        "https://bridge.example.com/scim/v2",
        "<code>scim-bridge token rotate</code>",
        "No changes recorded yet.",
        "action=\"/app/sign-out\"",
        "name=\"viewport\"",
    ] {
        assert!(html.contains(want), "missing {want:?} in {html}");
    }
    assert!(!html.contains("Deprovisioning"), "no guard, no section");
    assert!(!html.contains("<script"));
}

#[test]
fn values_from_the_identity_provider_are_escaped() {
    let mut r = report();
    r["components"]["scimServer"]["lastRequest"]["path"] =
        json!("/scim/v2/Users/<script>alert(1)</script>");
    let events = [json!({
        "seq": 1, "at": "2026-12-01T16:20:00.123Z", "requestId": "r1",
        "actor": "token:1a2b3c4d", "action": "user.invited", "resourceType": "User",
        "resourceId": "u1", "resourceName": "<script>alert('owned')</script>@example.com",
        "attributes": ["userName", "<b>"], "member": null
    })];
    let html = status_at(&r, &CTX, Ok(&events), now());
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;@example.com"));
    assert!(html.contains("/scim/v2/Users/&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("<td>user.invited</td>"));
    assert!(html.contains("userName, &lt;b&gt;"));
    assert!(html.contains("token:1a2b3c4d"));
}

#[test]
fn held_deprovisioning_says_how_to_release_it() {
    let mut r = report();
    r["components"]["deprovisioning"] =
        json!({"held": 3, "limit": 10, "windowSeconds": 600, "oldestAt": "2026-12-01T16:00:00Z"});
    let ctx = Context {
        store_argument: " --database-url …",
        ..CTX
    };
    let html = status_at(&r, &ctx, Ok(&[]), now());
    assert!(html.contains("Deprovisioning held"));
    assert!(html.contains("3 suspensions or deletions are held"));
    assert!(html.contains("<code>scim-bridge deprovisioning release --database-url …</code>"));
    assert!(html.contains("<code>scim-bridge deprovisioning discard --database-url …</code>"));
    r["components"]["deprovisioning"]["held"] = json!(0);
    let html = status_at(&r, &CTX, Ok(&[]), now());
    assert!(html.contains("Nothing is held"));
    assert!(!html.contains("deprovisioning release"));
}

#[test]
fn a_store_that_cannot_be_read_and_an_unreadable_audit_trail_are_said() {
    let mut r = report();
    r["status"] = json!("degraded");
    r["components"]["store"] = json!({"state": "down", "engine": "postgresql",
        "checkedAt": "2026-12-01T16:20:00Z", "detail": "connection <refused>"});
    let html = status_at(&r, &CTX, Err("the <table> is locked"), now());
    assert!(html.contains("state degraded"));
    assert!(html.contains("connection &lt;refused&gt;"));
    assert!(html.contains("unknown: the store cannot be read"));
    assert!(html.contains("The audit trail cannot be read: the &lt;table&gt; is locked"));
}

#[test]
fn the_sign_in_form_posts_a_password_and_escapes_its_message() {
    let html = sign_in(Some("<wrong>"));
    assert!(html.contains("method=\"post\" action=\"/app/sign-in\""));
    assert!(html.contains("type=\"password\" id=\"token\" name=\"token\""));
    assert!(html.contains("&lt;wrong&gt;"));
    assert!(!sign_in(None).contains("role=\"alert\""));
}

#[test]
fn the_style_sheet_is_allowed_by_its_hash_only() {
    let csp = content_security_policy();
    assert!(csp.starts_with("default-src 'none'; style-src 'sha256-"));
    assert!(!csp.contains("unsafe"));
    assert!(csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"));
    // The hash is of the text between <style> and </style>, as browsers compute it.
    let html = sign_in(None);
    let start = html.find("<style>").unwrap() + "<style>".len();
    let end = html.find("</style>").unwrap();
    let hash = STANDARD.encode(Sha256::digest(&html.as_bytes()[start..end]));
    assert!(csp.contains(&hash));
}

#[test]
fn times_read_as_durations() {
    let at = |s: &str| relative(s, now()).unwrap();
    assert_eq!(at("2026-12-01T16:20:00Z"), "just now");
    assert_eq!(at("2026-12-01T16:19:01Z"), "60 s ago");
    assert_eq!(at("2026-12-01T16:10:01Z"), "10 min ago");
    assert_eq!(at("2026-12-01T16:21:01Z"), "in 60 s");
    assert_eq!(at("2026-11-28T16:20:01Z"), "3 days ago");
    assert!(relative("yesterday", now()).is_none());
}
