//! Where the capability gets the credential it attaches.
//!
//! The runtime never hands a token to a card; it hands the capability a
//! [`CredentialSource`]. Connections (OAuth with single-flight refresh, or a
//! personal access token) implement it; so does [`StaticCredentials`] for a
//! token given on the command line or in the environment.

use futures::future::BoxFuture;
use secrecy::SecretString;

/// Which credential a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// The connection's access token (OAuth or personal access token).
    Connection,
    /// The connection's service account token.
    ServiceAccount,
    /// No credential.
    None,
}

/// Why no credential could be had.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialError {
    /// The connection has no such credential.
    #[error("{0}")]
    Missing(String),
    /// A person must authorize the connection again.
    #[error("{0}")]
    NeedsReauth(String),
    /// The provider could not be reached or failed; trying again later may work.
    #[error("{0}")]
    Transient(String),
}

/// A source of the credentials of one connection.
pub trait CredentialSource: Send + Sync {
    /// The token to attach now, refreshed first if it is about to expire.
    fn token(&self, kind: CredentialKind) -> BoxFuture<'_, Result<SecretString, CredentialError>>;

    /// The provider answered 401 to `rejected`: refresh once (shared with every
    /// concurrent caller) and return the new token, or `None` when there is
    /// nothing better to try.
    fn after_unauthorized<'a>(
        &'a self,
        kind: CredentialKind,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<Option<SecretString>, CredentialError>>;
}

/// Fixed tokens that never refresh: a personal access token and an optional
/// service account token.
pub struct StaticCredentials {
    access_token: Option<SecretString>,
    service_account_token: Option<SecretString>,
}

impl StaticCredentials {
    /// Credentials from the given tokens.
    pub fn new(
        access_token: Option<SecretString>,
        service_account_token: Option<SecretString>,
    ) -> StaticCredentials {
        StaticCredentials {
            access_token,
            service_account_token,
        }
    }

    /// Whether a service account token is set.
    pub fn has_service_account(&self) -> bool {
        self.service_account_token.is_some()
    }
}

impl CredentialSource for StaticCredentials {
    fn token(&self, kind: CredentialKind) -> BoxFuture<'_, Result<SecretString, CredentialError>> {
        let found = match kind {
            CredentialKind::Connection => self.access_token.clone().ok_or_else(|| {
                CredentialError::Missing(
                    "no access token: authorize the connection or give it a token".into(),
                )
            }),
            CredentialKind::ServiceAccount => self.service_account_token.clone().ok_or_else(|| {
                CredentialError::Missing("this connection has no service account token".into())
            }),
            CredentialKind::None => Err(CredentialError::Missing("no credential asked for".into())),
        };
        Box::pin(async move { found })
    }

    fn after_unauthorized<'a>(
        &'a self,
        _kind: CredentialKind,
        _rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<Option<SecretString>, CredentialError>> {
        Box::pin(async { Ok(None) })
    }
}
