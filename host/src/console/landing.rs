//! Where the browser lands after the provider sends it back to
//! `/oauth/callback`.
//!
//! The callback is a cross-site navigation from the provider, so the
//! `SameSite=Strict` session cookie is not sent with it: this page needs no
//! session. On success it answers 200 and moves the browser on (a meta
//! refresh, no script) to the connection's console page, which shows the
//! success banner; that second navigation starts on this host, so the
//! session cookie goes with it. On failure it answers with the error's
//! status and says what happened, its error code and what to do.

use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::{render, sentence, Nav, Page};
use crate::app::App;
use crate::error::AppError;
use crate::store::Connection;

/// What to do after a failed authorization, by error code.
fn advice(code: &str, app: &App, connection: Option<&Connection>) -> (String, String) {
    let has_connection = connection.is_some();
    let again = if has_connection {
        "Open the connection and click Reauthorize to start again."
    } else {
        "Open the connection from the Connections page and click Reauthorize to start again."
    };
    match code {
        "consent_denied" => (
            "Access was not allowed".into(),
            format!("Access was declined at the provider, so the connection is not authorized. {again} This time click Allow."),
        ),
        "state_expired" => (
            "The sign-in expired".into(),
            format!("More than ten minutes passed between Create (or Reauthorize) and Allow. {again}"),
        ),
        "invalid_state" => (
            "This sign-in link is not valid".into(),
            format!("It was already used, or this host did not start it (for example after a reload of the provider's page). {again}"),
        ),
        "redirect_uri_mismatch" => (
            "Redirect URI mismatch".into(),
            format!(
                "The provider only sends people back to a redirect URI registered exactly (scheme, host, path, trailing slash). Register {} in the provider's developer console for this app, then Reauthorize.",
                redirect_uri(app, connection)
            ),
        ),
        "oauth_not_configured" | "invalid_client" => (
            "The OAuth app is not set up".into(),
            "Check the client id and secret of the connector's OAuth app (its org settings, or the env keys GET /api/v1/connectors names), then Reauthorize.".into(),
        ),
        "invalid_scope" => (
            "A scope is not known to the provider".into(),
            format!("The connection asked for a scope the provider does not have. Create the connection again with scopes from the connector's catalogue (GET /api/v1/connectors lists them), or leave scopes out to ask for what the installed cards need. {again}"),
        ),
        "forbidden_scopes" => (
            "The app may not ask for these scopes".into(),
            format!("The OAuth app registered at the provider does not allow what the connection asked for. An app with granular scopes cannot ask for the full-access scope: turn off full_permissions in the connector's org settings. An app must be registered with every scope its cards need: add the missing ones to the app in the provider's developer console. {again}"),
        ),
        "provider_unreachable" | "provider_error" => (
            "The provider did not answer".into(),
            format!("The code could not be exchanged for tokens. Check the network, then try again. {again}"),
        ),
        _ => ("The connection failed".into(), again.to_string()),
    }
}

/// The redirect URI of the connection's connector, or the host's default.
fn redirect_uri(app: &App, connection: Option<&Connection>) -> String {
    connection
        .and_then(|c| app.registry.get(&c.connector))
        .map(|c| app.connections.redirect_uri(&c))
        .unwrap_or_else(|| format!("{}/oauth/callback", app.settings.public_url))
}

/// The page of `/oauth/callback`, with its status: 200 on success, the
/// error's status on failure.
pub fn oauth_landing(
    app: &App,
    connection: Option<&Connection>,
    result: &Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => {
            let target = connection.map(|c| format!("/console/connections/{}?authorized=1", c.id));
            let target = target.unwrap_or_else(|| "/console/connections".into());
            let name = connection
                .map(|c| c.nickname.as_str())
                .unwrap_or("The connection");
            let body = html! {
                section.panel.message #landing data-outcome="connected" {
                    h1 { "Connected" }
                    div.banner.success role="status" {
                        strong.banner-title { "Authorization complete" }
                        p #message data-code="connected" { (name) " is connected." }
                    }
                    div.actions {
                        a.button.primary #continue href=(target) { "Open the connection" }
                    }
                }
            };
            let page = Page {
                refresh: Some(&target),
                ..Page::new("Connected", Nav::None)
            };
            super::secured(app, StatusCode::OK, render(&page, None, body))
        }
        Err(e) => {
            let (title, todo) = advice(&e.code, app, connection);
            let body = html! {
                section.panel.message #landing data-outcome="failed" {
                    h1 { (title) }
                    div.banner.error role="alert" {
                        strong.banner-title {
                            @if let Some(c) = connection { (c.nickname) " was not connected" }
                            @else { "The connection was not authorized" }
                        }
                        p #message data-code=(e.code) { (sentence(&e.message)) }
                        p.code { "Error code: " code #error-code { (e.code) } }
                    }
                    h2 { "What to do" }
                    p #advice { (todo) }
                    div.actions {
                        @if let Some(c) = connection {
                            a.button.primary #open-connection href={"/console/connections/" (c.id)} { "Open the connection" }
                        }
                        a.button href="/console/connections" { "Back to Connections" }
                    }
                }
            };
            super::secured(
                app,
                crate::api::json::status(e.kind),
                render(&Page::new(&title, Nav::None), None, body),
            )
        }
    }
}
