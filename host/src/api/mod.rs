//! The REST API (axum): connectors, connections and their lifecycle, org
//! settings, the card catalogue, card runs, flows and their triggers under
//! `/api/v1` (API key required), the public OAuth callback, the public hooks
//! (a flow's endpoint and provider deliveries, each checked against its own
//! secret), and `/healthz`. Every request, the
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
mod settings;
pub mod throttle;

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
    let v1 = Router::new()
        .route(
            "/connectors",
            get(connectors::list).post(connectors::install),
        )
        .route(
            "/connectors/{id}",
            get(connectors::get_one).delete(connectors::delete),
        )
        .route(
            "/connections",
            get(connections::list).post(connections::create),
        )
        .route(
            "/connections/{id}",
            get(connections::get_one)
                .patch(connections::update)
                .delete(connections::delete),
        )
        .route("/connections/{id}/authorize", post(connections::authorize))
        .route("/connections/{id}/test", post(connections::test))
        .route(
            "/settings/{connector}",
            get(settings::get_one).put(settings::put),
        )
        .route(
            "/cards",
            get(cards::list)
                .post(cards::install)
                .layer(DefaultBodyLimit::max(MAX_CARD_BYTES)),
        )
        .route("/cards/{card}", get(cards::get_one).delete(cards::delete))
        .route("/cards/{card}/run", post(cards::run))
        .route("/flows", get(flows::list).post(flows::create))
        .route(
            "/flows/{id}",
            get(flows::get_one).put(flows::update).delete(flows::delete),
        )
        .route("/flows/{id}/runs", get(flows::runs).post(flows::run))
        .route("/flows/{id}/runs/{run}", get(flows::run_one))
        .route("/flows/{id}/enable", post(flows::enable))
        .route("/flows/{id}/disable", post(flows::disable))
        .route("/flows/{id}/secret", post(flows::rotate_secret))
        .layer(middleware::from_fn_with_state(
            gate.clone(),
            auth::require_key,
        ));
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
