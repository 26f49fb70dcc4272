//! The records the store keeps. [`Connection`] is the public record and never holds a secret; secrets
//! travel separately as [`Secrets`] (and inside [`OAuthState`] and [`AppSettings`]) as `SecretString`s,
//! which never show in `Debug` output, are never serialized, and are wiped from memory on drop.
//! [`CardRecord`] is what the card catalogue keeps about a card; flows and their runs are kept as
//! [`crate::flows::model`] defines them.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::runtime::Manifest;

/// A connection's id: a UUID v4 string.
pub type ConnectionId = String;

/// How a connection got its credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    /// Authorization-code flow with PKCE. (Serialized as `oauth`, not snake_case's `o_auth`.)
    #[serde(rename = "oauth")]
    OAuth,
    /// A token given directly (personal access token or service account token).
    Token,
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Created, waiting for the OAuth consent to complete.
    Pending,
    /// Usable.
    Connected,
    /// The provider refused the refresh token; the user must authorize again.
    NeedsReauth,
    /// Something else went wrong; see `status_message`.
    Error,
}

/// Who the credentials belong to, as the provider reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The account's id at the provider. Records written before connectors
    /// were packages call it `gid`.
    #[serde(alias = "gid")]
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

/// A named connection to a provider. Never holds a secret: safe to log and to return from the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub id: ConnectionId,
    pub connector: String,
    pub nickname: String,
    pub auth: AuthMethod,
    pub status: ConnectionStatus,
    pub status_message: Option<String>,
    /// The scopes the connection holds: those the provider granted (from its
    /// token response where it says, otherwise those asked for). Before the
    /// first authorization, those it will ask for.
    pub scopes: Vec<String>,
    /// Scopes a person chose when creating the connection; `None` follows
    /// what the connector's installed cards need, at every authorization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_scopes: Option<Vec<String>>,
    pub account: Option<Account>,
    pub default_workspace: Option<String>,
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Kept in sync by the store with the secrets it writes.
    pub has_refresh_token: bool,
    /// Kept in sync by the store with the secrets it writes.
    pub has_service_account_token: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl Connection {
    /// A new pending connection with a fresh UUID v4 id and the current time.
    pub fn new(
        connector: impl Into<String>,
        nickname: impl Into<String>,
        auth: AuthMethod,
    ) -> Self {
        let now = Utc::now();
        Connection {
            id: uuid::Uuid::new_v4().to_string(),
            connector: connector.into(),
            nickname: nickname.into(),
            auth,
            status: ConnectionStatus::Pending,
            status_message: None,
            scopes: Vec::new(),
            requested_scopes: None,
            account: None,
            default_workspace: None,
            token_expires_at: None,
            has_refresh_token: false,
            has_service_account_token: false,
            created_at: now,
            updated_at: now,
            last_used_at: None,
        }
    }
}

/// The secrets of a connection. Sealed at rest; unsealed only by `ConnectionStore::get_secrets`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Secrets {
    pub access_token: Option<SecretString>,
    pub refresh_token: Option<SecretString>,
    pub service_account_token: Option<SecretString>,
}

/// A pending authorization: what the callback needs to finish it. Single use and expiring.
#[derive(Debug, Clone)]
pub struct OAuthState {
    pub connection_id: ConnectionId,
    pub connector: String,
    pub redirect_uri: String,
    /// The scopes the authorization asked for: recorded as granted when the
    /// provider's token response does not say.
    pub scopes: Vec<String>,
    pub pkce_verifier: SecretString,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// App-level (organisation) settings for one connector: OAuth client and fallback token.
#[derive(Debug, Clone)]
pub struct AppSettings {
    pub connector: String,
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    pub personal_access_token: Option<SecretString>,
    pub redirect_uri: Option<String>,
    pub default_workspace: Option<String>,
    /// The app is registered at the provider with Full permissions: new
    /// connections ask for the full-access scope rather than the granular
    /// scopes their cards need.
    pub full_permissions: bool,
    /// Set by the store when the settings are written.
    pub updated_at: DateTime<Utc>,
}

impl AppSettings {
    /// Empty settings for `connector`.
    pub fn new(connector: impl Into<String>) -> Self {
        AppSettings {
            connector: connector.into(),
            client_id: None,
            client_secret: None,
            personal_access_token: None,
            redirect_uri: None,
            default_workspace: None,
            full_permissions: false,
            updated_at: Utc::now(),
        }
    }
}

/// What the catalogue keeps about a card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CardRecord {
    pub id: String,
    /// The card's own version (as its manifest says).
    pub version: String,
    /// SHA-256 of the component bytes, hex.
    pub hash: String,
    /// Shipped inside the host binary (upgraded with the host, not by hand).
    pub builtin: bool,
    pub installed_at: DateTime<Utc>,
    pub manifest: Manifest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_serialize_snake_case() {
        let json =
            serde_json::to_string(&(AuthMethod::OAuth, ConnectionStatus::NeedsReauth)).unwrap();
        assert_eq!(json, r#"["oauth","needs_reauth"]"#);
        let back: AuthMethod = serde_json::from_str(r#""token""#).unwrap();
        assert_eq!(back, AuthMethod::Token);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let secrets = Secrets {
            access_token: Some("tok-visible-1".into()),
            refresh_token: Some("tok-visible-2".into()),
            service_account_token: Some("tok-visible-3".into()),
        };
        let state = OAuthState {
            connection_id: "c".into(),
            connector: "example".into(),
            redirect_uri: "http://localhost/cb".into(),
            scopes: Vec::new(),
            pkce_verifier: "tok-visible-4".into(),
            created_at: Utc::now(),
            expires_at: Utc::now(),
        };
        let mut settings = AppSettings::new("example");
        settings.client_secret = Some("tok-visible-5".into());
        settings.personal_access_token = Some("tok-visible-6".into());
        let text = format!("{secrets:?} {state:?} {settings:?}");
        assert!(!text.contains("tok-visible"), "{text}");
    }
}
