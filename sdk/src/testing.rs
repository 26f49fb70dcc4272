//! Native test support (not on `wasm32`): [`run`], which runs a card as the
//! host would, [`subscription`] and [`on_event`], which call an event card as
//! the host would, a mock for the HTTP capability and a capture of log lines,
//! both per thread.
//!
//! [`run`] checks the input against the card's input schema before the card
//! sees it, and the output against its output schema after, with the JSON
//! Schema validator the host uses: an input the host would refuse with
//! `invalid_input` fails here too, as `ErrorKind::InvalidInput` naming the
//! field. (The `__cardhost_run` function [`crate::export_card!`] writes does
//! the same.)
//!
//! Outside a component there is no host, so [`crate::http::Http::send`]
//! calls the handler installed with [`mock_http`] and, without one, fails
//! with a `transport` error. [`crate::http::Http::send_all`] hands the
//! handler each request of the batch in order (one at a time: the mock has
//! no concurrency) and keeps the batch for [`take_batches`]. Logs are kept
//! for [`take_logs`].

use std::cell::RefCell;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

pub use crate::card::manifest;
use crate::card::Card;
use crate::context::{Context, Level};
use crate::error::{CardError, ErrorKind};
use crate::event::{manifest as event_manifest, EventCard};
use crate::http::{HttpError, Request, Response};

type Handler = Box<dyn FnMut(&Request) -> Result<Response, HttpError>>;

thread_local! {
    static HANDLER: RefCell<Option<Handler>> = RefCell::new(None);
    static LOGS: RefCell<Vec<(Level, String)>> = const { RefCell::new(Vec::new()) };
    static BATCHES: RefCell<Vec<Vec<Request>>> = const { RefCell::new(Vec::new()) };
}

/// Answers this thread's HTTP requests with `handler` until [`clear_mock`].
pub fn mock_http(handler: impl FnMut(&Request) -> Result<Response, HttpError> + 'static) {
    HANDLER.with(|h| *h.borrow_mut() = Some(Box::new(handler)));
}

/// Removes this thread's HTTP mock and forgets its batches.
pub fn clear_mock() {
    HANDLER.with(|h| *h.borrow_mut() = None);
    BATCHES.with(|b| b.borrow_mut().clear());
}

/// The batches sent with [`crate::http::Http::send_all`] on this thread
/// since the last call, each with its requests in order.
pub fn take_batches() -> Vec<Vec<Request>> {
    BATCHES.with(|b| std::mem::take(&mut *b.borrow_mut()))
}

/// The log lines written on this thread since the last call.
pub fn take_logs() -> Vec<(Level, String)> {
    LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()))
}

pub(crate) fn send(request: &Request) -> Result<Response, HttpError> {
    // Take the handler out while it runs, so that it may itself log.
    let handler = HANDLER.with(|h| h.borrow_mut().take());
    match handler {
        Some(mut handler) => {
            let result = handler(request);
            HANDLER.with(|h| {
                let mut slot = h.borrow_mut();
                if slot.is_none() {
                    *slot = Some(handler);
                }
            });
            result
        }
        None => Err(HttpError::Transport(
            "no host: not running in a component and no mock installed".into(),
        )),
    }
}

pub(crate) fn send_all(requests: &[Request]) -> Vec<Result<Response, HttpError>> {
    BATCHES.with(|b| b.borrow_mut().push(requests.to_vec()));
    requests.iter().map(send).collect()
}

pub(crate) fn log(level: Level, message: &str) {
    LOGS.with(|l| l.borrow_mut().push((level, message.to_string())));
}

/// Runs card `C` on `input` as the host runs it, with this thread's HTTP
/// mock: the input is checked against the card's input schema (a mismatch is
/// `ErrorKind::InvalidInput` naming the field, as the host's `invalid_input`),
/// then decoded and run, and the output is checked against the output schema
/// (a mismatch is `ErrorKind::Internal`, the host's `invalid_output`).
///
/// ```ignore
/// let out = cardhost_sdk::testing::run::<WhoAmI>(json!({}), &Context::new("asana"))?;
/// ```
pub fn run<C: Card>(input: Value, ctx: &Context) -> Result<Value, CardError> {
    let output = run_json::<C>(&input.to_string(), ctx)?;
    serde_json::from_str(&output)
        .map_err(|e| CardError::internal(format!("the card's output is not JSON: {e}")))
}

/// [`run`] on input and output JSON text (what `__cardhost_run` calls).
pub fn run_json<C: Card>(input: &str, ctx: &Context) -> Result<String, CardError> {
    let manifest = manifest::<C>();
    check_input(&manifest.input_schema, input)?;
    let output = crate::card::run_json::<C>(input, ctx)?;
    check_output(&manifest.output_schema, &output)?;
    Ok(output)
}

/// The subscription event card `C` asks for with `input`, as the host asks
/// for it, with this thread's HTTP mock: the input checked against the
/// card's input schema first (a mismatch is `ErrorKind::InvalidInput` naming
/// the field).
///
/// ```ignore
/// let sub = cardhost_sdk::testing::subscription::<NewTask>(json!({"project": "1"}), &ctx)?;
/// assert_eq!(sub["resource"], "1");
/// ```
pub fn subscription<C: EventCard>(input: Value, ctx: &Context) -> Result<Value, CardError> {
    let subscription = subscription_json::<C>(&input.to_string(), ctx)?;
    serde_json::from_str(&subscription)
        .map_err(|e| CardError::internal(format!("the subscription is not JSON: {e}")))
}

/// [`subscription`] on input JSON text (what `__cardhost_subscription` calls).
pub fn subscription_json<C: EventCard>(input: &str, ctx: &Context) -> Result<String, CardError> {
    check_input(&event_manifest::<C>().input_schema, input)?;
    crate::event::subscription_json::<C>(input, ctx)
}

/// Event card `C` on one `event` for a trigger with `input`, as the host
/// hands it over, with this thread's HTTP mock: the input checked against
/// the card's input schema, the output (when there is one) against its
/// output schema (a mismatch is `ErrorKind::Internal`, the host's
/// `invalid_output`). `None` when the card does not report the event.
pub fn on_event<C: EventCard>(
    input: Value,
    event: Value,
    ctx: &Context,
) -> Result<Option<Value>, CardError> {
    let output = on_event_json::<C>(&input.to_string(), &event.to_string(), ctx)?;
    output
        .map(|o| {
            serde_json::from_str(&o)
                .map_err(|e| CardError::internal(format!("the card's output is not JSON: {e}")))
        })
        .transpose()
}

/// [`on_event`] on input, event and output JSON text (what
/// `__cardhost_on_event` calls).
pub fn on_event_json<C: EventCard>(
    input: &str,
    event: &str,
    ctx: &Context,
) -> Result<Option<String>, CardError> {
    let manifest = event_manifest::<C>();
    check_input(&manifest.input_schema, input)?;
    let output = crate::event::on_event_json::<C>(input, event, ctx)?;
    if let Some(output) = &output {
        check_output(&manifest.output_schema, output)?;
    }
    Ok(output)
}

/// The input checked against the input schema as the host checks it.
fn check_input(schema: &str, input: &str) -> Result<(), CardError> {
    // The host reads the input as JSON before anything else; text that is not
    // JSON is left to the card's decoding, which says so.
    if let Ok(value) = serde_json::from_str::<Value>(input) {
        if let Some(v) = first_violation(schema, &value, "input")? {
            return Err(CardError {
                kind: ErrorKind::InvalidInput,
                message: format!("invalid input: {}", v.message),
                field: v.field,
            });
        }
    }
    Ok(())
}

/// The output checked against the output schema as the host checks it.
fn check_output(schema: &str, output: &str) -> Result<(), CardError> {
    let value: Value = serde_json::from_str(output)
        .map_err(|e| CardError::internal(format!("the card's output is not JSON: {e}")))?;
    if let Some(v) = first_violation(schema, &value, "output")? {
        return Err(CardError {
            kind: ErrorKind::Internal,
            message: format!(
                "the card's output does not match its output schema: {}",
                v.message
            ),
            field: v.field,
        });
    }
    Ok(())
}

/// The first way `value` fails `schema` (JSON text), in document order.
struct Violation {
    field: Option<String>,
    message: String,
}

/// As the host's `runtime::schema` reports a violation: the dotted path of
/// the field (a missing or unknown property named), and the validator's
/// message without the value.
fn first_violation(
    schema: &str,
    value: &Value,
    which: &str,
) -> Result<Option<Violation>, CardError> {
    let schema: Value = serde_json::from_str(schema)
        .map_err(|e| CardError::internal(format!("the {which} schema is not JSON: {e}")))?;
    let validator = jsonschema::validator_for(&schema).map_err(|e| {
        CardError::internal(format!(
            "the {which} schema is not a valid JSON Schema (the host would refuse the card): {}",
            e.masked()
        ))
    })?;
    let Some(error) = validator.iter_errors(value).next() else {
        return Ok(None);
    };
    let mut segments: Vec<String> = error
        .instance_path()
        .to_string()
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    match error.kind() {
        ValidationErrorKind::Required { property } => {
            segments.push(property.as_str().unwrap_or_default().to_string());
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            if let Some(first) = unexpected.first() {
                segments.push(first.clone());
            }
        }
        _ => {}
    }
    let field = dotted(value, &segments);
    let message = match &field {
        Some(f) => format!("{f}: {}", error.masked()),
        None => error.masked().to_string(),
    };
    Ok(Some(Violation { field, message }))
}

/// `["projects", "1", "gid"]` as `projects[1].gid` when `projects` is an
/// array in `value`, as `projects.1.gid` when it is an object.
fn dotted(value: &Value, segments: &[String]) -> Option<String> {
    let mut out = String::new();
    // Where the path is in `value`: a digit segment is an index only in an
    // array (`projects[1]`); in an object it is a key (`custom_fields.123`).
    let mut at = Some(value);
    for s in segments {
        let index = at.is_some_and(Value::is_array);
        if index && !out.is_empty() {
            out.push_str(&format!("[{s}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
        at = match at {
            Some(Value::Array(items)) => s.parse::<usize>().ok().and_then(|i| items.get(i)),
            Some(Value::Object(fields)) => fields.get(s.as_str()),
            _ => None,
        };
    }
    (!out.is_empty()).then_some(out)
}
