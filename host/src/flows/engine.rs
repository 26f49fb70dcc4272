//! Running a flow: each step's input resolved from the flow's input and
//! earlier outputs, the card run on its connection, the step's error policy
//! applied, and the run saved to history after every step.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};

use super::history;
use super::model::{ErrorPolicy, Flow, FlowRun, RunStatus, StepDefinition, StepRun, StepStatus};
use super::redact::redact;
use super::reference::{self, Reference, Root};
use crate::app::{App, RunFailure};
use crate::error::Kind;

/// Execute `run` (already saved as `running`) to its end.
pub async fn execute(app: &App, flow: &Flow, mut run: FlowRun, flow_input: Value) -> FlowRun {
    let started = Instant::now();
    let mut outputs: HashMap<String, Value> = HashMap::new();
    let mut failure = None;
    for (step, connection) in flow.definition.steps.iter().zip(&flow.connections) {
        let step_run = execute_step(app, step, connection, &flow_input, &outputs).await;
        let status = step_run.status;
        if let Some(out) = &step_run.output {
            outputs.insert(step.id.clone(), out.clone());
        }
        let error = step_run.error.clone();
        run.steps.push(redacted(app, step_run).await);
        if status == StepStatus::Failed {
            failure = error;
            break;
        }
        if let Err(e) = history::put_run(&app.store, &run).await {
            tracing::warn!(run = %run.id, error = %e, "could not save a step of a run");
        }
    }
    let now = Utc::now();
    run.status = if failure.is_some() {
        RunStatus::Failed
    } else {
        RunStatus::Succeeded
    };
    run.error = failure;
    run.ended_at = Some(now);
    run.duration_ms = Some(started.elapsed().as_secs_f64() * 1000.0);
    run
}

async fn execute_step(
    app: &App,
    step: &StepDefinition,
    connection: &str,
    flow_input: &Value,
    outputs: &HashMap<String, Value>,
) -> StepRun {
    let started_at = Utc::now();
    let started = Instant::now();
    let lookup = |r: &Reference| -> Option<Value> {
        let base = match &r.root {
            Root::Input => flow_input,
            Root::Step(id) => outputs.get(id)?,
        };
        reference::follow(base, &r.path).cloned()
    };
    let mut step_run = StepRun {
        id: step.id.clone(),
        card: step.card.clone(),
        connection: connection.to_string(),
        status: StepStatus::Failed,
        started_at,
        duration_ms: 0.0,
        attempts: 0,
        input: Value::Null,
        output: None,
        error: None,
        calls: Vec::new(),
        logs: Vec::new(),
    };
    let input = match reference::resolve(&step.input, &lookup) {
        Ok(v) => v,
        Err((field, message)) => {
            step_run.error = Some(failure(
                "unresolved_reference",
                message,
                Some(field),
                Kind::Unprocessable,
            ));
            return finish(step, step_run, started);
        }
    };
    step_run.input = input.clone();
    let tries = match step.on_error {
        ErrorPolicy::Retry { times, .. } => times + 1,
        _ => 1,
    };
    for attempt in 1..=tries {
        step_run.attempts = attempt;
        match app.run_card(&step.card, connection, &input).await {
            Ok(run) => {
                step_run.calls.extend(run.calls);
                step_run.logs.extend(run.logs);
                match run.error {
                    None => {
                        step_run.output = run.output;
                        step_run.error = None;
                        step_run.status = StepStatus::Succeeded;
                        break;
                    }
                    Some(e) => step_run.error = Some(e),
                }
            }
            Err(e) => step_run.error = Some(failure(&e.code, e.message, e.field, e.kind)),
        }
        if let (ErrorPolicy::Retry { delay_ms, .. }, true) = (&step.on_error, attempt < tries) {
            tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
        }
    }
    finish(step, step_run, started)
}

fn finish(step: &StepDefinition, mut step_run: StepRun, started: Instant) -> StepRun {
    step_run.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if step_run.status != StepStatus::Succeeded && step.on_error == ErrorPolicy::Continue {
        step_run.status = StepStatus::Continued;
        step_run.output = Some(json!({ "error": step_run.error }));
    }
    step_run
}

fn failure(code: &str, message: String, field: Option<String>, kind: Kind) -> RunFailure {
    RunFailure {
        kind,
        code: code.to_string(),
        message,
        field,
        retryable: false,
    }
}

/// Redact what the history keeps of a step, using its card's schemas.
async fn redacted(app: &App, mut step_run: StepRun) -> StepRun {
    let card = app.catalogue.get(&step_run.card).await;
    let manifest = card.as_ref().map(|c| c.manifest());
    step_run.input = redact(&step_run.input, manifest.map(|m| &m.input_schema));
    step_run.output = step_run
        .output
        .as_ref()
        .map(|o| redact(o, manifest.map(|m| &m.output_schema)));
    step_run
}
