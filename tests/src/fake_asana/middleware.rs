//! What happens to every request before its handler: it is recorded (and
//! token grants counted), an injected fault may answer it instead, and API
//! calls may be delayed.

use super::errors::{ApiError, ScimError};
use super::query::Params;
use super::state::AppState;
use super::{Fault, RecordedRequest};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest body the fake reads.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// Records, fault-injects and delays, then hands over to the router.
pub async fn intercept(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
            .into_response();
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let recorded = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query: Params::parse(parts.uri.query()).0,
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: bytes.to_vec(),
    };
    tracing::info!(%method, %path, "fake asana request");
    let (fault, delay) = {
        let mut inner = state.lock();
        if method == "POST" && path == "/-/oauth_token" {
            let form = Params::parse(std::str::from_utf8(&bytes).ok());
            let grant = form.get("grant_type").unwrap_or("").to_string();
            *inner.grants.entry(grant).or_default() += 1;
        }
        inner.requests.push(recorded);
        (inner.take_fault(&method, &path), inner.delay)
    };
    if let Some(fault) = fault {
        tracing::info!(%method, %path, status = fault.status, "fake asana injected fault");
        return fault_response(&path, &fault);
    }
    if path.starts_with("/api/") && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The answer to a faulted request, in the shape of the path's API.
fn fault_response(path: &str, fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if path.starts_with("/api/1.0/scim") {
        ScimError::for_status(status, fault.retry_after_secs).into_response()
    } else {
        ApiError::for_status(status, fault.retry_after_secs).into_response()
    }
}
