//! Named connections and their lifecycle: create (OAuth or a token, with an optional service account token),
//! authorize and re-authorize, test, rename, set or clear the service account
//! token, delete (revoking at the provider). Also hands runs the credential
//! source of a connection.

mod credentials;
mod health;
mod oauth_flow;
mod org_settings;
mod packages;
mod scopes;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::capability::HttpCapability;
use crate::config::Settings;
use crate::connectors::definition::TokenKind;
use crate::connectors::{Connector, Registry};
use crate::error::{AppError, Kind};
use crate::oauth::{OAuth, OAuthError, OAuthHttp};
use crate::runtime::catalogue::Catalogue;
use crate::store::{AuthMethod, Connection, ConnectionStatus, Secrets, Store};
use credentials::Snapshot;
pub use credentials::{ConnectionCredentials, SharedCredentials};
pub use health::{Health, ServiceAccountHealth};
pub use oauth_flow::CallbackOutcome;
pub use org_settings::{OrgSettingsInput, OrgSettingsView, SavedSettings};
pub use packages::InstalledConnector;

/// What a person reads when a connection needs authorizing again.
pub const REAUTH_MESSAGE: &str =
    "The provider no longer accepts this connection's authorization (it was revoked or has expired). Open the connection and click Reauthorize.";

/// Longest nickname.
const MAX_NICKNAME: usize = 100;

/// The connection service; cheap to clone.
#[derive(Clone)]
pub struct Connections {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) store: Arc<Store>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) registry: Registry,
    pub(crate) http: HttpCapability,
    pub(crate) oauth_http: OAuthHttp,
    /// The installed cards, whose scopes a new OAuth connection asks for.
    pub(crate) catalogue: Arc<Catalogue>,
    cache: Mutex<HashMap<String, SharedCredentials>>,
}

/// `POST /api/v1/connections`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConnection {
    /// Connector id (GET /api/v1/connectors lists them).
    pub connector: String,
    /// A name for people, unique per connector (case-insensitive).
    pub nickname: String,
    /// Optional service account token, for connectors that have one (see
    /// the connector's `auth.service_account`).
    #[serde(default)]
    pub service_account_token: Option<String>,
    /// Scopes to ask for, from the connector's catalogue. When absent the
    /// connection asks, at every authorization, for what the connector's
    /// installed cards need (or for Full permissions when the org settings
    /// say the OAuth app is registered that way).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// A personal access token: makes a token connection instead of an OAuth one.
    #[serde(default)]
    pub access_token: Option<String>,
}

/// `PATCH /api/v1/connections/{id}`: absent fields are unchanged; a `null`
/// service account token clears it.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConnection {
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>")]
    pub service_account_token: Option<Option<String>>,
    /// A new personal access token (token connections only).
    #[serde(default)]
    pub access_token: Option<String>,
    /// The scopes the next authorization asks for; `null` follows what the
    /// installed cards need. Takes effect at the next Reauthorize.
    #[serde(default, deserialize_with = "double_option_list")]
    #[schemars(with = "Option<Vec<String>>")]
    pub scopes: Option<Option<Vec<String>>>,
}

fn double_option_list<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<Vec<String>>>, D::Error> {
    Option::<Vec<String>>::deserialize(d).map(Some)
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A created connection, with where to send the person for an OAuth one.
#[derive(Debug, Serialize)]
pub struct Created {
    pub connection: Connection,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
}

/// What deleting did at the provider.
#[derive(Debug, Serialize, PartialEq)]
pub struct Deleted {
    pub id: String,
    /// `revoked`, `failed` or `not_applicable` (token connections have nothing to revoke).
    pub revocation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_message: Option<String>,
}

impl Connections {
    /// The service over a store.
    pub fn new(
        store: Arc<Store>,
        settings: Arc<Settings>,
        registry: Registry,
        http: HttpCapability,
        oauth_http: OAuthHttp,
        catalogue: Arc<Catalogue>,
    ) -> Connections {
        Connections {
            inner: Arc::new(Inner {
                store,
                settings,
                registry,
                http,
                oauth_http,
                catalogue,
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The connector with this id, or a 400 naming `field`.
    pub fn connector(&self, id: &str, field: &str) -> Result<Arc<Connector>, AppError> {
        self.inner.registry.get(id).ok_or_else(|| {
            let known = self.inner.registry.ids();
            AppError::new(
                Kind::BadRequest,
                "unknown_connector",
                format!("unknown connector {id:?}; known: {}", known.join(", ")),
            )
            .field(field)
        })
    }

    /// Create a connection. With `access_token` it is a token connection,
    /// checked against the provider before anything is stored; otherwise an
    /// OAuth connection, pending until the person allows access at the
    /// provider's `authorize_url`.
    pub async fn create(&self, req: CreateConnection) -> Result<Created, AppError> {
        let connector = self.connector(&req.connector, "connector")?;
        let nickname = check_nickname(&req.nickname)?;
        let service_account = optional_token(req.service_account_token, "service_account_token")?;
        let access_token = optional_token(req.access_token, "access_token")?;
        supports(
            &connector,
            access_token.is_some(),
            service_account.is_some(),
        )?;
        let requested = match req.scopes {
            Some(s) => Some(check_scopes(&connector, s)?),
            None => None,
        };
        let auth = if access_token.is_some() {
            AuthMethod::Token
        } else {
            AuthMethod::OAuth
        };
        let mut conn = Connection::new(&connector.id, nickname, auth);
        if auth == AuthMethod::OAuth {
            conn.scopes = self
                .scopes_to_request(&connector, requested.as_deref())
                .await;
            conn.requested_scopes = requested;
        }
        if self
            .store()
            .find_connection(&connector.id, &conn.nickname)?
            .is_some()
        {
            return Err(crate::store::StoreError::DuplicateNickname {
                connector: connector.id.clone(),
                nickname: conn.nickname,
            }
            .into());
        }
        if let Some(token) = &access_token {
            let me = self.verify_token(&connector, token, "access_token").await?;
            conn.status = ConnectionStatus::Connected;
            conn.default_workspace = self.default_workspace_from(&connector, &me.workspaces);
            conn.account = Some(me.account);
        } else {
            self.oauth(&connector)?;
        }

        let secrets = Secrets {
            access_token,
            refresh_token: None,
            service_account_token: service_account,
        };
        self.store()
            .create_connection(conn.clone(), secrets)
            .await?;
        let conn = self.get(&conn.id)?;
        let authorize_url = match auth {
            AuthMethod::OAuth => Some(self.authorize(&conn.id).await?),
            AuthMethod::Token => None,
        };
        tracing::info!(connection = %conn.id, connector = %conn.connector, auth = ?conn.auth, "connection created");
        Ok(Created {
            connection: conn,
            authorize_url,
        })
    }

    /// Every connection, oldest first.
    pub fn list(&self) -> Result<Vec<Connection>, AppError> {
        Ok(self.store().list_connections()?)
    }

    /// A connection by id.
    pub fn get(&self, id: &str) -> Result<Connection, AppError> {
        self.store()
            .get_connection(id)?
            .ok_or_else(|| AppError::not_found("connection", id))
    }

    /// A connection by id, or by nickname when only one connector has it.
    pub fn resolve(&self, id_or_nickname: &str) -> Result<Connection, AppError> {
        if let Some(c) = self.store().get_connection(id_or_nickname)? {
            return Ok(c);
        }
        let mut found = Vec::new();
        for connector in self.inner.registry.all() {
            if let Some(c) = self
                .store()
                .find_connection(&connector.id, id_or_nickname)?
            {
                found.push(c);
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(AppError::not_found("connection", id_or_nickname)),
            _ => Err(AppError::new(
                Kind::Conflict,
                "ambiguous_connection",
                format!(
                    "several connectors have a connection named {id_or_nickname:?}; use its id"
                ),
            )),
        }
    }

    /// Rename, set or clear the service account token, or replace the
    /// personal access token of a token connection.
    pub async fn update(&self, id: &str, req: UpdateConnection) -> Result<Connection, AppError> {
        let current = self.get(id)?;
        let nickname = req.nickname.as_deref().map(check_nickname).transpose()?;
        let service_account = match req.service_account_token {
            None => None,
            Some(value) => Some(optional_token(value, "service_account_token")?),
        };
        let access_token = optional_token(req.access_token, "access_token")?;
        if matches!(service_account, Some(Some(_))) {
            let connector = self.connector(&current.connector, "connector")?;
            if connector.definition.auth.service_account.is_none() {
                return Err(no_service_account(&connector));
            }
        }
        let requested_scopes = match req.scopes {
            None => None,
            Some(list) => {
                if current.auth != AuthMethod::OAuth {
                    return Err(AppError::new(
                        Kind::Conflict,
                        "token_connection",
                        "a personal access token acts with its owner's full access: scopes apply to OAuth connections only",
                    )
                    .field("scopes"));
                }
                let connector = self.connector(&current.connector, "connector")?;
                Some(list.map(|l| check_scopes(&connector, l)).transpose()?)
            }
        };
        let mut account = None;
        if let Some(token) = &access_token {
            if current.auth != AuthMethod::Token {
                return Err(AppError::new(
                    Kind::Conflict,
                    "oauth_connection",
                    "this is an OAuth connection: reauthorize it instead of setting a token",
                )
                .field("access_token"));
            }
            let connector = self.connector(&current.connector, "connector")?;
            account = Some(
                self.verify_token(&connector, token, "access_token")
                    .await?
                    .account,
            );
        }
        let updated = self
            .store()
            .update_connection(id, |conn, secrets| {
                if let Some(n) = &nickname {
                    conn.nickname = n.clone();
                }
                if let Some(sa) = &service_account {
                    secrets.service_account_token = sa.clone();
                }
                if let Some(requested) = &requested_scopes {
                    conn.requested_scopes = requested.clone();
                }
                if let Some(t) = &access_token {
                    secrets.access_token = Some(t.clone());
                    conn.status = ConnectionStatus::Connected;
                    conn.status_message = None;
                    conn.account = account.clone();
                }
                Ok(())
            })
            .await?;
        self.reload_credentials(id)?;
        Ok(updated)
    }

    /// Delete a connection: revoke its refresh token at the provider (best
    /// effort, reported), then remove the record and every secret.
    pub async fn delete(&self, id: &str) -> Result<Deleted, AppError> {
        let conn = self.get(id)?;
        let secrets = self.store().get_secrets(id)?.unwrap_or_default();
        let (revocation, revocation_message) = match conn.auth {
            AuthMethod::OAuth => self.revoke(&conn, &secrets).await,
            AuthMethod::Token => ("not_applicable", None),
        };
        self.store().delete_connection(id).await?;
        self.inner
            .cache
            .lock()
            .expect("credential cache")
            .remove(id);
        tracing::info!(connection = %id, revocation, "connection deleted");
        Ok(Deleted {
            id: id.to_string(),
            revocation,
            revocation_message,
        })
    }

    /// Revoke an OAuth connection's grant at the provider with the token its
    /// connector's revocation takes; best effort, reported.
    async fn revoke(&self, conn: &Connection, secrets: &Secrets) -> (&'static str, Option<String>) {
        let connector = match self.connector(&conn.connector, "connector") {
            Ok(c) => c,
            Err(e) => return ("failed", Some(e.message)),
        };
        let oauth = match self.oauth(&connector) {
            Ok(o) => o,
            Err(e) => return ("failed", Some(e.to_string())),
        };
        let token = match oauth.revokes() {
            TokenKind::AccessToken => &secrets.access_token,
            TokenKind::RefreshToken => &secrets.refresh_token,
        };
        match token {
            None => ("not_applicable", None),
            Some(token) => match oauth.revoke(token).await {
                Ok(()) => ("revoked", None),
                Err(e) => ("failed", Some(e.to_string())),
            },
        }
    }

    /// The credential source runs on this connection use: one per
    /// connection, decrypted once per change.
    pub fn credentials(&self, id: &str) -> Result<SharedCredentials, AppError> {
        if let Some(c) = self.inner.cache.lock().expect("credential cache").get(id) {
            return Ok(c.clone());
        }
        let snapshot = self.load_snapshot(id)?;
        let mut cache = self.inner.cache.lock().expect("credential cache");
        let entry = cache.entry(id.to_string()).or_insert_with(|| {
            Arc::new(ConnectionCredentials {
                id: id.to_string(),
                snapshot: std::sync::RwLock::new(snapshot),
                refresh: tokio::sync::Mutex::new(()),
                service: Arc::downgrade(&self.inner),
            })
        });
        Ok(entry.clone())
    }

    fn load_snapshot(&self, id: &str) -> Result<Snapshot, AppError> {
        let conn = self.get(id)?;
        let secrets = self.store().get_secrets(id)?.unwrap_or_default();
        Ok(Snapshot::from_store(
            secrets,
            conn.token_expires_at,
            conn.status,
            conn.status_message,
        ))
    }

    /// Re-read a connection's secrets into its cached credentials after a change.
    fn reload_credentials(&self, id: &str) -> Result<(), AppError> {
        let cached = self
            .inner
            .cache
            .lock()
            .expect("credential cache")
            .get(id)
            .cloned();
        if let Some(creds) = cached {
            creds.replace(self.load_snapshot(id)?);
        }
        Ok(())
    }

    /// Refresh a connection's tokens and store the result; `needs_reauth` on
    /// `invalid_grant`, unchanged status on a transient failure.
    pub(super) async fn refresh_tokens(
        &self,
        id: &str,
        refresh_token: &SecretString,
    ) -> Result<Snapshot, OAuthError> {
        let conn = self.get(id).map_err(|e| OAuthError::Provider(e.message))?;
        let connector = self
            .connector(&conn.connector, "connector")
            .map_err(|e| OAuthError::Provider(e.message))?;
        let oauth = self.oauth(&connector)?;
        tracing::info!(connection = %id, "refreshing the access token");
        match oauth.refresh(refresh_token).await {
            Ok(tokens) => {
                let stored = self
                    .store()
                    .update_connection(id, |c, s| {
                        s.access_token = Some(tokens.access_token.clone());
                        if let Some(r) = &tokens.refresh_token {
                            s.refresh_token = Some(r.clone());
                        }
                        c.token_expires_at = tokens.expires_at;
                        c.status = ConnectionStatus::Connected;
                        c.status_message = None;
                        Ok(())
                    })
                    .await
                    .map_err(|e| {
                        OAuthError::Provider(format!("storing the refreshed token failed: {e}"))
                    })?;
                let secrets = self
                    .store()
                    .get_secrets(id)
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                Ok(Snapshot::from_store(
                    secrets,
                    stored.token_expires_at,
                    stored.status,
                    None,
                ))
            }
            Err(e @ OAuthError::InvalidGrant(_)) => {
                tracing::warn!(connection = %id, "the provider refused the refresh token; the connection needs reauthorization");
                let message = format!("{REAUTH_MESSAGE} ({e})");
                let _ = self
                    .store()
                    .update_connection(id, |c, _| {
                        c.status = ConnectionStatus::NeedsReauth;
                        c.status_message = Some(message.clone());
                        Ok(())
                    })
                    .await;
                Err(e)
            }
            Err(e) => {
                tracing::warn!(connection = %id, error = %e, "refreshing the token failed");
                Err(e)
            }
        }
    }

    /// The OAuth client of a connector's app: org settings saved over REST
    /// first, then the env keys.
    pub(crate) fn oauth(&self, connector: &Arc<Connector>) -> Result<OAuth, OAuthError> {
        let app = self.oauth_app(connector)?;
        OAuth::new(connector.clone(), app, self.inner.oauth_http.clone())
    }

    /// The default workspace of a connector's connections: the app's (org
    /// settings, else env), else the first the account sees.
    fn default_workspace_from(
        &self,
        connector: &Connector,
        workspaces: &[String],
    ) -> Option<String> {
        connector.definition.default_workspace.as_ref()?;
        self.app_default_workspace(connector)
            .or_else(|| workspaces.first().cloned())
    }

    /// The default workspace the org settings (else the env) give a connector.
    pub fn app_default_workspace(&self, connector: &Connector) -> Option<String> {
        self.store()
            .get_app_settings(&connector.id)
            .ok()
            .flatten()
            .and_then(|s| s.default_workspace)
            .or_else(|| self.inner.settings.app(connector).default_workspace)
    }

    /// Record that a connection was used (at most once a minute, not flushed).
    pub async fn touch(&self, conn: &Connection) {
        let stale = conn
            .last_used_at
            .is_none_or(|at| Utc::now() - at > chrono::Duration::seconds(60));
        if stale {
            if let Err(e) = self.store().touch_last_used(&conn.id).await {
                tracing::warn!(connection = %conn.id, error = %e, "could not record last use");
            }
        }
    }
}

/// Refuse what a connector's auth methods do not offer, naming the field.
fn supports(connector: &Connector, token: bool, service_account: bool) -> Result<(), AppError> {
    let auth = &connector.definition.auth;
    if service_account && auth.service_account.is_none() {
        return Err(no_service_account(connector));
    }
    if token && auth.token.is_none() {
        return Err(AppError::invalid(
            "access_token",
            format!(
                "the {} connector does not take a token: authorize with OAuth instead",
                connector.name
            ),
        ));
    }
    if !token && connector.oauth.is_none() {
        return Err(AppError::invalid(
            "access_token",
            format!(
                "the {} connector does not authorize with OAuth: give access_token",
                connector.name
            ),
        ));
    }
    Ok(())
}

fn no_service_account(connector: &Connector) -> AppError {
    AppError::invalid(
        "service_account_token",
        format!(
            "the {} connector has no service account token",
            connector.name
        ),
    )
}

fn check_nickname(raw: &str) -> Result<String, AppError> {
    let nickname = raw.trim();
    if nickname.is_empty() {
        return Err(AppError::invalid("nickname", "nickname must not be empty"));
    }
    if nickname.chars().count() > MAX_NICKNAME {
        return Err(AppError::invalid(
            "nickname",
            format!("nickname must be at most {MAX_NICKNAME} characters"),
        ));
    }
    if nickname.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "nickname",
            "nickname must not contain control characters",
        ));
    }
    Ok(nickname.to_string())
}

fn optional_token(value: Option<String>, field: &str) -> Result<Option<SecretString>, AppError> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = v.trim();
            if v.is_empty() {
                return Err(AppError::invalid(
                    field,
                    format!("{field} must not be empty (leave it out instead)"),
                ));
            }
            if v.len() > 4096 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(AppError::invalid(
                    field,
                    format!("{field} is not a valid token"),
                ));
            }
            Ok(Some(SecretString::from(v.to_string())))
        }
    }
}

fn check_scopes(connector: &Connector, scopes: Vec<String>) -> Result<Vec<String>, AppError> {
    if scopes.is_empty() {
        return Err(AppError::invalid(
            "scopes",
            "scopes must name at least one scope (leave it out to ask for what the installed cards need)",
        ));
    }
    if let Some(bad) = scopes.iter().find(|s| !connector.known_scopes.contains(s)) {
        return Err(AppError::invalid(
            "scopes",
            format!(
                "{bad:?} is not a {} scope; known: {}",
                connector.name,
                connector.known_scopes.join(", ")
            ),
        ));
    }
    Ok(scopes)
}
