//! A flow as its builder writes it, as the host stores it, and its runs.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::capability::HttpCall;
use crate::cards::RunFailure;
use crate::runtime::LogLine;
pub use crate::triggers::model::{MissedRuns, RunTrigger, Trigger};

/// A flow definition: ordered steps (cards on connections, if steps and
/// for_each loops) whose inputs are literals, references or templates. A
/// string that starts with `$.` is a reference: `$.input.email` (the flow's
/// input), `$.steps.find_user.output.users[0].gid` (an earlier step's
/// output), `$.item` and `$.index` (inside a loop), `$.event` (the event that
/// started the flow). Write `$$.` for a literal string that starts with `$.`.
/// A string holding `{{ ... }}` is a template: `"Welcome {{$.input.name}}"`.
/// See docs/flows.md.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
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
    pub steps: Vec<Step>,
    /// What a run that succeeds gives back: names mapped to literals,
    /// references or templates, evaluated when the run ends.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub output: Map<String, Value>,
}

impl FlowDefinition {
    /// Every card step, nested ones included, depth first in the order they
    /// are written (`then` before `else`): the order of [`Flow::connections`].
    pub fn card_steps(&self) -> Vec<&StepDefinition> {
        fn walk<'a>(steps: &'a [Step], out: &mut Vec<&'a StepDefinition>) {
            for step in steps {
                match step {
                    Step::Card(card) => out.push(card),
                    Step::If(s) => {
                        walk(&s.then, out);
                        walk(&s.otherwise, out);
                    }
                    Step::ForEach(s) => walk(&s.steps, out),
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.steps, &mut out);
        out
    }
}

/// One step of a card on a connection.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StepDefinition {
    /// Unique within the flow: lowercase letters, digits and `_`; later steps refer to it.
    pub id: String,
    /// The card's id, e.g. `github.read-user`.
    pub card: String,
    /// The connection's id or nickname.
    pub connection: String,
    /// The card's input: literals, references and templates.
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

/// An if step: runs `then` when its condition holds, `else` otherwise.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IfStep {
    /// Unique within the flow.
    pub id: String,
    /// The condition.
    #[serde(rename = "if")]
    pub condition: Condition,
    /// The steps run when the condition holds.
    pub then: Vec<Step>,
    /// The steps run when it does not.
    #[serde(rename = "else", default, skip_serializing_if = "Vec::is_empty")]
    pub otherwise: Vec<Step>,
}

/// A loop: runs its steps once for each item of a list.
#[derive(Debug, Clone, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ForEachStep {
    /// Unique within the flow; after the loop, `$.steps.<id>.output` is
    /// `{"results": [{"<inner step id>": <its output>, ...}, ...], "count": n}`.
    pub id: String,
    /// A reference to the list, e.g. `$.steps.find.output.users`. Inside the
    /// loop `$.item` is the current item and `$.index` its 0-based index.
    pub for_each: String,
    /// A list with more items fails the step before any iteration.
    #[serde(default = "default_max_items")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_items: u32,
    /// The steps run for each item.
    pub steps: Vec<Step>,
    /// Applied per iteration: `halt` fails the loop at the failing
    /// iteration; `continue` makes that iteration's result its error and goes
    /// on. Retries are set on the card steps inside.
    #[serde(default)]
    pub on_error: ErrorPolicy,
}

/// The `max_items` of a loop that does not say.
pub const DEFAULT_MAX_ITEMS: u32 = 100;

fn default_max_items() -> u32 {
    DEFAULT_MAX_ITEMS
}

/// A condition of an if step. Operands are literals, references or
/// templates; a reference that finds nothing counts as null.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Both operands are equal (numbers by value: 1 equals 1.0).
    Equals([Value; 2]),
    /// The operands differ.
    NotEquals([Value; 2]),
    /// The reference finds a value other than null.
    Exists(String),
    /// A string holds a substring, a list an equal item, an object a key.
    Contains([Value; 2]),
    /// The first is greater: numbers, or ISO-8601 dates and date-times
    /// (chronologically), or other strings (as text).
    Greater([Value; 2]),
    /// The first is less (as `greater`).
    Less([Value; 2]),
    /// Every condition holds (true when empty).
    All(Vec<Condition>),
    /// At least one condition holds (false when empty).
    Any(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
}

/// One step of a flow: a card step, an if step or a for_each loop. Which
/// one is told by the key it holds: `if`, `for_each`, or else a card step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Card(StepDefinition),
    If(IfStep),
    ForEach(ForEachStep),
}

impl Step {
    /// The step's id.
    pub fn id(&self) -> &str {
        match self {
            Step::Card(s) => &s.id,
            Step::If(s) => &s.id,
            Step::ForEach(s) => &s.id,
        }
    }
}

impl From<StepDefinition> for Step {
    fn from(step: StepDefinition) -> Step {
        Step::Card(step)
    }
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
    /// The connection id each card step resolved to at save time (in the
    /// order of [`FlowDefinition::card_steps`]), so that a rename does not
    /// break the flow.
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
    /// The flow's output (the definition's `output` evaluated when the run
    /// succeeded; fields that look secret redacted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
}

/// What kind of step a [`StepRun`] records.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    #[default]
    Card,
    If,
    ForEach,
}

/// The branch an if step took.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Branch {
    Then,
    Else,
}

/// One step of a run. A card step keeps the fields it always had; an if
/// step (`"kind": "if"`) records the branch taken and its step runs; a loop
/// (`"kind": "for_each"`) records each iteration's step runs.
#[derive(Debug, Clone, Deserialize)]
pub struct StepRun {
    pub id: String,
    /// Absent for a card step.
    #[serde(default)]
    pub kind: StepKind,
    /// A card step's card.
    #[serde(default)]
    pub card: String,
    /// A card step's connection id.
    #[serde(default)]
    pub connection: String,
    pub status: StepStatus,
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
    /// Tries made (1 unless the retry policy tried again).
    #[serde(default)]
    pub attempts: u32,
    /// The resolved input (secret fields redacted).
    #[serde(default)]
    pub input: Value,
    #[serde(default)]
    pub output: Option<Value>,
    #[serde(default)]
    pub error: Option<RunFailure>,
    /// The HTTP calls of every try, in order.
    #[serde(default)]
    pub calls: Vec<HttpCall>,
    #[serde(default)]
    pub logs: Vec<LogLine>,
    /// The branch an if step took.
    #[serde(default)]
    pub branch: Option<Branch>,
    /// Why an if step's condition came out as it did where that is not
    /// plain, e.g. a comparison of values of different types.
    #[serde(default)]
    pub notes: Vec<String>,
    /// The step runs of the branch an if step took.
    #[serde(default)]
    pub steps: Vec<StepRun>,
    /// A loop's iterations, in order.
    #[serde(default)]
    pub iterations: Option<Vec<Iteration>>,
}

impl StepRun {
    /// A step run of `kind` that has not ended (status `failed` until it does).
    pub fn new(id: &str, kind: StepKind) -> StepRun {
        StepRun {
            id: id.to_string(),
            kind,
            card: String::new(),
            connection: String::new(),
            status: StepStatus::Failed,
            started_at: Utc::now(),
            duration_ms: 0.0,
            attempts: 0,
            input: Value::Null,
            output: None,
            error: None,
            calls: Vec::new(),
            logs: Vec::new(),
            branch: None,
            notes: Vec::new(),
            steps: Vec::new(),
            iterations: (kind == StepKind::ForEach).then(Vec::new),
        }
    }
}

/// A card step is written with exactly the fields it always had; an if step
/// or a loop leaves the card-only fields out.
impl Serialize for StepRun {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let card = self.kind == StepKind::Card;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        if !card {
            map.serialize_entry("kind", &self.kind)?;
        } else {
            map.serialize_entry("card", &self.card)?;
            map.serialize_entry("connection", &self.connection)?;
        }
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("started_at", &self.started_at)?;
        map.serialize_entry("duration_ms", &self.duration_ms)?;
        if card {
            map.serialize_entry("attempts", &self.attempts)?;
            map.serialize_entry("input", &self.input)?;
        }
        if let Some(output) = &self.output {
            map.serialize_entry("output", output)?;
        }
        if let Some(error) = &self.error {
            map.serialize_entry("error", error)?;
        }
        if card {
            map.serialize_entry("calls", &self.calls)?;
            map.serialize_entry("logs", &self.logs)?;
        }
        if let Some(branch) = &self.branch {
            map.serialize_entry("branch", branch)?;
        }
        if !self.notes.is_empty() {
            map.serialize_entry("notes", &self.notes)?;
        }
        if self.kind == StepKind::If {
            map.serialize_entry("steps", &self.steps)?;
        }
        if let Some(iterations) = &self.iterations {
            map.serialize_entry("iterations", iterations)?;
        }
        map.end()
    }
}

/// One iteration of a loop.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Iteration {
    /// 0-based.
    pub index: usize,
    /// The item (fields that look secret redacted).
    pub item: Value,
    /// `failed` when a step inside failed; `continued` when the loop went on
    /// regardless (policy `continue`).
    pub status: StepStatus,
    pub steps: Vec<StepRun>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<RunFailure>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_definition_without_logic_reads_and_writes_as_before() {
        let legacy = json!({"name": "f", "steps": [
            {"id": "a", "card": "x.y", "connection": "c", "input": {"k": "$.input.k"}, "on_error": {"policy": "halt"}}
        ]});
        let def: FlowDefinition = serde_json::from_value(legacy.clone()).unwrap();
        assert_eq!(serde_json::to_value(&def).unwrap(), legacy);
    }

    #[test]
    fn card_steps_are_listed_depth_first() {
        let card = |id: &str| json!({"id": id, "card": "x.y", "connection": "c"});
        let def: FlowDefinition = serde_json::from_value(json!({"name": "f", "steps": [
            card("a"),
            {"id": "b", "if": {"exists": "$.input.x"}, "then": [card("c")], "else": [card("d")]},
            {"id": "e", "for_each": "$.input.l", "steps": [card("f")]},
            card("g")
        ]}))
        .unwrap();
        let ids: Vec<&str> = def.card_steps().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, vec!["a", "c", "d", "f", "g"]);
    }

    #[test]
    fn step_runs_keep_the_card_fields_and_leave_them_out_of_logic_steps() {
        let mut card = StepRun::new("a", StepKind::Card);
        card.card = "x.y".into();
        card.connection = "c1".into();
        let v = serde_json::to_value(&card).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            vec![
                "attempts",
                "calls",
                "card",
                "connection",
                "duration_ms",
                "id",
                "input",
                "logs",
                "started_at",
                "status"
            ]
        );
        let mut branch = StepRun::new("b", StepKind::If);
        branch.branch = Some(Branch::Then);
        branch.steps = vec![card];
        let mut each = StepRun::new("l", StepKind::ForEach);
        each.iterations = Some(vec![Iteration {
            index: 0,
            item: json!({"gid": "1"}),
            status: StepStatus::Succeeded,
            steps: vec![branch],
            error: None,
        }]);
        let v = serde_json::to_value(&each).unwrap();
        assert_eq!(v["kind"], "for_each");
        assert!(v.get("card").is_none() && v.get("calls").is_none() && v.get("input").is_none());
        assert_eq!(v["iterations"][0]["steps"][0]["branch"], "then");
        assert_eq!(v["iterations"][0]["steps"][0]["steps"][0]["card"], "x.y");
        let back: StepRun = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(
            serde_json::to_value(&back).unwrap(),
            v,
            "a record reads back as it was"
        );
    }
}
