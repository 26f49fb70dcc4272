//! The API key: `Authorization: Bearer <key>` on `/api/v1` and the console's sign-in form, compared in
//! constant time, with wrong keys limited per client address and for the whole host (see
//! [`throttle`](super::throttle)). There is always a key: `CARDHOST_API_KEY` or the data dir's key file.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{Extensions, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::guard::refusal;
use super::throttle::{retry_after_secs, Attempt, FailureLimiter, Limits};
use crate::config::Settings;

/// The key the API and the console expect; only its SHA-256 is kept.
#[derive(Clone)]
pub struct ApiKey([u8; 32]);

impl ApiKey {
    /// The key `key`.
    pub fn new(key: &SecretString) -> ApiKey {
        ApiKey(Sha256::digest(key.expose_secret().as_bytes()).into())
    }

    /// The key of `settings`. Settings whose key was never resolved (see
    /// [`Settings::resolve_api_key`]) get a random key that is never shown: the host stays shut.
    pub fn of(settings: &Settings) -> ApiKey {
        match &settings.api_key {
            Some(key) => ApiKey::new(key),
            None => {
                tracing::error!(
                    "no API key was resolved for this host: the API and the console refuse every key"
                );
                let mut bytes = [0u8; 32];
                OsRng.fill_bytes(&mut bytes);
                ApiKey::new(&SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
            }
        }
    }

    /// Whether `presented` is the key. Both sides are hashed first so that neither their contents nor
    /// their lengths leak through timing.
    pub fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.0.ct_eq(&presented).into()
    }
}

/// Why a key was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The key is wrong (401).
    Wrong,
    /// Too many wrong keys: refused without looking at this one (429).
    Limited(Duration),
}

/// The API key and the count of wrong ones, shared by the API and the console's sign-in.
#[derive(Clone)]
pub struct Gate {
    key: ApiKey,
    failures: Arc<FailureLimiter>,
}

impl Gate {
    /// A gate on `key` with the default [`Limits`].
    pub fn new(key: ApiKey) -> Gate {
        Gate {
            key,
            failures: Arc::new(FailureLimiter::new(Limits::default())),
        }
    }

    /// Check a key presented by `peer` (its address, when known).
    pub fn check(&self, peer: Option<IpAddr>, presented: &str) -> Result<(), Denied> {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let attempt = self
            .failures
            .attempt(peer, Instant::now(), || self.key.0.ct_eq(&presented).into());
        match attempt {
            Attempt::Passed => Ok(()),
            Attempt::Failed => Err(Denied::Wrong),
            Attempt::Limited(wait) => Err(Denied::Limited(wait)),
        }
    }
}

/// The client's address, when the server was started with connect info.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Middleware: refuse requests without the right key.
pub async fn require_key(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        });
    let Some(presented) = presented else {
        return unauthorized(
            "send the API key as Authorization: Bearer <key>: the value of CARDHOST_API_KEY, or the \
             api.key file in the host's data dir",
        );
    };
    match gate.check(peer(request.extensions()), presented.trim()) {
        Ok(()) => next.run(request).await,
        Err(Denied::Wrong) => unauthorized("the API key is wrong"),
        Err(Denied::Limited(wait)) => too_many_attempts(wait),
    }
}

fn unauthorized(message: &str) -> Response {
    let mut response = refusal(StatusCode::UNAUTHORIZED, "unauthorized", message);
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// 429 with `Retry-After`, in JSON.
fn too_many_attempts(wait: Duration) -> Response {
    let secs = retry_after_secs(wait);
    let mut response = refusal(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        &format!("too many wrong API keys from this address or in all; try again in {secs} s"),
    );
    set_retry_after(&mut response, wait);
    response
}

/// Sets `Retry-After` to the wait in whole seconds.
pub fn set_retry_after(response: &mut Response, wait: Duration) {
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs(wait)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly() {
        let key = ApiKey::new(&SecretString::from("s3cret-key".to_string()));
        assert!(key.matches("s3cret-key"));
        assert!(!key.matches("s3cret-ke"));
        assert!(!key.matches("s3cret-key2"));
        assert!(!key.matches(""));
    }

    #[test]
    fn unresolved_settings_shut_the_host() {
        let mut settings = Settings::from_lookup(|_| None).unwrap();
        settings.api_key = None;
        let key = ApiKey::of(&settings);
        for guess in ["", "none", "null"] {
            assert!(!key.matches(guess));
        }
    }

    #[test]
    fn the_gate_counts_wrong_keys_only() {
        let gate = Gate::new(ApiKey::new(&SecretString::from("k".repeat(32))));
        let peer: Option<IpAddr> = Some("192.0.2.1".parse().unwrap());
        for _ in 0..50 {
            assert_eq!(gate.check(peer, &"k".repeat(32)), Ok(()));
        }
        let burst = Limits::default().per_address.burst;
        for _ in 0..burst {
            assert_eq!(gate.check(peer, "wrong"), Err(Denied::Wrong));
        }
        assert!(matches!(gate.check(peer, "wrong"), Err(Denied::Limited(_))));
    }
}
