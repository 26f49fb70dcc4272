//! An event trigger's webhook at the provider: created when the flow is
//! enabled (answering the provider's handshake on the way), deleted when it
//! is disabled or deleted, and reconciled at start, when a webhook the
//! provider dropped (after failed deliveries, say) is created again.

use chrono::Utc;
use serde_json::Value;

use super::model::{Subscription, Trigger};
use super::provider::Provider;
use super::Triggers;
use crate::error::{AppError, Kind};
use crate::flows::Flow;

/// A subscription being created: the handshake's secret lands here.
pub(super) struct Pending {
    pub flow_id: String,
    /// The header the provider sends the secret in.
    pub header: String,
    pub secret: Option<String>,
}

impl Triggers {
    /// Create the provider's webhook for an event flow.
    pub(super) async fn subscribe(&self, flow: &Flow) -> Result<Subscription, AppError> {
        let inner = &self.inner;
        let Trigger::Event { card, input, .. } = &flow.definition.trigger else {
            return Err(AppError::new(
                Kind::Internal,
                "not_an_event_trigger",
                "only an event trigger subscribes",
            ));
        };
        let connection = flow.trigger_connection.clone().ok_or_else(|| {
            AppError::new(
                Kind::Unprocessable,
                "unknown_connection",
                "the flow's trigger has no connection",
            )
            .field("trigger.connection")
        })?;
        let request = inner
            .runner
            .subscription(card, &connection, &Value::Object(input.clone()))
            .await
            .map_err(|mut e| {
                e.field = Some(match e.field.take() {
                    Some(f) if f == "connection" => "trigger.connection".to_string(),
                    Some(f) => format!("trigger.input.{f}"),
                    None => "trigger.input".to_string(),
                });
                e
            })?;
        let provider = Provider::of(&inner.connections, &inner.http, &connection)?;
        let header = provider
            .connector
            .definition
            .webhooks
            .as_ref()
            .map(|w| w.handshake_header.clone())
            .unwrap_or_default();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let target = format!("{}/hooks/events/{id}", inner.public_url);
        inner.handshakes.lock().expect("handshakes").insert(
            id.clone(),
            Pending {
                flow_id: flow.id.clone(),
                header,
                secret: None,
            },
        );
        let created = provider.create(&request, &target).await;
        let pending = inner.handshakes.lock().expect("handshakes").remove(&id);
        let provider_id = created?;
        let Some(secret) = pending.and_then(|p| p.secret) else {
            provider.delete(&provider_id).await.ok();
            return Err(AppError::new(
                Kind::Provider,
                "no_handshake",
                format!(
                    "{} created the webhook without sending its secret to {target}; the webhook was deleted again. Check that CARDHOST_PUBLIC_URL reaches this host",
                    provider.connector.name
                ),
            ));
        };
        tracing::info!(flow = %flow.id, webhook = %provider_id, "subscribed to the provider's events");
        Ok(Subscription {
            id,
            connection,
            provider_id: Some(provider_id),
            request,
            target,
            created_at: Utc::now(),
            secret: Some(secret),
        })
    }

    /// Delete the provider's webhook of a subscription.
    pub(super) async fn unsubscribe(&self, sub: &Subscription) -> Result<(), AppError> {
        let Some(provider_id) = &sub.provider_id else {
            return Ok(());
        };
        let provider = Provider::of(&self.inner.connections, &self.inner.http, &sub.connection)?;
        provider.delete(provider_id).await
    }

    /// The provider's handshake for subscription `id`: the header name and
    /// the secret to echo when a subscription is being created under that
    /// id (only then: a handshake can never replace the secret of an
    /// existing subscription).
    pub fn handshake(
        &self,
        id: &str,
        header_value: impl Fn(&str) -> Option<String>,
    ) -> Option<(String, String)> {
        let mut pending = self.inner.handshakes.lock().expect("handshakes");
        let entry = pending.get_mut(id)?;
        if entry.secret.is_some() {
            return None;
        }
        let secret = header_value(&entry.header)?;
        if secret.is_empty() || secret.len() > 1024 {
            return None;
        }
        entry.secret = Some(secret.clone());
        Some((entry.header.clone(), secret))
    }

    /// The flow and secret of a subscription still being created (a
    /// delivery may come before its creation is saved).
    pub(super) fn pending_secret(&self, id: &str) -> Option<(String, String)> {
        let pending = self.inner.handshakes.lock().expect("handshakes");
        let entry = pending.get(id)?;
        Some((entry.flow_id.clone(), entry.secret.clone()?))
    }

    /// Check every enabled event trigger's webhook at its provider; create
    /// again those the provider dropped.
    pub(super) async fn reconcile(&self) {
        let states = match self.inner.store.list_triggers() {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the triggers to reconcile them");
                return;
            }
        };
        for state in states.into_iter().filter(|s| s.enabled) {
            let _one = self.inner.lifecycle.lock().await;
            let Ok(flow) = self.inner.flows.get(&state.flow_id) else {
                continue;
            };
            if !matches!(flow.definition.trigger, Trigger::Event { .. }) {
                continue;
            }
            // Read again under the lock: the flow may have been disabled meanwhile.
            let Ok(Some(mut state)) = self.inner.store.get_trigger(&flow.id) else {
                continue;
            };
            if !state.enabled {
                continue;
            }
            let alive = match &state.subscription {
                Some(Subscription {
                    provider_id: Some(id),
                    connection,
                    ..
                }) => match Provider::of(&self.inner.connections, &self.inner.http, connection) {
                    Ok(p) => p.exists(id).await,
                    Err(e) => Err(e),
                },
                _ => Ok(false),
            };
            match alive {
                Ok(true) => continue,
                Ok(false) => {
                    tracing::warn!(flow = %flow.id, "the provider dropped the flow's webhook: subscribing again")
                }
                Err(e) => {
                    tracing::warn!(flow = %flow.id, error = %e, "cannot check the flow's webhook at the provider");
                    continue;
                }
            }
            match self.subscribe(&flow).await {
                Ok(sub) => {
                    state.subscription = Some(sub);
                    if let Err(e) = self.inner.store.put_trigger(&state).await {
                        tracing::error!(flow = %flow.id, error = %e, "cannot save the new subscription");
                    }
                }
                Err(e) => {
                    tracing::error!(flow = %flow.id, error = %e, "cannot subscribe again to the provider's events")
                }
            }
        }
    }
}
