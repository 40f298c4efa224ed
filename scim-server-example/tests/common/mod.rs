//! Starting the real `scim-bridge` binary on an ephemeral port and talking HTTP to it.
#![allow(
    dead_code,
    reason = "each test binary that includes this module uses a different part of it"
)]

pub mod postgres;
pub mod store;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// A token long enough for the bridge to accept from the environment.
pub const TOKEN: &str = "e2e-test-token-0123456789abcdef0123456789";

/// A running bridge, killed when dropped.
pub struct Bridge {
    pub child: Child,
    pub url: String,
    pub data_dir: PathBuf,
}

/// The binary under test.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_scim-bridge")
}

impl Bridge {
    /// Starts the bridge on `data_dir` with extra arguments; waits until it listens.
    pub fn start(data_dir: &Path, args: &[&str]) -> Bridge {
        Bridge::start_logging(data_dir, args, Stdio::null())
    }

    /// [`Bridge::start`], with the JSON log lines going to `stderr`.
    pub fn start_logging(data_dir: &Path, args: &[&str], stderr: Stdio) -> Bridge {
        let mut cmd = Command::new(binary());
        cmd.args(Bridge::args(data_dir, args)).stderr(stderr);
        Bridge::spawn(cmd, data_dir)
    }

    /// The arguments every test bridge gets (ephemeral port, `data_dir`, JSON logs),
    /// then `args`.
    pub fn args(data_dir: &Path, args: &[&str]) -> Vec<std::ffi::OsString> {
        let mut all: Vec<std::ffi::OsString> = ["--listen", "127.0.0.1:0", "--data-dir"]
            .iter()
            .map(Into::into)
            .collect();
        all.push(data_dir.into());
        all.extend(["--log-format", "json"].iter().map(Into::into));
        all.extend(args.iter().map(Into::into));
        all
    }

    /// Spawns a prepared command (the binary, or a wrapper that execs it) with the test
    /// token and waits until the bridge listens.
    pub fn spawn(mut cmd: Command, data_dir: &Path) -> Bridge {
        cmd.env("SCIM_BRIDGE_TOKEN", TOKEN);
        Bridge::spawn_without_token(cmd, data_dir)
    }

    /// Starts the bridge on `data_dir` with `args` and without the test token, so that
    /// it keeps a Secret Token of its own (in the data directory or the database).
    pub fn start_with_own_token(data_dir: &Path, args: &[&str]) -> Bridge {
        let mut cmd = Command::new("env");
        cmd.args(["-u", "SCIM_BRIDGE_TOKEN", binary()])
            .args(Bridge::args(data_dir, args))
            .stderr(Stdio::null());
        Bridge::spawn_without_token(cmd, data_dir)
    }

    /// [`Bridge::spawn`] without the test token in the environment (a wrapper such as
    /// `env -u SCIM_BRIDGE_TOKEN` keeps it from the bridge).
    pub fn spawn_without_token(mut cmd: Command, data_dir: &Path) -> Bridge {
        let mut child = cmd
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start scim-bridge");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("scim-bridge listening on ") {
                    let _ = tx.send(url.to_owned());
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the bridge printed its address");
        Bridge {
            child,
            url,
            data_dir: data_dir.to_owned(),
        }
    }

    /// The host and port, for raw TCP.
    pub fn addr(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .to_owned()
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends a request with the right token.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        self.call_with(
            method,
            path,
            body,
            &[("Authorization", &format!("Bearer {TOKEN}"))],
        )
    }

    /// Sends a request with exactly these headers.
    pub fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let (status, _, json) = self.raw(method, path, body, headers);
        (status, json)
    }

    /// Sends a request; returns status, the `WWW-Authenticate` header, and the JSON body
    /// (`Null` if none).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Option<String>, Value) {
        let (status, mut named, json) = request(
            &format!("{}{path}", self.url),
            method,
            body,
            headers,
            Duration::from_secs(30),
            &["www-authenticate"],
        );
        (status, named.remove(0), json)
    }

    /// Runs a subcommand against the same data directory.
    pub fn subcommand(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new(binary())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(args)
            .output()
            .expect("run scim-bridge");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP exchange with `url`: the status, the response headers named in `want` (in
/// that order), and the body as JSON (`Null` if empty, a string if not JSON).
pub fn request(
    url: &str,
    method: &str,
    body: Option<&Value>,
    headers: &[(&str, &str)],
    timeout: Duration,
    want: &[&str],
) -> (u16, Vec<Option<String>>, Value) {
    let mut req = ureq::request(method, url).timeout(timeout);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req
            .set("Content-Type", "application/scim+json")
            .send_string(&b.to_string()),
        None => req.call(),
    };
    let resp = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let named = want
        .iter()
        .map(|h| resp.header(h).map(str::to_owned))
        .collect();
    let text = resp.into_string().unwrap_or_default();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, named, json)
}

/// A kept-alive connection to `addr` that made one authenticated request (so the
/// bridge never evicts it for a newcomer).
pub fn open_authenticated(addr: &str) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let req =
        format!("GET /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    s
}

/// A PATCH body.
pub fn patch(ops: Value) -> Value {
    serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
}

/// The account state of a user, read through the SCIM API.
pub fn state(bridge: &Bridge, id: &str) -> String {
    let ext = "urn:ietf:params:scim:schemas:extension:1password:2.0:User";
    let (status, v) = bridge.call(
        "GET",
        &format!("/scim/v2/Users/{id}?attributes={ext}:state"),
        None,
    );
    assert_eq!(status, 200, "{v}");
    v[ext]["state"].as_str().unwrap_or_default().to_owned()
}

/// Waits (up to `secs`) until `f` is true.
pub fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    f()
}

/// Creates user `name` (`active: true`); its id.
pub fn create_user(bridge: &Bridge, name: &str) -> String {
    let (status, v) = bridge.call(
        "POST",
        "/scim/v2/Users",
        Some(&serde_json::json!({"userName": name, "active": true})),
    );
    assert_eq!(status, 201, "{v}");
    v["id"].as_str().expect("an id").to_owned()
}

/// Every audit record of `/audit?{query}`, newest first, following `nextCursor`.
pub fn audit_events(bridge: &Bridge, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, page) = bridge.call("GET", &format!("/audit?{query}{cursor}"), None);
        assert_eq!(status, 200, "{page}");
        out.extend(page["events"].as_array().expect("events").iter().cloned());
        match page["nextCursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return out,
        }
    }
}
