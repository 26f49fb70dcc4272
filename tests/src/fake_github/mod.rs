//! A strict local fake of GitHub: OAuth apps' web flow (with PKCE) and a few
//! REST endpoints, on one loopback origin laid out as GitHub Enterprise Server
//! lays it out: the REST API under `/api/v3`, OAuth under `/login/oauth`.
//! Tests start one per test with [`FakeGitHub::start`]; newcomers run the
//! `fake-github` binary. It is seeded with the data in [`seed`].
//!
//! It follows GitHub's published contract (docs.github.com and the OpenAPI
//! description of the REST API):
//! - every `/api/v3` request needs a `User-Agent` (403 without one) and, when
//!   it sends `X-GitHub-Api-Version`, a supported version (400 otherwise);
//! - tokens are OAuth app tokens (`gho_`, with scopes), personal access tokens
//!   (classic) (`ghp_`, with scopes) and fine-grained personal access tokens
//!   (`github_pat_`, limited to some repositories and permissions); missing
//!   credentials are 401 "Requires authentication", unknown or revoked ones
//!   401 "Bad credentials";
//! - errors are `{"message", "documentation_url", "status"}`, 422s add
//!   `errors: [{"resource", "field", "code"}]`; the token endpoint answers its
//!   errors with HTTP 200 and `{"error", "error_description", "error_uri"}`;
//! - every API response carries the `X-RateLimit-*` headers and an
//!   `X-GitHub-Request-Id`; the primary rate limit (per user, 5,000 an hour
//!   by default) answers 403 once used up, and secondary limits can be
//!   injected.
//!
//! Where GitHub's documentation is silent the fake is permissive and says so
//! where it decides. Every request is recorded; faults can be injected.

mod applications;
mod auth;
mod consent;
pub mod errors;
mod issues;
mod middleware;
mod model;
mod oauth;
mod params;
mod ratelimit;
pub mod scopes;
pub mod seed;
mod state;
mod users;

#[cfg(test)]
mod tests;

use axum::routing::{delete, get, post};
use axum::Router;
use state::{App, AppState, Inner, Shared, TokenKind, TokenRecord};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the REST API lives on the fake's origin (GitHub Enterprise Server's layout).
pub const API_PREFIX: &str = "/api/v3";

/// A running fake GitHub. Shuts down when dropped.
#[derive(Debug)]
pub struct FakeGitHub {
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

/// A fault to inject: the next `times` requests matching `method` (any when
/// `None`) and `path_prefix` get `status` (with GitHub's error body) instead
/// of their answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub method: Option<String>,
    /// Compared with the full request path (without query), e.g.
    /// `/api/v3/user` or `/login/oauth/access_token`.
    pub path_prefix: String,
    pub status: u16,
    pub times: usize,
    /// Sent as `Retry-After` when set.
    pub retry_after_secs: Option<u64>,
}

impl Fault {
    /// `times` answers with `status` on paths starting with `path_prefix`.
    pub fn status(path_prefix: &str, status: u16, times: usize) -> Fault {
        Fault {
            method: None,
            path_prefix: path_prefix.to_string(),
            status,
            times,
            retry_after_secs: None,
        }
    }

    /// The same fault, only for requests with this method.
    pub fn on_method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// The same fault, with a `Retry-After` header.
    pub fn retry_after(mut self, secs: u64) -> Fault {
        self.retry_after_secs = Some(secs);
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.times > 0
            && path.starts_with(&self.path_prefix)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// A request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Path without query, e.g. `/api/v3/user`.
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Headers with lowercased names, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body decoded as a form (`application/x-www-form-urlencoded`).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// The first value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The router of a fake answering with `state`.
fn router(state: AppState) -> Router {
    let api = API_PREFIX;
    Router::new()
        .route(&format!("{api}/user"), get(users::authenticated_user))
        .route(&format!("{api}/user/orgs"), get(users::my_orgs))
        .route(&format!("{api}/users/{{username}}"), get(users::user))
        .route(
            &format!("{api}/users/{{username}}/orgs"),
            get(users::orgs_of),
        )
        .route(
            &format!("{api}/repos/{{owner}}/{{repo}}/issues"),
            post(issues::create_issue),
        )
        .route(
            &format!("{api}/applications/{{client_id}}/grant"),
            delete(applications::delete_grant),
        )
        .route(
            "/login/oauth/authorize",
            get(oauth::authorize_get).post(oauth::authorize_post),
        )
        .route("/login/oauth/access_token", post(oauth::token))
        .fallback(errors::no_route)
        .method_not_allowed_fallback(errors::no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::intercept,
        ))
        .with_state(state)
}

/// The seeded state: data, the default OAuth app and the seeded tokens.
fn seeded_inner() -> Inner {
    let mut inner = Inner::new(seed::store());
    inner.register(App {
        client_id: seed::CLIENT_ID.to_string(),
        client_secret: seed::CLIENT_SECRET.to_string(),
        redirect_uris: vec![seed::REDIRECT_URI.to_string()],
        name: seed::CLIENT_NAME.to_string(),
    });
    inner.tokens.insert(
        seed::CLASSIC_TOKEN.to_string(),
        TokenRecord::new(
            seed::OCTOCAT,
            TokenKind::Classic,
            scopes::normalize(seed::CLASSIC_TOKEN_SCOPES),
        ),
    );
    inner.tokens.insert(
        seed::FINE_GRAINED_TOKEN.to_string(),
        TokenRecord::new(
            seed::OCTOCAT,
            TokenKind::FineGrained {
                repos: vec![(seed::ORG.to_string(), seed::PUBLIC_REPO.to_string())],
                issues_write: true,
            },
            Vec::new(),
        ),
    );
    inner
}

impl FakeGitHub {
    /// Starts a seeded fake on a random loopback port.
    ///
    /// # Panics
    /// If no loopback port can be bound (a broken test machine).
    pub async fn start() -> FakeGitHub {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        match FakeGitHub::start_on(addr).await {
            Ok(fake) => fake,
            Err(e) => panic!("fake github: cannot bind {addr}: {e}"),
        }
    }

    /// Starts a seeded fake on `addr`.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<FakeGitHub> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let state = Arc::new(Shared::new(format!("http://{local}"), seeded_inner()));
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "fake github server stopped");
            }
        });
        tracing::info!(base_url = %state.base_url, "fake github listening");
        Ok(FakeGitHub {
            state,
            shutdown: Some(tx),
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`: the web origin (`html_url`s point here).
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// `{base}/api/v3`.
    pub fn api_base(&self) -> String {
        self.state.api_base()
    }

    /// `{base}/login/oauth/authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/login/oauth/authorize", self.state.base_url)
    }

    /// `{base}/login/oauth/access_token`.
    pub fn token_url(&self) -> String {
        format!("{}/login/oauth/access_token", self.state.base_url)
    }

    /// `{base}/api/v3/applications/{client_id}/grant`, with the literal text
    /// `{client_id}` for the host to fill in.
    pub fn revoke_url(&self) -> String {
        format!("{}/applications/{{client_id}}/grant", self.state.api_base())
    }

    /// The env keys that point cardhost at this fake.
    pub fn cardhost_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GITHUB_API_BASE_URL", self.api_base()),
            ("GITHUB_AUTHORIZATION_URL", self.authorize_url()),
            ("GITHUB_TOKEN_URL", self.token_url()),
            ("GITHUB_REVOKE_URL", self.revoke_url()),
        ]
    }

    /// Registers (or replaces) an OAuth app. Redirect URIs are matched the
    /// way GitHub documents it for an app's callback URL: same scheme, host
    /// (or a subdomain of it) and port, a path at or below the callback's,
    /// and any port for a loopback callback.
    pub fn register_app(&self, client_id: &str, client_secret: &str, redirect_uris: &[&str]) {
        let name = if client_id == seed::CLIENT_ID {
            seed::CLIENT_NAME.to_string()
        } else {
            format!("App {client_id}")
        };
        self.state.lock().register(App {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            redirect_uris: redirect_uris.iter().map(|u| u.to_string()).collect(),
            name,
        });
    }

    /// The user signed in on the authorization page from now on
    /// ([`seed::OCTOCAT`] by default).
    ///
    /// # Panics
    /// If no seeded user has this login.
    pub fn set_signed_in_user(&self, login: &str) {
        let mut inner = self.state.lock();
        let Some(user) = inner.store.user(login) else {
            panic!("fake github: no user {login:?} to sign in as");
        };
        inner.signed_in = user.login.clone();
    }

    /// Adds a personal access token (classic) of `login` with these scopes
    /// (normalized as GitHub does; unknown ones dropped).
    ///
    /// # Panics
    /// If no seeded user has this login.
    pub fn add_classic_token(&self, token: &str, login: &str, scopes: &[&str]) {
        let mut inner = self.state.lock();
        let login = inner.existing_login(login);
        inner.tokens.insert(
            token.to_string(),
            TokenRecord::new(&login, TokenKind::Classic, scopes::normalize(scopes)),
        );
    }

    /// Adds a fine-grained personal access token of `login` that can reach
    /// only `repos` (`("owner", "repo")` pairs), with the "Issues" repository
    /// permission set to write when `issues_write` (read otherwise).
    ///
    /// # Panics
    /// If no seeded user has this login.
    pub fn add_fine_grained_token(
        &self,
        token: &str,
        login: &str,
        repos: &[(&str, &str)],
        issues_write: bool,
    ) {
        let mut inner = self.state.lock();
        let login = inner.existing_login(login);
        let repos = repos
            .iter()
            .map(|(o, r)| (o.to_string(), r.to_string()))
            .collect();
        inner.tokens.insert(
            token.to_string(),
            TokenRecord::new(
                &login,
                TokenKind::FineGrained {
                    repos,
                    issues_write,
                },
                Vec::new(),
            ),
        );
    }

    /// As if the user deleted this token on GitHub: it gets 401 from now on.
    pub fn revoke_token(&self, token: &str) {
        if let Some(record) = self.state.lock().tokens.get_mut(token) {
            record.revoked = true;
        }
    }

    /// OAuth access tokens issued by the token endpoint, in order.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().issued.clone()
    }

    /// The scopes an issued or added token carries (normalized), if known.
    pub fn token_scopes(&self, token: &str) -> Option<Vec<String>> {
        self.state
            .lock()
            .tokens
            .get(token)
            .map(|t| t.scopes.clone())
    }

    /// Makes every authorization code issued so far expire now (as after
    /// GitHub's ten minutes).
    pub fn expire_codes(&self) {
        let now = Instant::now();
        for code in self.state.lock().codes.values_mut() {
            code.expires_at = now;
        }
    }

    /// Every request received so far (API and OAuth), in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.lock().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
    }

    /// How many recorded requests have this method and path (without query).
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.state
            .lock()
            .requests
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .count()
    }

    /// How many calls to the token endpoint carried this `grant_type`
    /// (`authorization_code` counts those without one, which GitHub's web
    /// flow does not need); refused and faulted calls included, not reset by
    /// [`FakeGitHub::clear_requests`].
    pub fn token_grants(&self, grant_type: &str) -> usize {
        self.state
            .lock()
            .grant_counts
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }

    /// The `access_token`s sent to `DELETE /applications/{client_id}/grant`
    /// by an authenticated app, in order (whether or not they were valid).
    pub fn revocations(&self) -> Vec<String> {
        self.state.lock().revocations.clone()
    }

    /// The issues created through the API in `owner/repo`, as the API
    /// rendered them (owner and repo compared case-insensitively).
    pub fn issues(&self, owner: &str, repo: &str) -> Vec<serde_json::Value> {
        let inner = self.state.lock();
        inner
            .store
            .repo(owner, repo)
            .map(|r| r.issues.clone())
            .unwrap_or_default()
    }

    /// The primary rate limit from now on: `limit` requests per user (and
    /// per app) in windows of `reset_in_secs` seconds; every window starts
    /// afresh. GitHub's default is 5,000 an hour. Unauthenticated requests
    /// keep GitHub's 60 an hour.
    pub fn set_primary_limit(&self, limit: u32, reset_in_secs: u64) {
        self.state
            .lock()
            .limits
            .set_primary(limit, Duration::from_secs(reset_in_secs));
    }

    /// The next `times` API requests whose path starts with `path_prefix`
    /// (e.g. `/api/v3/repos`) get GitHub's secondary rate limit answer
    /// with `Retry-After: retry_after_secs`.
    pub fn inject_secondary_limit(&self, path_prefix: &str, times: usize, retry_after_secs: u64) {
        self.state
            .lock()
            .limits
            .inject_secondary(path_prefix, times, retry_after_secs);
    }

    /// Queues a fault; faults are tried in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        self.state.lock().faults.push(fault);
    }
}

impl Drop for FakeGitHub {
    /// Stops the server.
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
