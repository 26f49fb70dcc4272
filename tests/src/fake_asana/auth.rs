//! Bearer authentication of API and SCIM calls: personal access tokens, the
//! service account token and OAuth access tokens (until expired or revoked),
//! and the scopes each grants.

use super::errors::{ApiError, ScimError};
use super::state::{AppState, Inner, TokenKind, DEFAULT_SCOPE};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use std::time::Instant;

/// Who a request acts as.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The acting user.
    pub user_gid: String,
    /// Whether the token is the organization's service account token.
    pub service_account: bool,
    /// The scopes the token was granted.
    pub scopes: Vec<String>,
}

impl Principal {
    /// The scopes of `required` the token was not granted (none when it has
    /// `default`, which grants everything).
    pub fn missing<'a>(&self, required: &'a [String]) -> Vec<&'a str> {
        if self.scopes.iter().any(|s| s == DEFAULT_SCOPE) {
            return Vec::new();
        }
        required
            .iter()
            .filter(|r| !self.scopes.contains(r))
            .map(String::as_str)
            .collect()
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The principal behind a token, if the token is currently valid.
pub fn resolve(inner: &Inner, token: &str) -> Option<Principal> {
    let record = inner.tokens.get(token)?;
    if record.revoked {
        return None;
    }
    let service_account = match &record.kind {
        TokenKind::Personal => false,
        TokenKind::ServiceAccount => true,
        TokenKind::OAuth { expires_at, .. } => {
            if Instant::now() >= *expires_at {
                return None;
            }
            false
        }
    };
    let user = inner.store.user(&record.user_gid)?;
    user.active.then(|| Principal {
        user_gid: user.gid.clone(),
        service_account,
        scopes: record.scopes.clone(),
    })
}

/// Extracts the principal of a REST call; 401 in Asana's shape otherwise.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Auth, ApiError> {
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        resolve(&state.lock(), token)
            .map(Auth)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// Extracts the principal of a SCIM call: only the service account token is
/// accepted; errors use the SCIM shape.
#[derive(Debug, Clone)]
pub struct ScimAuth(pub Principal);

impl FromRequestParts<AppState> for ScimAuth {
    type Rejection = ScimError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ScimAuth, ScimError> {
        let unauthorized = || ScimError::new(StatusCode::UNAUTHORIZED, "Not Authorized");
        let token = bearer(parts).ok_or_else(unauthorized)?;
        let principal = resolve(&state.lock(), token).ok_or_else(unauthorized)?;
        if !principal.service_account {
            return Err(ScimError::new(
                StatusCode::FORBIDDEN,
                "SCIM requests must be made with a service account token of an organization admin",
            ));
        }
        Ok(ScimAuth(principal))
    }
}
