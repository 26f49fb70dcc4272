//! The public hooks, outside `/api/v1` and its API key: a flow's endpoint
//! (`POST /hooks/flows/{id}`, which checks the flow's own secret) and
//! provider deliveries (`POST /hooks/events/{subscription}`, answered with
//! the handshake or checked against the subscription's signing secret).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::json::ApiResult;
use crate::app::App;
use crate::flows::Started;
use crate::triggers::inbox::Delivery;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointQuery {
    /// Wait for the run and answer with its output.
    #[serde(default)]
    wait: bool,
}

fn reader(headers: &HeaderMap) -> impl Fn(&str) -> Option<String> + '_ {
    |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

/// `POST /hooks/flows/{id}`: 202 with the run id, or with `?wait=true` the
/// run's outcome once it ends.
pub async fn flow_endpoint(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(q): Query<EndpointQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let started = app
        .triggers
        .call_endpoint(&id, reader(&headers), &body, q.wait)
        .await?;
    Ok(match started {
        Started::Done(run) => Json(json!({
            "run_id": run.id,
            "status": run.status,
            "output": run.output,
            "error": run.error,
        }))
        .into_response(),
        Started::Running(run_id) => (
            StatusCode::ACCEPTED,
            Json(json!({"run_id": run_id, "status": "running"})),
        )
            .into_response(),
    })
}

/// `POST /hooks/events/{subscription}`: a provider's handshake or delivery.
pub async fn provider_delivery(
    State(app): State<App>,
    Path(subscription): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let delivery = app
        .triggers
        .deliver(&subscription, reader(&headers), &body)
        .await?;
    Ok(match delivery {
        Delivery::Handshake { header, secret } => {
            let mut response = StatusCode::OK.into_response();
            if let (Ok(name), Ok(value)) = (
                HeaderName::try_from(header.to_ascii_lowercase()),
                HeaderValue::try_from(secret),
            ) {
                response.headers_mut().insert(name, value);
            }
            response
        }
        Delivery::Accepted { events, new } => {
            Json(json!({"accepted": events, "new": new})).into_response()
        }
        Delivery::Heartbeat | Delivery::Ignored => StatusCode::OK.into_response(),
    })
}
