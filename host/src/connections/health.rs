//! Checking credentials against the provider, like Okta's auth ping: who do
//! they belong to, and does the service account token work too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;

use super::Connections;
use crate::capability::{
    self, CredentialKind, CredentialSource, Grant, HttpError, StaticCredentials,
};
use crate::connectors::Connector;
use crate::error::{AppError, Kind};
use crate::store::{Account, ConnectionStatus};

/// How long a health check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(20);

/// The result of testing a connection.
#[derive(Debug, Serialize)]
pub struct Health {
    pub ok: bool,
    pub status: ConnectionStatus,
    pub account: Option<Account>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ServiceAccountHealth>,
    pub checked_at: DateTime<Utc>,
}

/// Whether the service account token works.
#[derive(Debug, Serialize)]
pub struct ServiceAccountHealth {
    pub ok: bool,
    pub message: String,
}

/// Who a token belongs to, and the workspaces it sees.
pub(crate) struct Me {
    pub account: Account,
    pub workspaces: Vec<String>,
}

impl Connections {
    /// Test a connection's credentials at the provider and record the result.
    pub async fn test(&self, id: &str) -> Result<Health, AppError> {
        let conn = self.get(id)?;
        let connector = self.connector(&conn.connector, "connector")?;
        let creds = self.credentials(id)?;
        let checked_at = Utc::now();
        let me = self
            .me(&connector, creds.clone(), CredentialKind::Connection)
            .await;
        let owner_email = me
            .as_ref()
            .ok()
            .and_then(|m| m.account.email.clone())
            .or_else(|| conn.account.as_ref().and_then(|a| a.email.clone()));
        let service_account = if conn.has_service_account_token {
            Some(
                match self.scim_check(&connector, creds, owner_email).await {
                    Ok(()) => ServiceAccountHealth {
                        ok: true,
                        message: "the service account token works".into(),
                    },
                    Err(e) => ServiceAccountHealth {
                        ok: false,
                        message: e.message,
                    },
                },
            )
        } else {
            None
        };
        let (ok, message, account) = match me {
            Ok(me) => (
                true,
                format!("connected as {}", me.account.name),
                Some(me.account),
            ),
            Err(e) => (false, e.message, None),
        };
        let updated = self
            .store()
            .update_connection(id, |c, _| {
                if ok {
                    c.status = ConnectionStatus::Connected;
                    c.status_message = None;
                    c.account = account.clone();
                } else if c.status == ConnectionStatus::Connected {
                    c.status = ConnectionStatus::Error;
                    c.status_message = Some(message.clone());
                }
                Ok(())
            })
            .await?;
        let refreshed = self.get(id)?;
        Ok(Health {
            ok,
            status: refreshed.status,
            account: updated.account.filter(|_| ok),
            message,
            service_account,
            checked_at,
        })
    }

    /// Check a token before storing it: a 401 is the caller's fault, named by `field`.
    pub(crate) async fn verify_token(
        &self,
        connector: &Arc<Connector>,
        token: &SecretString,
        field: &str,
    ) -> Result<Me, AppError> {
        self.me_with_token(connector, token).await.map_err(|e| {
            if e.code == "token_rejected" {
                AppError::new(Kind::Unprocessable, "token_rejected", format!("the provider refused this {field}: check that it is complete and not revoked")).field(field)
            } else {
                e
            }
        })
    }

    pub(crate) async fn me_with_token(
        &self,
        connector: &Arc<Connector>,
        token: &SecretString,
    ) -> Result<Me, AppError> {
        let creds = Arc::new(StaticCredentials::new(Some(token.clone()), None));
        self.me(connector, creds, CredentialKind::Connection).await
    }

    async fn me(
        &self,
        connector: &Arc<Connector>,
        creds: Arc<dyn CredentialSource>,
        kind: CredentialKind,
    ) -> Result<Me, AppError> {
        let body = self
            .provider_get(
                connector,
                creds,
                kind,
                "/users/me",
                &[("opt_fields", "name,email,workspaces.name")],
            )
            .await?;
        let data = &body["data"];
        let gid = data["gid"].as_str().unwrap_or_default().to_string();
        if gid.is_empty() {
            return Err(AppError::new(
                Kind::Provider,
                "provider_error",
                "the provider's answer has no user gid",
            ));
        }
        Ok(Me {
            account: Account {
                gid,
                name: data["name"].as_str().unwrap_or_default().to_string(),
                email: data["email"].as_str().map(str::to_string),
            },
            workspaces: data["workspaces"]
                .as_array()
                .map(|ws| {
                    ws.iter()
                        .filter_map(|w| w["gid"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Whether the service account token can read SCIM: one user looked up
    /// by `userName` (the connection owner's email, else the service
    /// account's own). Asana's SCIM filters only on `userName` and ignores
    /// `count`, so an unfiltered list would return the whole domain.
    async fn scim_check(
        &self,
        connector: &Arc<Connector>,
        creds: Arc<dyn CredentialSource>,
        owner_email: Option<String>,
    ) -> Result<(), AppError> {
        let email = match owner_email {
            Some(e) => e,
            None => self
                .me(connector, creds.clone(), CredentialKind::ServiceAccount)
                .await?
                .account
                .email
                .ok_or_else(|| {
                    AppError::new(
                        Kind::Provider,
                        "provider_error",
                        "the provider did not say whose service account token this is (no email), so SCIM could not be checked",
                    )
                })?,
        };
        let filter = scim_user_name_filter(&email);
        self.provider_get(
            connector,
            creds,
            CredentialKind::ServiceAccount,
            "/scim/Users",
            &[("filter", filter.as_str())],
        )
        .await
        .map(|_| ())
    }

    /// A GET the host makes itself, through the same capability cards use.
    async fn provider_get(
        &self,
        connector: &Arc<Connector>,
        credentials: Arc<dyn CredentialSource>,
        kind: CredentialKind,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<serde_json::Value, AppError> {
        let grant = Grant {
            connector: connector.clone(),
            credentials,
            allow_service_account: true,
            deadline: Instant::now() + CHECK_TIMEOUT,
        };
        let request = capability::Request {
            method: capability::Method::Get,
            url: path.to_string(),
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            credential: kind,
        };
        let mut calls = Vec::new();
        let response = self
            .inner
            .http
            .send(&grant, request, &mut calls)
            .await
            .map_err(|e| match e {
                HttpError::NeedsReauth(m) => AppError::new(Kind::Conflict, "needs_reauth", m),
                HttpError::NoCredential(m) => AppError::new(Kind::Conflict, "no_credential", m),
                HttpError::Transport(m) => AppError::new(
                    Kind::Provider,
                    "provider_unreachable",
                    format!("{m}: check the network and ASANA_API_BASE_URL, then test again"),
                ),
                other => AppError::new(Kind::Provider, "provider_error", other.to_string()),
            })?;
        match response.status {
            200..=299 => serde_json::from_slice(&response.body)
                .map_err(|_| AppError::new(Kind::Provider, "provider_error", "the provider's answer is not JSON")),
            401 => Err(AppError::new(
                Kind::Provider,
                "token_rejected",
                "the provider refused the credentials (401): reauthorize the connection or give it a new token",
            )),
            403 => Err(AppError::new(
                Kind::Provider,
                "forbidden",
                "the provider refused access (403): the token lacks permission for this check",
            )),
            status => Err(AppError::new(
                Kind::Provider,
                "provider_error",
                format!("the provider answered HTTP {status}"),
            )),
        }
    }
}

/// SCIM's `userName eq "…"` filter, with `"` and `\\` escaped as RFC 7644
/// §3.4.2.2 asks for string values.
fn scim_user_name_filter(email: &str) -> String {
    let escaped = email.replace('\\', "\\\\").replace('"', "\\\"");
    format!("userName eq \"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::scim_user_name_filter;

    #[test]
    fn the_scim_filter_quotes_its_value() {
        assert_eq!(
            scim_user_name_filter("ada@example.com"),
            r#"userName eq "ada@example.com""#
        );
        assert_eq!(
            scim_user_name_filter(r#"a"b\c"#),
            r#"userName eq "a\"b\\c""#
        );
    }
}
