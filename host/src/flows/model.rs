//! A flow as its builder writes it, as the host stores it, and its runs.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::capability::HttpCall;
use crate::cards::RunFailure;
use crate::runtime::LogLine;
pub use crate::triggers::model::{MissedRuns, RunTrigger, Trigger};

/// A flow definition: ordered steps, each a card on a connection whose
/// inputs are literals or references. A string that starts with `$.` is a
/// reference: `$.input.email` (the flow's input) or
/// `$.steps.find_user.output.users[0].gid` (an earlier step's output).
/// Write `$$.` for a literal string that starts with `$.`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FlowDefinition {
    /// A name for people.
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What starts the flow (default: only a person or an API call).
    #[serde(default, skip_serializing_if = "Trigger::is_manual")]
    pub trigger: Trigger,
    /// The steps, run in order.
    pub steps: Vec<StepDefinition>,
}

/// One step of a flow.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepDefinition {
    /// Unique within the flow: lowercase letters, digits and `_`; later steps refer to it.
    pub id: String,
    /// The card's id, e.g. `github.read-user`.
    pub card: String,
    /// The connection's id or nickname.
    pub connection: String,
    /// The card's input: literals and references.
    #[serde(default)]
    pub input: Map<String, Value>,
    /// What to do when the step fails.
    #[serde(default)]
    pub on_error: ErrorPolicy,
}

/// What a failing step does to its flow (as Okta Workflows offers).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum ErrorPolicy {
    /// Stop the flow; the run fails.
    #[default]
    Halt,
    /// Go on; the step's output is its error.
    Continue,
    /// Try again up to `times` more times, `delay_ms` apart, then halt.
    /// Waiting out a provider's 429 happens inside a try and does not count.
    Retry {
        #[schemars(range(min = 1, max = 10))]
        times: u32,
        #[serde(default)]
        #[schemars(range(max = 60000))]
        delay_ms: u64,
    },
}

/// A stored flow: one version of a definition.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Flow {
    pub id: String,
    /// Starts at 1; every update adds one.
    pub version: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub definition: FlowDefinition,
    /// The connection id each step resolved to at save time, so that a rename
    /// does not break the flow.
    pub connections: Vec<String>,
    /// The connection id an event trigger resolved to at save time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_connection: Option<String>,
}

/// `POST /api/v1/flows/{id}/runs`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunFlowRequest {
    /// The flow's input, referred to as `$.input`.
    #[serde(default)]
    pub input: Value,
    /// Wait for the run to end (default) or return its id at once.
    #[serde(default = "yes")]
    pub wait: bool,
    /// How long to wait before answering with the run id (default 60, at most 600).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

fn yes() -> bool {
    true
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    /// The host stopped while the run was going on.
    Interrupted,
}

/// How a step ended.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Succeeded,
    Failed,
    /// Failed, and the flow went on (policy `continue`).
    Continued,
}

/// One run of a flow, as kept in its history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FlowRun {
    pub id: String,
    pub flow_id: String,
    pub flow_version: u32,
    pub status: RunStatus,
    pub started_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<f64>,
    /// What started the run (absent: a person or an API call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<RunTrigger>,
    /// The flow's input (fields that look secret redacted).
    pub input: Value,
    pub steps: Vec<StepRun>,
    /// Why the run failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunFailure>,
}

/// One step of a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepRun {
    pub id: String,
    pub card: String,
    pub connection: String,
    pub status: StepStatus,
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
    /// Tries made (1 unless the retry policy tried again).
    pub attempts: u32,
    /// The resolved input (secret fields redacted).
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunFailure>,
    /// The HTTP calls of every try, in order.
    pub calls: Vec<HttpCall>,
    pub logs: Vec<LogLine>,
}
