//! The authentication hook: the embedder says who a request comes from, or refuses it.
//!
//! SCIM leaves authentication to the service provider (RFC 7644 §2); the bridge plugs in
//! its bearer-token check here, and other embedders their own scheme.

use async_trait::async_trait;

use crate::provisioner::Principal;
use crate::resource::AuthenticationScheme;

/// Why a request was refused.
///
/// `#[non_exhaustive]`: a refusal may be added in a minor release. Build one with
/// [`AuthError::bearer`], [`AuthError::unauthorized`] or [`AuthError::forbidden`]; answer
/// one with [`status`](AuthError::status), [`detail`](AuthError::detail) and
/// [`challenge`](AuthError::challenge) rather than a `match`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// 401: no or bad credentials. `challenge` is the `WWW-Authenticate` value, e.g.
    /// `Bearer realm="scim"`.
    Unauthorized {
        /// What is wrong, for the client (never the credential itself).
        detail: String,
        /// The `WWW-Authenticate` header value.
        challenge: String,
    },
    /// 403: authenticated, but not allowed.
    Forbidden(String),
}

impl AuthError {
    /// 401 with a `Bearer` challenge.
    pub fn bearer(detail: impl Into<String>) -> Self {
        AuthError::Unauthorized {
            detail: detail.into(),
            challenge: "Bearer realm=\"scim\"".to_owned(),
        }
    }

    /// 401 with `challenge` as the `WWW-Authenticate` value.
    pub fn unauthorized(detail: impl Into<String>, challenge: impl Into<String>) -> Self {
        AuthError::Unauthorized {
            detail: detail.into(),
            challenge: challenge.into(),
        }
    }

    /// 403: authenticated, but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        AuthError::Forbidden(detail.into())
    }

    /// The HTTP status to answer with: 401 or 403.
    pub fn status(&self) -> http::StatusCode {
        match self {
            AuthError::Unauthorized { .. } => http::StatusCode::UNAUTHORIZED,
            AuthError::Forbidden(_) => http::StatusCode::FORBIDDEN,
        }
    }

    /// What is wrong, for the client.
    pub fn detail(&self) -> &str {
        match self {
            AuthError::Unauthorized { detail, .. } | AuthError::Forbidden(detail) => detail,
        }
    }

    /// The `WWW-Authenticate` value to send, for a 401.
    pub fn challenge(&self) -> Option<&str> {
        match self {
            AuthError::Unauthorized { challenge, .. } => Some(challenge),
            AuthError::Forbidden(_) => None,
        }
    }
}

/// Decides who a request comes from.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Authenticates a request from its head (method, URI, headers). `Ok(None)` lets an
    /// anonymous request through.
    async fn authenticate(
        &self,
        request: &http::request::Parts,
    ) -> Result<Option<Principal>, AuthError>;

    /// The schemes advertised in `/ServiceProviderConfig`.
    fn schemes(&self) -> Vec<AuthenticationScheme> {
        vec![AuthenticationScheme::bearer_token()]
    }
}

/// Lets every request through: for services whose HTTP stack authenticates before the
/// request reaches [`ScimService`](super::ScimService), and for tests.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAuthentication;

#[async_trait]
impl Authenticator for NoAuthentication {
    async fn authenticate(
        &self,
        _request: &http::request::Parts,
    ) -> Result<Option<Principal>, AuthError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructors_and_accessors_agree() {
        let e = AuthError::bearer("no token");
        assert_eq!(e.status(), http::StatusCode::UNAUTHORIZED);
        assert_eq!(e.detail(), "no token");
        assert_eq!(e.challenge(), Some("Bearer realm=\"scim\""));
        let e = AuthError::unauthorized("bad", "Basic realm=\"x\"");
        assert_eq!(e.challenge(), Some("Basic realm=\"x\""));
        let e = AuthError::forbidden("read-only");
        assert_eq!(e.status(), http::StatusCode::FORBIDDEN);
        assert_eq!(e.detail(), "read-only");
        assert_eq!(e.challenge(), None);
    }
}
