//! Running a flow: each step's input resolved from the flow's input and
//! earlier outputs, the card run on its connection, the step's error policy
//! applied, and the run saved to history after every step.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::limits;
use super::model::{ErrorPolicy, Flow, FlowRun, RunStatus, StepDefinition, StepRun, StepStatus};
use super::redact::{redact, scrub_value, secret_strings};
use super::reference::{self, Reference, Root};
use super::Inner;
use crate::cards::RunFailure;
use crate::error::Kind;

/// Execute `run` (already saved as `running`) to its end.
pub(super) async fn execute(
    flows: &Inner,
    flow: &Flow,
    mut run: FlowRun,
    flow_input: Value,
    event: Option<Value>,
) -> FlowRun {
    let started = Instant::now();
    let mut outputs: HashMap<String, Value> = HashMap::new();
    let mut failure = None;
    let mut secrets = Vec::new();
    for (step, connection) in flow.definition.steps.iter().zip(&flow.connections) {
        let step_run = execute_step(
            flows,
            step,
            connection,
            &flow_input,
            event.as_ref(),
            &outputs,
        )
        .await;
        let status = step_run.status;
        if let Some(out) = &step_run.output {
            outputs.insert(step.id.clone(), out.clone());
        }
        let known = secrets.len();
        let kept = redacted(flows, step_run, &mut secrets).await;
        if secrets.len() > known {
            run.steps.push(kept);
            run = scrubbed(run, &secrets);
        } else {
            run.steps.push(scrubbed(kept, &secrets));
        }
        let error = run.steps.last().and_then(|s| s.error.clone());
        if status == StepStatus::Failed {
            failure = error;
            break;
        }
        if let Err(e) = flows.store.put_run(&run).await {
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
    flows: &Inner,
    step: &StepDefinition,
    connection: &str,
    flow_input: &Value,
    event: Option<&Value>,
    outputs: &HashMap<String, Value>,
) -> StepRun {
    let started_at = Utc::now();
    let started = Instant::now();
    let lookup = |r: &Reference| -> Option<&Value> {
        let base = match &r.root {
            Root::Input => flow_input,
            Root::Step(id) => outputs.get(id)?,
            Root::Event => event?,
        };
        reference::follow(base, &r.path)
    };
    let max_bytes = flows.runtime.config().max_output_bytes;
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
    let input = match reference::resolve(&step.input, &lookup, max_bytes) {
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
        match flows.runner.run(&step.card, connection, &input).await {
            Ok(run) => {
                step_run.calls.extend(run.calls);
                step_run.logs.extend(run.logs);
                match (run.error, run.output) {
                    (None, Some(output)) => match limits::check_value(&output, max_bytes) {
                        Ok(()) => {
                            step_run.output = Some(output);
                            step_run.error = None;
                            step_run.status = StepStatus::Succeeded;
                            break;
                        }
                        Err(why) => {
                            step_run.error = Some(failure(
                                "output_too_large",
                                format!("the card's output cannot be kept in the flow: {why}"),
                                None,
                                Kind::Unprocessable,
                            ));
                            break;
                        }
                    },
                    (Some(e), _) => step_run.error = Some(e),
                    (None, None) => {
                        step_run.error = Some(failure(
                            "host_error",
                            "the card returned neither an output nor an error".into(),
                            None,
                            Kind::Internal,
                        ))
                    }
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

/// Redact what the history keeps of a step, using its card's schemas; the
/// secret values found in its input and output join `secrets`.
async fn redacted(flows: &Inner, mut step_run: StepRun, secrets: &mut Vec<String>) -> StepRun {
    let card = flows.catalogue.get(&step_run.card).await;
    let manifest = card.as_ref().map(|c| c.manifest());
    let input_schema = manifest.map(|m| &m.input_schema);
    let output_schema = manifest.map(|m| &m.output_schema);
    secret_strings(&step_run.input, input_schema, secrets);
    if let Some(output) = &step_run.output {
        secret_strings(output, output_schema, secrets);
    }
    step_run.input = redact(&step_run.input, input_schema);
    step_run.output = step_run.output.as_ref().map(|o| redact(o, output_schema));
    step_run
}

/// `kept` (a run, or one step of it) with every secret value found so far cut
/// out of all its text: values, logs, call records and errors. A value one
/// card treats as secret is hidden wherever the run kept it. A run is
/// scrubbed whole when a step finds a new secret (it may already stand in
/// the flow's input or an earlier step); otherwise only the new step is.
fn scrubbed<T: Serialize + DeserializeOwned>(kept: T, secrets: &[String]) -> T {
    if secrets.is_empty() {
        return kept;
    }
    let Ok(mut value) = serde_json::to_value(&kept) else {
        return kept;
    };
    scrub_value(&mut value, secrets);
    serde_json::from_value(value).unwrap_or(kept)
}
