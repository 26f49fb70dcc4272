//! The host's own calls to a provider's webhooks API, on the credentials of
//! the trigger's connection: create (with the handshake), look up, delete.
//! They go through the HTTP capability like a card's requests, so the
//! connector's allowed hosts, token refresh and rate limits apply.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::capability::{self, CredentialKind, Grant, HttpCapability, HttpError};
use crate::connections::Connections;
use crate::connectors::definition::Webhooks;
use crate::connectors::Connector;
use crate::error::{AppError, Kind};

/// How long one webhooks call may take, the handshake included.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection's way to the provider's webhooks API.
pub struct Provider {
    pub connector: Arc<Connector>,
    grant: Grant,
    http: HttpCapability,
}

/// What a provider answered.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Provider {
    /// The webhooks API of `connection`'s connector; a 422 when it has none.
    pub fn of(
        connections: &Connections,
        http: &HttpCapability,
        connection: &str,
    ) -> Result<Provider, AppError> {
        let conn = connections.get(connection)?;
        let connector = connections.connector(&conn.connector, "trigger.connection")?;
        if connector.definition.webhooks.is_none() {
            return Err(AppError::new(
                Kind::Unprocessable,
                "no_webhooks",
                format!("connector {} has no webhooks", connector.id),
            ));
        }
        let credentials = connections.credentials(&conn.id)?;
        Ok(Provider {
            grant: Grant {
                connector: connector.clone(),
                credentials,
                allow_service_account: false,
                deadline: Instant::now() + CALL_TIMEOUT,
            },
            connector,
            http: http.clone(),
        })
    }

    fn webhooks(&self) -> &Webhooks {
        self.connector
            .definition
            .webhooks
            .as_ref()
            .expect("checked in Provider::of")
    }

    /// Create a webhook delivering `subscription` to `target`; the provider's id of it.
    pub async fn create(&self, subscription: &Value, target: &str) -> Result<String, AppError> {
        let hooks = self.webhooks();
        let mut body = subscription.clone();
        if let Some(map) = body.as_object_mut() {
            map.insert(hooks.target_field.clone(), json!(target));
        }
        if let Some(envelope) = &hooks.envelope {
            body = json!({ envelope.clone(): body });
        }
        let answer = self
            .call(capability::Method::Post, &hooks.create, Some(&body))
            .await?;
        if !(200..300).contains(&answer.status) {
            return Err(refused(&self.connector, "create the webhook", &answer));
        }
        id_at(&answer.body, &hooks.id).ok_or_else(|| {
            AppError::new(
                Kind::Provider,
                "provider_error",
                format!(
                    "{} created the webhook but its answer has no id at {}",
                    self.connector.name, hooks.id
                ),
            )
        })
    }

    /// Whether the webhook still exists at the provider (`false` on 404).
    pub async fn exists(&self, id: &str) -> Result<bool, AppError> {
        let path = self.webhooks().get.replace("{id}", &encode(id));
        let answer = self.call(capability::Method::Get, &path, None).await?;
        match answer.status {
            200..=299 => Ok(true),
            404 | 410 => Ok(false),
            _ => Err(refused(&self.connector, "look up the webhook", &answer)),
        }
    }

    /// Delete the webhook; one already gone (404) counts as deleted.
    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        let path = self.webhooks().delete.replace("{id}", &encode(id));
        let answer = self.call(capability::Method::Delete, &path, None).await?;
        match answer.status {
            200..=299 | 404 | 410 => Ok(()),
            _ => Err(refused(&self.connector, "delete the webhook", &answer)),
        }
    }

    async fn call(
        &self,
        method: capability::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, AppError> {
        let mut headers = vec![("accept".to_string(), "application/json".to_string())];
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        let request = capability::Request {
            method,
            url: path.to_string(),
            query: Vec::new(),
            headers,
            body: body.map(|b| b.to_string().into_bytes()),
            credential: CredentialKind::Connection,
        };
        let mut calls = Vec::new();
        let mut grant = self.grant.clone();
        grant.deadline = Instant::now() + CALL_TIMEOUT;
        let response = self
            .http
            .send(&grant, request, &mut calls)
            .await
            .map_err(|e| match e {
                HttpError::NeedsReauth(m) => AppError::new(Kind::Conflict, "needs_reauth", m),
                HttpError::NoCredential(m) => AppError::new(Kind::Conflict, "no_credential", m),
                other => AppError::new(
                    Kind::Provider,
                    "provider_unreachable",
                    format!("{}: {other}", self.connector.name),
                ),
            })?;
        let body = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        Ok(Answer {
            status: response.status,
            body,
        })
    }
}

/// The id at `pointer`, a string or a number.
fn id_at(body: &Value, pointer: &str) -> Option<String> {
    match body.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A path segment, percent-encoded.
fn encode(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

/// The provider's refusal, with its own message when it gives one.
fn refused(connector: &Connector, doing: &str, answer: &Answer) -> AppError {
    let said = ["/errors/0/message", "/message", "/error/message", "/error"]
        .iter()
        .find_map(|p| answer.body.pointer(p).and_then(Value::as_str))
        .map(|m| format!(": {}", m.chars().take(300).collect::<String>()))
        .unwrap_or_default();
    let kind = match answer.status {
        401 | 403 => Kind::Conflict,
        _ => Kind::Provider,
    };
    AppError::new(
        kind,
        "provider_refused",
        format!(
            "{} refused to {doing} (HTTP {}){said}",
            connector.name, answer.status
        ),
    )
}
