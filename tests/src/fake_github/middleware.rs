//! What happens to every request before its handler.
//!
//! Every request is recorded (and token-endpoint calls counted per
//! `grant_type`). An OAuth (web) request may then be answered by an injected
//! fault. An API request (under `/api/v3`) goes through, in this order:
//! 1. no `User-Agent` (or a blank one): 403, as GitHub documents;
//! 2. an `X-GitHub-Api-Version` GitHub does not support: 400;
//! 3. the primary rate limit spends one request of the caller's budget (the
//!    user of the token, the app of app credentials, or the anonymous budget);
//! 4. credentials that name no live token: 401 "Bad credentials";
//! 5. a used-up primary budget: 403 "API rate limit exceeded";
//! 6. an injected secondary limit, then an injected fault, may answer;
//! 7. the handler runs, told the caller and the API version.
//!
//! Every API answer then gets the `x-ratelimit-*` headers, an
//! `X-GitHub-Request-Id`, `X-GitHub-Media-Type`, the selected API version
//! and, for OAuth and classic tokens, `X-OAuth-Scopes` (fine-grained tokens
//! get `X-Accepted-GitHub-Permissions` instead of `X-Accepted-OAuth-Scopes`).

use super::auth::{self, Caller, Credentials, API_VERSIONS};
use super::errors::{ApiError, USER_AGENT_REQUIRED};
use super::params::Params;
use super::ratelimit::{Key, Snapshot};
use super::state::AppState;
use super::{RecordedRequest, API_PREFIX};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest body the fake reads.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// The token endpoint, whose calls are counted per grant type.
const TOKEN_PATH: &str = "/login/oauth/access_token";

/// What every API answer is decorated with.
struct Decoration {
    request_id: String,
    snapshot: Snapshot,
    version: Option<&'static str>,
    /// `Some(scopes)` for OAuth and classic tokens.
    oauth_scopes: Option<Vec<String>>,
    fine_grained: bool,
}

/// Records, checks, limits and fault-injects, then hands over to the router.
pub async fn intercept(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
            super::errors::DOCS,
        )
        .into_response();
    };
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = Params::parse(parts.uri.query()).0;
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
    tracing::info!(%method, %path, "fake github request");
    let is_api = path == API_PREFIX || path.starts_with(&format!("{API_PREFIX}/"));
    if !is_api {
        let fault = {
            let mut inner = state.lock();
            if method == "POST" && path == TOKEN_PATH {
                let mut params = Params::parse(parts.uri.query());
                params
                    .0
                    .extend(Params::parse(std::str::from_utf8(&bytes).ok()).0);
                let grant = params
                    .non_blank("grant_type")
                    .unwrap_or("authorization_code")
                    .to_string();
                *inner.grant_counts.entry(grant).or_default() += 1;
            }
            inner.requests.push(recorded);
            inner.take_fault(&method, &path)
        };
        if let Some(fault) = fault {
            tracing::info!(%method, %path, status = fault.status, "fake github injected fault");
            let status =
                StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return ApiError::for_status(status, fault.retry_after_secs).into_response();
        }
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    }

    let credentials = auth::credentials(&parts.headers);
    let user_agent_ok = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.trim().is_empty());
    let version_header = parts
        .headers
        .get("x-github-api-version")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string());
    // App-authenticated endpoints read Basic credentials as an app's.
    let app_endpoint = path.starts_with(&format!("{API_PREFIX}/applications/"));

    let (decoration, early, caller) = {
        let mut inner = state.lock();
        inner.requests.push(recorded);
        let request_id = inner.next_request_id();
        let principal = match &credentials {
            Credentials::Token(token) => auth::resolve(&inner, token),
            Credentials::Basic(_, password) if !app_endpoint => auth::resolve(&inner, password),
            _ => None,
        };
        let bad_credentials = match &credentials {
            Credentials::None => false,
            Credentials::Basic(..) if app_endpoint => false,
            _ => principal.is_none(),
        };
        let key = match (&principal, &credentials) {
            (Some(p), _) => Key::User(p.login.clone()),
            (None, Credentials::Basic(user, _)) if app_endpoint => Key::App(user.clone()),
            _ => Key::Anonymous,
        };
        let version = match version_header.as_deref() {
            None => Ok(API_VERSIONS[0]),
            Some(v) => API_VERSIONS.iter().copied().find(|s| *s == v).ok_or(v),
        };
        let mut decoration = Decoration {
            request_id: request_id.clone(),
            snapshot: inner.limits.peek(&key),
            version: version.ok(),
            oauth_scopes: principal
                .as_ref()
                .filter(|p| !p.is_fine_grained())
                .map(|p| p.scopes.clone()),
            fine_grained: principal.as_ref().is_some_and(|p| p.is_fine_grained()),
        };
        let early: Option<Response> = if !user_agent_ok {
            Some(
                (
                    StatusCode::FORBIDDEN,
                    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    USER_AGENT_REQUIRED,
                )
                    .into_response(),
            )
        } else if let Err(given) = version {
            Some(ApiError::unsupported_version(given, API_VERSIONS).into_response())
        } else {
            let admitted = inner.limits.admit(&key);
            decoration.snapshot = match admitted {
                Ok(s) | Err(s) => s,
            };
            if bad_credentials {
                Some(ApiError::bad_credentials().into_response())
            } else if admitted.is_err() {
                let who = match &principal {
                    Some(p) => format!("user ID {}", p.user_id),
                    None => "127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)".to_string(),
                };
                Some(ApiError::primary_rate_limited(&who, &request_id).into_response())
            } else if let Some(retry_after) = inner.limits.take_secondary(&path) {
                Some(ApiError::secondary_rate_limited(&request_id, retry_after).into_response())
            } else if let Some(fault) = inner.take_fault(&method, &path) {
                tracing::info!(%method, %path, status = fault.status, "fake github injected fault");
                let status =
                    StatusCode::from_u16(fault.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                Some(ApiError::for_status(status, fault.retry_after_secs).into_response())
            } else {
                None
            }
        };
        let caller = Caller {
            principal,
            version: version.unwrap_or(API_VERSIONS[0]),
            credentials,
        };
        (decoration, early, caller)
    };
    let response = match early {
        Some(response) => response,
        None => {
            parts.extensions.insert(caller);
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    };
    decorate(response, &decoration)
}

/// Adds the headers every API answer carries.
fn decorate(mut response: Response, d: &Decoration) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("x-ratelimit-limit", d.snapshot.limit.to_string());
    set("x-ratelimit-remaining", d.snapshot.remaining.to_string());
    set("x-ratelimit-used", d.snapshot.used.to_string());
    set("x-ratelimit-reset", d.snapshot.reset.to_string());
    set("x-ratelimit-resource", "core".to_string());
    set("x-github-request-id", d.request_id.clone());
    set("x-github-media-type", "github.v3; format=json".to_string());
    if let Some(version) = d.version {
        set("x-github-api-version-selected", version.to_string());
    }
    if let Some(scopes) = &d.oauth_scopes {
        set("x-oauth-scopes", scopes.join(", "));
    }
    if d.fine_grained {
        headers.remove("x-accepted-oauth-scopes");
    } else {
        headers.remove("x-accepted-github-permissions");
    }
    response
}
