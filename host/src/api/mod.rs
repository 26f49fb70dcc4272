//! The REST API (axum): connectors, connections and their lifecycle, org
//! settings, the card catalogue, card runs, flows and their triggers under
//! `/api/v1` (API key required), the public OAuth callback, the public hooks
//! (a flow's endpoint and provider deliveries, each checked against its own
//! secret), and `/healthz`. `/api/v1/openapi.json`, the OpenAPI document of
//! `/api/v1` generated from this router, is public. Every request, the
//! console's included, first passes the [`guard`] (its `Host`, and for state
//! changes its origin).

pub mod auth;
mod callback;
pub mod cards;
mod connections;
pub mod connectors;
mod flows;
pub mod guard;
mod hooks;
pub mod json;
pub mod openapi;
mod settings;
pub mod throttle;

use aide::axum::routing::{get_with, post_with};
use aide::axum::ApiRouter;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::{middleware, Json, Router};
use serde_json::{json, Value};

use crate::app::App;
use crate::runtime::catalogue::MAX_CARD_BYTES;
use auth::{ApiKey, Gate};
use guard::Guard;

/// Largest JSON body the API accepts.
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// The whole HTTP surface of the host. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so that wrong keys are
/// counted per client address; without it they all count against one bucket.
pub fn router(app: App) -> Router {
    let gate = Gate::new(ApiKey::of(&app.settings));
    let guard = Guard::new(&app.settings);
    let (v1, document) = openapi::finish(v1());
    let v1 = v1
        .layer(middleware::from_fn_with_state(
            gate.clone(),
            auth::require_key,
        ))
        .route("/openapi.json", get(openapi::serve))
        .layer(axum::Extension(document));
    Router::new()
        .nest("/api/v1", v1)
        .route("/oauth/callback", get(callback::callback))
        .route("/hooks/flows/{id}", post(hooks::flow_endpoint))
        .route(
            "/hooks/events/{subscription}",
            post(hooks::provider_delivery),
        )
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .with_state(app.clone())
        .merge(crate::console::router(app, gate))
        .layer(middleware::from_fn_with_state(guard, guard::check))
}

/// The operations of `/api/v1` that need the API key, each with its
/// documentation (see [`openapi`]).
fn v1() -> ApiRouter<App> {
    ApiRouter::new()
        .api_route(
            "/connectors",
            get_with(connectors::list, connectors::list_docs)
                .post_with(connectors::install, connectors::install_docs),
        )
        .api_route(
            "/connectors/{id}",
            get_with(connectors::get_one, connectors::get_one_docs)
                .delete_with(connectors::delete, connectors::delete_docs),
        )
        .api_route(
            "/connections",
            get_with(connections::list, connections::list_docs)
                .post_with(connections::create, connections::create_docs),
        )
        .api_route(
            "/connections/{id}",
            get_with(connections::get_one, connections::get_one_docs)
                .patch_with(connections::update, connections::update_docs)
                .delete_with(connections::delete, connections::delete_docs),
        )
        .api_route(
            "/connections/{id}/authorize",
            post_with(connections::authorize, connections::authorize_docs),
        )
        .api_route(
            "/connections/{id}/test",
            post_with(connections::test, connections::test_docs),
        )
        .api_route(
            "/settings/{connector}",
            get_with(settings::get_one, settings::get_one_docs)
                .put_with(settings::put, settings::put_docs),
        )
        .api_route(
            "/cards",
            get_with(cards::list, cards::list_docs)
                .post_with(cards::install, cards::install_docs)
                .layer(DefaultBodyLimit::max(MAX_CARD_BYTES)),
        )
        .api_route(
            "/cards/{card}",
            get_with(cards::get_one, cards::get_one_docs)
                .delete_with(cards::delete, cards::delete_docs),
        )
        .api_route("/cards/{card}/run", post_with(cards::run, cards::run_docs))
        .api_route(
            "/flows",
            get_with(flows::list, flows::list_docs).post_with(flows::create, flows::create_docs),
        )
        .api_route(
            "/flows/{id}",
            get_with(flows::get_one, flows::get_one_docs)
                .put_with(flows::update, flows::update_docs)
                .delete_with(flows::delete, flows::delete_docs),
        )
        .api_route(
            "/flows/{id}/runs",
            get_with(flows::runs, flows::runs_docs).post_with(flows::run, flows::run_docs),
        )
        .api_route(
            "/flows/{id}/runs/{run}",
            get_with(flows::run_one, flows::run_one_docs),
        )
        .api_route(
            "/flows/{id}/enable",
            post_with(flows::enable, flows::enable_docs),
        )
        .api_route(
            "/flows/{id}/disable",
            post_with(flows::disable, flows::disable_docs),
        )
        .api_route(
            "/flows/{id}/secret",
            post_with(flows::rotate_secret, flows::rotate_secret_docs),
        )
}

async fn healthz(State(app): State<App>) -> Json<Value> {
    let listed = app.catalogue.list().await;
    let unavailable = listed.iter().filter(|c| c.unavailable.is_some()).count();
    Json(json!({
        "status": "ok",
        "cards": listed.len() - unavailable,
        "cards_unavailable": unavailable,
        "damaged_records": app.store.damaged().count(),
    }))
}
