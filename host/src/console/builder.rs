//! The flow builder: New flow and Edit flow, a test run, and what the
//! builder's script ([`BUILDER_JS`]) needs to know.
//!
//! The page is a form whose `definition` field holds the flow's JSON; it
//! reads and saves without script (edit the JSON, press Save). The script
//! turns it into the builder (trigger, card steps from a picker grouped by
//! connector, conditions, loops, fields from each card's input schema,
//! references to the flow's input and earlier steps' outputs, outputs) and
//! writes the JSON back into the field before the form is sent, so that
//! saving is a plain form post carrying the session's CSRF token. The
//! server's verdict comes back as the page again: a refused definition with
//! its error and field path (`steps[1].input.assignee`), which the script
//! shows next to that field. The catalogue and the connections reach the
//! script as JSON in `data-` attributes (escaped by the template, read with
//! `JSON.parse`); the script only ever sets text, never markup.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::connections::csrf_field;
use super::flows::{flow_url, nicknames, run_badge, run_steps};
use super::layout::{
    banner, error_page, html, render, see_other, sentence, Flash, Nav, Page, Tone,
};
use super::schema;
use super::session::SessionCtx;
use super::Console;
use crate::api::json::parse;
use crate::error::{AppError, Kind};
use crate::flows::{Flow, FlowDefinition, RunFlowRequest, Started};

/// The builder's script, served as `/console/assets/builder.js`.
pub(crate) const BUILDER_JS: &str = include_str!("builder.js");

fn edit_url(id: &str) -> String {
    format!("/console/flows/{id}/edit")
}

/// What the builder knows of each installed card: enough to pick it, fill
/// its input (its fields as [`schema::fields`] words them: type, required,
/// description, constraints) and refer to its output. `kind` is `event` for
/// the cards an event trigger takes, `action` for the steps' cards.
async fn cards_json(console: &Console) -> Value {
    let mut cards = Vec::new();
    for card in console.app.catalogue.all().await {
        let m = card.manifest();
        let kind = m.kind.as_str();
        let connector_id = m.id.split_once('.').map_or("", |(c, _)| c).to_string();
        let connector_name = console
            .app
            .registry
            .for_card(&m.id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| connector_id.clone());
        // The input's top-level fields as the card page words them.
        let fields: Vec<Value> = schema::fields(&m.input_schema)
            .into_iter()
            .filter(|f| !f.path.contains(['.', '[']))
            .map(|f| {
                json!({
                    "name": f.path,
                    "type": f.ty,
                    "required": f.required,
                    "description": f.description,
                    "notes": f.notes,
                })
            })
            .collect();
        cards.push(json!({
            "id": m.id,
            "name": m.name,
            "description": m.description,
            "connector": connector_id,
            "connector_name": connector_name,
            "kind": kind,
            "fields": fields,
            "input_schema": m.input_schema,
            "output_schema": m.output_schema,
        }));
    }
    Value::Array(cards)
}

/// The connections a step may use: id, nickname, connector, status.
fn connections_json(console: &Console) -> Value {
    let list = console.app.connections.list().unwrap_or_default();
    Value::Array(
        list.into_iter()
            .map(|c| {
                json!({
                    "id": c.id,
                    "nickname": c.nickname,
                    "connector": c.connector,
                    "status": c.status,
                })
            })
            .collect(),
    )
}

/// What a test run left to show.
enum TestOutcome {
    Done(Box<crate::flows::FlowRun>),
    Running(String),
    Refused(AppError),
}

/// Everything one builder page shows.
struct BuilderPage<'a> {
    flow: Option<&'a Flow>,
    /// The definition's JSON as it stands (saved, or as last sent).
    definition: String,
    /// The flow's input names the builder offered when the form was sent
    /// (the definition only holds those it refers to already).
    inputs: String,
    flash: Option<Flash>,
    error: Option<AppError>,
    sample_input: String,
    test: Option<TestOutcome>,
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The JSON of a stored definition.
fn definition_text(def: &FlowDefinition) -> String {
    pretty(&serde_json::to_value(def).unwrap_or(Value::Null))
}

/// A starting sample input: each `$.input.<name>` the definition refers to,
/// as an empty string.
fn sample_for(definition: &str) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut rest = definition;
    while let Some(at) = rest.find("$.input.") {
        rest = &rest[at + "$.input.".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    let object: serde_json::Map<String, Value> = names
        .into_iter()
        .map(|n| (n, Value::String(String::new())))
        .collect();
    pretty(&Value::Object(object))
}

async fn builder_page(
    console: &Console,
    ctx: &SessionCtx,
    status: StatusCode,
    page: BuilderPage<'_>,
) -> Response {
    let cards = cards_json(console).await.to_string();
    let connections = connections_json(console).to_string();
    let names = nicknames(console);
    let (title, action) = match page.flow {
        Some(f) => (format!("Edit {}", f.definition.name), edit_url(&f.id)),
        None => ("New flow".to_string(), "/console/flows/new".to_string()),
    };
    let error_field = page
        .error
        .as_ref()
        .and_then(|e| e.field.clone())
        .unwrap_or_default();
    let error_message = page
        .error
        .as_ref()
        .map(|e| sentence(&e.message))
        .unwrap_or_default();
    let body = html! {
        div.page-head {
            div {
                p.crumbs {
                    a href="/console/flows" { "Flows" } " / "
                    @match page.flow {
                        Some(f) => { a href=(flow_url(&f.id)) { (f.definition.name) } " / edit" }
                        None => { "New" }
                    }
                }
                h1 #builder-title { (title) }
                p.muted {
                    @match page.flow {
                        Some(f) => { "Version " (f.version) ". Saving makes version " (f.version + 1) "; runs keep the version they ran." }
                        None => { "Pick a trigger, add steps from the card catalogue, map their fields, save, then run it with a sample input." }
                    }
                }
            }
            @if let Some(f) = page.flow {
                a.button #run-history href=(flow_url(&f.id)) { "Run history" }
            }
        }
        @if let Some(f) = &page.flash { (banner(f)) }
        @if let Some(e) = &page.error {
            (banner(&Flash::error("The flow was not saved", e)))
            @if let Some(field) = &e.field { p.muted #error-field { "Field: " code { (field) } } }
        }
        form.builder-form #builder-form method="post" action=(action)
            data-error-field=(error_field) data-error-message=(error_message) {
            (csrf_field(ctx))
            input #builder-inputs type="hidden" name="inputs" value=(page.inputs);
            div #builder data-cards=(cards) data-connections=(connections) {}
            details.panel #definition-box open {
                summary { "Definition (JSON)" }
                p.hint {
                    "The flow as the API takes it. Edit it here, or with the builder above (it needs script); "
                    "the builder writes it back before saving."
                }
                textarea #definition name="definition" rows="16" spellcheck="false" { (page.definition) }
            }
            div.actions {
                button.primary #save type="submit" {
                    @if page.flow.is_some() { "Save new version" } @else { "Save flow" }
                }
                a.button href=(page.flow.map(|f| flow_url(&f.id)).unwrap_or_else(|| "/console/flows".into())) { "Cancel" }
            }
        }
        @if let Some(f) = page.flow {
            section.panel #test-panel {
                h2 { "Test run" }
                p.muted { "Runs the saved version (v" (f.version) ") with this input, as " code { "$.input" } ". The run is kept in the flow's history." }
                form.form #test-form method="post" action={(flow_url(&f.id)) "/test#test-result"} {
                    (csrf_field(ctx))
                    div.field {
                        label for="sample-input" { "Sample input (JSON)" }
                        textarea #sample-input name="input" rows="5" spellcheck="false" { (page.sample_input) }
                    }
                    div.actions { button.primary #test-run type="submit" { "Run" } }
                }
            }
            @if let Some(outcome) = &page.test {
                (test_result(f, outcome, &names))
            }
        }
        script src="/console/assets/builder.js" defer {}
    };
    html(
        status,
        render(&Page::new(&title, Nav::Flows), Some(ctx), body),
    )
}

fn test_result(flow: &Flow, outcome: &TestOutcome, names: &HashMap<String, String>) -> Markup {
    match outcome {
        TestOutcome::Refused(e) => html! {
            section.panel #test-result data-outcome="refused" {
                h2 { "Test result" }
                (banner(&Flash::error("The flow did not run", e)))
                @if let Some(field) = &e.field { p.muted { "Field: " code { (field) } } }
            }
        },
        TestOutcome::Running(run_id) => html! {
            section.panel #test-result data-outcome="running" {
                h2 { "Test result" }
                p { "The run is still going on. "
                    a #test-run-link href={(flow_url(&flow.id)) "/runs/" (run_id)} { "Open the run" }
                    " to see it when it ends." }
            }
        },
        TestOutcome::Done(run) => html! {
            section #test-result data-outcome=(if run.error.is_none() { "ok" } else { "failed" }) {
                div.panel {
                    h2 { "Test result " (run_badge(run.status)) }
                    p.muted {
                        a #test-run-link href={(flow_url(&flow.id)) "/runs/" (run.id)} { "Open this run" }
                        " · " a href=(flow_url(&flow.id)) { "all runs" }
                    }
                    @if let Some(f) = &run.error {
                        (banner(&Flash {
                            tone: Tone::Error,
                            title: "The run failed".into(),
                            message: sentence(&f.message),
                            code: Some(f.code.clone()),
                        }))
                    }
                    @if let Some(out) = &run.output {
                        h3 { "Output" }
                        pre #test-output { (pretty(out)) }
                    }
                }
                (run_steps(run, names))
            }
        },
    }
}

/// `GET /console/flows/new`.
pub(crate) async fn new_form(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
) -> Response {
    let definition = pretty(&json!({"name": "", "steps": []}));
    let page = BuilderPage {
        flow: None,
        definition,
        inputs: String::new(),
        flash: None,
        error: None,
        sample_input: "{}".into(),
        test: None,
    };
    builder_page(&console, &ctx, StatusCode::OK, page).await
}

/// `GET /console/flows/{id}/edit`.
pub(crate) async fn edit_form(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let flow = match console.app.flows.get(&id) {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, Nav::Flows, "Flow not found", &e),
    };
    let definition = definition_text(&flow.definition);
    let page = BuilderPage {
        flow: Some(&flow),
        sample_input: sample_for(&definition),
        definition,
        inputs: String::new(),
        flash: console.sessions.take_flash(&ctx),
        error: None,
        test: None,
    };
    builder_page(&console, &ctx, StatusCode::OK, page).await
}

/// The builder's form: the definition's JSON, and the input names offered.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SaveForm {
    #[serde(default)]
    definition: String,
    #[serde(default)]
    inputs: String,
}

/// The definition a form holds, checked as the API checks a body.
fn definition_of(form: &SaveForm) -> Result<FlowDefinition, AppError> {
    if form.definition.trim().is_empty() {
        return Err(AppError::new(
            Kind::BadRequest,
            "invalid_body",
            "the definition is empty: write the flow's JSON or build it above",
        )
        .field("definition"));
    }
    parse::<FlowDefinition>(form.definition.as_bytes())
}

/// `POST /console/flows/new`: create the flow, then edit it.
pub(crate) async fn create(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Form(form): Form<SaveForm>,
) -> Response {
    let saved = match definition_of(&form) {
        Ok(def) => console.app.flows.create(def).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(flow) => {
            console.sessions.set_flash(
                &ctx,
                Flash::ok(
                    "Flow saved",
                    format!("{} is saved as version 1.", flow.definition.name),
                ),
            );
            see_other(&edit_url(&flow.id))
        }
        Err(e) => refused(&console, &ctx, None, form, e).await,
    }
}

/// `POST /console/flows/{id}/edit`: save a new version.
pub(crate) async fn update(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
    Form(form): Form<SaveForm>,
) -> Response {
    let flow = match console.app.flows.get(&id) {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, Nav::Flows, "Flow not found", &e),
    };
    let saved = match definition_of(&form) {
        Ok(def) => console.app.flows.update(&id, def).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(flow) => {
            console.sessions.set_flash(
                &ctx,
                Flash::ok(
                    "Flow saved",
                    format!(
                        "{} is saved as version {}.",
                        flow.definition.name, flow.version
                    ),
                ),
            );
            see_other(&edit_url(&flow.id))
        }
        Err(e) => refused(&console, &ctx, Some(&flow), form, e).await,
    }
}

/// The builder again, with the definition as sent and why it was refused.
async fn refused(
    console: &Console,
    ctx: &SessionCtx,
    flow: Option<&Flow>,
    form: SaveForm,
    e: AppError,
) -> Response {
    let status = crate::api::json::status(e.kind);
    let page = BuilderPage {
        flow,
        sample_input: sample_for(&form.definition),
        definition: form.definition,
        inputs: form.inputs,
        flash: None,
        error: Some(e),
        test: None,
    };
    builder_page(console, ctx, status, page).await
}

/// The test run's form: the sample input.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TestForm {
    #[serde(default)]
    input: String,
}

/// `POST /console/flows/{id}/test`: run the saved version with a sample
/// input and show each step.
pub(crate) async fn test(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
    Form(form): Form<TestForm>,
) -> Response {
    let flow = match console.app.flows.get(&id) {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, Nav::Flows, "Flow not found", &e),
    };
    let text = if form.input.trim().is_empty() {
        "{}"
    } else {
        form.input.as_str()
    };
    let outcome = match serde_json::from_str::<Value>(text) {
        Err(e) => TestOutcome::Refused(
            AppError::invalid(
                "input",
                format!(
                    "the sample input is not valid JSON (line {}, column {}): write an object such as {{\"email\": \"ada@example.com\"}}",
                    e.line(),
                    e.column()
                ),
            ),
        ),
        Ok(input) => {
            let request = RunFlowRequest {
                input,
                wait: true,
                timeout_secs: None,
            };
            match console.app.flows.run(&id, request).await {
                Ok(Started::Done(run)) => TestOutcome::Done(run),
                Ok(Started::Running(run_id)) => TestOutcome::Running(run_id),
                Err(e) => TestOutcome::Refused(e),
            }
        }
    };
    let status = match &outcome {
        TestOutcome::Refused(e) => crate::api::json::status(e.kind),
        _ => StatusCode::OK,
    };
    let page = BuilderPage {
        flow: Some(&flow),
        definition: definition_text(&flow.definition),
        inputs: String::new(),
        flash: None,
        error: None,
        sample_input: form.input,
        test: Some(outcome),
    };
    builder_page(&console, &ctx, status, page).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_names_each_input_the_flow_refers_to() {
        let def = r#"{"steps": [{"input": {"q": "$.input.email", "t": "Hi {{$.input.first_name}}", "u": "$.input.email"}}]}"#;
        let sample: Value = serde_json::from_str(&sample_for(def)).unwrap();
        assert_eq!(sample, json!({"email": "", "first_name": ""}));
        assert_eq!(sample_for("{}"), "{}");
    }

    #[test]
    fn an_empty_or_unknown_definition_names_its_field() {
        let e = definition_of(&SaveForm {
            definition: " ".into(),
            inputs: String::new(),
        })
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("definition"));
        let e = definition_of(&SaveForm {
            definition: r#"{"name": "x", "steps": [{"id": "a", "card": "c.d", "connection": "x", "colour": 1}]}"#.into(),
            inputs: String::new(),
        })
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("steps[0].colour"), "{e:?}");
    }
}
