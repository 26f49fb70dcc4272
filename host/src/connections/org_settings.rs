//! Org-level app settings of a connector: client id, client secret, whether
//! the OAuth app is registered with Full permissions, and an optional
//! personal access token (verified and kept; never lent to a connection).
//! Saved over REST they take precedence over the env keys; saving verifies
//! them (the client credentials as the token endpoint takes them, in the
//! form body) and says whether a connect step is still needed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::Connections;
use crate::connectors::Connector;
use crate::error::{AppError, Kind};
use crate::oauth::{OAuthApp, OAuthError};
use crate::store::{AppSettings, ConnectionStatus};

/// `PUT /api/v1/settings/{connector}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsInput {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub personal_access_token: Option<String>,
    pub redirect_uri: Option<String>,
    pub default_workspace: Option<String>,
    /// The OAuth app is registered at the provider with Full permissions:
    /// connections ask for the connector's full-access scope rather than the
    /// granular scopes their cards need. Default false.
    #[serde(default)]
    pub full_permissions: Option<bool>,
}

/// The settings as the API shows them: never a secret, only whether one is set.
#[derive(Debug, Serialize)]
pub struct OrgSettingsView {
    pub connector: String,
    pub client_id: Option<String>,
    pub has_client_secret: bool,
    pub has_personal_access_token: bool,
    pub redirect_uri: String,
    pub default_workspace: Option<String>,
    /// Whether connections ask for Full permissions.
    pub full_permissions: bool,
    /// `stored` when saved over REST, `env` when from env keys, `none`.
    pub source: &'static str,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What saving found.
#[derive(Debug, Serialize)]
pub struct SavedSettings {
    pub settings: OrgSettingsView,
    /// The provider accepted the client id and secret.
    pub client_verified: bool,
    /// Who the personal access token belongs to, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_access_token_account: Option<String>,
    /// Whether a person still has to connect (authorize) a connection.
    pub connect_needed: bool,
    pub message: String,
}

impl Connections {
    /// The org settings of a connector, without secrets.
    pub fn org_settings(&self, connector: &str) -> Result<OrgSettingsView, AppError> {
        let connector = self.connector(connector, "connector")?;
        let stored = self.store().get_app_settings(&connector.id)?;
        let env = self.inner.settings.app(&connector);
        Ok(match stored {
            Some(s) => OrgSettingsView {
                connector: connector.id.clone(),
                client_id: s.client_id,
                has_client_secret: s.client_secret.is_some(),
                has_personal_access_token: s.personal_access_token.is_some(),
                redirect_uri: self.redirect_uri(&connector),
                default_workspace: s.default_workspace,
                full_permissions: s.full_permissions,
                source: "stored",
                updated_at: Some(s.updated_at),
            },
            None => OrgSettingsView {
                connector: connector.id.clone(),
                client_id: env.client_id.clone(),
                has_client_secret: env.client_secret.is_some(),
                has_personal_access_token: env.personal_access_token.is_some(),
                redirect_uri: self.redirect_uri(&connector),
                default_workspace: env.default_workspace.clone(),
                full_permissions: env.full_permissions,
                source: if env.client_id.is_some() || env.personal_access_token.is_some() {
                    "env"
                } else {
                    "none"
                },
                updated_at: None,
            },
        })
    }

    /// Verify and save org settings; nothing is saved when a check fails.
    pub async fn save_org_settings(
        &self,
        connector: &str,
        input: OrgSettingsInput,
    ) -> Result<SavedSettings, AppError> {
        let connector = self.connector(connector, "connector")?;
        let client_id = non_empty(input.client_id, "client_id")?;
        let client_secret = non_empty(input.client_secret, "client_secret")?;
        let pat = non_empty(input.personal_access_token, "personal_access_token")?;
        let redirect_uri = non_empty(input.redirect_uri, "redirect_uri")?;
        if let Some(uri) = &redirect_uri {
            if url::Url::parse(uri)
                .map(|u| !matches!(u.scheme(), "http" | "https"))
                .unwrap_or(true)
            {
                return Err(AppError::invalid(
                    "redirect_uri",
                    "redirect_uri must be an absolute http(s) URL",
                ));
            }
        }
        if client_id.is_some() != client_secret.is_some() {
            let missing = if client_id.is_none() {
                "client_id"
            } else {
                "client_secret"
            };
            return Err(AppError::invalid(
                missing,
                "client_id and client_secret go together",
            ));
        }
        if client_id.is_none() && pat.is_none() {
            return Err(AppError::invalid(
                "client_id",
                "give client_id and client_secret, or a personal_access_token, or both",
            ));
        }
        let mut client_verified = false;
        if let (Some(id), Some(secret)) = (&client_id, &client_secret) {
            let app = OAuthApp {
                client_id: id.clone(),
                client_secret: SecretString::from(secret.clone()),
                redirect_uri: redirect_uri
                    .clone()
                    .unwrap_or_else(|| self.inner.settings.redirect_uri(&connector)),
            };
            verify_client(connector.clone(), app, self).await?;
            client_verified = true;
        }
        let mut pat_account = None;
        let pat_secret = pat.map(SecretString::from);
        if let Some(token) = &pat_secret {
            let me = self
                .verify_token(&connector, token, "personal_access_token")
                .await?;
            pat_account = Some(me.account.name);
        }
        let mut settings = AppSettings::new(&connector.id);
        settings.client_id = client_id;
        settings.client_secret = client_secret.map(SecretString::from);
        settings.personal_access_token = pat_secret;
        settings.redirect_uri = redirect_uri;
        settings.default_workspace = input.default_workspace.filter(|w| !w.trim().is_empty());
        settings.full_permissions = input.full_permissions.unwrap_or(false);
        self.store().put_app_settings(settings).await?;
        let connected = self
            .list()?
            .iter()
            .any(|c| c.connector == connector.id && c.status == ConnectionStatus::Connected);
        let connect_needed = client_verified && !connected;
        let message = match (client_verified, connect_needed, &pat_account) {
            (true, true, _) => "Saved. The OAuth app works: connect a connection (create one and click Connect) so cards can act as a person.".to_string(),
            (true, false, _) => "Saved. The OAuth app works and a connection is already connected.".to_string(),
            (false, _, Some(name)) => format!("Saved. Backend calls will use the personal access token of {name}."),
            (false, _, None) => "Saved.".to_string(),
        };
        Ok(SavedSettings {
            settings: self.org_settings(&connector.id)?,
            client_verified,
            personal_access_token_account: pat_account,
            connect_needed,
            message,
        })
    }

    /// The OAuth app of a connector: stored org settings first, then env keys.
    pub(crate) fn oauth_app(&self, connector: &Connector) -> Result<OAuthApp, OAuthError> {
        let stored = self.store().get_app_settings(&connector.id).map_err(|e| {
            OAuthError::Provider(format!("the org settings could not be read: {e}"))
        })?;
        let redirect_uri = self.redirect_uri(connector);
        if let Some(s) = stored {
            if let (Some(id), Some(secret)) = (s.client_id, s.client_secret) {
                return Ok(OAuthApp {
                    client_id: id,
                    client_secret: secret,
                    redirect_uri,
                });
            }
        }
        let env = self.inner.settings.app(connector);
        match (env.client_id, env.client_secret) {
            (Some(id), Some(secret)) => Ok(OAuthApp {
                client_id: id,
                client_secret: secret,
                redirect_uri,
            }),
            _ => Err(OAuthError::NotConfigured {
                keys: format!(
                    "{} and {}",
                    connector.env_keys("client_id"),
                    connector.env_keys("client_secret")
                ),
            }),
        }
    }

    /// The redirect URI saved in a connector's org settings, if any.
    pub(crate) fn org_redirect_uri(&self, connector: &Connector) -> Option<String> {
        self.store()
            .get_app_settings(&connector.id)
            .ok()
            .flatten()
            .and_then(|s| s.redirect_uri)
    }
}

/// A client id and secret are right when the token endpoint, given a refresh
/// token that cannot exist, says `invalid_grant` rather than `invalid_client`.
async fn verify_client(
    connector: Arc<Connector>,
    app: OAuthApp,
    service: &Connections,
) -> Result<(), AppError> {
    let oauth = crate::oauth::OAuth::new(connector, app, service.inner.oauth_http.clone())?;
    let probe = SecretString::from("cardhost-verification-probe".to_string());
    match oauth.refresh(&probe).await {
        Err(OAuthError::InvalidGrant(_)) | Ok(_) => Ok(()),
        Err(OAuthError::InvalidClient) => Err(AppError::new(
            Kind::Unprocessable,
            "invalid_client",
            "the provider refused this client_id and client_secret: copy them again from the provider's developer console",
        )
        .field("client_secret")),
        Err(e) => Err(e.into()),
    }
}

fn non_empty(value: Option<String>, field: &str) -> Result<Option<String>, AppError> {
    match value.map(|v| v.trim().to_string()) {
        Some(v) if v.is_empty() => Err(AppError::invalid(
            field,
            format!("{field} must not be empty (leave it out instead)"),
        )),
        other => Ok(other),
    }
}

impl std::fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}
