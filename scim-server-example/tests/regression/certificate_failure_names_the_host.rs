//! Found by the review of the PostgreSQL mode: when the database server's certificate did
//! not name the host the bridge connects to (a certificate renewed with other names), the
//! failure's text, shown by `/health`, repeated the host name the bridge expected and the
//! names the certificate holds: a detail `/health` gives must name no host.
//!
//! Now the text says the certificate is not valid for the host name in --database-url,
//! naming neither.

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

use crate::common::postgres::PgServer;
use crate::common::{eventually, Bridge};

/// A certificate for `names` signed by `issuer`, and its key, in PEM.
fn server_cert(names: &[&str], issuer: &Issuer<'_, KeyPair>) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let cert = CertificateParams::new(names)
        .unwrap()
        .signed_by(&key, issuer)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn health_names_no_host_when_the_servers_certificate_names_another() {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let (cert, key) = server_cert(&["127.0.0.1", "localhost"], &issuer);
    let Some(pg) = PgServer::start_with(
        &[("server.crt", &cert), ("server.key", &key)],
        "-c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
    ) else {
        return;
    };
    let name = pg.database_name();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.pem");
    std::fs::write(&root, &ca_pem).unwrap();
    let url = pg.url_with(
        &name,
        &format!("sslmode=verify-full&sslrootcert={}", root.display()),
    );
    let bridge = Bridge::start(
        &dir.path().join("data"),
        &[
            "--database-url",
            &url,
            "--confirmation-interval",
            "1",
            "--allow-short-interval",
        ],
    );
    let (status, h) = bridge.call("GET", "/health", None);
    assert_eq!(status, 200, "{h}");
    // The server now shows a certificate, from the same authority, for another name.
    let (cert, key) = server_cert(&["db.invalid"], &issuer);
    std::fs::write(pg.dir().join("server.crt"), cert).unwrap();
    std::fs::write(pg.dir().join("server.key"), key).unwrap();
    let mut admin = postgres::Client::connect(&pg.url("postgres"), postgres::NoTls).unwrap();
    admin.batch_execute("SELECT pg_reload_conf()").unwrap();
    let mut last = serde_json::Value::Null;
    let failed = eventually(60, || {
        // Sessions opened before the reload still stand: end them.
        let _ = admin.batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ));
        let (_, h) = bridge.call("GET", "/health", None);
        last = h;
        last["components"]["confirmationWatcher"]["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("certificate"))
    });
    assert!(
        failed,
        "the watcher never saw the certificate refused: {last}"
    );
    let text = last.to_string();
    assert!(
        text.contains("not valid for the host name"),
        "the detail does not say why: {text}"
    );
    for host in ["db.invalid", "127.0.0.1", "localhost"] {
        assert!(!text.contains(host), "/health names {host}: {text}");
    }
}
