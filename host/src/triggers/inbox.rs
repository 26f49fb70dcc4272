//! Provider deliveries to `/hooks/events/{subscription}`: the handshake is
//! answered, the signature is checked in constant time, the events are kept
//! durably (each once, however often it is delivered) and only then
//! acknowledged. A worker turns each kept event into a run, through the
//! event card, and takes it out of the inbox; events kept before a stop are
//! run after the next start.

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use serde_json::{json, Value};

use super::model::{InboxEvent, RunTrigger, Trigger};
use super::signature;
use super::Triggers;
use crate::cards::RunFailure;
use crate::error::{AppError, Kind};
use crate::flows::RunStart;

/// Events run at once by the worker.
const CONCURRENT_EVENTS: usize = 4;
/// How many events the worker reads from the inbox at a time.
const BATCH: usize = 64;
/// Most events in one delivery.
const MAX_EVENTS: usize = 1000;
/// How long an event's key is remembered, against a provider's retries
/// (providers retry for a day or so).
const SEEN_FOR: chrono::Duration = chrono::Duration::days(3);

/// How a delivery was answered.
#[derive(Debug, PartialEq)]
pub enum Delivery {
    /// A handshake: echo this header with this value.
    Handshake { header: String, secret: String },
    /// Events kept (how many were new; the others were delivered before).
    Accepted { events: usize, new: usize },
    /// An empty list of events.
    Heartbeat,
    /// For a flow no longer enabled: acknowledged, nothing kept.
    Ignored,
}

impl Triggers {
    /// Take one delivery for subscription `id`. `header` reads a request header.
    pub async fn deliver(
        &self,
        id: &str,
        header: impl Fn(&str) -> Option<String>,
        body: &[u8],
    ) -> Result<Delivery, AppError> {
        if let Some((header, secret)) = self.handshake(id, &header) {
            return Ok(Delivery::Handshake { header, secret });
        }
        let unknown = || {
            AppError::new(
                Kind::NotFound,
                "unknown_subscription",
                "no subscription of this host has this address",
            )
        };
        let (flow_id, secret, enabled) = match self.inner.store.trigger_of_subscription(id)? {
            Some(state) => {
                let sub = state.subscription.as_ref().ok_or_else(unknown)?;
                let secret = sub.secret.clone().ok_or_else(unknown)?;
                (state.flow_id.clone(), secret, state.enabled)
            }
            None => {
                let (flow_id, secret) = self.pending_secret(id).ok_or_else(unknown)?;
                (flow_id, secret, true)
            }
        };
        let flow = self.inner.flows.get(&flow_id).map_err(|_| unknown())?;
        let hooks = flow
            .trigger_connection
            .as_deref()
            .and_then(|c| self.inner.connections.get(c).ok())
            .and_then(|c| self.inner.connections.connector(&c.connector, "").ok())
            .and_then(|c| c.definition.webhooks.clone())
            .ok_or_else(unknown)?;
        let signed = header(&hooks.signature_header)
            .is_some_and(|sig| signature::verify(secret.as_bytes(), body, &sig));
        if !signed {
            return Err(AppError::new(
                Kind::Unauthorized,
                "bad_signature",
                format!(
                    "the delivery's {} is missing or does not match its body",
                    hooks.signature_header
                ),
            ));
        }
        let parsed: Value = serde_json::from_slice(body).map_err(|_| {
            AppError::new(Kind::BadRequest, "invalid_json", "the delivery is not JSON")
        })?;
        let events = parsed
            .pointer(&hooks.events)
            .and_then(Value::as_array)
            .ok_or_else(|| {
                AppError::new(
                    Kind::BadRequest,
                    "invalid_delivery",
                    format!("the delivery has no list of events at {}", hooks.events),
                )
            })?;
        if events.is_empty() {
            return Ok(Delivery::Heartbeat);
        }
        if !enabled {
            return Ok(Delivery::Ignored);
        }
        if events.len() > MAX_EVENTS {
            return Err(AppError::new(
                Kind::TooLarge,
                "too_many_events",
                format!("a delivery holds at most {MAX_EVENTS} events"),
            ));
        }
        let received_at = Utc::now();
        let kept: Vec<InboxEvent> = events
            .iter()
            .map(|event| InboxEvent {
                key: signature::digest(&[id.as_bytes(), event.to_string().as_bytes()]),
                flow_id: flow_id.clone(),
                subscription: id.to_string(),
                received_at,
                event: event.clone(),
            })
            .collect();
        let new = self.inner.store.accept_events(&kept).await?;
        if new > 0 {
            self.inner.inbox_wake.notify_one();
        }
        Ok(Delivery::Accepted {
            events: kept.len(),
            new,
        })
    }

    /// How many events wait to be run.
    pub fn inbox_len(&self) -> usize {
        self.inner.store.inbox_len()
    }

    /// The inbox worker: run the kept events, oldest first, until stopped.
    pub(super) async fn run_inbox(&self) {
        let mut last_forget = std::time::Instant::now() - Duration::from_secs(3600);
        loop {
            if last_forget.elapsed() >= Duration::from_secs(3600) {
                last_forget = std::time::Instant::now();
                if let Err(e) = self
                    .inner
                    .store
                    .forget_seen_before(Utc::now() - SEEN_FOR)
                    .await
                {
                    tracing::warn!(error = %e, "cannot forget old event keys");
                }
            }
            let batch = match self.inner.store.inbox(BATCH) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the event inbox");
                    Vec::new()
                }
            };
            if batch.is_empty() {
                tokio::select! {
                    _ = self.inner.inbox_wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
                continue;
            }
            futures::stream::iter(batch)
                .for_each_concurrent(CONCURRENT_EVENTS, |event| async move {
                    if let Err(e) = self.run_event(&event).await {
                        tracing::warn!(flow = %event.flow_id, error = %e, "an event could not start its flow");
                    }
                    if let Err(e) = self.inner.store.finish_event(&event).await {
                        tracing::error!(error = %e, "cannot take an event out of the inbox");
                    }
                })
                .await;
        }
    }

    /// Turn one kept event into a run of its flow.
    async fn run_event(&self, kept: &InboxEvent) -> Result<(), AppError> {
        let inner = &self.inner;
        let Ok(flow) = inner.flows.get(&kept.flow_id) else {
            tracing::debug!(flow = %kept.flow_id, "an event for a deleted flow is dropped");
            return Ok(());
        };
        let enabled = inner
            .store
            .get_trigger(&flow.id)?
            .is_some_and(|s| s.enabled);
        let (Trigger::Event { card, input, .. }, true) = (&flow.definition.trigger, enabled) else {
            tracing::debug!(flow = %flow.id, "an event for a flow no longer enabled is dropped");
            return Ok(());
        };
        let connection = flow.trigger_connection.clone().unwrap_or_default();
        let run_id = run_id_of(&kept.key);
        let trigger = |event: Value| RunTrigger::Event {
            card: card.clone(),
            delivery: kept.key.clone(),
            received_at: kept.received_at,
            provider_event: kept.event.clone(),
            event,
        };
        let read = inner
            .runner
            .on_event(
                card,
                &connection,
                &Value::Object(input.clone()),
                &kept.event,
            )
            .await;
        let failure = match read {
            Ok(run) => match (run.error, run.output) {
                (None, Some(event)) => {
                    let start = RunStart {
                        run_id: Some(run_id),
                        input: json!({}),
                        event: Some(event.clone()),
                        trigger: trigger(event),
                    };
                    inner.flows.start(flow, start).await?;
                    return Ok(());
                }
                (None, None) => {
                    tracing::debug!(flow = %flow.id, "the event card passed over an event");
                    return Ok(());
                }
                (Some(error), _) => error,
            },
            Err(e) => RunFailure {
                kind: e.kind,
                code: e.code,
                message: e.message,
                field: e.field,
                retryable: false,
            },
        };
        let failure = RunFailure {
            message: format!(
                "the trigger's card {card} could not read the event: {}",
                failure.message
            ),
            ..failure
        };
        inner
            .flows
            .record_failed(&flow, run_id, trigger(Value::Null), failure)
            .await
    }
}

/// The id of the run an event starts: the same for the same event, so that
/// an event run again after a restart finds the run it started.
fn run_id_of(key: &str) -> String {
    let hex: String = key
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(32)
        .collect();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect();
    let mut id = [0u8; 16];
    id[..bytes.len().min(16)].copy_from_slice(&bytes[..bytes.len().min(16)]);
    uuid::Builder::from_random_bytes(id).into_uuid().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_event_gets_the_same_run_id() {
        let key = signature::digest(&[b"sub", b"{\"a\":1}"]);
        assert_eq!(run_id_of(&key), run_id_of(&key));
        let other = signature::digest(&[b"sub", b"{\"a\":2}"]);
        assert_ne!(run_id_of(&key), run_id_of(&other));
        assert!(uuid::Uuid::parse_str(&run_id_of(&key)).is_ok());
    }
}
