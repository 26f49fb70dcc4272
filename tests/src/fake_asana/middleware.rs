//! What happens to every request before its handler, in this order:
//! 1. it is recorded (and token grants counted);
//! 2. an API request (under `/api/1.0`, SCIM aside: Asana's OpenAPI
//!    description does not cover SCIM) is checked against the description;
//!    a violation is recorded and answered with a 400 naming the operation
//!    and the field (a path no operation has gets Asana's 404);
//! 3. an injected fault may answer it instead;
//! 4. rate limits (when on) may answer 429;
//! 5. a token lacking the operation's required scope gets 403 (an operation
//!    for which the description names no scope needs Full permissions, see
//!    [`required_scopes`]);
//! 6. API calls may be delayed, holding their concurrency slot meanwhile.

use super::auth::{bearer, resolve};
use super::errors::{ApiError, ScimError};
use super::query::Params;
use super::ratelimit;
use super::state::{AppState, DEFAULT_SCOPE};
use super::{Fault, RecordedRequest};
use crate::contract::{contract, Checked};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest body the fake reads.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The API base every REST path starts with.
const API: &str = "/api/1.0";

/// Where SCIM lives, outside the OpenAPI description.
const SCIM: &str = "/api/1.0/scim";

/// Records, checks, fault-injects, limits and delays, then hands over to the router.
pub async fn intercept(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large")
            .into_response();
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = Params::parse(parts.uri.query()).0;
    let is_api = path.starts_with(&format!("{API}/"));
    let checked = match path.strip_prefix(API) {
        Some(relative) if is_api && !path.starts_with(SCIM) => Some(
            contract().check(
                &method,
                &path,
                relative,
                &query,
                parts
                    .headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                &bytes,
            ),
        ),
        _ => None,
    };
    let recorded = RecordedRequest {
        method: method.clone(),
        path: path.clone(),
        query,
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
    let token = bearer(&parts).map(String::from);
    let (fault, delay, missing_scopes) = {
        let mut inner = state.lock();
        if method == "POST" && path == "/-/oauth_token" {
            let form = Params::parse(std::str::from_utf8(&bytes).ok());
            let grant = form.get("grant_type").unwrap_or("").to_string();
            *inner.grants.entry(grant).or_default() += 1;
        }
        inner.requests.push(recorded);
        if let Some(Checked {
            operation,
            violations,
        }) = &checked
        {
            if let Some(op) = operation {
                inner.validated.insert(op.id.clone());
            }
            if let Some(first) = violations.first() {
                for v in violations {
                    tracing::warn!(violation = %v, "request breaks Asana's OpenAPI description");
                }
                inner.violations.extend(violations.iter().cloned());
                return match operation {
                    None => ApiError::no_route().into_response(),
                    Some(op) => ApiError::bad(
                        &first.field,
                        &format!(
                            "{} (contract check of {} {}: Asana's OpenAPI description does not allow this request)",
                            first.message, op.id, op.template
                        ),
                    )
                    .into_response(),
                };
            }
        }
        let missing_scopes = match (checked.as_ref().and_then(|c| c.operation), &token) {
            (Some(op), Some(token)) => resolve(&inner, token)
                .map(|principal| {
                    principal
                        .missing(&required_scopes(&op.scopes))
                        .into_iter()
                        .map(String::from)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        (
            inner.take_fault(&method, &path),
            inner.delay,
            missing_scopes,
        )
    };
    if let Some(fault) = fault {
        tracing::info!(%method, %path, status = fault.status, "fake asana injected fault");
        return fault_response(&path, &fault);
    }
    let in_flight = match (is_api, &token) {
        (true, Some(token)) => match ratelimit::admit(&state, token, &method) {
            Ok(slot) => slot,
            Err(retry_after) => {
                return if path.starts_with(SCIM) {
                    ScimError::for_status(StatusCode::TOO_MANY_REQUESTS, Some(retry_after))
                        .into_response()
                } else {
                    ApiError::rate_limited(retry_after).into_response()
                };
            }
        },
        _ => None,
    };
    if missing_scopes.iter().any(|s| s == DEFAULT_SCOPE) {
        // The wording is not documented either.
        return ApiError::forbidden(
            "This endpoint is not covered by granular OAuth scopes: it requires an app with Full permissions (the default scope).",
        )
        .into_response();
    }
    if !missing_scopes.is_empty() {
        // Asana answers 403 with its errors envelope; the wording of the
        // message is not documented.
        return ApiError::forbidden(format!(
            "This request requires the scope {} which the token was not granted.",
            missing_scopes.join(", ")
        ))
        .into_response();
    }
    if is_api && !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    drop(in_flight);
    response
}

/// The answer to a faulted request, in the shape of the path's API.
fn fault_response(path: &str, fault: &Fault) -> Response {
    let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if path.starts_with(SCIM) {
        ScimError::for_status(status, fault.retry_after_secs).into_response()
    } else {
        ApiError::for_status(status, fault.retry_after_secs).into_response()
    }
}

/// The scopes a token needs for an operation: those the description names,
/// or, when it names none, `default`. Granular scopes do not cover every
/// endpoint yet: Asana lists, per scope, the endpoints it enables
/// (https://developers.asana.com/docs/oauth-scopes), and an app registered
/// with granular scopes gets 403 on the others (e.g. the section endpoints,
/// as reported in cloudnative-co/asana-cli#3). Only tokens with Full
/// permissions (`default`) reach them.
pub fn required_scopes(named: &[String]) -> Vec<String> {
    if named.is_empty() {
        vec![DEFAULT_SCOPE.to_string()]
    } else {
        named.to_vec()
    }
}
