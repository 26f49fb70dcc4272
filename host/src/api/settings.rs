//! `/api/v1/settings/{connector}`: org-level app credentials of a connector.

use aide::transform::TransformOperation;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::json::{ApiResult, Body, PathOf};
use super::openapi::{errors, json, op};
use crate::app::App;
use crate::connections::OrgSettingsInput;

/// `{connector}` of `/settings/{connector}`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct ConnectorPath {
    /// The connector's id, e.g. `asana`.
    pub connector: String,
}

crate::view_schema! {
    /// A connector's org settings: never a secret, only whether one is set.
    OrgSettingsView {
        "connector": {"type": "string"},
        "has_client_secret": {"type": "boolean"},
        "has_personal_access_token": {"type": "boolean"},
        "redirect_uri": {"type": "string"},
        "full_permissions": {"type": "boolean"},
        "source": {"enum": ["stored", "env", "none"]},
    }
}

crate::view_schema! {
    /// What saving the org settings found.
    SavedSettings {
        "settings": {"type": "object"},
        "client_verified": {"type": "boolean"},
        "connect_needed": {"type": "boolean"},
        "message": {"type": "string"},
    }
}

pub fn get_one_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "settings",
        "getOrgSettings",
        "A connector's org settings",
    );
    let t = json::<OrgSettingsView>(t, 200, "The settings, without secrets");
    errors(t, &[400, 404])
}

pub async fn get_one(
    State(app): State<App>,
    PathOf(ConnectorPath { connector }): PathOf<ConnectorPath>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(app.connections.org_settings(&connector)?)))
}

pub fn put_docs(t: TransformOperation) -> TransformOperation {
    let t = op(
        t,
        "settings",
        "putOrgSettings",
        "Save a connector's org settings (OAuth app, personal access token)",
    )
    .description("Checks the client id and secret, and a personal access token, at the provider.");
    let t = json::<SavedSettings>(t, 200, "Saved");
    errors(t, &[400, 404, 409, 413, 422, 502])
}

pub async fn put(
    State(app): State<App>,
    PathOf(ConnectorPath { connector }): PathOf<ConnectorPath>,
    Body(input): Body<OrgSettingsInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        app.connections.save_org_settings(&connector, input).await?
    )))
}
