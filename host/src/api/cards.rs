//! `/api/v1/cards`: the catalogue and running a card on a connection.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json::{status, ApiResult, Body};
use crate::app::App;

pub async fn list(State(app): State<App>) -> Json<Value> {
    let cards: Vec<Value> = app
        .catalogue
        .all()
        .await
        .iter()
        .map(|c| json!(c.manifest()))
        .collect();
    Json(json!({ "data": cards }))
}

pub async fn get_one(State(app): State<App>, Path(card): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.card(&card).await?.manifest())))
}

/// `POST /api/v1/cards/{card}/run`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunCard {
    /// The connection's id or nickname.
    pub connection: String,
    /// The card's input; it must match the card's input schema.
    #[serde(default = "empty_object")]
    pub input: Value,
}

fn empty_object() -> Value {
    json!({})
}

pub async fn run(
    State(app): State<App>,
    Path(card): Path<String>,
    Body(req): Body<RunCard>,
) -> ApiResult<Response> {
    let run = app.run_card(&card, &req.connection, &req.input).await?;
    Ok(match &run.error {
        None => Json(json!(run)).into_response(),
        Some(failure) => {
            let body = json!({
                "error": failure,
                "run": {"card": run.card, "connection": run.connection, "calls": run.calls, "logs": run.logs, "duration_ms": run.duration_ms},
            });
            (status(failure.kind), Json(body)).into_response()
        }
    })
}
