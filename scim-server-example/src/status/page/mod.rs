//! The status page's HTML: the sign-in form, the page itself (from the `/health`
//! report), and the list of audit events. No script, no external asset: one inline style
//! sheet, allowed by its hash in the `Content-Security-Policy`. Every value shown is
//! escaped ([`escape`]): user names come from the identity provider.

use std::fmt::Write;
use std::sync::OnceLock;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The style sheet: one column on a phone, cards side by side on a wider screen, and the
/// system's dark mode followed.
const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f6f7f9;--card:#fff;--line:#d8dde3;--muted:#5b6570;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700}\
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ec;--bg:#111418;--card:#1b2026;--line:#313840;--muted:#9aa4ae;--ok:#4ac26b;--bad:#ff6b6b;--warn:#e3b341}}\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fg);background:var(--bg)}\
header{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--card)}\
header h1{font-size:1.15rem;margin:0}\
main{max-width:64rem;margin:0 auto;padding:1rem}\
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:1rem;margin:0 0 1rem}.grid section{margin:0}\
section{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.75rem 1rem;margin:0 0 1rem;min-width:0}\
h2{font-size:1rem;margin:0 0 .5rem}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .75rem;margin:0}\
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}\
code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}\
.url{display:block;padding:.5rem;border:1px solid var(--line);border-radius:.25rem;user-select:all}\
.state{font-weight:600}.healthy,.up,.running,.serving{color:var(--ok)}.degraded,.down,.failing,.held{color:var(--bad)}.starting,.standby{color:var(--warn)}\
.muted{color:var(--muted)}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;width:100%;font-size:.9rem}\
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}\
th{color:var(--muted);font-weight:600}\
.alert{border-color:var(--bad)}\
.error{color:var(--bad);font-weight:600}\
form.sign-in{display:grid;gap:.5rem;max-width:26rem}\
input[type=password]{font:inherit;padding:.5rem;border:1px solid var(--line);border-radius:.25rem;width:100%;background:var(--bg);color:var(--fg)}\
button{font:inherit;padding:.45rem .9rem;border-radius:.25rem;border:1px solid var(--line);background:var(--bg);color:var(--fg);cursor:pointer}\
button.primary{background:#0b5cd5;border-color:#0b5cd5;color:#fff}\
";

/// The `Content-Security-Policy` of every status-page response: nothing loads from
/// anywhere, no script runs, the one style sheet is allowed by its hash, forms post only
/// to the bridge, and no other site may frame the page.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let hash = STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
        format!(
            "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'"
        )
    })
}

/// `s` made safe for HTML text and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as text to show: strings as they are, `null` as an em dash.
fn text(v: &Value) -> String {
    match v {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A text in which `` `code` `` spans are set as code, the rest escaped.
fn with_code(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{}</code>", escape(part))
            } else {
                escape(part)
            }
        })
        .collect()
}

/// How long ago (or how soon) the RFC 3339 time `at` is from `now`, roughly.
fn relative(at: &str, now: OffsetDateTime) -> Option<String> {
    let t = OffsetDateTime::parse(at, &Rfc3339).ok()?;
    let secs = (now - t).whole_seconds();
    let n = secs.unsigned_abs();
    let amount = match n {
        0..=4 => return Some("just now".to_owned()),
        5..=119 => format!("{n} s"),
        120..=7199 => format!("{} min", n / 60),
        7200..=172_799 => format!("{} h", n / 3600),
        _ => format!("{} days", n / 86_400),
    };
    Some(if secs >= 0 {
        format!("{amount} ago")
    } else {
        format!("in {amount}")
    })
}

/// A time as shown: the timestamp, and how long ago in words.
fn time(v: &Value, now: OffsetDateTime) -> String {
    match v.as_str() {
        Some(at) => match relative(at, now) {
            Some(r) => format!(
                "<time datetime=\"{}\">{}</time> <span class=\"muted\">({})</span>",
                escape(at),
                escape(&at.replacen('T', " ", 1)),
                escape(&r)
            ),
            None => escape(at),
        },
        None => escape(&text(v)),
    }
}

/// A state word, coloured by what it means.
fn state(v: &Value) -> String {
    let s = text(v);
    let class: String = s.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("<span class=\"state {class}\">{}</span>", escape(&s))
}

/// The whole document around `body`.
fn document(title: &str, header: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{}</title><style>{STYLE}</style></head>\
         <body><header><h1>scim-bridge</h1>{header}</header><main>{body}</main></body></html>\n",
        escape(title)
    )
}

/// The sign-in form, with a message above it (why the last attempt failed).
pub fn sign_in(message: Option<&str>) -> String {
    let message = message
        .map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<section><h2>Sign in</h2>{message}\
         <p>Enter the bridge's Secret Token: the one entered in the identity provider \
         (Entra ID: Provisioning &gt; Admin Credentials).</p>\
         <form class=\"sign-in\" method=\"post\" action=\"/app/sign-in\">\
         <label for=\"token\">Secret Token</label>\
         <input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" \
         required autofocus maxlength=\"1024\">\
         <button class=\"primary\" type=\"submit\">Sign in</button></form></section>"
    );
    document("Sign in · scim-bridge", "", &body)
}

/// What the status page shows besides the `/health` report.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// The Tenant URL to enter in the identity provider.
    pub tenant_url: &'a str,
    /// How to rotate the Secret Token (`` `code` `` spans set as code).
    pub rotate_command: &'a str,
    /// What the bridge's subcommands need to reach its store (empty for a data
    /// directory, ` --database-url …` for PostgreSQL).
    pub store_argument: &'a str,
}

/// The sign-out button, in the header of every signed-in page.
const SIGN_OUT: &str = "<form method=\"post\" action=\"/app/sign-out\">\
    <button type=\"submit\">Sign out</button></form>";

/// A `<dl>` of label and already-rendered value pairs.
fn list(rows: &[(&str, String)]) -> String {
    let mut out = String::from("<dl>");
    for (label, value) in rows {
        let _ = write!(out, "<dt>{}</dt><dd>{value}</dd>", escape(label));
    }
    out.push_str("</dl>");
    out
}

/// The signed-in page: `report` is the `/health` body, `audit` the latest audit events
/// (or why they could not be read).
pub fn status(report: &Value, ctx: &Context<'_>, audit: Result<&[Value], &str>) -> String {
    status_at(report, ctx, audit, OffsetDateTime::now_utc())
}

fn status_at(
    report: &Value,
    ctx: &Context<'_>,
    audit: Result<&[Value], &str>,
    now: OffsetDateTime,
) -> String {
    let c = &report["components"];
    let (store, watcher, server) = (&c["store"], &c["confirmationWatcher"], &c["scimServer"]);
    let mut body = String::new();

    let _ = write!(
        body,
        "<section><h2>Overall: {}</h2><p class=\"muted\">Version {} · checked {} · \
         <a href=\"/app\">refresh</a></p></section>",
        state(&report["status"]),
        escape(&text(&report["version"])),
        time(&store["checkedAt"], now),
    );
    body.push_str(&deprovisioning(&c["deprovisioning"], ctx));

    body.push_str("<div class=\"grid\">");
    let mut store_rows = vec![
        ("State", state(&store["state"])),
        ("Engine", escape(&text(&store["engine"]))),
        ("Checked", time(&store["checkedAt"], now)),
    ];
    if !store["detail"].is_null() {
        store_rows.push(("Problem", escape(&text(&store["detail"]))));
    }
    let _ = write!(
        body,
        "<section><h2>Store</h2>{}</section>",
        list(&store_rows)
    );
    let _ = write!(
        body,
        "<section><h2>Confirmation watcher</h2>{}</section>",
        list(&[
            ("State", state(&watcher["state"])),
            ("Last run", time(&watcher["lastRunAt"], now)),
            ("Next run", time(&watcher["nextRunAt"], now)),
            (
                "Every",
                format!("{} s", escape(&text(&watcher["intervalSeconds"]))),
            ),
            (
                "Confirmed",
                format!(
                    "{} last run, {} since start",
                    escape(&text(&watcher["lastConfirmed"])),
                    escape(&text(&watcher["totalConfirmed"]))
                ),
            ),
            ("Last error", escape(&text(&watcher["lastError"]))),
        ])
    );
    let last = &server["lastRequest"];
    let last_request = if last.is_object() {
        format!(
            "<code>{} {}</code> → {}<br>{}",
            escape(&text(&last["method"])),
            escape(&text(&last["path"])),
            escape(&text(&last["status"])),
            time(&last["at"], now)
        )
    } else {
        "<span class=\"muted\">none since the bridge started</span>".to_owned()
    };
    let _ = write!(
        body,
        "<section><h2>SCIM server</h2>{}</section>",
        list(&[
            ("State", state(&server["state"])),
            ("Since", time(&server["startedAt"], now)),
            ("Requests", escape(&text(&server["requests"]))),
            (
                "TLS",
                if server["tls"] == true { "on" } else { "off" }.to_owned(),
            ),
            ("Last SCIM request", last_request),
        ])
    );
    body.push_str(&accounts(&store["accounts"]));
    body.push_str("</div>");

    let _ = write!(
        body,
        "<section><h2>Connect the identity provider</h2>\
         <p>Tenant URL (Entra ID: Provisioning &gt; Admin Credentials &gt; Tenant URL):</p>\
         <code class=\"url\" id=\"tenant-url\">{}</code></section>",
        escape(ctx.tenant_url)
    );

    let _ = write!(
        body,
        "<section><h2>Latest changes</h2>{}<p><a href=\"/app/audit\">All recent changes</a></p>\
         </section>",
        events(audit)
    );

    let _ = write!(
        body,
        "<section><h2>Rotate the Secret Token</h2><p>{}, then paste \
         the new token into the identity provider (Entra ID: Provisioning &gt; Admin \
         Credentials &gt; Secret Token) and press Test Connection. Everyone signed in to \
         this page is signed out.</p></section>",
        with_code(ctx.rotate_command)
    );
    document("Status · scim-bridge", SIGN_OUT, &body)
}

/// The account counts by state, in the order accounts move through them.
fn accounts(counts: &Value) -> String {
    let Some(map) = counts.as_object() else {
        return "<section><h2>Accounts</h2><p class=\"muted\">unknown: the store cannot be \
                read</p></section>"
            .to_owned();
    };
    const ORDER: [&str; 4] = ["invited", "pending", "active", "suspended"];
    let mut rows: Vec<(&str, String)> = ORDER
        .iter()
        .map(|s| (*s, escape(&text(map.get(*s).unwrap_or(&Value::from(0))))))
        .collect();
    for (k, v) in map {
        if !ORDER.contains(&k.as_str()) {
            rows.push((k.as_str(), escape(&text(v))));
        }
    }
    format!("<section><h2>Accounts</h2>{}</section>", list(&rows))
}

/// The deprovisioning guard's section, when the report has one: what is held and the
/// commands that release or discard it.
fn deprovisioning(d: &Value, ctx: &Context<'_>) -> String {
    if !d.is_object() {
        return String::new();
    }
    let held = d["held"].as_u64().unwrap_or(0);
    let limit = if d["limit"].is_null() {
        "the guard is off now (what it held stays held)".to_owned()
    } else {
        format!(
            "more than {} suspensions or deletions within {} s are held",
            escape(&text(&d["limit"])),
            escape(&text(&d["windowSeconds"]))
        )
    };
    let (changes, are) = if held == 1 {
        ("suspension or deletion", "is")
    } else {
        ("suspensions or deletions", "are")
    };
    if held == 0 {
        return format!(
            "<section id=\"deprovisioning\"><h2>Deprovisioning guard</h2><p>On: {limit}. \
             Nothing is held.</p></section>"
        );
    }
    let arg = escape(ctx.store_argument);
    format!(
        "<section id=\"deprovisioning\" class=\"alert\"><h2>Deprovisioning held: \
         <span class=\"state held\">{held}</span></h2>\
         <p>{held} {changes} {are} held, the oldest since {}; {limit}. \
         The users stay as they are until an operator decides.</p>\
         <p>If the identity provider meant them: <code>scim-bridge deprovisioning release{arg}</code><br>\
         If they were a mistake (fix the scoping in the identity provider first): \
         <code>scim-bridge deprovisioning discard{arg}</code></p></section>",
        escape(&text(&d["oldestAt"])),
    )
}

/// A table of audit events (newest first, as given), or why there is none.
fn events(audit: Result<&[Value], &str>) -> String {
    let events = match audit {
        Err(why) => {
            return format!(
                "<p class=\"error\">The audit trail cannot be read: {}</p>",
                escape(why)
            )
        }
        Ok([]) => return "<p class=\"muted\">No changes recorded yet.</p>".to_owned(),
        Ok(events) => events,
    };
    let mut out = String::from(
        "<div class=\"scroll\"><table id=\"audit\"><thead><tr><th>When</th><th>Action</th>\
         <th>Resource</th><th>Changed</th><th>By</th></tr></thead><tbody>",
    );
    for e in events {
        let resource = match (e["resourceName"].as_str(), e["resourceId"].as_str()) {
            (Some(name), _) => name.to_owned(),
            (None, Some(id)) => id.to_owned(),
            (None, None) => String::new(),
        };
        let mut changed: Vec<String> = e["attributes"]
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default();
        if !e["member"].is_null() {
            changed.push(format!("member {}", text(&e["member"])));
        }
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{} <span class=\"muted\">{}</span></td><td>{}</td>\
             <td>{}</td></tr>",
            escape(&text(&e["at"])),
            escape(&text(&e["action"])),
            escape(&resource),
            escape(e["resourceType"].as_str().unwrap_or_default()),
            escape(&changed.join(", ")),
            escape(&text(&e["actor"])),
        );
    }
    out.push_str("</tbody></table></div>");
    out
}

/// The page of recent audit events (`/app/audit`).
pub fn audit(audit: Result<&[Value], &str>, shown: usize) -> String {
    let body = format!(
        "<section><h2>Recent changes</h2><p class=\"muted\"><a href=\"/app\">Back to the \
         status</a> · the latest {shown} at most; query the whole trail with \
         <code>GET /audit</code> and the Secret Token.</p>{}</section>",
        events(audit)
    );
    document("Changes · scim-bridge", SIGN_OUT, &body)
}

/// A short page for an error (a refused form, an unknown address).
pub fn error(title: &str, message: &str) -> String {
    let body = format!(
        "<section><h2>{}</h2><p>{}</p><p><a href=\"/app\">Back to the status page</a></p>\
         </section>",
        escape(title),
        escape(message)
    );
    document(title, "", &body)
}

#[cfg(test)]
mod tests;
