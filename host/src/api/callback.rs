//! `GET /oauth/callback`: where the provider sends the person back. Public;
//! the single-use state and PKCE protect it.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
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
    let nickname = outcome
        .connection_id
        .as_deref()
        .and_then(|id| app.connections.get(id).ok())
        .map(|c| c.nickname);
    match outcome.result {
        Ok(()) => page(
            StatusCode::OK,
            "Connected",
            &format!(
                "{} is connected. You can close this window.",
                nickname.as_deref().unwrap_or("The connection")
            ),
            "connected",
        ),
        Err(e) => page(
            super::json::status(e.kind),
            "Connection failed",
            &e.message,
            &e.code,
        ),
    }
}

fn page(status: StatusCode, title: &str, message: &str, code: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{t}</title></head>\
         <body><h1>{t}</h1><p id=message data-code=\"{c}\">{m}</p></body></html>",
        t = escape(title),
        m = escape(message),
        c = escape(code)
    );
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(
        "content-security-policy",
        axum::http::HeaderValue::from_static("default-src 'none'; style-src 'self'"),
    );
    response
}

/// Escape text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
