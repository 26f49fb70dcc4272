//! `/api/v1/flows`: create, list, get, update (a new version), delete, run,
//! the execution history, and the trigger: enable, disable, a new endpoint
//! secret. A flow is shown with its trigger's state (`trigger_status`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{ApiResult, Body};
use crate::app::App;
use crate::error::AppError;
use crate::flows::{Flow, FlowDefinition, RunFlowRequest, Started};

/// A flow as the API shows it: the stored flow and its trigger's state.
fn view(app: &App, flow: &Flow) -> Result<Value, AppError> {
    let mut value = json!(flow);
    value["trigger_status"] = json!(app.triggers.status(flow)?);
    Ok(value)
}

pub async fn create(
    State(app): State<App>,
    Body(def): Body<FlowDefinition>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let flow = app.flows.create(def).await?;
    Ok((StatusCode::CREATED, Json(view(&app, &flow)?)))
}

pub async fn list(State(app): State<App>) -> ApiResult<Json<Value>> {
    let flows = app.flows.list()?;
    let data = flows
        .iter()
        .map(|f| view(&app, f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "data": data })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    version: Option<u32>,
}

pub async fn get_one(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<VersionQuery>,
) -> ApiResult<Json<Value>> {
    let flow = match q.version {
        Some(v) => app.flows.get_version(&id, v)?,
        None => app.flows.get(&id)?,
    };
    Ok(Json(view(&app, &flow)?))
}

pub async fn update(
    State(app): State<App>,
    Path(id): Path<String>,
    Body(def): Body<FlowDefinition>,
) -> ApiResult<Json<Value>> {
    let flow = app.triggers.update_flow(&id, def).await?;
    Ok(Json(view(&app, &flow)?))
}

/// 204, or 200 with the warnings when an event trigger's webhook could not
/// be deleted at the provider (the flow is deleted all the same).
pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Response> {
    let warnings = app.triggers.delete_flow(&id).await?;
    Ok(if warnings.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Json(json!({ "deleted": true, "warnings": warnings })).into_response()
    })
}

/// `POST /flows/{id}/enable`: the trigger's state, and a webhook trigger's
/// secret the first time (shown this once).
pub async fn enable(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.triggers.enable(&id).await?)))
}

pub async fn disable(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.triggers.disable(&id).await?)))
}

/// `POST /flows/{id}/secret`: a new endpoint secret (the old one stops working).
pub async fn rotate_secret(
    State(app): State<App>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.triggers.rotate_secret(&id).await?)))
}

pub async fn run(
    State(app): State<App>,
    Path(id): Path<String>,
    Body(req): Body<RunFlowRequest>,
) -> ApiResult<Response> {
    Ok(match app.flows.run(&id, req).await? {
        Started::Done(run) => Json(json!(run)).into_response(),
        Started::Running(run_id) => (
            StatusCode::ACCEPTED,
            [("location", format!("/api/v1/flows/{id}/runs/{run_id}"))],
            Json(json!({"run_id": run_id, "status": "running"})),
        )
            .into_response(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    limit: Option<usize>,
    after: Option<String>,
}

pub async fn runs(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Value>> {
    let (runs, next) = app
        .flows
        .runs(&id, q.limit.unwrap_or(20), q.after.as_deref())?;
    Ok(Json(json!({ "data": runs, "next_after": next })))
}

pub async fn run_one(
    State(app): State<App>,
    Path((id, run)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.flows.get_run(&id, &run)?)))
}
