//! A throwaway PostgreSQL server for tests, started from the installed binaries (Debian's
//! `/usr/lib/postgresql/<version>/bin`): `initdb` and `pg_ctl` in a temporary directory,
//! on a free port of 127.0.0.1, run as the `postgres` system user when the tests run as
//! root (PostgreSQL refuses to run as root). Each test takes a database of its own.
//!
//! Without PostgreSQL installed, [`server`] prints that the test is skipped and why, and
//! returns `None`; in CI (`CI` or `SCIM_BRIDGE_REQUIRE_POSTGRES` set) it fails instead.
//!
//! Used by the end-to-end tests (`tests/common`) and, through a `#[path]` module, by the
//! unit tests of the rules: one module for both.
#![allow(
    dead_code,
    reason = "each test binary that includes this module uses a different part of it"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// A running server; stopped (and its directory removed) when dropped, or, for the
/// process-wide [`server`], when the test process exits.
pub struct PgServer {
    /// The directory holding the cluster (`data/`), its socket and its log.
    dir: PathBuf,
    /// The binaries' directory.
    bin: PathBuf,
    /// The TCP port on 127.0.0.1.
    pub port: u16,
    /// Whether commands run through `runuser -u postgres`.
    as_postgres: bool,
    /// Further server settings (`-c name=value …`).
    options: String,
}

/// Whether a missing PostgreSQL is a failure (CI) rather than a skip.
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
        || std::env::var_os("SCIM_BRIDGE_REQUIRE_POSTGRES").is_some_and(|v| !v.is_empty())
}

/// The newest installed PostgreSQL's binaries directory.
fn binaries() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// Without PostgreSQL: a failure where it is required (CI), else `None` after saying that
/// the calling test is skipped and why. The line goes straight to the process's standard
/// error, not through `eprintln!`, which the test harness captures and shows only for
/// failing tests: a skip must be visible in a passing run.
fn not_installed<T>() -> Option<T> {
    if required() {
        panic!(
            "PostgreSQL is required here (CI or SCIM_BRIDGE_REQUIRE_POSTGRES is set) but not \
             installed: apt-get install postgresql"
        );
    }
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let line = format!("skipped: {test}: PostgreSQL not installed (apt-get install postgresql)\n");
    // Best effort: a closed standard error must not fail the test.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    None
}

/// Whether this process runs as root.
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A port free on 127.0.0.1 right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The process-wide server, started on first use; `None` (after saying so) when
/// PostgreSQL is not installed outside CI.
pub fn server() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Option<PgServer>> = OnceLock::new();
    if binaries().is_none() {
        return not_installed();
    }
    SERVER
        .get_or_init(|| {
            let server = PgServer::start()?;
            server.stop_when_process_exits();
            Some(server)
        })
        .as_ref()
}

impl PgServer {
    /// Starts a server of its own (stopped when dropped); `None` (after saying so) when
    /// PostgreSQL is not installed outside CI.
    pub fn start() -> Option<PgServer> {
        PgServer::start_with(&[], "")
    }

    /// [`PgServer::start`] with `files` (name, contents) written into the server's
    /// directory first, owner-only (for `ssl_cert_file`, `ssl_key_file`; `{dir}` in
    /// `options` names the directory), and further settings (`-c name=value …`).
    pub fn start_with(files: &[(&str, &str)], options: &str) -> Option<PgServer> {
        let Some(bin) = binaries() else {
            return not_installed();
        };
        let dir = tempfile::Builder::new()
            .prefix("scim-bridge-pg-")
            .tempdir()
            .expect("a temporary directory")
            .keep();
        let as_postgres = is_root();
        for (name, contents) in files {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.join(name);
            std::fs::write(&path, contents).expect("a server file");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                .expect("owner-only");
        }
        let options = options.replace("{dir}", &dir.to_string_lossy());
        let server = PgServer {
            dir,
            bin,
            port: free_port(),
            as_postgres,
            options,
        };
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&server.dir)
                .status()
                .expect("chown runs");
            assert!(status.success(), "chown the server's directory to postgres");
        }
        server.run(
            "initdb",
            &[
                "-D".as_ref(),
                server.data().as_os_str(),
                "-U".as_ref(),
                "postgres".as_ref(),
                "--auth=trust".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        );
        server.pg_ctl_start();
        Some(server)
    }

    /// The cluster's data directory.
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the server's binaries (as `postgres` when root) and checks it succeeds.
    fn run(&self, program: &str, args: &[&std::ffi::OsStr]) {
        let output = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A command running `program` from the server's binaries, as `postgres` when root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    /// Starts (or starts again) the server and waits until it accepts connections.
    pub fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300 {}",
            self.port,
            self.dir.display(),
            self.options
        );
        let log = self.dir.join("log");
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-w".as_ref(),
                "-o".as_ref(),
                options.as_ref(),
                "start".as_ref(),
            ],
        );
    }

    /// Stops the server (fast shutdown: sessions are disconnected), keeping its data.
    pub fn pg_ctl_stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-w".as_ref(),
                "-m".as_ref(),
                "fast".as_ref(),
                "stop".as_ref(),
            ],
        );
    }

    /// Stops the server at once, as a crash would: no checkpoint, and whatever WAL it had
    /// not written yet is lost.
    pub fn pg_ctl_crash(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D".as_ref(),
                self.data().as_os_str(),
                "-w".as_ref(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "stop".as_ref(),
            ],
        );
    }

    /// A watchdog process that stops the server and removes its directory once this test
    /// process has exited (a static's destructor never runs).
    fn stop_when_process_exits(&self) {
        let stop = self.command("pg_ctl");
        let mut words: Vec<String> = std::iter::once(stop.get_program())
            .chain(stop.get_args())
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect();
        words.extend(
            [
                "-D",
                &self.data().to_string_lossy(),
                "-m",
                "immediate",
                "stop",
            ]
            .iter()
            .map(|a| shell_quote(a)),
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            stop = words.join(" "),
            dir = shell_quote(&self.dir.to_string_lossy()),
        );
        #[allow(
            clippy::zombie_processes,
            reason = "the watchdog outlives this process on purpose: never waited for"
        )]
        let _watchdog = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the watchdog starts");
    }

    /// The URL of database `name`, without TLS.
    pub fn url(&self, name: &str) -> String {
        self.url_with(name, "sslmode=disable")
    }

    /// The URL of database `name` with these query parameters (`sslmode=…`).
    pub fn url_with(&self, name: &str, query: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}?{query}", self.port)
    }

    /// A new, empty database of its own; its URL.
    pub fn database(&self) -> String {
        let name = self.database_name();
        self.url(&name)
    }

    /// A new, empty database of its own; its name.
    pub fn database_name(&self) -> String {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connect to the test server");
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create a database");
        name
    }

    /// The server's directory (its log is `log` in it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `s` quoted for `sh`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}
