//! The Secret Token and the data directory under attack or misuse (issue 10 of the attack
//! review): `token rotate` must never report a rotation that did not happen, concurrent
//! rotations must not race, subcommands refuse a directory without a bridge database,
//! an existing data directory is not silently re-permissioned, and a supplied token that
//! could never authenticate is refused at start.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Bridge, TOKEN};

/// Runs a subcommand on `dir` without SCIM_BRIDGE_TOKEN, plus `env`.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(common::binary());
    cmd.arg("--data-dir").arg(dir).args(args);
    cmd.env_remove("SCIM_BRIDGE_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Whether `token` authenticates against the bridge at `url`.
fn works(url: &str, token: &str) -> bool {
    ureq::get(&format!("{url}/scim/v2/Users?count=1"))
        .set("Authorization", &format!("Bearer {token}"))
        .timeout(Duration::from_secs(5))
        .call()
        .is_ok()
}

#[test]
fn rotate_refuses_a_token_managed_outside_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let b = Bridge::start(dir.path(), &[]);
    // The bridge was started with SCIM_BRIDGE_TOKEN; a rotation run without it must not
    // claim a success that the bridge would never see.
    let (ok, text) = run(dir.path(), &["token", "rotate"], &[]);
    assert!(!ok, "{text}");
    assert!(text.contains("not managed in the data directory"), "{text}");
    assert!(!text.contains("New Secret Token"), "{text}");
    let (ok, text) = run(
        dir.path(),
        &["token", "rotate"],
        &[("SCIM_BRIDGE_TOKEN", TOKEN)],
    );
    assert!(!ok && text.contains("SCIM_BRIDGE_TOKEN"), "{text}");
    std::thread::sleep(Duration::from_millis(1100));
    assert!(
        works(&b.url, TOKEN),
        "the old token is still the one in force"
    );
}

/// Starts a bridge that keeps its token in the data directory; returns it with the
/// token it printed.
fn bridge_with_generated_token(dir: &Path) -> (Child, String, String) {
    let mut child = Command::new(common::binary())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("SCIM_BRIDGE_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok);
    let mut token = None;
    for line in lines {
        if let Some(t) = line.trim().strip_prefix("Secret Token: ") {
            token = Some(t.to_owned());
        }
        if let Some(u) = line.strip_prefix("scim-bridge listening on ") {
            return (child, token.unwrap(), u.to_owned());
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the bridge did not start");
}

#[test]
fn concurrent_rotations_leave_exactly_one_working_token_that_was_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, first, url) = bridge_with_generated_token(dir.path());
    assert!(works(&url, &first));
    let runs: Vec<(bool, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| run(dir.path(), &["token", "rotate"], &[])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let printed: Vec<String> = runs
        .iter()
        .filter(|(ok, _)| *ok)
        .map(|(_, text)| {
            text.lines()
                .map(str::trim)
                .find(|l| l.len() >= 43 && !l.contains(' '))
                .expect("a successful rotation prints its token")
                .to_owned()
        })
        .collect();
    assert!(!printed.is_empty(), "{runs:?}");
    for (ok, text) in &runs {
        assert!(
            *ok || text.contains("another `scim-bridge token rotate` is running"),
            "a refused rotation says why: {text}"
        );
    }
    // The running bridge reloads the file within a second: the token of the rotation
    // that finished last works, and no other.
    assert!(
        common::eventually(10, || printed.iter().any(|t| works(&url, t))),
        "one printed token works: {printed:?}"
    );
    let working: Vec<&String> = printed.iter().filter(|t| works(&url, t)).collect();
    assert_eq!(working.len(), 1, "printed {printed:?}");
    assert!(!works(&url, &first));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn subcommands_refuse_a_directory_without_a_bridge_database() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("typo");
    for args in [
        &["invitations", "accept", "a@example.com"][..],
        &["token", "rotate"][..],
    ] {
        let (ok, text) = run(&missing, args, &[]);
        assert!(!ok, "{args:?}: {text}");
        assert!(text.contains("holds no scim-bridge database"), "{text}");
        assert!(!missing.exists(), "{args:?} created the mistyped directory");
        let (ok, _) = run(tmp.path(), args, &[]);
        assert!(!ok);
        assert!(!tmp.path().join("bridge.db").exists());
    }
}

#[cfg(unix)]
#[test]
fn an_existing_data_directory_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shared");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o750)).unwrap();
    let b = Bridge::start(&dir, &[]);
    assert!(works(&b.url, TOKEN));
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o750, "not chmod-ed without a word");
    let fresh = tmp.path().join("fresh");
    let b = Bridge::start(&fresh, &[]);
    assert!(works(&b.url, TOKEN));
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "a directory the bridge creates is owner-only");
}

/// Starts the bridge with `token` in SCIM_BRIDGE_TOKEN; returns whether it refused to
/// start, and what it said. (A bridge that does start is stopped after 10 s.)
fn start_with_token(token: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(common::binary())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("SCIM_BRIDGE_TOKEN", token)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut text);
            return (!status.success(), text);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    (false, String::new())
}

#[test]
fn supplied_tokens_that_could_never_authenticate_are_refused_at_start() {
    // 20 characters in 40 bytes: too short, counted in characters.
    let (refused, text) = start_with_token(&"é".repeat(20));
    assert!(
        refused && text.contains("too short (20 characters)"),
        "{text}"
    );
    // Longer than an Authorization header may be.
    let (refused, text) = start_with_token(&"a".repeat(2000));
    assert!(refused && text.contains("cannot be sent"), "{text}");
    // Characters a bearer token cannot carry.
    for bad in [
        "token with spaces 0123456789abcdef",
        "tokén-0123456789abcdef0123456789abcdef",
    ] {
        let (refused, text) = start_with_token(bad);
        assert!(refused && text.contains("cannot be sent"), "{bad}: {text}");
    }
}
