//! `/api/v1/connections`: create, list, get, update, delete, authorize, test.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::json::{ApiResult, Body};
use crate::app::App;
use crate::connections::{CreateConnection, UpdateConnection};

pub async fn create(
    State(app): State<App>,
    Body(req): Body<CreateConnection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let created = app.connections.create(req).await?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

pub async fn list(State(app): State<App>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "data": app.connections.list()? })))
}

pub async fn get_one(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.connections.resolve(&id)?)))
}

pub async fn update(
    State(app): State<App>,
    Path(id): Path<String>,
    Body(req): Body<UpdateConnection>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections
            .update(&app.connections.resolve(&id)?.id, req)
            .await?
    )))
}

pub async fn delete(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections
            .delete(&app.connections.resolve(&id)?.id)
            .await?
    )))
}

pub async fn authorize(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let url = app
        .connections
        .authorize(&app.connections.resolve(&id)?.id)
        .await?;
    Ok(Json(json!({ "authorize_url": url })))
}

pub async fn test(State(app): State<App>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections
            .test(&app.connections.resolve(&id)?.id)
            .await?
    )))
}
