//! `/api/v1/flows`: create, list, get, update (a new version), delete, run,
//! the execution history, and the trigger: enable, disable, a new endpoint
//! secret. A flow is shown with its trigger's state (`trigger_status`).

use aide::transform::TransformOperation;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{ApiResult, Body, PathOf, QueryOf};
use super::openapi::{empty, errors, json, op, string_header, List};
use crate::app::App;
use crate::error::AppError;
use crate::flows::{Flow, FlowDefinition, RunFlowRequest, Started};

/// `{id}` of `/flows/{id}`.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct FlowId {
    /// The flow's id.
    pub id: String,
}

/// `{id}` and `{run}` of `/flows/{id}/runs/{run}`.
#[derive(Deserialize, schemars::JsonSchema)]
pub struct RunPath {
    /// The flow's id.
    pub id: String,
    /// The run's id.
    pub run: String,
}

crate::view_schema! {
    /// A flow ([`view`]): one version of its definition (see
    /// schemas/json/flows/definition.json) and its trigger's state.
    FlowView {
        "id": {"type": "string"},
        "version": {"type": "integer", "minimum": 1},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "definition": {"type": "object"},
        "connections": {"type": "array", "items": {"type": "string"}},
        "trigger_status": {"type": "object"},
    }
}

crate::view_schema! {
    /// One run of a flow, as kept in its history.
    FlowRunView {
        "id": {"type": "string"},
        "flow_id": {"type": "string"},
        "flow_version": {"type": "integer"},
        "status": {"enum": ["running", "succeeded", "failed", "interrupted"]},
        "started_at": {"type": "string"},
        "input": {},
        "steps": {"type": "array"},
    }
}

crate::view_schema! {
    /// A page of a flow's runs, newest first; `next_after` is the `after`
    /// of the next page (null on the last).
    FlowRunPage {
        "data": {"type": "array", "items": {"type": "object"}},
        "next_after": {"type": ["string", "null"]},
    }
}

crate::view_schema! {
    /// A run that goes on after the wait: its id, to ask for at `Location`.
    RunStarted {
        "run_id": {"type": "string"},
        "status": {"const": "running"},
    }
}

crate::view_schema! {
    /// A trigger's state, and a webhook trigger's new secret (shown this once).
    TriggerChange {
        "trigger": {"type": "object"},
    }
}

crate::view_schema! {
    /// A deleted flow whose provider webhook could not be deleted.
    DeletedFlow {
        "deleted": {"const": true},
        "warnings": {"type": "array", "items": {"type": "string"}},
    }
}

/// A flow as the API shows it: the stored flow and its trigger's state.
fn view(app: &App, flow: &Flow) -> Result<Value, AppError> {
    let mut value = json!(flow);
    value["trigger_status"] = json!(app.triggers.status(flow)?);
    Ok(value)
}

pub fn create_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "createFlow", "Create a flow");
    let t = json::<FlowView>(t, 201, "Created (version 1)");
    errors(t, &[400, 404, 409, 413, 422])
}

pub async fn create(
    State(app): State<App>,
    Body(def): Body<FlowDefinition>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let flow = app.flows.create(def).await?;
    Ok((StatusCode::CREATED, Json(view(&app, &flow)?)))
}

pub fn list_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "listFlows", "The flows");
    json::<List<FlowView>>(t, 200, "Every flow, at its latest version")
}

pub async fn list(State(app): State<App>) -> ApiResult<Json<Value>> {
    let flows = app.flows.list()?;
    let data = flows
        .iter()
        .map(|f| view(&app, f))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "data": data })))
}

/// The query of `GET /flows/{id}`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionQuery {
    /// An earlier version (default: the latest).
    version: Option<u32>,
}

pub fn get_one_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "flows",
        "getFlow",
        "A flow, at its latest or a given version",
    );
    let t = json::<FlowView>(t, 200, "The flow");
    errors(t, &[400, 404])
}

pub async fn get_one(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
    QueryOf(q): QueryOf<VersionQuery>,
) -> ApiResult<Json<Value>> {
    let flow = match q.version {
        Some(v) => app.flows.get_version(&id, v)?,
        None => app.flows.get(&id)?,
    };
    Ok(Json(view(&app, &flow)?))
}

pub fn update_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "updateFlow", "Save a new version of a flow");
    let t = json::<FlowView>(t, 200, "The new version");
    errors(t, &[400, 404, 409, 413, 422, 502])
}

pub async fn update(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
    Body(def): Body<FlowDefinition>,
) -> ApiResult<Json<Value>> {
    let flow = app.triggers.update_flow(&id, def).await?;
    Ok(Json(view(&app, &flow)?))
}

/// 204, or 200 with the warnings when an event trigger's webhook could not
/// be deleted at the provider (the flow is deleted all the same).
pub fn delete_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "flows",
        "deleteFlow",
        "Delete a flow, its history and its trigger",
    );
    let t = empty(t, 204, "Deleted");
    let t = json::<DeletedFlow>(t, 200, "Deleted, but the provider's webhook was not");
    errors(t, &[400, 404, 409])
}

pub async fn delete(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
) -> ApiResult<Response> {
    let warnings = app.triggers.delete_flow(&id).await?;
    Ok(if warnings.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        Json(json!({ "deleted": true, "warnings": warnings })).into_response()
    })
}

/// `POST /flows/{id}/enable`: the trigger's state, and a webhook trigger's
/// secret the first time (shown this once).
pub fn enable_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "enableFlow", "Enable a flow's trigger");
    let t = json::<TriggerChange>(t, 200, "Enabled");
    errors(t, &[400, 404, 409, 422, 502])
}

pub async fn enable(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.triggers.enable(&id).await?)))
}

pub fn disable_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "disableFlow", "Disable a flow's trigger");
    let t = json::<TriggerChange>(t, 200, "Disabled");
    errors(t, &[400, 404, 409, 502])
}

pub async fn disable(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.triggers.disable(&id).await?)))
}

/// `POST /flows/{id}/secret`: a new endpoint secret (the old one stops working).
pub fn rotate_secret_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "flows",
        "rotateFlowSecret",
        "A new secret for a webhook trigger's endpoint",
    );
    let t = json::<TriggerChange>(t, 200, "The new secret, shown this once");
    errors(t, &[400, 404, 409, 422])
}

pub async fn rotate_secret(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.triggers.rotate_secret(&id).await?)))
}

pub fn run_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "runFlow", "Run a flow").description(
        "With `wait` (the default), answers with the run when it ends within `timeout_secs`; \
         a run that fails is still a 200 with `status: failed`. Otherwise 202 with the run's id.",
    );
    let mut t = json::<FlowRunView>(t, 200, "The run ended");
    let t = {
        let operation = t.inner_mut();
        let started = aide::generate::in_context(|ctx| {
            <axum::Json<RunStarted> as aide::operation::OperationOutput>::operation_response(
                ctx, operation,
            )
        });
        if let Some(mut response) = started {
            response.description = "The run goes on; ask for it at `Location`".into();
            response.headers.insert(
                "location".into(),
                aide::openapi::ReferenceOr::Item(string_header("/api/v1/flows/{id}/runs/{run_id}")),
            );
            operation
                .responses
                .get_or_insert_with(Default::default)
                .responses
                .insert(
                    aide::openapi::StatusCode::Code(202),
                    aide::openapi::ReferenceOr::Item(response),
                );
        }
        t
    };
    errors(t, &[400, 404, 409, 413, 422, 503])
}

pub async fn run(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
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

/// The query of `GET /flows/{id}/runs`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Runs per page (default 20).
    limit: Option<usize>,
    /// The `next_after` of the previous page.
    after: Option<String>,
}

pub fn runs_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "listFlowRuns", "A flow's runs, newest first");
    let t = json::<FlowRunPage>(t, 200, "A page of runs");
    errors(t, &[400, 404])
}

pub async fn runs(
    State(app): State<App>,
    PathOf(FlowId { id }): PathOf<FlowId>,
    QueryOf(q): QueryOf<PageQuery>,
) -> ApiResult<Json<Value>> {
    let (runs, next) = app
        .flows
        .runs(&id, q.limit.unwrap_or(20), q.after.as_deref())?;
    Ok(Json(json!({ "data": runs, "next_after": next })))
}

pub fn run_one_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "flows", "getFlowRun", "One run of a flow");
    let t = json::<FlowRunView>(t, 200, "The run");
    errors(t, &[400, 404])
}

pub async fn run_one(
    State(app): State<App>,
    PathOf(RunPath { id, run }): PathOf<RunPath>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.flows.get_run(&id, &run)?)))
}
