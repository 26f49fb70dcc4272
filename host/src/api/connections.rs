//! `/api/v1/connections`: create, list, get, update, delete, authorize, test.

use aide::transform::TransformOperation;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::json::{ApiResult, Body, PathOf};
use super::openapi::{errors, json, op, List};
use crate::app::App;
use crate::connections::{CreateConnection, UpdateConnection};

/// `{id}` of `/connections/{id}`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct ConnectionId {
    /// The connection's id or nickname.
    pub id: String,
}

crate::view_schema! {
    /// A connection: never a secret, only whether one is held.
    ConnectionView {
        "id": {"type": "string"},
        "connector": {"type": "string"},
        "nickname": {"type": "string"},
        "auth": {"type": "string"},
        "status": {"type": "string"},
        "scopes": {"type": "array", "items": {"type": "string"}},
        "has_refresh_token": {"type": "boolean"},
        "has_service_account_token": {"type": "boolean"},
        "created_at": {"type": "string"},
        "updated_at": {"type": "string"},
    }
}

crate::view_schema! {
    /// A created connection, and for an OAuth one `authorize_url`: where to
    /// send the person.
    CreatedConnection {
        "connection": {"type": "object"},
    }
}

crate::view_schema! {
    /// What deleting a connection did at the provider.
    DeletedConnection {
        "id": {"type": "string"},
        "revocation": {"enum": ["revoked", "failed", "not_applicable"]},
    }
}

crate::view_schema! {
    /// Where to send the person to authorize the connection.
    AuthorizeUrl {
        "authorize_url": {"type": "string"},
    }
}

crate::view_schema! {
    /// The result of testing a connection's credentials at the provider.
    ConnectionHealth {
        "ok": {"type": "boolean"},
        "status": {"type": "string"},
        "message": {"type": "string"},
        "checked_at": {"type": "string"},
    }
}

pub fn create_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "connections", "createConnection", "Create a connection");
    let t = json::<CreatedConnection>(t, 201, "Created");
    errors(t, &[400, 404, 409, 413, 422, 502])
}

pub async fn create(
    State(app): State<App>,
    Body(req): Body<CreateConnection>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let created = app.connections.create(req).await?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

pub fn list_docs(t: TransformOperation) -> TransformOperation {
    let t = op(t, "connections", "listConnections", "The connections");
    json::<List<ConnectionView>>(t, 200, "Every connection")
}

pub async fn list(State(app): State<App>) -> ApiResult<Json<Value>> {
    Ok(Json(json!({ "data": app.connections.list()? })))
}

pub fn get_one_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connections",
        "getConnection",
        "A connection, by id or nickname",
    );
    let t = json::<ConnectionView>(t, 200, "The connection");
    errors(t, &[400, 404])
}

pub async fn get_one(
    State(app): State<App>,
    PathOf(ConnectionId { id }): PathOf<ConnectionId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.connections.resolve(&id)?)))
}

pub fn update_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connections",
        "updateConnection",
        "Change a connection's nickname, scopes or tokens",
    );
    let t = json::<ConnectionView>(t, 200, "The connection as it is now");
    errors(t, &[400, 404, 409, 413, 422, 502])
}

pub async fn update(
    State(app): State<App>,
    PathOf(ConnectionId { id }): PathOf<ConnectionId>,
    Body(req): Body<UpdateConnection>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections
            .update(&app.connections.resolve(&id)?.id, req)
            .await?
    )))
}

pub fn delete_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connections",
        "deleteConnection",
        "Delete a connection, revoking its tokens at the provider",
    );
    let t = json::<DeletedConnection>(t, 200, "Deleted; `revocation` says what the provider did");
    errors(t, &[400, 404, 409])
}

pub async fn delete(
    State(app): State<App>,
    PathOf(ConnectionId { id }): PathOf<ConnectionId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections
            .delete(&app.connections.resolve(&id)?.id)
            .await?
    )))
}

pub fn authorize_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connections",
        "authorizeConnection",
        "Start (again) the OAuth authorization of a connection",
    );
    let t = json::<AuthorizeUrl>(t, 200, "Where to send the person");
    errors(t, &[400, 404, 409, 422])
}

pub async fn authorize(
    State(app): State<App>,
    PathOf(ConnectionId { id }): PathOf<ConnectionId>,
) -> ApiResult<Json<Value>> {
    let url = app
        .connections
        .authorize(&app.connections.resolve(&id)?.id)
        .await?;
    Ok(Json(json!({ "authorize_url": url })))
}

pub fn test_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "connections",
        "testConnection",
        "Test a connection's credentials at the provider",
    )
    .description(
        "Calls the provider. A failed check is a 200 with `ok: false`; 502 when the provider \
         cannot be reached at all.",
    );
    let t = json::<ConnectionHealth>(t, 200, "The outcome of the check");
    errors(t, &[400, 404, 409, 422, 502])
}

pub async fn test(
    State(app): State<App>,
    PathOf(ConnectionId { id }): PathOf<ConnectionId>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections
            .test(&app.connections.resolve(&id)?.id)
            .await?
    )))
}
