//! `/api/v1/flows`: create, list, get, update (a new version), delete, run,
//! and the execution history.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{ApiResult, Body};
use crate::app::App;
use crate::flows::{FlowDefinition, RunFlowRequest, Started};

pub async fn create(
    State(app): State<App>,
    Body(def): Body<FlowDefinition>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(app.flows.create(def).await?)),
    ))
}

pub async fn list(State(app): State<App>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "data": app.flows.list()? })))
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
    Ok(Json(json!(flow)))
}

pub async fn update(
    State(app): State<App>,
    Path(id): Path<String>,
    Body(def): Body<FlowDefinition>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.flows.update(&id, def).await?)))
}

pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    app.flows.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT)
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
