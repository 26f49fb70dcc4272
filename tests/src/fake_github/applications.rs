//! `DELETE /applications/{client_id}/grant`
//! (https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization):
//! the app, authenticated with HTTP Basic (`client_id:client_secret`), sends
//! `{"access_token": "..."}`; the user's grant is deleted and with it every
//! token the app was issued for that user. 204 on success, 422 for a body
//! without `access_token`, as GitHub documents.
//!
//! GitHub documents no other answer. The fake answers 401 "Requires
//! authentication" without credentials (as any endpoint needing them), and
//! 404 "Not Found" for wrong app credentials, for a `client_id` in the path
//! that is not the authenticated app, and for a token that is not a live
//! token of that app (GitHub's sibling endpoints document 404 for invalid
//! tokens).

use super::auth::{Caller, Credentials};
use super::errors::ApiError;
use super::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

const DOC: &str =
    "https://docs.github.com/rest/apps/oauth-applications#delete-an-app-authorization";

/// `DELETE /applications/{client_id}/grant`.
pub async fn delete_grant(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(client_id): Path<String>,
    body: Bytes,
) -> Response {
    let (app_id, secret) = match &caller.credentials {
        Credentials::Basic(id, secret) => (id.clone(), secret.clone()),
        Credentials::None => return ApiError::requires_authentication(DOC).into_response(),
        _ => return ApiError::not_found(DOC).into_response(),
    };
    let mut inner = state.lock();
    let authenticated = inner
        .app(&app_id)
        .is_some_and(|app| app.client_secret == secret);
    if !authenticated || app_id != client_id {
        return ApiError::not_found(DOC).into_response();
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return ApiError::problems_parsing_json(DOC).into_response(),
    };
    let Value::Object(fields) = value else {
        return ApiError::body_not_object(DOC).into_response();
    };
    let token = match fields.get("access_token") {
        None => {
            return ApiError::invalid_request("\"access_token\" wasn't supplied.", DOC)
                .into_response()
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let shown = match other {
                Value::Null => "nil".to_string(),
                v => v.to_string(),
            };
            return ApiError::invalid_request(
                &format!("For 'properties/access_token', {shown} is not a string."),
                DOC,
            )
            .into_response();
        }
    };
    inner.revocations.push(token.clone());
    let owner = inner
        .tokens
        .get(&token)
        .filter(|t| !t.revoked && t.client_id() == Some(client_id.as_str()))
        .map(|t| t.login.clone());
    let Some(login) = owner else {
        return ApiError::not_found(DOC).into_response();
    };
    let revoked = inner.revoke_grant(&client_id, &login);
    tracing::info!(%client_id, %login, revoked, "fake github deleted an app authorization");
    StatusCode::NO_CONTENT.into_response()
}
