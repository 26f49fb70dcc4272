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
use crate::connectors::{self, Connector};
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
                match self
                    .service_account_check(&connector, creds, owner_email)
                    .await
                {
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

    /// Whom a credential belongs to: the connector's `whoami` request, read
    /// through its pointers, with the workspaces it sees when the connector
    /// has a default workspace.
    async fn me(
        &self,
        connector: &Arc<Connector>,
        creds: Arc<dyn CredentialSource>,
        kind: CredentialKind,
    ) -> Result<Me, AppError> {
        let whoami = &connector.definition.whoami;
        let query: Vec<(&str, &str)> = whoami
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = self
            .provider_get(connector, creds, kind, &whoami.path, &query)
            .await?;
        let account = connectors::account_at(&body, &whoami.account).ok_or_else(|| {
            AppError::new(
                Kind::Provider,
                "provider_error",
                format!(
                    "the provider's answer to {} does not say whose credential this is (no account id)",
                    whoami.path
                ),
            )
        })?;
        let workspaces = match &connector.definition.default_workspace {
            Some(w) => body
                .pointer(&w.list)
                .and_then(|l| l.as_array())
                .map(|items| {
                    items
                        .iter()
                        .filter_map(|item| match item.pointer(&w.id)? {
                            serde_json::Value::String(s) => Some(s.clone()),
                            serde_json::Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok(Me {
            account,
            workspaces,
        })
    }

    /// Whether the service account token works: the connector's check
    /// request, with `{email}` the connection owner's email (else the
    /// service account's own).
    async fn service_account_check(
        &self,
        connector: &Arc<Connector>,
        creds: Arc<dyn CredentialSource>,
        owner_email: Option<String>,
    ) -> Result<(), AppError> {
        let Some(service_account) = &connector.definition.auth.service_account else {
            return Err(AppError::new(
                Kind::Conflict,
                "no_service_account",
                format!(
                    "the {} connector has no service account token",
                    connector.name
                ),
            ));
        };
        let check = &service_account.check;
        let needs_email = check.query.values().any(|v| v.contains("{email}"));
        let email = match owner_email {
            Some(e) => e,
            None if !needs_email => String::new(),
            None => self
                .me(connector, creds.clone(), CredentialKind::ServiceAccount)
                .await?
                .account
                .email
                .ok_or_else(|| {
                    AppError::new(
                        Kind::Provider,
                        "provider_error",
                        "the provider did not say whose service account token this is (no email), so it could not be checked",
                    )
                })?,
        };
        let query: Vec<(String, String)> = check
            .query
            .iter()
            .map(|(k, v)| (k.clone(), v.replace("{email}", &quoted(&email))))
            .collect();
        let query: Vec<(&str, &str)> = query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.provider_get(
            connector,
            creds,
            CredentialKind::ServiceAccount,
            &check.path,
            &query,
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
                    format!(
                        "{m}: check the network and {}, then test again",
                        connector.env_keys("api_base_url")
                    ),
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

/// A value for inside a quoted string of a query (SCIM's `userName eq
/// "…"` filter, for one): `"` and `\\` escaped by a backslash, as RFC 7644
/// §3.4.2.2 asks for string values.
fn quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quoted_values_escape_quotes_and_backslashes() {
        assert_eq!(quoted("ada@example.com"), "ada@example.com");
        assert_eq!(quoted(r#"a"b\c"#), r#"a\"b\\c"#);
    }
}
