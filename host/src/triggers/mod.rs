//! Triggers: what starts a flow without a person. A flow's definition names
//! its [`Trigger`]; this service keeps whether each flow is enabled and runs
//! what an enabled trigger needs:
//!
//! - **schedule**: a cron loop in the background ([`scheduler`]), with a
//!   policy for the fire times missed while the host was down and no overlap
//!   unless the flow allows it;
//! - **webhook** (an API endpoint): `POST /hooks/flows/{id}` with the flow's
//!   secret, as a bearer token or an HMAC of the body ([`endpoint`]);
//! - **event**: a webhook at the provider, created through the flow's
//!   connection when the flow is enabled and deleted when it is disabled or
//!   deleted ([`lifecycle`]); its deliveries are checked, kept durably and
//!   acknowledged, then turned into runs by the event card ([`inbox`]).
//!
//! The provider's webhook protocol (endpoints, handshake, signature) comes
//! from the connector's definition; what to subscribe to and what an event
//! means comes from the event card.

pub mod endpoint;
pub mod inbox;
pub mod lifecycle;
pub mod model;
pub mod provider;
pub mod schedule;
pub mod scheduler;
pub mod signature;
pub mod validate;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::capability::HttpCapability;
use crate::cards::CardRunner;
use crate::connections::Connections;
use crate::error::{AppError, Kind};
use crate::flows::{Flow, FlowDefinition, Flows};
use crate::store::TriggerStore;
pub use model::{MissedRuns, RunTrigger, Trigger, TriggerState};

/// The triggers service; cheap to clone.
#[derive(Clone)]
pub struct Triggers {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn TriggerStore>,
    flows: Flows,
    runner: CardRunner,
    connections: Connections,
    http: HttpCapability,
    /// `CARDHOST_PUBLIC_URL`, without a trailing `/`.
    public_url: String,
    /// Subscriptions being created, by id: the handshake's secret lands here.
    handshakes: Mutex<HashMap<String, lifecycle::Pending>>,
    /// Wakes the inbox worker when events were accepted.
    inbox_wake: Notify,
    /// Wakes the scheduler when a schedule was enabled or disabled.
    schedule_wake: Notify,
    /// One enable, disable or delete at a time.
    lifecycle: tokio::sync::Mutex<()>,
    /// The last run each schedule started, for the overlap rule.
    scheduled_runs: Mutex<HashMap<String, String>>,
    /// When this process started (fire times before it were missed).
    started_at: DateTime<Utc>,
    background: Mutex<JoinSet<()>>,
}

/// A trigger as the API and the console show it.
#[derive(Debug, Clone, Serialize)]
pub struct TriggerStatus {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled_at: Option<DateTime<Utc>>,
    /// A webhook trigger's URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Whether a webhook trigger has a secret (it is shown only when made).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub has_secret: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_created_at: Option<DateTime<Utc>>,
    /// A schedule's next fire time, when enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_run_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_fire: Option<DateTime<Utc>>,
    /// An event trigger's webhook at the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<SubscriptionStatus>,
}

/// An event trigger's webhook, without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionStatus {
    pub provider_id: Option<String>,
    pub target: String,
    pub connection: String,
    pub created_at: DateTime<Utc>,
}

/// The answer to enabling a flow, or to making its endpoint a new secret.
#[derive(Debug, Serialize)]
pub struct Enabled {
    pub trigger: TriggerStatus,
    /// A webhook trigger's new secret: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// What went wrong on the way without stopping it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Triggers {
    /// The service; nothing runs until [`Triggers::start_background`].
    pub fn new(
        store: Arc<dyn TriggerStore>,
        flows: Flows,
        runner: CardRunner,
        connections: Connections,
        http: HttpCapability,
        public_url: &str,
    ) -> Triggers {
        Triggers {
            inner: Arc::new(Inner {
                store,
                flows,
                runner,
                connections,
                http,
                public_url: public_url.trim_end_matches('/').to_string(),
                handshakes: Mutex::default(),
                inbox_wake: Notify::new(),
                schedule_wake: Notify::new(),
                lifecycle: tokio::sync::Mutex::new(()),
                scheduled_runs: Mutex::default(),
                started_at: Utc::now(),
                background: Mutex::default(),
            }),
        }
    }

    /// Start the background work: the scheduler, the inbox worker (which
    /// first runs the events acknowledged before a stop), and the
    /// reconciliation of event subscriptions with their providers. Call it
    /// once the host is serving: a subscription made again needs the host
    /// to answer the provider's handshake.
    pub fn start_background(&self) {
        let mut tasks = self.inner.background.lock().expect("trigger tasks");
        let me = self.clone();
        tasks.spawn(async move { me.run_scheduler().await });
        let me = self.clone();
        tasks.spawn(async move { me.run_inbox().await });
        let me = self.clone();
        tasks.spawn(async move { me.reconcile().await });
    }

    /// Stop the background work (events not yet run stay in the inbox).
    pub async fn shutdown(&self) {
        let mut tasks = std::mem::take(&mut *self.inner.background.lock().expect("trigger tasks"));
        tasks.shutdown().await;
    }

    /// A flow's trigger state (a default, disabled one if none was kept).
    fn state(&self, flow_id: &str) -> Result<TriggerState, AppError> {
        Ok(self
            .inner
            .store
            .get_trigger(flow_id)?
            .unwrap_or_else(|| TriggerState {
                flow_id: flow_id.to_string(),
                ..TriggerState::default()
            }))
    }

    /// How a flow's trigger stands.
    pub fn status(&self, flow: &Flow) -> Result<TriggerStatus, AppError> {
        Ok(self.status_of(flow, &self.state(&flow.id)?))
    }

    fn status_of(&self, flow: &Flow, state: &TriggerState) -> TriggerStatus {
        let trigger = &flow.definition.trigger;
        let mut status = TriggerStatus {
            kind: trigger.kind(),
            enabled: state.enabled,
            enabled_at: state.enabled_at,
            endpoint: None,
            has_secret: None,
            secret_created_at: None,
            next_run_at: None,
            last_fire: None,
            subscription: None,
        };
        match trigger {
            Trigger::Manual => {}
            Trigger::Webhook => {
                status.endpoint = Some(self.endpoint_url(&flow.id));
                status.has_secret = Some(state.endpoint_secret.is_some());
                status.secret_created_at = state.secret_created_at;
            }
            Trigger::Schedule { cron, timezone, .. } => {
                status.last_fire = state.last_fire;
                if state.enabled {
                    status.next_run_at = schedule::Schedule::parse(cron, timezone)
                        .ok()
                        .and_then(|s| s.next_after(Utc::now()));
                }
            }
            Trigger::Event { .. } => {
                status.subscription = state.subscription.as_ref().map(|s| SubscriptionStatus {
                    provider_id: s.provider_id.clone(),
                    target: s.target.clone(),
                    connection: s.connection.clone(),
                    created_at: s.created_at,
                });
            }
        }
        status
    }

    /// The URL of a webhook trigger's endpoint.
    pub fn endpoint_url(&self, flow_id: &str) -> String {
        format!("{}/hooks/flows/{flow_id}", self.inner.public_url)
    }

    /// Enable a flow's trigger. Enabling an enabled flow changes nothing.
    pub async fn enable(&self, flow_id: &str) -> Result<Enabled, AppError> {
        let _one = self.inner.lifecycle.lock().await;
        let flow = self.inner.flows.get(flow_id)?;
        let mut state = self.state(flow_id)?;
        let mut secret = None;
        if state.enabled {
            return Ok(self.enabled(&flow, &state, None));
        }
        match &flow.definition.trigger {
            Trigger::Manual => {
                return Err(AppError::new(
                    Kind::Unprocessable,
                    "manual_flow",
                    "this flow has no trigger to enable (its trigger is manual): run it over the API or in the console, or give it a schedule, webhook or event trigger",
                )
                .field("trigger"))
            }
            Trigger::Webhook => {
                if state.endpoint_secret.is_none() {
                    let new = signature::new_secret();
                    state.endpoint_secret = Some(new.clone());
                    state.secret_created_at = Some(Utc::now());
                    secret = Some(new);
                }
            }
            Trigger::Schedule { .. } => state.last_fire = None,
            Trigger::Event { .. } => {
                self.check_public_url()?;
                state.subscription = Some(self.subscribe(&flow).await?);
            }
        }
        state.enabled = true;
        state.enabled_at = Some(Utc::now());
        if let Err(e) = self.inner.store.put_trigger(&state).await {
            if let Some(sub) = &state.subscription {
                self.unsubscribe(sub).await.ok();
            }
            return Err(e.into());
        }
        self.inner.schedule_wake.notify_one();
        tracing::info!(flow = %flow.id, trigger = flow.definition.trigger.kind(), "trigger enabled");
        Ok(self.enabled(&flow, &state, secret))
    }

    fn enabled(&self, flow: &Flow, state: &TriggerState, secret: Option<String>) -> Enabled {
        Enabled {
            trigger: self.status_of(flow, state),
            secret,
            warnings: Vec::new(),
        }
    }

    /// Disable a flow's trigger: an event trigger's webhook is deleted at
    /// the provider. A provider that cannot be reached does not keep the
    /// flow enabled: the failure is a warning, and deliveries that still
    /// come are refused.
    pub async fn disable(&self, flow_id: &str) -> Result<Enabled, AppError> {
        let _one = self.inner.lifecycle.lock().await;
        let flow = self.inner.flows.get(flow_id)?;
        let mut state = self.state(flow_id)?;
        let warnings = self.stop(&mut state).await;
        self.inner.store.put_trigger(&state).await?;
        self.inner.schedule_wake.notify_one();
        tracing::info!(flow = %flow.id, "trigger disabled");
        Ok(Enabled {
            trigger: self.status_of(&flow, &state),
            secret: None,
            warnings,
        })
    }

    /// Turn a trigger off in `state`, deleting its subscription; the warnings.
    async fn stop(&self, state: &mut TriggerState) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Some(sub) = state.subscription.take() {
            if let Err(e) = self.unsubscribe(&sub).await {
                tracing::warn!(flow = %state.flow_id, error = %e, "the provider's webhook could not be deleted");
                warnings.push(format!(
                    "the webhook {} could not be deleted at the provider: {}; its deliveries are refused from now on",
                    sub.provider_id.as_deref().unwrap_or("(unknown)"),
                    e.message
                ));
            }
        }
        state.enabled = false;
        state.enabled_at = None;
        self.inner
            .scheduled_runs
            .lock()
            .expect("scheduled runs")
            .remove(&state.flow_id);
        warnings
    }

    /// Make a webhook trigger's endpoint a new secret (the old one stops
    /// working at once); the secret is shown this once.
    pub async fn rotate_secret(&self, flow_id: &str) -> Result<Enabled, AppError> {
        let _one = self.inner.lifecycle.lock().await;
        let flow = self.inner.flows.get(flow_id)?;
        if !matches!(flow.definition.trigger, Trigger::Webhook) {
            return Err(AppError::new(
                Kind::Unprocessable,
                "not_a_webhook_trigger",
                "only a flow with a webhook trigger has an endpoint secret",
            )
            .field("trigger"));
        }
        let mut state = self.state(flow_id)?;
        let secret = signature::new_secret();
        state.endpoint_secret = Some(secret.clone());
        state.secret_created_at = Some(Utc::now());
        self.inner.store.put_trigger(&state).await?;
        Ok(self.enabled(&flow, &state, Some(secret)))
    }

    /// Save a new version of a flow. Its trigger cannot change while it is
    /// enabled: the provider's subscription and the schedule belong to the
    /// trigger as it was enabled.
    pub async fn update_flow(&self, id: &str, def: FlowDefinition) -> Result<Flow, AppError> {
        let _one = self.inner.lifecycle.lock().await;
        let current = self.inner.flows.get(id)?;
        if current.definition.trigger != def.trigger && self.state(id)?.enabled {
            return Err(AppError::new(
                Kind::Conflict,
                "flow_enabled",
                "the trigger of an enabled flow cannot change: disable the flow, save it, then enable it again",
            )
            .field("trigger"));
        }
        self.inner.flows.update(id, def).await
    }

    /// Delete a flow with its trigger: an event trigger's webhook is
    /// deleted at the provider first (a failure is a warning, not a refusal:
    /// a flow can always be deleted).
    pub async fn delete_flow(&self, id: &str) -> Result<Vec<String>, AppError> {
        let _one = self.inner.lifecycle.lock().await;
        self.inner.flows.get(id)?;
        let mut state = self.state(id)?;
        let warnings = self.stop(&mut state).await;
        self.inner.store.delete_trigger(id).await?;
        self.inner.flows.delete(id).await?;
        self.inner.schedule_wake.notify_one();
        Ok(warnings)
    }

    /// The public URL must let a provider reach this host: https, or http
    /// on loopback (a fake provider in tests).
    fn check_public_url(&self) -> Result<(), AppError> {
        let url = &self.inner.public_url;
        let ok = url::Url::parse(url).ok().is_some_and(|u| {
            u.scheme() == "https"
                || (u.scheme() == "http" && crate::connectors::is_loopback_host(&u))
        });
        if ok {
            Ok(())
        } else {
            Err(AppError::new(
                Kind::Unprocessable,
                "public_url_unreachable",
                format!(
                    "the provider must reach this host to deliver events, but CARDHOST_PUBLIC_URL is {url:?}: set it to the https address this host is reached at (http only on loopback)"
                ),
            )
            .field("CARDHOST_PUBLIC_URL"))
        }
    }
}
