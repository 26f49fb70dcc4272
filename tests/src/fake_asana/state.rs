//! The shared, lock-protected state of one fake: data, tokens, OAuth codes,
//! registered clients, recorded requests, contract violations, rate-limit
//! usage, injected faults and webhooks.

use super::model::Store;
use super::ratelimit::{RateLimits, Usage};
use super::webhooks::WebhookState;
use super::{AppPermissions, Fault, OAuthClient, RecordedRequest};
use crate::contract::Violation;
use rand::RngCore;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The state handlers receive.
pub type AppState = Arc<Shared>;

/// What every handler shares.
#[derive(Debug)]
pub struct Shared {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    inner: Mutex<Inner>,
}

impl Shared {
    /// A fresh state answering on `base_url`.
    pub fn new(base_url: String, inner: Inner) -> Shared {
        Shared {
            base_url,
            inner: Mutex::new(inner),
        }
    }

    /// The state, even after a panicking holder poisoned the lock.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `{base}/api/1.0`.
    pub fn api_base(&self) -> String {
        format!("{}/api/1.0", self.base_url)
    }
}

/// How a bearer token came to be.
#[derive(Debug, Clone)]
pub enum TokenKind {
    /// A personal access token.
    Personal,
    /// The organization's service account token.
    ServiceAccount,
    /// An access token issued by the token endpoint.
    OAuth {
        refresh_token: Option<String>,
        issued_at: Instant,
        expires_at: Instant,
    },
}

/// A bearer token the API accepts (until revoked or expired).
#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub user_gid: String,
    pub kind: TokenKind,
    pub revoked: bool,
    /// The scopes granted: `default` (everything) for personal access and
    /// service account tokens, those authorized for OAuth tokens.
    pub scopes: Vec<String>,
}

impl TokenRecord {
    /// A token with full access (`default`).
    pub fn full_access(user_gid: &str, kind: TokenKind) -> TokenRecord {
        TokenRecord {
            user_gid: user_gid.to_string(),
            kind,
            revoked: false,
            scopes: vec![DEFAULT_SCOPE.to_string()],
        }
    }
}

/// The scope that grants access to every endpoint.
pub const DEFAULT_SCOPE: &str = "default";

/// A refresh token.
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub user_gid: String,
    pub client_id: String,
    pub revoked: bool,
    /// The scopes of the grant, passed on to every access token it yields.
    pub scopes: Vec<String>,
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_gid: String,
    pub code_challenge: Option<String>,
    pub expires_at: Instant,
    pub used: bool,
    /// The scopes the user authorized.
    pub scopes: Vec<String>,
}

/// A registered OAuth app.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub client: OAuthClient,
    /// Full permissions or the granular scopes the app was registered with.
    pub permissions: AppPermissions,
    /// Shown on the consent page.
    pub name: String,
    /// Whether any loopback `/oauth/callback` URI on any port is accepted.
    pub loopback_any_port: bool,
}

/// The mutable part of the state.
#[derive(Debug)]
pub struct Inner {
    pub store: Store,
    pub tokens: HashMap<String, TokenRecord>,
    pub refresh: HashMap<String, RefreshRecord>,
    /// Refresh tokens in the order they were issued.
    pub refresh_order: Vec<String>,
    pub codes: HashMap<String, CodeRecord>,
    pub clients: Vec<ClientRecord>,
    pub access_ttl: Duration,
    pub requests: Vec<RecordedRequest>,
    /// Calls to the token endpoint per `grant_type`.
    pub grants: HashMap<String, usize>,
    pub revocations: Vec<String>,
    pub faults: Vec<Fault>,
    pub delay: Duration,
    /// Requests that Asana's OpenAPI description does not allow, not yet taken.
    pub violations: Vec<Violation>,
    /// Operations whose requests were checked against the description.
    pub validated: BTreeSet<String>,
    pub rate_limits: RateLimits,
    /// Rate-limit bookkeeping per bearer token.
    pub usage: HashMap<String, Usage>,
    /// Webhooks, their deliveries and delivery tasks.
    pub webhooks: WebhookState,
    next_gid: u64,
}

impl Inner {
    /// A state holding `store` and nothing else.
    pub fn new(store: Store) -> Inner {
        Inner {
            store,
            tokens: HashMap::new(),
            refresh: HashMap::new(),
            refresh_order: Vec::new(),
            codes: HashMap::new(),
            clients: Vec::new(),
            access_ttl: Duration::from_secs(3600),
            requests: Vec::new(),
            grants: HashMap::new(),
            revocations: Vec::new(),
            faults: Vec::new(),
            delay: Duration::ZERO,
            violations: Vec::new(),
            validated: BTreeSet::new(),
            rate_limits: RateLimits::OFF,
            usage: HashMap::new(),
            webhooks: WebhookState::default(),
            next_gid: 1_210_000_000_000_001,
        }
    }

    /// A new numeric gid, unique within this fake.
    pub fn next_gid(&mut self) -> String {
        let gid = self.next_gid;
        self.next_gid += 1;
        gid.to_string()
    }

    /// The client with this id.
    pub fn client(&self, client_id: &str) -> Option<&ClientRecord> {
        self.clients
            .iter()
            .find(|c| c.client.client_id == client_id)
    }

    /// Registers (or replaces) a client.
    pub fn register(&mut self, record: ClientRecord) {
        self.clients
            .retain(|c| c.client.client_id != record.client.client_id);
        self.clients.push(record);
    }

    /// Takes one use of the first fault matching the request, if any.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|f| f.matches(method, path))?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let taken = fault.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(taken)
    }

    /// Revokes a refresh token and every access token issued from it.
    pub fn revoke_refresh(&mut self, refresh_token: &str) -> bool {
        let Some(record) = self.refresh.get_mut(refresh_token) else {
            return false;
        };
        record.revoked = true;
        for token in self.tokens.values_mut() {
            if let TokenKind::OAuth {
                refresh_token: Some(from),
                ..
            } = &token.kind
            {
                if from == refresh_token {
                    token.revoked = true;
                }
            }
        }
        true
    }
}

/// A random URL-safe secret of `bytes` bytes, hex encoded.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
