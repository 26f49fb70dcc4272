//! The credentials of one connection as runs see them: decrypted once per
//! change and kept in memory, refreshed single-flight (any number of
//! concurrent callers on an expiring token cause one refresh request; the
//! others wait for its result), and marking the connection `needs_reauth`
//! when the provider refuses the refresh token.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};

use super::Connections;
use crate::capability::{CredentialError, CredentialKind, CredentialSource};
use crate::oauth::OAuthError;
use crate::store::{ConnectionStatus, Secrets};

/// Why a connection without tokens cannot act. A connection never borrows
/// another credential (such as an app-level personal access token): it acts
/// only as the account a person authorized for it.
pub(crate) const NOT_AUTHORIZED: &str =
    "the connection has no access token: authorize it (open it and click Authorize) before running cards on it";

/// What is known of a connection's tokens right now.
#[derive(Clone, Default)]
pub(crate) struct Snapshot {
    pub access_token: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub service_account_token: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Set when a person must authorize again: no refresh is tried.
    pub needs_reauth: Option<String>,
}

impl Snapshot {
    pub(super) fn from_store(
        secrets: Secrets,
        expires_at: Option<DateTime<Utc>>,
        status: ConnectionStatus,
        message: Option<String>,
    ) -> Snapshot {
        Snapshot {
            access_token: secrets.access_token,
            refresh_token: secrets.refresh_token,
            service_account_token: secrets.service_account_token,
            expires_at,
            needs_reauth: (status == ConnectionStatus::NeedsReauth)
                .then(|| message.unwrap_or_else(|| super::REAUTH_MESSAGE.to_string())),
        }
    }

    fn fresh(&self, margin: Duration) -> bool {
        match self.expires_at {
            None => true,
            Some(at) => at - chrono::Duration::from_std(margin).unwrap_or_default() > Utc::now(),
        }
    }
}

/// The credential source of one connection.
pub struct ConnectionCredentials {
    pub(super) id: String,
    pub(super) snapshot: RwLock<Snapshot>,
    /// Held while refreshing: the single flight.
    pub(super) refresh: tokio::sync::Mutex<()>,
    pub(super) service: std::sync::Weak<ConnectionsInner>,
}

pub(super) type ConnectionsInner = super::Inner;

impl ConnectionCredentials {
    /// Whether the connection holds a token of its own to act with.
    pub fn has_token(&self) -> bool {
        let snap = self.current();
        snap.access_token.is_some() || snap.refresh_token.is_some()
    }

    fn current(&self) -> Snapshot {
        self.snapshot
            .read()
            .expect("credential snapshot lock")
            .clone()
    }

    pub(super) fn replace(&self, snapshot: Snapshot) {
        *self.snapshot.write().expect("credential snapshot lock") = snapshot;
    }

    fn service(&self) -> Result<Connections, CredentialError> {
        self.service
            .upgrade()
            .map(|inner| Connections { inner })
            .ok_or_else(|| CredentialError::Transient("the host is shutting down".into()))
    }

    async fn access_token(&self) -> Result<SecretString, CredentialError> {
        let snap = self.current();
        if let Some(message) = snap.needs_reauth {
            return Err(CredentialError::NeedsReauth(message));
        }
        let service = self.service()?;
        let margin = service.inner.settings.refresh_margin;
        match &snap.access_token {
            Some(token) if snap.fresh(margin) || snap.refresh_token.is_none() => {
                return Ok(token.clone())
            }
            None if snap.refresh_token.is_none() => {
                return Err(CredentialError::Missing(NOT_AUTHORIZED.into()));
            }
            _ => {}
        }
        self.refresh_single_flight(&service, |s| s.fresh(margin))
            .await
    }

    /// Refresh unless `still_good` says another caller already did.
    async fn refresh_single_flight(
        &self,
        service: &Connections,
        still_good: impl Fn(&Snapshot) -> bool,
    ) -> Result<SecretString, CredentialError> {
        let _flight = self.refresh.lock().await;
        let snap = self.current();
        if let Some(message) = snap.needs_reauth {
            return Err(CredentialError::NeedsReauth(message));
        }
        if let Some(token) = snap.access_token.as_ref().filter(|_| still_good(&snap)) {
            return Ok(token.clone());
        }
        let Some(refresh_token) = snap.refresh_token.clone() else {
            return Err(CredentialError::NeedsReauth(super::REAUTH_MESSAGE.into()));
        };
        match service.refresh_tokens(&self.id, &refresh_token).await {
            Ok(next) => {
                let token = next.access_token.clone();
                self.replace(next);
                token.ok_or_else(|| {
                    CredentialError::Transient("the provider returned no access token".into())
                })
            }
            Err(e @ OAuthError::InvalidGrant(_)) => {
                let message = format!("{} {}", super::REAUTH_MESSAGE, e);
                let mut next = snap.clone();
                next.needs_reauth = Some(message.clone());
                self.replace(next);
                Err(CredentialError::NeedsReauth(message))
            }
            Err(e) if e.transient() => Err(CredentialError::Transient(format!(
                "refreshing the token failed for now, try again: {e}"
            ))),
            Err(e) => Err(CredentialError::NeedsReauth(e.to_string())),
        }
    }
}

impl CredentialSource for ConnectionCredentials {
    fn token(&self, kind: CredentialKind) -> BoxFuture<'_, Result<SecretString, CredentialError>> {
        Box::pin(async move {
            match kind {
                CredentialKind::Connection => self.access_token().await,
                CredentialKind::ServiceAccount => self.current().service_account_token.ok_or_else(|| {
                    CredentialError::Missing(
                        "this connection has no service account token: add one to the connection".into(),
                    )
                }),
                CredentialKind::None => Err(CredentialError::Missing("no credential asked for".into())),
            }
        })
    }

    fn after_unauthorized<'a>(
        &'a self,
        kind: CredentialKind,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<Option<SecretString>, CredentialError>> {
        Box::pin(async move {
            if kind != CredentialKind::Connection || self.current().refresh_token.is_none() {
                return Ok(None);
            }
            let service = self.service()?;
            let rejected = rejected.expose_secret().to_string();
            self.refresh_single_flight(&service, |s| {
                s.access_token
                    .as_ref()
                    .is_some_and(|t| t.expose_secret() != rejected)
            })
            .await
            .map(Some)
        })
    }
}

/// The shared handle runs hold.
pub type SharedCredentials = Arc<ConnectionCredentials>;
