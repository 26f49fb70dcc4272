//! The API key check in front of `/api/v1`: `Authorization: Bearer <key>`,
//! compared in constant time.

use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::json::ApiError;
use crate::error::{AppError, Kind};

/// The key the API expects, if any (none: loopback only, enforced at start).
#[derive(Clone)]
pub struct ApiKey(pub Option<SecretString>);

impl ApiKey {
    /// Whether `presented` is the key. Both sides are hashed first so that
    /// neither their contents nor their lengths leak through timing.
    pub fn matches(&self, presented: &str) -> bool {
        match &self.0 {
            None => true,
            Some(key) => {
                let a = Sha256::digest(key.expose_secret().as_bytes());
                let b = Sha256::digest(presented.as_bytes());
                a.ct_eq(&b).into()
            }
        }
    }
}

/// Middleware: refuse requests without the right key.
pub async fn require_key(State(key): State<ApiKey>, request: Request, next: Next) -> Response {
    if key.0.is_none() {
        return next.run(request).await;
    }
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    match presented {
        Some(p) if key.matches(p.trim()) => next.run(request).await,
        Some(_) => unauthorized("the API key is wrong"),
        None => unauthorized("send the API key as Authorization: Bearer <CARDHOST_API_KEY>"),
    }
}

fn unauthorized(message: &str) -> Response {
    let mut response =
        ApiError(AppError::new(Kind::Unauthorized, "unauthorized", message)).into_response();
    response.headers_mut().insert(
        "www-authenticate",
        axum::http::HeaderValue::from_static("Bearer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly() {
        let key = ApiKey(Some(SecretString::from("s3cret-key".to_string())));
        assert!(key.matches("s3cret-key"));
        assert!(!key.matches("s3cret-ke"));
        assert!(!key.matches("s3cret-key2"));
        assert!(!key.matches(""));
        assert!(ApiKey(None).matches("anything"));
    }
}
