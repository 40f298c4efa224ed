//! The connection settings and TLS of the PostgreSQL store: a `postgres://` URL whose
//! `sslmode` and `sslrootcert` mean what they mean to libpq, over rustls with the ring
//! provider the rest of the bridge uses.
//!
//! | `sslmode` | TLS | server certificate |
//! | --- | --- | --- |
//! | `disable` | never | — |
//! | `prefer` (the default) | if the server offers it | not verified (as libpq) |
//! | `require` | always | verified against `sslrootcert` when given, else not (as libpq) |
//! | `verify-ca`, `verify-full` | always | verified against `sslrootcert`, else the system's roots, with the host name (`verify-ca` is checked as `verify-full`) |

use std::sync::Arc;

use postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::store::StoreError;

/// How the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verify {
    /// Against `sslrootcert` if given, else not at all.
    IfRootGiven,
    /// Against `sslrootcert`, else the system's roots, with the host name.
    Always,
}

/// A URL invalid as a database URL (the URL itself is never repeated: it may hold a
/// password).
fn invalid(why: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("invalid --database-url: {why}"))
}

/// The client configuration and TLS connector for `url`.
pub(super) fn config(url: &str) -> Result<(postgres::Config, MakeRustlsConnect), StoreError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let (mut mode, mut verify, mut root) = (SslMode::Prefer, Verify::IfRootGiven, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(value)
            .decode_utf8()
            .map_err(|_| invalid(format!("{key} is not UTF-8")))?;
        match key {
            "sslmode" => {
                (mode, verify) = match &*value {
                    "disable" => (SslMode::Disable, Verify::IfRootGiven),
                    "prefer" | "allow" => (SslMode::Prefer, Verify::IfRootGiven),
                    "require" => (SslMode::Require, Verify::IfRootGiven),
                    "verify-ca" | "verify-full" => (SslMode::Require, Verify::Always),
                    other => {
                        return Err(invalid(format!(
                        "sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"
                    )))
                    }
                }
            }
            "sslrootcert" => root = Some(value.into_owned()),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut config: postgres::Config = rest.parse().map_err(|e: postgres::Error| {
        // The client's text is only "invalid connection string"; its cause says what is
        // wrong (an option or a value, by name: never the value, nor the password).
        let why = match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        };
        invalid(format!(
            "{why} (a user name or password holding `@`, `:`, `/`, `?` or `%` must be \
             percent-encoded)"
        ))
    })?;
    config.ssl_mode(mode);
    let connector = MakeRustlsConnect::new(client_config(verify, root.as_deref())?);
    Ok((config, connector))
}

/// Whether `url`'s query sets `key`.
pub(super) fn url_sets(url: &str, key: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.split_once('=').map_or(pair, |(k, _)| k) == key)
    })
}

/// The rustls client configuration: verified against `root` (a PEM file) or, with
/// [`Verify::Always`], the system's roots; otherwise encrypted without verification.
fn client_config(verify: Verify, root: Option<&str>) -> Result<rustls::ClientConfig, StoreError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Other(format!("TLS to the database: {e}")))?;
    let roots = match (verify, root) {
        (_, Some(path)) => Some(roots_from_file(path)?),
        (Verify::Always, None) => Some(system_roots()?),
        (Verify::IfRootGiven, None) => None,
    };
    Ok(match roots {
        Some(roots) => builder.with_root_certificates(roots).with_no_client_auth(),
        None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
    })
}

/// The certificates of the PEM file at `path`, read with the bound every file an
/// operator names is read with ([`crate::small_file`]): a path to a device (`/dev/zero`)
/// is an error, not memory growing until the process dies.
fn roots_from_file(path: &str) -> Result<RootCertStore, StoreError> {
    let text = crate::small_file::read(std::path::Path::new(path))
        .map_err(|e| invalid(format!("sslrootcert {path} cannot be read: {e}")))?;
    let mut roots = RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut text.as_slice()) {
        let cert = cert.map_err(|e| invalid(format!("sslrootcert {path}: {e}")))?;
        roots
            .add(cert)
            .map_err(|e| invalid(format!("sslrootcert {path}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(invalid(format!("sslrootcert {path} holds no certificate")));
    }
    Ok(roots)
}

/// The system's root certificates.
fn system_roots() -> Result<RootCertStore, StoreError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(invalid(
            "sslmode verify-full, but the system has no root certificates: give sslrootcert",
        ));
    }
    Ok(roots)
}

/// Encryption without verifying who the server is (`sslmode=prefer`/`require` without
/// `sslrootcert`, as libpq does): the handshake's signatures are still checked.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out_of_the_url() {
        let (c, _) =
            config("postgres://u:p@db.example:5433/bridge?sslmode=require&application_name=x")
                .expect("a valid URL");
        assert_eq!(c.get_ssl_mode(), SslMode::Require);
        assert_eq!(c.get_application_name(), Some("x"));
        assert_eq!(c.get_dbname(), Some("bridge"));
        let (c, _) = config("postgres://u@db.example/bridge?sslmode=verify-full").expect("valid");
        assert_eq!(c.get_ssl_mode(), SslMode::Require);
        let (c, _) = config("postgres://u@db.example/bridge").expect("valid");
        assert_eq!(c.get_ssl_mode(), SslMode::Prefer);
        let (c, _) = config("postgres://u@db.example/bridge?sslmode=disable").expect("valid");
        assert_eq!(c.get_ssl_mode(), SslMode::Disable);
    }

    #[test]
    fn keys_set_in_the_query_are_found() {
        assert!(url_sets(
            "postgres://h/db?a=1&keepalives_idle=5",
            "keepalives_idle"
        ));
        assert!(!url_sets(
            "postgres://h/db?keepalives_idle_x=5",
            "keepalives_idle"
        ));
        assert!(!url_sets("postgres://h/keepalives_idle", "keepalives_idle"));
    }

    #[test]
    fn bad_settings_are_refused_without_repeating_the_url() {
        for url in [
            "postgres://u:secret@h/db?sslmode=sometimes",
            "postgres://u:secret@h:port/db",
            "postgres://u:secret@h/db?sslrootcert=/nonexistent/ca.pem",
        ] {
            let e = config(url).err().expect("refused").to_string();
            assert!(!e.contains("secret"), "{e}");
            assert!(e.contains("--database-url"), "{e}");
        }
    }
}
