//! The status page in a real browser: Debian's `chromium`, headless, driven over the
//! Chrome DevTools Protocol (a WebSocket to the browser, JSON messages) from this test.
//! It types the Secret Token into the form and clicks Sign in, reads the page, provisions
//! a user and sees it on the page, saves screenshots under `target/` for people
//! (`status-page.png`, `status-page-phone.png`), signs out, and sees the sign-in form
//! again.
//!
//! Without chromium the test says it was skipped, unless `SCIM_BRIDGE_REQUIRE_BROWSER=1`
//! (set by `.ci/run`), when it fails. `SCIM_BRIDGE_CHROMIUM` names another binary.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use common::{Bridge, TOKEN};
use serde_json::{json, Value};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// How long any one wait in this test may take before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// The chromium binary: `SCIM_BRIDGE_CHROMIUM`, else `chromium` or `chromium-browser` on
/// the `PATH`.
fn chromium_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("SCIM_BRIDGE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|p| p.is_file())
}

/// Polls `f` until it gives a value, failing with `what` after [`DEADLINE`].
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A headless chromium and one page (tab) in it, killed when dropped.
struct Browser {
    child: Child,
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
    /// The page's DevTools session.
    session: String,
    next_id: u64,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts `binary` headless on a fresh profile, listening for DevTools on an
    /// ephemeral port of 127.0.0.1, and opens a blank page.
    fn start(binary: &Path) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(profile.path().join("chromium.log")).unwrap();
        let child = Command::new(binary)
            .arg("--headless")
            // As root (CI), chromium refuses to start with its sandbox.
            .arg("--no-sandbox")
            .arg("--disable-gpu")
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .args([
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1100,1400",
                "about:blank",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start chromium");
        // Chromium writes its port and the browser's WebSocket path once it listens.
        let active = profile.path().join("DevToolsActivePort");
        let endpoint = wait_for("chromium's DevToolsActivePort", || {
            let text = std::fs::read_to_string(&active).ok()?;
            let mut lines = text.lines();
            let (port, path) = (lines.next()?, lines.next()?);
            Some(format!("ws://127.0.0.1:{port}{path}"))
        });
        let (ws, _) = tungstenite::connect(endpoint.as_str()).expect("connect to DevTools");
        if let MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(DEADLINE)).unwrap();
        }
        let mut browser = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            profile,
        };
        let target = browser.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        browser.call("Page.enable", json!({}));
        browser.call("Network.enable", json!({}));
        browser
    }

    /// Sends a command (to the page's session, if `session`) and returns its result,
    /// skipping the events that arrive meanwhile.
    fn send(&mut self, method: &str, params: Value, session: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if session {
            msg["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .expect("send to DevTools");
        loop {
            let Message::Text(text) = self.ws.read().expect("read from DevTools") else {
                continue;
            };
            let v: Value = serde_json::from_str(text.as_str()).unwrap();
            if v["id"] == id {
                assert!(v["error"].is_null(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
        }
    }

    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, false)
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, true)
    }

    /// Evaluates `expr` in the page (through DevTools: the page itself runs no script,
    /// and its policy allows none) and returns its value.
    fn eval(&mut self, expr: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "returnByValue": true}),
        );
        assert!(r["exceptionDetails"].is_null(), "{expr}: {r}");
        r["result"]["value"].clone()
    }

    /// The page's visible text.
    fn text(&mut self) -> String {
        self.eval("document.body ? document.body.innerText : ''")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the page's visible text contains `want`; returns the text.
    fn wait_for_text(&mut self, want: &str) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let ready = self.eval("document.readyState") == "complete";
            let text = self.text();
            if ready && text.contains(want) {
                return text;
            }
            let url = self.eval("location.href");
            assert!(
                Instant::now() < deadline,
                "timed out waiting for the page to show {want:?}; at {url} it shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Goes to `url` and waits until its document has loaded.
    fn navigate(&mut self, url: &str) {
        self.mark_document();
        self.call("Page.navigate", json!({"url": url}));
        self.wait_for_new_document();
    }

    /// Clicks the button `selector`, which sends a form, and waits until the document
    /// it leads to has loaded.
    fn submit(&mut self, selector: &str) {
        self.mark_document();
        self.click(selector);
        self.wait_for_new_document();
    }

    /// Marks the current document, so that [`Browser::wait_for_new_document`] can tell
    /// the next one from it (a page that has not begun to change is "complete" too).
    fn mark_document(&mut self) {
        self.eval("window.scimBridgeTestOldDocument = true");
    }

    fn wait_for_new_document(&mut self) {
        wait_for("the next document to load", || {
            let loaded = self.eval(
                "window.scimBridgeTestOldDocument === undefined && document.readyState === 'complete'",
            );
            (loaded == true).then_some(())
        });
    }

    /// Clicks the middle of the element `selector`, as a person would with a mouse.
    fn click(&mut self, selector: &str) {
        let rect = self.eval(&format!(
            "(() => {{ const r = document.querySelector({selector:?}).getBoundingClientRect(); \
             return {{x: r.x + r.width / 2, y: r.y + r.height / 2}}; }})()"
        ));
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": rect["x"], "y": rect["y"], "button": "left",
                       "clickCount": 1}),
            );
        }
    }

    /// Types `text` into the focused field, as a keyboard would.
    fn type_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
    }

    /// The browser's cookies for `url` (HttpOnly ones included).
    fn cookies(&mut self, url: &str) -> Vec<Value> {
        let r = self.call("Network.getCookies", json!({"urls": [url]}));
        r["cookies"].as_array().cloned().unwrap_or_default()
    }

    /// Saves a PNG of the whole page at `path`.
    fn screenshot(&mut self, path: &Path) {
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": true}),
        );
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.send(Message::text(
            json!({"id": 0, "method": "Browser.close"}).to_string(),
        ));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.profile.path().join("chromium.log");
            eprintln!(
                "chromium's log:\n{}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
    }
}

/// A line on the process's standard error, past the test harness's capture (which
/// shows `eprintln!` only for failing tests): a skip, or where the screenshots are,
/// must be visible in a passing run.
fn say(line: &str) {
    // Best effort: a closed standard error must not fail the test.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{line}\n").as_bytes());
}

/// Where screenshots go: the workspace's `target/` (beside `target/tmp`).
fn screenshot_path(name: &str) -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join(name)
}

/// The page's latest changes (from the audit trail) show the `user.invited` event of
/// `user_name`.
fn assert_audit_event_shown(browser: &mut Browser, user_name: &str) {
    let rows = browser
        .eval("Array.from(document.querySelectorAll('#audit tbody tr')).map(r => r.innerText)");
    let rows: Vec<String> = rows
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        rows.iter()
            .any(|r| r.contains("user.invited") && r.contains(user_name)),
        "a user.invited row for {user_name} in {rows:?}"
    );
}

#[test]
fn status_page_in_a_real_browser() {
    let Some(binary) = chromium_binary() else {
        let required =
            std::env::var_os("SCIM_BRIDGE_REQUIRE_BROWSER").is_some_and(|v| !v.is_empty());
        assert!(
            !required,
            "SCIM_BRIDGE_REQUIRE_BROWSER is set but no chromium was found: install it \
             (apt-get install chromium) or name it in SCIM_BRIDGE_CHROMIUM"
        );
        say(
            "skipped: status_page_in_a_real_browser: chromium not installed (apt-get install \
             chromium; SCIM_BRIDGE_REQUIRE_BROWSER=1 makes this a failure)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bridge = Bridge::start(dir.path(), &[]);
    let mut browser = Browser::start(&binary);

    // `/` leads to the sign-in form.
    browser.navigate(&format!("{}/", bridge.url));
    browser.wait_for_text("Enter the bridge's Secret Token");
    assert_eq!(
        browser.eval("location.pathname"),
        "/app",
        "/ redirected to /app"
    );

    // A wrong token: refused, the form again, the typed token not shown.
    browser.click("#token");
    browser.type_text("not-the-secret-token-0123456789abcdef");
    browser.submit("button[type=submit]");
    browser.wait_for_text("not the Secret Token of this bridge");
    assert!(!browser.text().contains("not-the-secret-token"));
    assert!(browser.cookies(&bridge.url).is_empty());

    // The right token, typed and submitted.
    browser.click("#token");
    browser.type_text(TOKEN);
    browser.submit("button[type=submit]");
    let text = browser.wait_for_text("Confirmation watcher");
    for want in [
        "Overall: healthy",
        "Store",
        "SCIM server",
        "Accounts",
        "Tenant URL",
    ] {
        assert!(text.contains(want), "{want:?} in {text}");
    }
    assert!(text.contains(&format!("{}/scim/v2", bridge.url)));
    assert_eq!(
        browser.eval("location.pathname"),
        "/app",
        "no token in the URL"
    );
    assert!(!browser
        .eval("location.href")
        .as_str()
        .unwrap()
        .contains(TOKEN));
    let cookies = browser.cookies(&format!("{}/app", bridge.url));
    let session = cookies
        .iter()
        .find(|c| c["name"] == "scim_bridge_session")
        .unwrap_or_else(|| panic!("a session cookie in {cookies:?}"));
    assert_eq!(session["httpOnly"], true);
    assert_eq!(session["sameSite"], "Strict");
    assert_eq!(session["path"], "/app");
    assert_eq!(
        browser.eval("document.cookie"),
        "",
        "scripts cannot read the session"
    );

    // A provisioning request (as Entra would send), then the page again.
    let user_name = "alice@example.com";
    let (status, user) = bridge.call(
        "POST",
        "/scim/v2/Users",
        Some(
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": user_name, "active": true,
                     "name": {"givenName": "Alice", "familyName": "Example"}}),
        ),
    );
    assert_eq!(status, 201, "{user}");
    browser.navigate(&format!("{}/app", bridge.url));
    let text = browser.wait_for_text("POST /scim/v2/Users → 201");
    assert!(
        text.contains("invited\t1") || text.contains("invited\n1"),
        "{text}"
    );
    assert_audit_event_shown(&mut browser, user_name);

    // Screenshots for people: a desktop window, and a phone's width (which must not
    // need sideways scrolling).
    let desktop = screenshot_path("status-page.png");
    browser.screenshot(&desktop);
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
    );
    browser.navigate(&format!("{}/app", bridge.url));
    browser.wait_for_text("Confirmation watcher");
    let overflow = browser.eval("document.documentElement.scrollWidth - window.innerWidth");
    assert!(
        overflow.as_i64().is_some_and(|o| o <= 0),
        "no sideways scrolling on a phone: {overflow}"
    );
    let phone = screenshot_path("status-page-phone.png");
    browser.screenshot(&phone);
    browser.call("Emulation.clearDeviceMetricsOverride", json!({}));
    say(&format!(
        "status page screenshots: {} and {}",
        desktop.display(),
        phone.display()
    ));

    // Sign out: the sign-in form, the cookie gone, and /app asks to sign in again.
    browser.navigate(&format!("{}/app", bridge.url));
    browser.wait_for_text("Confirmation watcher");
    browser.submit("form[action='/app/sign-out'] button");
    browser.wait_for_text("Enter the bridge's Secret Token");
    wait_for("the session cookie to be cleared", || {
        let gone = browser
            .cookies(&format!("{}/app", bridge.url))
            .iter()
            .all(|c| c["name"] != "scim_bridge_session");
        gone.then_some(())
    });
    browser.navigate(&format!("{}/app", bridge.url));
    let text = browser.wait_for_text("Enter the bridge's Secret Token");
    assert!(!text.contains("Confirmation watcher"), "signed out: {text}");
    assert_eq!(
        browser.eval("document.getElementById('token') !== null"),
        true
    );
}
