//! Direct TLS: with --tls-cert and --tls-key the bridge serves HTTPS (rustls) and plain
//! HTTP on the same port gets nothing.

mod common;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn serves_https_with_the_given_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();

    let data = dir.path().join("data");
    let mut child = Command::new(common::binary())
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .arg("--tls-cert")
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .env("SCIM_BRIDGE_TOKEN", common::TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let line = std::io::BufRead::lines(std::io::BufReader::new(stdout))
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("scim-bridge listening on ")
                .map(str::to_owned)
        })
        .unwrap();
    assert!(line.starts_with("https://"), "{line}");

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tls = Arc::new(tls);
    let agent = ureq::AgentBuilder::new()
        .tls_config(tls.clone())
        .timeout(Duration::from_secs(10))
        .build();
    let resp = agent.get(&format!("{line}/ping")).call().unwrap();
    assert_eq!(resp.into_string().unwrap(), "pong");
    let resp = agent
        .get(&format!("{line}/scim/v2/Users"))
        .set("Authorization", &format!("Bearer {}", common::TOKEN))
        .call()
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&resp.into_string().unwrap()).unwrap();
    assert_eq!(body["totalResults"], 0);

    // Under TLS the status page's session cookie is `Secure` (tests/status_page.rs tests
    // the rest of the page over plain HTTP).
    let signing_in = ureq::AgentBuilder::new()
        .tls_config(tls)
        .redirects(0)
        .timeout(Duration::from_secs(10))
        .build();
    let resp = signing_in
        .post(&format!("{line}/app/sign-in"))
        .send_form(&[("token", common::TOKEN)])
        .unwrap();
    assert_eq!(resp.status(), 303);
    let cookie = resp.header("set-cookie").unwrap_or_default();
    assert!(cookie.ends_with("; Secure"), "{cookie}");

    let plain = line.replacen("https://", "http://", 1);
    assert!(ureq::get(&format!("{plain}/ping"))
        .timeout(Duration::from_secs(5))
        .call()
        .is_err());
    let _ = child.kill();
    let _ = child.wait();
}
