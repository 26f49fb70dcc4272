//! What starts a flow, as its builder writes it (`trigger` in a flow
//! definition), and what the host keeps about an enabled trigger.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What starts a flow. Every flow can also be run by hand over the API.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// Only runs asked for over the API or in the console.
    #[default]
    Manual,
    /// On a cron schedule, e.g. `0 9 * * MON-FRI` (minute, hour, day of
    /// month, month, day of week; a sixth leading field of seconds is
    /// allowed), in a time zone of the IANA database.
    Schedule {
        cron: String,
        /// e.g. `Europe/Paris`; default `UTC`.
        #[serde(default = "utc")]
        timezone: String,
        /// What to do with the fire times the host was down for.
        #[serde(default)]
        missed: MissedRuns,
        /// Whether a run may start while the previous scheduled run is still going on.
        #[serde(default)]
        allow_overlap: bool,
    },
    /// An API endpoint: `POST /hooks/flows/{id}` with the flow's secret, as
    /// a bearer token or an HMAC-SHA256 of the body. The JSON body is `$.input`.
    Webhook,
    /// A provider event, described by an event card on a connection.
    /// The card's output is `$.event`.
    Event {
        /// An event card, e.g. `example.task-done`.
        card: String,
        /// The connection's id or nickname: the subscription is made with it.
        connection: String,
        /// The card's input, literals only (e.g. which project to watch).
        #[serde(default)]
        input: Map<String, Value>,
    },
}

impl Trigger {
    /// `manual`: not written out, so that flows saved before triggers read the same.
    pub fn is_manual(&self) -> bool {
        matches!(self, Trigger::Manual)
    }

    /// The trigger's type as the API names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Manual => "manual",
            Trigger::Schedule { .. } => "schedule",
            Trigger::Webhook => "webhook",
            Trigger::Event { .. } => "event",
        }
    }
}

fn utc() -> String {
    "UTC".to_string()
}

/// What a schedule does about the fire times it missed while the host was down.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MissedRuns {
    /// Forget them; wait for the next fire time.
    #[default]
    Skip,
    /// Run once at start if at least one was missed.
    RunOnce,
}

/// How a run was started, kept with it in the history.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunTrigger {
    /// Over the API or in the console.
    Manual,
    /// By the schedule, for this fire time.
    Schedule { fire_time: DateTime<Utc> },
    /// By a call to the flow's endpoint.
    Webhook,
    /// By a provider event: what the provider sent and what the event card made of it (`$.event`).
    Event {
        card: String,
        delivery: String,
        received_at: DateTime<Utc>,
        provider_event: Value,
        event: Value,
    },
}

/// What the host keeps about one flow's trigger: whether it is enabled, and
/// the state an enabled trigger needs. Secrets are sealed in the store.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TriggerState {
    pub flow_id: String,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_at: Option<DateTime<Utc>>,
    /// The secret of a webhook trigger's endpoint (sealed at rest).
    #[serde(skip)]
    pub endpoint_secret: Option<String>,
    /// When the endpoint's secret was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_created_at: Option<DateTime<Utc>>,
    /// The provider webhook of an event trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<Subscription>,
    /// The last fire time a schedule acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_fire: Option<DateTime<Utc>>,
}

/// A webhook at the provider that delivers an event trigger's events to
/// `/hooks/events/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Subscription {
    /// Ours: the last segment of the target URL.
    pub id: String,
    /// The connection it was made with.
    pub connection: String,
    /// The provider's id of the webhook, once created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// What the card asked to subscribe to.
    pub request: Value,
    pub target: String,
    pub created_at: DateTime<Utc>,
    /// The secret the provider signs deliveries with (sealed at rest).
    #[serde(skip)]
    pub secret: Option<String>,
}

/// One delivered event, kept durably from its acknowledgement until a run
/// has started for it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InboxEvent {
    /// Stable for the same event delivered again: the subscription and a
    /// hash of the event.
    pub key: String,
    pub flow_id: String,
    pub subscription: String,
    pub received_at: DateTime<Utc>,
    pub event: Value,
}
