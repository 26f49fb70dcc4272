//! The shared, lock-protected state of one fake: data, registered apps,
//! tokens, authorization codes and grants, recorded requests, revocations,
//! rate-limit bookkeeping and injected faults.

use super::model::Store;
use super::ratelimit::RateLimiter;
use super::{Fault, RecordedRequest, API_PREFIX};
use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

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

    /// `{base}/api/v3`.
    pub fn api_base(&self) -> String {
        format!("{}{API_PREFIX}", self.base_url)
    }
}

/// A registered OAuth app.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    pub client_secret: String,
    /// Its callback URLs.
    pub redirect_uris: Vec<String>,
    /// Shown on the authorization page.
    pub name: String,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// `gho_`: issued to an OAuth app by the token endpoint.
    OAuth { client_id: String },
    /// `ghp_`: a personal access token (classic).
    Classic,
    /// `github_pat_`: a fine-grained personal access token, limited to some
    /// repositories; its only repository permission modelled is "Issues".
    FineGrained {
        repos: Vec<(String, String)>,
        issues_write: bool,
    },
}

/// A token the API accepts until revoked.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// The user the token acts as.
    pub login: String,
    pub kind: TokenKind,
    /// Normalized scopes (none for fine-grained tokens).
    pub scopes: Vec<String>,
    pub revoked: bool,
}

impl TokenRecord {
    /// A live token.
    pub fn new(login: &str, kind: TokenKind, scopes: Vec<String>) -> TokenRecord {
        TokenRecord {
            login: login.to_string(),
            kind,
            scopes,
            revoked: false,
        }
    }

    /// The OAuth app that was issued this token, if any.
    pub fn client_id(&self) -> Option<&str> {
        match &self.kind {
            TokenKind::OAuth { client_id } => Some(client_id),
            _ => None,
        }
    }
}

/// An authorization code waiting to be exchanged.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub client_id: String,
    /// The `redirect_uri` of the authorization request, if it had one.
    pub redirect_uri: Option<String>,
    pub login: String,
    pub scopes: Vec<String>,
    pub code_challenge: Option<String>,
    pub expires_at: Instant,
    pub used: bool,
}

/// The mutable part of the state.
#[derive(Debug)]
pub struct Inner {
    pub store: Store,
    pub apps: Vec<App>,
    pub tokens: HashMap<String, TokenRecord>,
    /// OAuth tokens in the order they were issued.
    pub issued: Vec<String>,
    /// Scopes each user granted each app: `(client_id, login)`.
    pub grants: HashMap<(String, String), Vec<String>>,
    pub codes: HashMap<String, CodeRecord>,
    /// Who is signed in on the authorization page.
    pub signed_in: String,
    pub requests: Vec<RecordedRequest>,
    /// Calls to the token endpoint per `grant_type`.
    pub grant_counts: HashMap<String, usize>,
    pub revocations: Vec<String>,
    pub faults: Vec<Fault>,
    pub limits: RateLimiter,
    request_seq: u64,
}

impl Inner {
    /// A state holding `store` and nothing else.
    pub fn new(store: Store) -> Inner {
        Inner {
            store,
            apps: Vec::new(),
            tokens: HashMap::new(),
            issued: Vec::new(),
            grants: HashMap::new(),
            codes: HashMap::new(),
            signed_in: super::seed::OCTOCAT.to_string(),
            requests: Vec::new(),
            grant_counts: HashMap::new(),
            revocations: Vec::new(),
            faults: Vec::new(),
            limits: RateLimiter::new(),
            request_seq: 0,
        }
    }

    /// The app with this client id.
    pub fn app(&self, client_id: &str) -> Option<&App> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    /// Registers (or replaces) an app.
    pub fn register(&mut self, app: App) {
        self.apps.retain(|a| a.client_id != app.client_id);
        self.apps.push(app);
    }

    /// The exact login of a seeded user.
    ///
    /// # Panics
    /// If there is none (a test asking for a user the seed lacks).
    pub fn existing_login(&self, login: &str) -> String {
        match self.store.user(login) {
            Some(user) => user.login.clone(),
            None => panic!("fake github: no user {login:?}"),
        }
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

    /// A new `X-GitHub-Request-Id` (GitHub's five hex groups).
    pub fn next_request_id(&mut self) -> String {
        self.request_seq += 1;
        let mut rng = rand::thread_rng();
        format!(
            "{:04X}:{:04X}:{:X}:{:X}:{:08X}",
            rng.gen_range(0x1000..0xFFFF_u32),
            rng.gen_range(0x1000..0xFFFF_u32),
            0x10_0000 + self.request_seq,
            rng.gen_range(0x100_0000..0xFFF_FFFF_u32),
            chrono::Utc::now().timestamp()
        )
    }

    /// Revokes every token `client_id` was issued for `login`, and forgets
    /// the scopes the user granted it. Returns how many tokens were revoked.
    pub fn revoke_grant(&mut self, client_id: &str, login: &str) -> usize {
        let mut revoked = 0;
        for record in self.tokens.values_mut() {
            if record.client_id() == Some(client_id)
                && record.login.eq_ignore_ascii_case(login)
                && !record.revoked
            {
                record.revoked = true;
                revoked += 1;
            }
        }
        self.grants
            .remove(&(client_id.to_string(), login.to_string()));
        revoked
    }
}

/// `n` random ASCII letters and digits (the body of a GitHub token).
pub fn random_alphanumeric(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// `bytes` random bytes, hex encoded (an authorization code is 20 hex digits).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}
