//! Found by the attack review of the typed start-up errors: the TLS certificate and key
//! (`--tls-cert`, `--tls-key`) and the token file (`--token-file`) were read whole, so a
//! path to a device by mistake (`/dev/zero`) made the bridge allocate until it was
//! killed (2 GB within three seconds), instead of stopping with an error naming the file.
//!
//! Now each is read up to 1 MiB; a longer file is a start-up error that says so. The
//! test uses a 2 MiB file, so that it fails rather than exhausts memory if the bound
//! goes.

use std::process::Command;

use crate::common;

/// Runs the bridge with `args` and returns whether it succeeded and what it printed.
fn start(dir: &std::path::Path, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new(common::binary())
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .env_remove("SCIM_BRIDGE_TOKEN")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    (out.status.success(), text)
}

#[test]
fn an_oversized_tls_or_token_file_is_a_start_up_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.pem");
    std::fs::write(&big, vec![b'a'; 2 * 1024 * 1024]).unwrap();
    let big = big.as_os_str();
    for args in [
        vec!["--tls-cert".as_ref(), big, "--tls-key".as_ref(), big],
        vec!["--token-file".as_ref(), big],
    ] {
        let (ok, text) = start(dir.path(), &args);
        assert!(!ok, "{args:?}: {text}");
        assert!(text.contains("big.pem"), "{args:?}: {text}");
        assert!(
            text.contains("larger than 1048576 bytes"),
            "{args:?}: {text}"
        );
    }
}
