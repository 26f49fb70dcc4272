//! The Flows pages: the flows, a flow's page (its trigger, its steps, its
//! definition and its execution history, newest first), and one run with
//! each step's status, duration, HTTP calls and output. Flows are built,
//! changed and test-run in the builder ([`super::builder`]) or over the REST
//! API; triggers are in [`super::triggers`].

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::cards::{calls_table, logs, millis};
use super::layout::{banner, error_page, html, render, when, Flash, Nav, Page, Tone};
use super::session::SessionCtx;
use super::Console;
use crate::flows::model::{Branch, StepKind, StepRun, StepStatus};
use crate::flows::{FlowRun, RunStatus};

/// Runs shown per page of a flow's history.
const PAGE: usize = 25;

pub(crate) fn flow_url(id: &str) -> String {
    format!("/console/flows/{id}")
}

pub(crate) fn run_badge(status: RunStatus) -> Markup {
    let (class, label) = match status {
        RunStatus::Running => ("badge pending", "Running"),
        RunStatus::Succeeded => ("badge healthy", "Succeeded"),
        RunStatus::Failed => ("badge error", "Failed"),
        RunStatus::Interrupted => ("badge warning", "Interrupted"),
    };
    html! { span class=(class) { (label) } }
}

fn step_badge(status: StepStatus) -> Markup {
    let (class, label) = match status {
        StepStatus::Succeeded => ("badge healthy", "Succeeded"),
        StepStatus::Failed => ("badge error", "Failed"),
        StepStatus::Continued => ("badge warning", "Failed, flow continued"),
    };
    html! { span class=(class) { (label) } }
}

/// Connection nicknames by id, to show instead of ids.
pub(crate) fn nicknames(console: &Console) -> HashMap<String, String> {
    console
        .app
        .connections
        .list()
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.id, c.nickname))
        .collect()
}

/// `GET /console/flows`.
pub(crate) async fn list(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
) -> Response {
    let flows = match console.app.flows.list() {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, Nav::Flows, "Flows", &e),
    };
    let last_runs: Vec<Option<FlowRun>> = flows
        .iter()
        .map(|f| {
            console
                .app
                .flows
                .runs(&f.id, 1, None)
                .ok()
                .and_then(|(runs, _)| runs.into_iter().next())
        })
        .collect();
    let body = html! {
        div.page-head {
            div {
                h1 { "Flows" }
                p.muted { "Flows chain cards. Build one here, then follow its runs: each step's status, duration, HTTP calls and output." }
            }
            a.button.primary #new-flow href="/console/flows/new" { "New flow" }
        }
        @if flows.is_empty() {
            section.panel.empty {
                h2 { "No flows yet" }
                p { "Build one with " a href="/console/flows/new" { "New flow" } ", or create one with " code { "POST /api/v1/flows" } "; its runs show here." }
            }
        } @else {
            table.list #flows {
                thead { tr { th { "Flow" } th { "Trigger" } th { "Steps" } th { "Version" } th { "Last run" } th { "Started" } } }
                tbody {
                    @for (flow, last) in flows.iter().zip(&last_runs) {
                        tr data-id=(flow.id) {
                            td.nickname {
                                a href=(flow_url(&flow.id)) { (flow.definition.name) }
                                @if !flow.definition.description.is_empty() {
                                    div.sub { (flow.definition.description) }
                                }
                            }
                            td.trigger { (super::triggers::summary(&console, flow)) }
                            td { (flow.definition.steps.len()) }
                            td { "v" (flow.version) }
                            @if let Some(run) = last {
                                td { (run_badge(run.status)) }
                                td { (when(Some(run.started_at))) }
                            } @else {
                                td { span.muted { "Never run" } }
                                td { span.muted { "—" } }
                            }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        render(&Page::new("Flows", Nav::Flows), Some(&ctx), body),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct HistoryQuery {
    /// The last run of the previous page.
    after: Option<String>,
}

/// `GET /console/flows/{id}`: the flow's runs, newest first.
pub(crate) async fn history(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Response {
    let flow = match console.app.flows.get(&id) {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, Nav::Flows, "Flow not found", &e),
    };
    let (runs, next) = match console.app.flows.runs(&id, PAGE, q.after.as_deref()) {
        Ok(page) => page,
        Err(e) => return error_page(&ctx, Nav::Flows, "Flows", &e),
    };
    let names = nicknames(&console);
    let url = flow_url(&flow.id);
    let body = html! {
        div.page-head {
            div {
                p.crumbs { a href="/console/flows" { "Flows" } " / " (flow.definition.name) }
                h1 #flow-title { (flow.definition.name) }
                @if !flow.definition.description.is_empty() { p.muted { (flow.definition.description) } }
            }
            a.button.primary #edit-flow href={(url) "/edit"} { "Edit in the builder" }
        }
        div.columns {
            section.panel {
                h2 { "Runs" }
                @if runs.is_empty() {
                    p.muted { "This flow has not run yet." }
                } @else {
                    table.list.compact #runs {
                        thead { tr { th { "Started" } th { "Status" } th { "Duration" } th { "Steps" } } }
                        tbody {
                            @for run in &runs {
                                tr data-id=(run.id) {
                                    td { a href={(url) "/runs/" (run.id)} { (when(Some(run.started_at))) } }
                                    td { (run_badge(run.status)) }
                                    td { (run.duration_ms.map(millis).unwrap_or_else(|| "—".into())) }
                                    td {
                                        (run.steps.iter().filter(|s| s.status == StepStatus::Succeeded).count())
                                        " of " (run.steps.len()) " succeeded"
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(after) = &next {
                        div.actions { a.button href={(url) "?after=" (after)} { "Older runs" } }
                    }
                }
            }
            (super::triggers::panel(&console, &ctx, &flow))
            section.panel {
                h2 { "Steps " span.muted { "(v" (flow.version) ")" } }
                ol.steps {
                    @for (i, step) in flow.definition.card_steps().into_iter().enumerate() {
                        @let conn = flow.connections.get(i).cloned().unwrap_or_else(|| step.connection.clone());
                        li {
                            code { (step.id) } " — " (step.card)
                            div.sub { "on " (names.get(&conn).cloned().unwrap_or(step.connection.clone())) }
                        }
                    }
                }
                details #definition-json {
                    summary { "Definition (JSON)" }
                    pre { (serde_json::to_string_pretty(&flow.definition).unwrap_or_default()) }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        render(
            &Page::new(&flow.definition.name, Nav::Flows),
            Some(&ctx),
            body,
        ),
    )
}

/// `GET /console/flows/{id}/runs/{run}`: one run, step by step.
pub(crate) async fn run(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path((id, run_id)): Path<(String, String)>,
) -> Response {
    let flow = match console.app.flows.get(&id) {
        Ok(f) => f,
        Err(e) => return error_page(&ctx, Nav::Flows, "Flow not found", &e),
    };
    let run = match console.app.flows.get_run(&id, &run_id) {
        Ok(r) => r,
        Err(e) => return error_page(&ctx, Nav::Flows, "Run not found", &e),
    };
    let names = nicknames(&console);
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let body = html! {
        div.page-head {
            div {
                p.crumbs {
                    a href="/console/flows" { "Flows" } " / "
                    a href=(flow_url(&flow.id)) { (flow.definition.name) } " / run"
                }
                h1 { "Run of " (flow.definition.name) " " (run_badge(run.status)) }
                p.muted {
                    "Started: " (when(Some(run.started_at)))
                    @if let Some(ms) = run.duration_ms { " · took " (millis(ms)) }
                    " · flow v" (run.flow_version)
                }
            }
        }
        @if let Some(f) = &run.error {
            (banner(&Flash {
                tone: Tone::Error,
                title: "The run failed".into(),
                message: super::layout::sentence(&f.message),
                code: Some(f.code.clone()),
            }))
        }
        section.panel {
            h2 { "Input" }
            pre { (pretty(&run.input)) }
            @if let Some(out) = &run.output {
                h2 { "Output" }
                pre #run-output { (pretty(out)) }
            }
        }
        (run_steps(&run, &names))
    };
    html(
        StatusCode::OK,
        render(&Page::new("Flow run", Nav::Flows), Some(&ctx), body),
    )
}

/// Each step of a run: status, connection, time, error, output, input,
/// HTTP calls and logs (the run page and the builder's test run); an if
/// step with the branch it took and that branch's steps, a loop with each
/// iteration's item and steps.
pub(crate) fn run_steps(run: &FlowRun, names: &HashMap<String, String>) -> Markup {
    html! {
        @for (i, step) in run.steps.iter().enumerate() {
            (step_panel(&format!("{}. ", i + 1), step, names, ""))
        }
        @if run.steps.is_empty() {
            section.panel { p.muted { "No step has run yet." } }
        }
    }
}

/// One step run; `suffix` tells apart the anchors of a loop's iterations
/// (`step-notify-0`, `step-notify-1`).
fn step_panel(
    number: &str,
    step: &StepRun,
    names: &HashMap<String, String>,
    suffix: &str,
) -> Markup {
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    html! {
        section.panel.step id={"step-" (step.id) (suffix)} data-step=(step.id) data-kind=(step_kind(step.kind)) {
            h2 {
                (number) code { (step.id) } " — "
                @match step.kind {
                    StepKind::Card => { (step.card) }
                    StepKind::If => { "condition" }
                    StepKind::ForEach => { "loop" }
                }
                " " (step_badge(step.status))
            }
            p.muted {
                @if step.kind == StepKind::Card {
                    "on " (names.get(&step.connection).cloned().unwrap_or(step.connection.clone())) " · "
                }
                (millis(step.duration_ms))
                @if step.attempts > 1 { " · " (step.attempts) " tries" }
                @if let Some(branch) = step.branch {
                    " · took " strong.branch { @match branch { Branch::Then => { "then" } Branch::Else => { "else" } } }
                }
                @if let Some(its) = &step.iterations { " · " (its.len()) " iterations" }
            }
            @for note in &step.notes { p.hint { (note) } }
            @if let Some(f) = &step.error {
                div.banner.error role="alert" {
                    strong.banner-title { "The step failed" }
                    p { (super::layout::sentence(&f.message)) }
                    p.code { "Error code: " code { (f.code) } }
                }
            }
            @if let Some(out) = &step.output {
                h3 { "Output" }
                pre.output { (pretty(out)) }
            }
            @if step.kind == StepKind::Card {
                details { summary { "Input" } pre { (pretty(&step.input)) } }
            }
            (calls_table(&step.calls))
            (logs(&step.logs))
            @if !step.steps.is_empty() {
                div.nested {
                    @for (i, inner) in step.steps.iter().enumerate() {
                        (step_panel(&format!("{number}{}. ", i + 1), inner, names, suffix))
                    }
                }
            }
            @if let Some(its) = &step.iterations {
                @for it in its {
                    div.iteration data-index=(it.index) {
                        h3 { "Item " (it.index) " " (step_badge(it.status)) }
                        details { summary { "Item" } pre { (pretty(&it.item)) } }
                        @if let Some(f) = &it.error {
                            p.field-error { (super::layout::sentence(&f.message)) }
                        }
                        div.nested {
                            @for (i, inner) in it.steps.iter().enumerate() {
                                (step_panel(&format!("{number}{}. ", i + 1), inner, names, &format!("{suffix}-{}", it.index)))
                            }
                        }
                    }
                }
            }
        }
    }
}

fn step_kind(kind: StepKind) -> &'static str {
    match kind {
        StepKind::Card => "card",
        StepKind::If => "if",
        StepKind::ForEach => "for_each",
    }
}
