//! Loading the TLS certificate chain and private key (PEM) into a rustls acceptor.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// Why the TLS certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The certificate file is not a PEM certificate chain.
    #[error("{}: not a PEM certificate chain: {source}", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The key file holds no usable private key.
    #[error("{}: no private key found{}", path.display(), source.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Key {
        /// The file.
        path: PathBuf,
        /// Why, when the file could not be parsed at all.
        source: Option<std::io::Error>,
    },
    /// rustls refused the configuration (the certificate and key do not fit).
    #[error("TLS certificate and key do not fit: {0}")]
    Config(#[from] rustls::Error),
}

/// Loads a rustls server configuration from PEM files.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let read = |p: &Path| {
        crate::small_file::read(p).map_err(|source| TlsError::Read {
            path: p.to_owned(),
            source,
        })
    };
    let certs = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Certificate {
            path: cert.to_owned(),
            source,
        })?;
    let no_key = |source| TlsError::Key {
        path: key.to_owned(),
        source,
    };
    let key = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| no_key(Some(e)))?
        .ok_or_else(|| no_key(None))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_pair() -> (String, String) {
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        (cert.cert.pem(), cert.signing_key.serialize_pem())
    }

    /// Each way a certificate or key can be unusable is its own error, naming the file.
    #[test]
    fn unusable_pem_files_get_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (cert_pem, key_pem) = pem_pair();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, &cert_pem).unwrap();
        std::fs::write(&key, &key_pem).unwrap();
        assert!(tls_acceptor(&cert, &key).is_ok());

        let missing = dir.path().join("missing.pem");
        let err = tls_acceptor(&missing, &key).err().unwrap();
        assert!(
            matches!(&err, TlsError::Read { path, .. } if *path == missing),
            "{err:?}"
        );

        let err = tls_acceptor(&cert, &cert).err().unwrap();
        assert!(
            matches!(&err, TlsError::Key { path, source: None } if *path == cert),
            "{err:?}"
        );
        assert!(err.to_string().contains("no private key"), "{err}");

        let (other_cert, _) = pem_pair();
        let mismatched = dir.path().join("other.pem");
        std::fs::write(&mismatched, other_cert).unwrap();
        let err = tls_acceptor(&mismatched, &key).err().unwrap();
        assert!(matches!(err, TlsError::Config(_)), "{err:?}");
    }
}
