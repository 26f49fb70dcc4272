//! The authorization-code flow of a connection: start it (state bound to the
//! connection, single use, expiring in ten minutes, PKCE S256) and finish it
//! at the callback.

use chrono::Utc;

use super::Connections;
use crate::connectors::Connector;
use crate::error::{AppError, Kind};
use crate::oauth::OAuthError;
use crate::store::{AuthMethod, ConnectionStatus, OAuthState};

/// How long a started authorization stays valid.
const STATE_TTL_MINUTES: i64 = 10;

/// How a callback ended, for the API and the console to show.
#[derive(Debug)]
pub struct CallbackOutcome {
    /// The connection the state belonged to, when the state was known.
    pub connection_id: Option<String>,
    pub result: Result<(), AppError>,
}

impl Connections {
    /// Start (or restart) the OAuth flow of a connection; the URL to send the person to.
    pub async fn authorize(&self, id: &str) -> Result<String, AppError> {
        let conn = self.get(id)?;
        if conn.auth != AuthMethod::OAuth {
            return Err(AppError::new(
                Kind::Conflict,
                "token_connection",
                "this connection uses a personal access token, not OAuth: update its access_token instead",
            ));
        }
        let connector = self.connector(&conn.connector, "connector")?;
        let oauth = self.oauth(&connector)?;
        let scopes = self
            .scopes_to_request(&connector, conn.requested_scopes.as_deref())
            .await;
        let started = oauth.authorize(&scopes);
        let now = Utc::now();
        self.store()
            .put_oauth_state(
                &started.state,
                OAuthState {
                    connection_id: conn.id.clone(),
                    connector: conn.connector.clone(),
                    redirect_uri: self.redirect_uri(&connector),
                    pkce_verifier: started.pkce_verifier,
                    scopes,
                    created_at: now,
                    expires_at: now + chrono::Duration::minutes(STATE_TTL_MINUTES),
                },
            )
            .await?;
        let _ = self.store().purge_expired_oauth_states(now).await;
        Ok(started.url)
    }

    /// Finish an authorization at the callback: the state must be one this
    /// host issued, unused and unexpired; the code is exchanged with the
    /// state's PKCE verifier and the same redirect URI.
    pub async fn callback(
        &self,
        code: Option<&str>,
        state: Option<&str>,
        error: Option<&str>,
        error_description: Option<&str>,
    ) -> CallbackOutcome {
        let Some(state) = state.filter(|s| !s.is_empty()) else {
            return failed(None, invalid_state("the callback carries no state"));
        };
        let pending = match self.store().take_oauth_state(state).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return failed(
                    None,
                    invalid_state(
                        "this sign-in link was already used or was not issued by this host",
                    ),
                )
            }
            Err(e) => return failed(None, e.into()),
        };
        let id = pending.connection_id.clone();
        if pending.expires_at < Utc::now() {
            return failed(
                Some(id),
                AppError::new(
                    Kind::BadRequest,
                    "state_expired",
                    "the sign-in took longer than ten minutes and expired: click Reauthorize to start again",
                ),
            );
        }
        if let Some(error) = error {
            let e = match self
                .connector(&pending.connector, "connector")
                .map_err(|e| OAuthError::Provider(e.message))
                .and_then(|c| self.oauth(&c))
            {
                Ok(oauth) => oauth.callback_error(error, error_description),
                Err(e) => e,
            };
            self.note_failure(&id, &e).await;
            return failed(Some(id), e.into());
        }
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            return failed(Some(id), invalid_state("the callback carries no code"));
        };
        let result = self.finish(&id, code, &pending).await;
        if let Err(e) = &result {
            tracing::warn!(connection = %id, code = %e.code, "authorization failed");
        }
        CallbackOutcome {
            connection_id: Some(id),
            result,
        }
    }

    async fn finish(&self, id: &str, code: &str, pending: &OAuthState) -> Result<(), AppError> {
        let conn = self.get(id)?;
        let connector = self.connector(&conn.connector, "connector")?;
        let oauth = self.oauth(&connector)?;
        if pending.redirect_uri != self.redirect_uri(&connector) {
            return Err(OAuthError::RedirectUriMismatch {
                redirect_uri: pending.redirect_uri.clone(),
            }
            .into());
        }
        let tokens = match oauth.exchange(code, &pending.pkce_verifier).await {
            Ok(t) => t,
            Err(e) => {
                self.note_failure(id, &e).await;
                return Err(e.into());
            }
        };
        // Whom the token belongs to, when the token response did not say,
        // and the workspaces it sees; a failure here does not undo the grant.
        let me = self
            .me_with_token(&connector, &tokens.access_token)
            .await
            .ok();
        let workspaces = me
            .as_ref()
            .map(|m| m.workspaces.clone())
            .unwrap_or_default();
        let account = tokens.account.clone().or_else(|| me.map(|m| m.account));
        let default_workspace = self.default_workspace_from(&connector, &workspaces);
        self.store()
            .update_connection(id, |c, s| {
                s.access_token = Some(tokens.access_token.clone());
                s.refresh_token = tokens.refresh_token.clone();
                c.token_expires_at = tokens.expires_at;
                c.scopes = tokens
                    .scopes
                    .clone()
                    .unwrap_or_else(|| pending.scopes.clone());
                if account.is_some() {
                    c.account = account.clone();
                }
                if c.default_workspace.is_none() {
                    c.default_workspace = default_workspace.clone();
                }
                c.status = ConnectionStatus::Connected;
                c.status_message = None;
                Ok(())
            })
            .await?;
        self.reload_credentials(id)?;
        tracing::info!(connection = %id, "connection authorized");
        Ok(())
    }

    /// Remember on the connection why its last authorization failed.
    async fn note_failure(&self, id: &str, e: &OAuthError) {
        let message = e.to_string();
        let _ = self
            .store()
            .update_connection(id, |c, _| {
                if c.status != ConnectionStatus::Connected {
                    c.status = ConnectionStatus::Error;
                }
                c.status_message = Some(message.clone());
                Ok(())
            })
            .await;
    }

    /// The redirect URI this host registers with a connector's provider:
    /// the org settings', else the env's, else `{public_url}/oauth/callback`.
    pub fn redirect_uri(&self, connector: &Connector) -> String {
        self.org_redirect_uri(connector)
            .unwrap_or_else(|| self.inner.settings.redirect_uri(connector))
    }
}

fn invalid_state(message: &str) -> AppError {
    AppError::new(Kind::BadRequest, "invalid_state", message)
}

fn failed(id: Option<String>, e: AppError) -> CallbackOutcome {
    CallbackOutcome {
        connection_id: id,
        result: Err(e),
    }
}
