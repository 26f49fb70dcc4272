//! A flow's trigger in the console: what starts the flow and whether it is
//! enabled (the panel on the flow's page), and the forms that enable and
//! disable it and give a webhook trigger's endpoint a new secret. A secret
//! is shown once, on the page that answers the form that made it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};

use super::connections::csrf_field;
use super::layout::{error_page, html, render, see_other, sentence, Flash, Nav, Page};
use super::session::SessionCtx;
use super::Console;
use crate::flows::{Flow, Trigger};
use crate::triggers::{Enabled, MissedRuns};

fn flow_url(id: &str) -> String {
    format!("/console/flows/{id}")
}

/// A flow's trigger in a list: its type, and whether it is enabled.
pub(crate) fn summary(console: &Console, flow: &Flow) -> Markup {
    let trigger = &flow.definition.trigger;
    let enabled = console.app.triggers.status(flow).is_ok_and(|s| s.enabled);
    html! {
        (trigger.kind())
        @if !matches!(trigger, Trigger::Manual) {
            " "
            @if enabled { span.badge.healthy { "Enabled" } } @else { span.badge.warning { "Disabled" } }
        }
    }
}

/// The trigger panel of a flow's page.
pub(crate) fn panel(console: &Console, ctx: &SessionCtx, flow: &Flow) -> Markup {
    let status = console.app.triggers.status(flow).ok();
    let enabled = status.as_ref().is_some_and(|s| s.enabled);
    let url = flow_url(&flow.id);
    let trigger = &flow.definition.trigger;
    html! {
        section.panel #trigger {
            h2 {
                "Trigger "
                @if matches!(trigger, Trigger::Manual) {
                    span.badge.pending { "Manual" }
                } @else if enabled {
                    span.badge.healthy #trigger-state { "Enabled" }
                } @else {
                    span.badge.warning #trigger-state { "Disabled" }
                }
            }
            @match trigger {
                Trigger::Manual => {
                    p.muted { "Runs only when started over the API or from this console." }
                }
                Trigger::Schedule { cron, timezone, missed, allow_overlap } => {
                    p { "On the schedule " code { (cron) } " (" (timezone) ")." }
                    p.muted {
                        (match missed {
                            MissedRuns::Skip => "Fire times missed while the host was down are skipped",
                            MissedRuns::RunOnce => "After the host was down, it runs once for the fire times it missed",
                        })
                        "; "
                        (if *allow_overlap { "a run may start while the previous one goes on." } else { "a run never starts while the previous one goes on." })
                    }
                    @if let Some(next) = status.as_ref().and_then(|s| s.next_run_at) {
                        p { "Next run: " (next.format("%Y-%m-%d %H:%M:%S UTC")) }
                    }
                }
                Trigger::Webhook => {
                    p { "When its endpoint is called:" }
                    p { code #endpoint { (console.app.triggers.endpoint_url(&flow.id)) } }
                    p.muted {
                        "POST a JSON object (the run's input) with " code { "Authorization: Bearer <secret>" }
                        ", or sign the body with " code { "X-Cardhost-Signature: sha256=<HMAC-SHA256, hex>" } "."
                        @if status.as_ref().and_then(|s| s.has_secret) == Some(false) {
                            " Enabling the flow makes its secret."
                        }
                    }
                }
                Trigger::Event { card, input, .. } => {
                    p { "When " code { (card) } " reports an event"
                        @if !input.is_empty() { " for " code { (serde_json::Value::Object(input.clone())) } }
                        "." }
                    @if let Some(sub) = status.as_ref().and_then(|s| s.subscription.as_ref()) {
                        p.muted { "Subscribed at the provider as webhook " code { (sub.provider_id.clone().unwrap_or_default()) } "." }
                    }
                }
            }
            @if !matches!(trigger, Trigger::Manual) {
                div.actions {
                    @if enabled {
                        form method="post" action={(url) "/disable"} {
                            (csrf_field(ctx))
                            button #disable type="submit" { "Disable" }
                        }
                    } @else {
                        form method="post" action={(url) "/enable"} {
                            (csrf_field(ctx))
                            button.primary #enable type="submit" { "Enable" }
                        }
                    }
                    @if matches!(trigger, Trigger::Webhook) {
                        form method="post" action={(url) "/secret"} {
                            (csrf_field(ctx))
                            button #rotate-secret type="submit" { "New secret" }
                        }
                    }
                }
            }
        }
    }
}

/// `POST /console/flows/{id}/enable`.
pub(crate) async fn enable(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let done = console.app.triggers.enable(&id).await;
    answer(&console, &ctx, &id, done, "Enabled")
}

/// `POST /console/flows/{id}/disable`.
pub(crate) async fn disable(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let done = console.app.triggers.disable(&id).await;
    answer(&console, &ctx, &id, done, "Disabled")
}

/// `POST /console/flows/{id}/secret`.
pub(crate) async fn rotate_secret(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let done = console.app.triggers.rotate_secret(&id).await;
    answer(&console, &ctx, &id, done, "New secret")
}

/// Back to the flow's page with a banner; or, when a secret was made, a
/// page that shows it this once.
fn answer(
    console: &Console,
    ctx: &SessionCtx,
    id: &str,
    done: Result<Enabled, crate::error::AppError>,
    what: &str,
) -> Response {
    let url = flow_url(id);
    let enabled = match done {
        Ok(e) => e,
        Err(e) => {
            console
                .sessions
                .set_flash(ctx, Flash::error(format!("{what}: failed"), &e));
            return see_other(&url);
        }
    };
    let Some(secret) = enabled.secret else {
        let flash = if enabled.warnings.is_empty() {
            Flash::ok(
                what,
                format!(
                    "The flow's trigger is {}.",
                    if enabled.trigger.enabled {
                        "enabled"
                    } else {
                        "disabled"
                    }
                ),
            )
        } else {
            Flash::warning(
                what,
                enabled
                    .warnings
                    .iter()
                    .map(|w| sentence(w))
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        };
        console.sessions.set_flash(ctx, flash);
        return see_other(&url);
    };
    let Ok(flow) = console.app.flows.get(id) else {
        return error_page(
            ctx,
            Nav::Flows,
            "Flow not found",
            &crate::error::AppError::not_found("flow", id),
        );
    };
    let body = html! {
        div.page-head {
            div {
                p.crumbs { a href="/console/flows" { "Flows" } " / " a href=(url) { (flow.definition.name) } }
                h1 { "The endpoint's secret" }
            }
        }
        section.panel #secret-panel {
            p { "Copy it now: it is shown only this once. Callers send it as " code { "Authorization: Bearer <secret>" } "." }
            p { code #secret { (secret) } }
            p { "Endpoint: " code #endpoint { (enabled.trigger.endpoint.clone().unwrap_or_default()) } }
            div.actions { a.button href=(url) { "Back to the flow" } }
        }
    };
    let mut response = html(
        StatusCode::OK,
        render(
            &Page::new("The endpoint's secret", Nav::Flows),
            Some(ctx),
            body,
        ),
    );
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
