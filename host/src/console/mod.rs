//! The web console: server-rendered pages (maud) for the connections, the
//! card catalogue and card runs, flows and their runs, served by the host
//! itself under `/console`. Every page reads without script; the flow
//! builder's editor is one small script of the host's own
//! (`/console/assets/builder.js`), the only script the policy allows.
//!
//! Sign-in exchanges the API key (`CARDHOST_API_KEY` or the data dir's
//! `api.key`) for a session cookie (`HttpOnly`, `SameSite=Strict`, `Secure`
//! behind https); wrong keys are limited as on the API. Every state-changing form carries the session's CSRF token, checked in
//! constant time before any handler runs. Every page is sent with a strict
//! Content-Security-Policy and never shows a secret: tokens are write-only
//! fields, shown only as "set" or "not set".

mod builder;
mod cards;
mod connections;
mod flows;
mod landing;
mod layout;
mod schema;
mod session;
mod triggers;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::api::auth::Gate;
use crate::app::App;
pub use landing::oauth_landing;
use session::Sessions;

/// Largest form body the console accepts (a card's JSON input is the big one).
const MAX_FORM_BODY: usize = 256 * 1024;

/// The stylesheet.
const CSS: &str = include_str!("console.css");

/// What every console handler runs on.
#[derive(Clone)]
pub(crate) struct Console {
    pub app: App,
    pub sessions: Sessions,
    /// The API key that signs in, and the count of wrong ones (shared with the API).
    pub gate: Gate,
    /// The Content-Security-Policy of every page.
    csp: Arc<HeaderValue>,
    /// Whether cookies get `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

impl Console {
    fn new(app: App, gate: Gate) -> Console {
        let secure_cookies = app.settings.public_url.starts_with("https://");
        let csp = HeaderValue::from_str(&content_security_policy(&app))
            .unwrap_or_else(|_| HeaderValue::from_static(FALLBACK_CSP));
        Console {
            app,
            sessions: Sessions::default(),
            gate,
            csp: Arc::new(csp),
            secure_cookies,
        }
    }
}

/// The console's routes, ready to merge into the host's router; `gate` checks
/// the key at sign-in.
pub fn router(app: App, gate: Gate) -> Router {
    let console = Console::new(app, gate);
    let signed_in = Router::new()
        .route(
            "/console/connections",
            get(connections::list).post(connections::create),
        )
        .route("/console/connections/new", get(connections::new_form))
        .route("/console/connections/{id}", get(connections::detail))
        .route("/console/connections/{id}/test", post(connections::test))
        .route(
            "/console/connections/{id}/authorize",
            post(connections::authorize),
        )
        .route(
            "/console/connections/{id}/rename",
            post(connections::rename),
        )
        .route(
            "/console/connections/{id}/service-account",
            post(connections::service_account),
        )
        .route(
            "/console/connections/{id}/access-token",
            post(connections::access_token),
        )
        .route(
            "/console/connections/{id}/delete",
            get(connections::confirm_delete).post(connections::delete),
        )
        .route("/console/cards", get(cards::list))
        .route("/console/cards/{card}", get(cards::detail))
        .route("/console/cards/{card}/run", post(cards::run))
        .route("/console/flows", get(flows::list))
        .route(
            "/console/flows/new",
            get(builder::new_form).post(builder::create),
        )
        .route("/console/flows/{id}", get(flows::history))
        .route(
            "/console/flows/{id}/edit",
            get(builder::edit_form).post(builder::update),
        )
        .route("/console/flows/{id}/test", post(builder::test))
        .route("/console/flows/{id}/runs/{run}", get(flows::run))
        .route("/console/flows/{id}/enable", post(triggers::enable))
        .route("/console/flows/{id}/disable", post(triggers::disable))
        .route("/console/flows/{id}/secret", post(triggers::rotate_secret))
        .route("/console/logout", post(session::logout))
        .route_layer(middleware::from_fn_with_state(
            console.clone(),
            session::require_session,
        ));
    Router::new()
        .merge(signed_in)
        .route("/", get(home))
        .route("/console", get(home))
        .route("/console/", get(home))
        .route(
            "/console/login",
            get(session::login_form).post(session::login),
        )
        .route("/console/assets/console.css", get(stylesheet))
        .route("/console/assets/builder.js", get(builder_script))
        .layer(DefaultBodyLimit::max(MAX_FORM_BODY))
        .layer(middleware::from_fn_with_state(
            console.clone(),
            security_headers,
        ))
        .with_state(console)
}

async fn home() -> Redirect {
    Redirect::to("/console/connections")
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        CSS,
    )
        .into_response()
}

async fn builder_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        builder::BUILDER_JS,
    )
        .into_response()
}

/// Used only if a connector's authorize origin cannot go into a header.
const FALLBACK_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy: nothing but our own stylesheet, script and images (no inline
/// script, no `eval`, no requests from script); forms post to this host, or (New Connection, Reauthorize) are redirected to a
/// connector's authorization endpoint; never framed.
fn content_security_policy(app: &App) -> String {
    let mut origins: Vec<String> = app
        .registry
        .all()
        .iter()
        .filter_map(|c| c.oauth.as_ref())
        .map(|o| o.authorize_url.origin().ascii_serialization())
        .filter(|o| o != "null")
        .collect();
    origins.sort();
    origins.dedup();
    let mut form_action = String::from("'self'");
    for o in origins {
        form_action.push(' ');
        form_action.push_str(&o);
    }
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action {form_action}; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The headers every console response carries.
fn apply_headers(response: &mut Response, csp: &HeaderValue) {
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
}

async fn security_headers(
    State(console): State<Console>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    apply_headers(&mut response, &console.csp);
    response
}

/// A page response with the console's security headers (for pages served
/// outside the console's router: the OAuth callback).
pub(crate) fn secured(app: &App, status: StatusCode, body: maud::Markup) -> Response {
    let mut response = layout::html(status, body);
    let csp = HeaderValue::from_str(&content_security_policy(app))
        .unwrap_or_else(|_| HeaderValue::from_static(FALLBACK_CSP));
    apply_headers(&mut response, &csp);
    response
}
