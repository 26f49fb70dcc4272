//! `/api/v1/settings/{connector}`: org-level app credentials of a connector.

use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

use super::json::{ApiResult, Body};
use crate::app::App;
use crate::connections::OrgSettingsInput;

pub async fn get_one(
    State(app): State<App>,
    Path(connector): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.connections.org_settings(&connector)?)))
}

pub async fn put(
    State(app): State<App>,
    Path(connector): Path<String>,
    Body(input): Body<OrgSettingsInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections.save_org_settings(&connector, input).await?
    )))
}
