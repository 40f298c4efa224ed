//! The authentication hook: the embedder says who a request comes from, or refuses it.
//!
//! SCIM leaves authentication to the service provider (RFC 7644 §2); the bridge plugs in
//! its bearer-token check here, and other embedders their own scheme.

use async_trait::async_trait;

use crate::provisioner::Principal;
use crate::resource::AuthenticationScheme;

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
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
