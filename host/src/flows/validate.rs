//! Save-time checks of a flow: every card and connection exists and fits,
//! references point at the flow's input or an earlier step, and the literal
//! inputs can satisfy each card's input schema. Each error names its field,
//! e.g. `steps[1].input.assignee`.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::limits;
use super::model::{ErrorPolicy, FlowDefinition};
use super::reference::{self, Root};
use crate::connections::Connections;
use crate::error::{AppError, Kind};
use crate::runtime::catalogue::Catalogue;

/// Most steps in one flow.
const MAX_STEPS: usize = 50;

fn invalid(field: String, message: impl Into<String>) -> AppError {
    AppError::new(Kind::Unprocessable, "invalid_flow", message).field(field)
}

/// Check a definition; the connection id each step resolves to.
pub async fn check(
    catalogue: &Catalogue,
    connections: &Connections,
    def: &FlowDefinition,
) -> Result<Vec<String>, AppError> {
    if def.name.trim().is_empty() {
        return Err(invalid("name".into(), "the flow needs a name"));
    }
    if def.steps.is_empty() {
        return Err(invalid("steps".into(), "a flow needs at least one step"));
    }
    if def.steps.len() > MAX_STEPS {
        return Err(invalid(
            "steps".into(),
            format!("a flow has at most {MAX_STEPS} steps"),
        ));
    }
    let mut earlier: HashSet<&str> = HashSet::new();
    let mut resolved = Vec::new();
    let mut references = 0;
    for (i, step) in def.steps.iter().enumerate() {
        let at = |f: &str| format!("steps[{i}].{f}");
        if !valid_step_id(&step.id) {
            return Err(invalid(
                at("id"),
                format!(
                    "step id {:?} must be lowercase letters, digits and _",
                    step.id
                ),
            ));
        }
        if earlier.contains(step.id.as_str()) {
            return Err(invalid(
                at("id"),
                format!("two steps are called {:?}", step.id),
            ));
        }
        let card = catalogue.get(&step.card).await.ok_or_else(|| {
            AppError::new(
                Kind::Unprocessable,
                "unknown_card",
                format!("no card {:?} is installed", step.card),
            )
            .field(at("card"))
        })?;
        let conn = connections.resolve(&step.connection).map_err(|_| {
            AppError::new(
                Kind::Unprocessable,
                "unknown_connection",
                format!("no connection {:?}", step.connection),
            )
            .field(at("connection"))
        })?;
        let card_connector = step
            .card
            .split_once('.')
            .map(|(c, _)| c)
            .unwrap_or_default();
        if conn.connector != card_connector {
            return Err(invalid(
                at("connection"),
                format!(
                    "{} is a {} connection; card {} needs a {card_connector} one",
                    conn.nickname, conn.connector, step.card
                ),
            ));
        }
        if let ErrorPolicy::Retry { times, delay_ms } = step.on_error {
            if !(1..=10).contains(&times) {
                return Err(invalid(
                    at("on_error.times"),
                    "retry times must be between 1 and 10",
                ));
            }
            if delay_ms > 60_000 {
                return Err(invalid(
                    at("on_error.delay_ms"),
                    "retry delay_ms must be at most 60000",
                ));
            }
        }
        let literal_depth = limits::depth(&Value::Object(step.input.clone()));
        if literal_depth > limits::MAX_DEPTH {
            return Err(invalid(
                at("input"),
                format!(
                    "the input is nested {literal_depth} levels deep; a flow keeps values at most {} levels deep",
                    limits::MAX_DEPTH
                ),
            ));
        }
        let (referenced, count) = check_references(&step.input, &earlier, i)?;
        references += count;
        if references > limits::MAX_REFERENCES {
            return Err(invalid(
                at("input"),
                format!(
                    "the flow holds more than {} references; a flow may hold at most {} (each is copied into its step's input at every run)",
                    limits::MAX_REFERENCES,
                    limits::MAX_REFERENCES
                ),
            ));
        }
        check_literals(&card, &step.input, &referenced, i)?;
        earlier.insert(step.id.as_str());
        resolved.push(conn.id);
    }
    Ok(resolved)
}

fn valid_step_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The top-level input keys that hold references, and how many references
/// the input holds.
fn check_references(
    input: &Map<String, Value>,
    earlier: &HashSet<&str>,
    i: usize,
) -> Result<(HashSet<String>, usize), AppError> {
    let mut found = Vec::new();
    for (k, v) in input {
        reference::references_in(v, k, &mut found);
    }
    let mut keys = HashSet::new();
    let count = found.len();
    for (path, text) in found {
        let field = format!("steps[{i}].input.{path}");
        let parsed = reference::parse(&text).map_err(|e| invalid(field.clone(), e))?;
        if let Root::Step(step) = &parsed.root {
            if !earlier.contains(step.as_str()) {
                return Err(invalid(
                    field,
                    format!(
                        "{text} refers to step {step:?}, which is not an earlier step of this flow"
                    ),
                ));
            }
        }
        let top = path.split(['.', '[']).next().unwrap_or(&path).to_string();
        keys.insert(top);
    }
    Ok((keys, count))
}

/// The literal part of the input must be able to satisfy the card's schema:
/// errors about fields a reference will fill are ignored.
fn check_literals(
    card: &crate::runtime::LoadedCard,
    input: &Map<String, Value>,
    referenced: &HashSet<String>,
    i: usize,
) -> Result<(), AppError> {
    let literal: Map<String, Value> = input
        .iter()
        .filter(|(k, _)| !referenced.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for v in card.input_schema().violations(&Value::Object(literal)) {
        let field = v.field.clone().unwrap_or_default();
        let top = field.split(['.', '[']).next().unwrap_or(&field);
        if referenced.contains(top) {
            continue;
        }
        let at = if field.is_empty() {
            format!("steps[{i}].input")
        } else {
            format!("steps[{i}].input.{field}")
        };
        return Err(invalid(
            at,
            format!(
                "the input cannot satisfy {}: {}",
                card.manifest().id,
                v.message
            ),
        ));
    }
    Ok(())
}
