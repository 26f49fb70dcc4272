//! Running a flow: each card step's input resolved from the flow's input,
//! the event, the current loop item and earlier outputs, the card run on its
//! connection and the step's error policy applied; if steps take a branch,
//! loops run their steps once per item. The run is saved to history after
//! every top-level step, and its output evaluated when it succeeds.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::condition;
use super::limits;
use super::model::{
    Branch, ErrorPolicy, Flow, FlowRun, ForEachStep, IfStep, Iteration, RunStatus, Step,
    StepDefinition, StepKind, StepRun, StepStatus,
};
use super::redact::{redact, scrub_value, secret_strings};
use super::reference::{self, Reference, Root};
use super::Inner;
use crate::cards::RunFailure;
use crate::error::Kind;

/// What one run shares with each of its steps.
struct Run<'a> {
    flows: &'a Inner,
    input: &'a Value,
    event: Option<&'a Value>,
    /// The connection id of each card step, by step id.
    connections: HashMap<&'a str, &'a str>,
    max_bytes: usize,
    /// Card steps started so far (loops multiply them).
    card_runs: AtomicUsize,
}

/// The outputs a step can see: those of its own iteration (or of the flow's
/// top level), then those of the enclosing scopes.
struct Scope<'p> {
    outputs: HashMap<String, Value>,
    parent: Option<&'p Scope<'p>>,
    /// The innermost loop's item and its index.
    item: Option<(Value, Value)>,
}

impl<'p> Scope<'p> {
    fn root() -> Scope<'static> {
        Scope {
            outputs: HashMap::new(),
            parent: None,
            item: None,
        }
    }

    fn output(&self, id: &str) -> Option<&Value> {
        self.outputs
            .get(id)
            .or_else(|| self.parent.and_then(|p| p.output(id)))
    }

    fn item(&self) -> Option<&(Value, Value)> {
        self.item
            .as_ref()
            .or_else(|| self.parent.and_then(|p| p.item()))
    }

    /// What a reference finds here, given the flow's input and event.
    fn lookup<'s>(
        &'s self,
        input: &'s Value,
        event: Option<&'s Value>,
        r: &Reference,
    ) -> Option<&'s Value> {
        let base = match &r.root {
            Root::Input => input,
            Root::Event => event?,
            Root::Step(id) => self.output(id)?,
            Root::Item => &self.item()?.0,
            Root::Index => &self.item()?.1,
        };
        reference::follow(base, &r.path)
    }
}

type Boxed<'a> = Pin<Box<dyn Future<Output = StepRun> + Send + 'a>>;

/// Execute `run` (already saved as `running`) to its end. `event` is the
/// event that started the flow, referred to as `$.event`.
pub(super) async fn execute(
    flows: &Inner,
    flow: &Flow,
    mut run: FlowRun,
    flow_input: Value,
    event: Option<Value>,
) -> FlowRun {
    let started = Instant::now();
    let connections = flow
        .definition
        .card_steps()
        .into_iter()
        .zip(&flow.connections)
        .map(|(step, conn)| (step.id.as_str(), conn.as_str()))
        .collect();
    let state = Run {
        flows,
        input: &flow_input,
        event: event.as_ref(),
        connections,
        max_bytes: flows.runtime.config().max_output_bytes,
        card_runs: AtomicUsize::new(0),
    };
    let mut scope = Scope::root();
    let mut failure = None;
    let mut secrets = Vec::new();
    for step in &flow.definition.steps {
        let step_run = run_step(&state, step, &mut scope).await;
        let status = step_run.status;
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
        if let Err(e) = flows.store.write_run(&run) {
            tracing::warn!(run = %run.id, error = %e, "could not save a step of a run");
        }
    }
    if failure.is_none() && !flow.definition.output.is_empty() {
        match flow_output(&state, &flow.definition.output, &scope) {
            Ok(output) => run.output = Some(scrubbed(redact(&output, None), &secrets)),
            Err(e) => failure = Some(e),
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

/// The definition's output evaluated: references that find nothing are
/// null, templates render them as "".
fn flow_output(run: &Run, output: &Map<String, Value>, scope: &Scope) -> Result<Value, RunFailure> {
    let lookup = |r: &Reference| scope.lookup(run.input, run.event, r);
    let mut out = Map::new();
    for (name, value) in output {
        let v = condition::operand(value, &lookup).map_err(|message| {
            failure(
                "invalid_template",
                message,
                Some(format!("output.{name}")),
                Kind::Unprocessable,
            )
        })?;
        out.insert(name.clone(), v);
    }
    let out = Value::Object(out);
    limits::check_value(&out, run.max_bytes).map_err(|why| {
        failure(
            "output_too_large",
            format!("the flow's output cannot be kept: {why}"),
            Some("output".into()),
            Kind::Unprocessable,
        )
    })?;
    Ok(out)
}

/// Run one step in `scope`; its output (if any) joins the scope.
fn run_step<'a>(run: &'a Run<'a>, step: &'a Step, scope: &'a mut Scope<'_>) -> Boxed<'a> {
    Box::pin(async move {
        match step {
            Step::Card(s) => {
                let step_run = card_step(run, s, scope).await;
                if let Some(out) = &step_run.output {
                    scope.outputs.insert(s.id.clone(), out.clone());
                }
                step_run
            }
            Step::If(s) => if_step(run, s, scope).await,
            Step::ForEach(s) => {
                let mut step_run = loop_step(run, s, scope).await;
                // The history keeps each result once: in its iteration.
                if let Some(out) = step_run.output.take() {
                    scope.outputs.insert(s.id.clone(), out);
                }
                step_run
            }
        }
    })
}

/// Run `steps` in order until one fails; the first failure, if any.
async fn sequence(
    run: &Run<'_>,
    steps: &[Step],
    scope: &mut Scope<'_>,
    runs: &mut Vec<StepRun>,
) -> Option<RunFailure> {
    for step in steps {
        let step_run = run_step(run, step, scope).await;
        let failed = step_run.status == StepStatus::Failed;
        let error = step_run.error.clone();
        runs.push(step_run);
        if failed {
            return Some(error.unwrap_or_else(|| {
                failure(
                    "host_error",
                    "a step failed without an error".into(),
                    None,
                    Kind::Internal,
                )
            }));
        }
    }
    None
}

async fn if_step(run: &Run<'_>, step: &IfStep, scope: &mut Scope<'_>) -> StepRun {
    let started = Instant::now();
    let mut step_run = StepRun::new(&step.id, StepKind::If);
    let lookup = |r: &Reference| scope.lookup(run.input, run.event, r);
    let mut notes = Vec::new();
    let holds = condition::evaluate(&step.condition, &lookup, &mut notes);
    step_run.notes = notes;
    match holds {
        Err(message) => {
            step_run.error = Some(failure(
                "invalid_condition",
                message,
                Some("if".into()),
                Kind::Unprocessable,
            ));
        }
        Ok(holds) => {
            let (branch, steps) = if holds {
                (Branch::Then, &step.then)
            } else {
                (Branch::Else, &step.otherwise)
            };
            step_run.branch = Some(branch);
            let mut runs = Vec::new();
            match sequence(run, steps, scope, &mut runs).await {
                Some(e) => step_run.error = Some(e),
                None => step_run.status = StepStatus::Succeeded,
            }
            step_run.steps = runs;
        }
    }
    step_run.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    step_run
}

async fn loop_step(run: &Run<'_>, step: &ForEachStep, scope: &mut Scope<'_>) -> StepRun {
    let started = Instant::now();
    let mut step_run = StepRun::new(&step.id, StepKind::ForEach);
    let items = match list(run, step, scope) {
        Ok(items) => items,
        Err(e) => {
            step_run.error = Some(e);
            return finish_loop(step, step_run, started);
        }
    };
    let mut iterations = Vec::new();
    let mut results = Vec::new();
    let mut bytes_left = run.max_bytes;
    let mut went_on = false;
    for (index, item) in items.into_iter().enumerate() {
        let mut inner = Scope {
            outputs: HashMap::new(),
            parent: Some(&*scope),
            item: Some((item, json!(index))),
        };
        let mut runs = Vec::new();
        let failed = sequence(run, &step.steps, &mut inner, &mut runs).await;
        let (item, _) = inner.item.take().unwrap_or_default();
        let mut iteration = Iteration {
            index,
            item: redact(&item, None),
            status: StepStatus::Succeeded,
            steps: runs,
            error: None,
        };
        let result = match failed {
            None => Value::Object(inner.outputs.into_iter().collect()),
            Some(e) if step.on_error == ErrorPolicy::Continue => {
                went_on = true;
                iteration.status = StepStatus::Continued;
                iteration.error = Some(e.clone());
                json!({ "error": e })
            }
            Some(e) => {
                iteration.status = StepStatus::Failed;
                iteration.error = Some(e.clone());
                iterations.push(iteration);
                step_run.iterations = Some(iterations);
                step_run.error = Some(RunFailure {
                    message: format!("iteration {index}: {}", e.message),
                    ..e
                });
                return finish_loop(step, step_run, started);
            }
        };
        iterations.push(iteration);
        match limits::json_size_within(&result, bytes_left) {
            Some(size) if limits::depth(&result) + 3 <= limits::MAX_DEPTH => {
                bytes_left -= size;
                results.push(result);
            }
            _ => {
                step_run.iterations = Some(iterations);
                step_run.error = Some(failure(
                    "output_too_large",
                    format!(
                        "the loop's results cannot be kept in the flow: with iteration {index} they are larger than {} bytes of JSON or nested deeper than {} levels",
                        run.max_bytes,
                        limits::MAX_DEPTH
                    ),
                    None,
                    Kind::Unprocessable,
                ));
                return finish_loop(step, step_run, started);
            }
        }
    }
    step_run.iterations = Some(iterations);
    step_run.status = if went_on {
        StepStatus::Continued
    } else {
        StepStatus::Succeeded
    };
    step_run.output = Some(json!({ "count": results.len(), "results": results }));
    step_run.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    step_run
}

/// The items a loop runs over: a list (null counts as an empty one) of at
/// most `max_items` items.
fn list(run: &Run, step: &ForEachStep, scope: &Scope) -> Result<Vec<Value>, RunFailure> {
    let fail = |code: &str, message: String| {
        failure(code, message, Some("for_each".into()), Kind::Unprocessable)
    };
    let text = &step.for_each;
    let parsed = reference::parse(text).map_err(|e| fail("unresolved_reference", e))?;
    let found = scope
        .lookup(run.input, run.event, &parsed)
        .ok_or_else(|| fail("unresolved_reference", format!("{text} found nothing")))?;
    let items = match found {
        Value::Array(items) => items,
        Value::Null => return Ok(Vec::new()),
        other => {
            return Err(fail(
                "not_a_list",
                format!("{text} is {}, not a list", condition::describe(other)),
            ))
        }
    };
    if items.len() > step.max_items as usize {
        return Err(fail(
            "too_many_items",
            format!(
                "{text} holds {} items; this loop takes at most {} (max_items)",
                items.len(),
                step.max_items
            ),
        ));
    }
    Ok(items.clone())
}

/// A loop that failed as a whole: with `continue`, its output is its error.
fn finish_loop(step: &ForEachStep, mut step_run: StepRun, started: Instant) -> StepRun {
    step_run.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    if step.on_error == ErrorPolicy::Continue {
        step_run.status = StepStatus::Continued;
        step_run.output = Some(json!({ "error": step_run.error }));
    }
    step_run
}

async fn card_step(run: &Run<'_>, step: &StepDefinition, scope: &Scope<'_>) -> StepRun {
    let started = Instant::now();
    let connection = run
        .connections
        .get(step.id.as_str())
        .copied()
        .unwrap_or_default();
    let lookup = |r: &Reference| scope.lookup(run.input, run.event, r);
    let max_bytes = run.max_bytes;
    let mut step_run = StepRun::new(&step.id, StepKind::Card);
    step_run.card = step.card.clone();
    step_run.connection = connection.to_string();
    if run.card_runs.fetch_add(1, Ordering::Relaxed) >= limits::MAX_CARD_RUNS {
        step_run.error = Some(failure(
            "too_many_steps",
            format!(
                "the run has started {} card steps, the most one run may (loops multiply steps)",
                limits::MAX_CARD_RUNS
            ),
            None,
            Kind::Unprocessable,
        ));
        return finish(step, step_run, started);
    }
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
        match run.flows.runner.run(&step.card, connection, &input).await {
            Ok(card_run) => {
                step_run.calls.extend(card_run.calls);
                step_run.logs.extend(card_run.logs);
                match (card_run.error, card_run.output) {
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

/// Redact what the history keeps of a step and the steps nested in it,
/// using each card's schemas; the secret values found in their inputs and
/// outputs join `secrets`.
fn redacted<'a>(
    flows: &'a Inner,
    mut step_run: StepRun,
    secrets: &'a mut Vec<String>,
) -> Pin<Box<dyn Future<Output = StepRun> + Send + 'a>> {
    Box::pin(async move {
        if step_run.kind == StepKind::Card {
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
        } else {
            step_run.output = step_run.output.as_ref().map(|o| redact(o, None));
        }
        let mut nested = Vec::with_capacity(step_run.steps.len());
        for inner in std::mem::take(&mut step_run.steps) {
            nested.push(redacted(flows, inner, secrets).await);
        }
        step_run.steps = nested;
        if let Some(iterations) = step_run.iterations.as_mut() {
            for iteration in iterations.iter_mut() {
                let mut nested = Vec::with_capacity(iteration.steps.len());
                for inner in std::mem::take(&mut iteration.steps) {
                    nested.push(redacted(flows, inner, secrets).await);
                }
                iteration.steps = nested;
            }
        }
        step_run
    })
}

/// `kept` (a run, or one step of it) with every secret value found so far cut
/// out of all its text: values, logs, call records and errors, nested step
/// runs included. A value one card treats as secret is hidden wherever the
/// run kept it. A run is scrubbed whole when a step finds a new secret (it
/// may already stand in the flow's input or an earlier step); otherwise only
/// the new step is.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::template::{Missing, Template};

    #[test]
    fn scopes_see_their_iteration_then_the_enclosing_ones() {
        let input = json!({"who": "ada"});
        let event = json!({"task": {"gid": "9"}});
        let mut root = Scope::root();
        root.outputs.insert("find".into(), json!({"users": [1, 2]}));
        let inner = Scope {
            outputs: HashMap::from([("mail".to_string(), json!({"ok": true}))]),
            parent: Some(&root),
            item: Some((json!({"gid": "7"}), json!(3))),
        };
        let find = |scope: &Scope, event: Option<&Value>, r: &str| {
            scope
                .lookup(&input, event, &reference::parse(r).unwrap())
                .cloned()
        };
        assert_eq!(
            find(&inner, None, "$.steps.find.output.users[1]"),
            Some(json!(2))
        );
        assert_eq!(
            find(&inner, None, "$.steps.mail.output.ok"),
            Some(json!(true))
        );
        assert_eq!(find(&inner, None, "$.item.gid"), Some(json!("7")));
        assert_eq!(find(&inner, None, "$.index"), Some(json!(3)));
        assert_eq!(find(&inner, None, "$.input.who"), Some(json!("ada")));
        assert_eq!(find(&inner, None, "$.event.task.gid"), None);
        assert_eq!(
            find(&inner, Some(&event), "$.event.task.gid"),
            Some(json!("9"))
        );
        assert_eq!(
            find(&root, None, "$.steps.mail.output.ok"),
            None,
            "an iteration's outputs stay in it"
        );
        assert_eq!(find(&root, None, "$.item"), None);
        let template = Template::parse("{{$.item.gid}} #{{$.index}}").unwrap();
        let lookup = |r: &Reference| inner.lookup(&input, None, r);
        assert_eq!(template.render(&lookup, Missing::Fail).unwrap(), "7 #3");
    }
}
