//! `GET /oauth/callback`: where the provider sends the person back. Public;
//! the single-use state and PKCE protect it. The browser lands on the
//! console's page for the outcome: on success (200) it moves on to the
//! connection's page with a success banner; on failure it answers with the
//! error's status, message, code and what to do.

use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use crate::app::App;

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

pub async fn callback(State(app): State<App>, Query(q): Query<CallbackQuery>) -> Response {
    let outcome = app
        .connections
        .callback(
            q.code.as_deref(),
            q.state.as_deref(),
            q.error.as_deref(),
            q.error_description.as_deref(),
        )
        .await;
    let connection = outcome
        .connection_id
        .as_deref()
        .and_then(|id| app.connections.get(id).ok());
    crate::console::oauth_landing(&app, connection.as_ref(), &outcome.result)
}
