//! A faithful local fake of Asana: the REST API (`/api/1.0`), SCIM
//! (`/api/1.0/scim`) and OAuth (`/-/oauth_*`) on a loopback port, seeded with
//! the data in [`seed`]. Tests start one per test with [`FakeAsana::start`];
//! newcomers run the `fake-asana` binary.
//!
//! Bodies follow Asana's published contract: `{"data": ...}` on success (lists
//! add `next_page` when a `limit` is given), `{"errors": [{"message", "help"}]}`
//! on failure, SCIM 2.0 shapes under `/scim`, RFC 6749 errors on the token
//! endpoint. It is as strict as Asana: tokens carry scopes checked on every
//! route, apps are registered with Full permissions or granular scopes, and
//! every API request is checked against Asana's OpenAPI description
//! ([`crate::contract`]): a request it does not allow is refused, recorded,
//! and fails the test when the fake is dropped. Every request is recorded;
//! faults, latency and rate limits can be turned on.
//!
//! Routes: users (`users.rs`), workspaces and typeahead (`workspaces.rs`),
//! teams and team memberships (`teams.rs`), tasks (`tasks.rs`), task lists
//! and search (`task_lists.rs`), comments (`stories.rs`, one read in `story_read.rs`), projects and their
//! memberships (`projects.rs`), SCIM reads (`scim.rs`) and writes
//! (`scim_write.rs`), webhooks (`webhooks.rs`; their events are made in
//! `webhook_events.rs`, sent by `deliveries.rs` and steered by tests through
//! `webhook_controls.rs`). An operation whose scope Asana's description does
//! not name needs a token with Full permissions (`middleware::required_scopes`).

mod auth;
mod consent;
mod deliveries;
pub mod errors;
mod fields;
mod html;
mod middleware;
mod model;
mod oauth;
mod projects;
mod query;
mod ratelimit;
mod scim;
mod scim_write;
pub mod seed;
mod state;
mod stories;
mod story_read;
mod task_input;
mod task_lists;
mod tasks;
mod teams;
mod users;
mod webhook_controls;
mod webhook_events;
mod webhooks;
mod workspaces;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_projects;
#[cfg(test)]
mod tests_scim;
#[cfg(test)]
mod tests_tasks;
#[cfg(test)]
mod tests_teams;
#[cfg(test)]
mod tests_webhooks;

pub use crate::contract::Violation;
pub use ratelimit::RateLimits;
pub use webhooks::{Delivery, DeliveryKind, DeliveryStatus, WebhookOptions};

use axum::routing::{get, post};
use axum::Router;
use state::{AppState, ClientRecord, Inner, Shared, TokenKind, TokenRecord};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running fake Asana. Shuts down when dropped.
#[derive(Debug)]
pub struct FakeAsana {
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

/// An OAuth app registered with the fake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
    /// Redirect URIs accepted, compared exactly.
    pub redirect_uris: Vec<String>,
    /// With [`FakeAsana::register_client`]: true registers the app with Full
    /// permissions, false with granular scopes of which none is registered
    /// (every authorization then fails with `forbidden_scopes`). Use
    /// [`FakeAsana::register_app`] to register granular scopes.
    pub scopes_enabled: bool,
}

impl OAuthClient {
    /// An app with these credentials and redirect URIs.
    pub fn new(client_id: &str, client_secret: &str, redirect_uris: &[&str]) -> OAuthClient {
        OAuthClient {
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            redirect_uris: redirect_uris.iter().map(|u| u.to_string()).collect(),
            scopes_enabled: true,
        }
    }
}

/// How an app is registered with Asana
/// (https://developers.asana.com/docs/oauth#scopes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppPermissions {
    /// Full permissions: it may ask for `default` (what an omitted `scope`
    /// means) or any scope.
    Full,
    /// Granular scopes: it must ask for some of these, never `default`.
    Scopes(Vec<String>),
}

impl AppPermissions {
    /// Granular scopes from names.
    pub fn scopes(names: &[&str]) -> AppPermissions {
        AppPermissions::Scopes(names.iter().map(|s| s.to_string()).collect())
    }
}

/// A fault to inject: the next `times` requests matching `method` (any when
/// `None`) and `path_prefix` get `status` instead of their answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub method: Option<String>,
    /// Compared with the request path (without query), e.g. `/api/1.0/users`.
    pub path_prefix: String,
    pub status: u16,
    pub times: usize,
    /// Sent as `Retry-After` (429 faults always carry one, 30 by default).
    pub retry_after_secs: Option<u64>,
}

impl Fault {
    /// `times` 429s with Asana's rate-limit body and `Retry-After: retry_after_secs`.
    pub fn rate_limit(path_prefix: &str, times: usize, retry_after_secs: u64) -> Fault {
        Fault {
            method: None,
            path_prefix: path_prefix.to_string(),
            status: 429,
            times,
            retry_after_secs: Some(retry_after_secs),
        }
    }

    /// `times` answers with `status` and Asana's body for it (with an error
    /// phrase on 5xx).
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
    /// Path without query, e.g. `/api/1.0/users/me`.
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
    let api = "/api/1.0";
    Router::new()
        .route(&format!("{api}/users"), get(users::list_users))
        .route(&format!("{api}/users/{{user_gid}}"), get(users::get_user))
        .route(
            &format!("{api}/workspaces/{{workspace_gid}}/users/{{user_gid}}"),
            get(users::get_user_for_workspace),
        )
        .route(
            &format!("{api}/workspaces"),
            get(workspaces::list_workspaces),
        )
        .route(
            &format!("{api}/workspaces/{{workspace_gid}}"),
            get(workspaces::get_workspace),
        )
        .route(
            &format!("{api}/workspaces/{{workspace_gid}}/typeahead"),
            get(workspaces::typeahead),
        )
        .route(
            &format!("{api}/workspaces/{{workspace_gid}}/teams"),
            get(teams::list_for_workspace),
        )
        .route(&format!("{api}/teams/{{team_gid}}"), get(teams::get_team))
        .route(
            &format!("{api}/teams/{{team_gid}}/users"),
            get(teams::list_users),
        )
        .route(
            &format!("{api}/teams/{{team_gid}}/addUser"),
            post(teams::add_user),
        )
        .route(
            &format!("{api}/teams/{{team_gid}}/removeUser"),
            post(teams::remove_user),
        )
        .route(
            &format!("{api}/teams/{{team_gid}}/team_memberships"),
            get(teams::list_memberships_for_team),
        )
        .route(
            &format!("{api}/users/{{user_gid}}/teams"),
            get(teams::list_for_user),
        )
        .route(
            &format!("{api}/team_memberships"),
            get(teams::list_memberships),
        )
        .route(
            &format!("{api}/team_memberships/{{team_membership_gid}}"),
            get(teams::get_membership),
        )
        .route(
            &format!("{api}/users/{{user_gid}}/user_task_list"),
            get(tasks::get_user_task_list),
        )
        .route(
            &format!("{api}/tasks"),
            post(tasks::create_task).get(task_lists::list_tasks),
        )
        .route(
            &format!("{api}/tasks/{{task_gid}}"),
            get(tasks::get_task)
                .put(tasks::update_task)
                .delete(tasks::delete_task),
        )
        .route(
            &format!("{api}/tasks/{{task_gid}}/stories"),
            get(stories::list_stories).post(stories::create_story),
        )
        .route(
            &format!("{api}/stories/{{story_gid}}"),
            get(story_read::get_story),
        )
        .route(
            &format!("{api}/projects"),
            get(projects::list_projects).post(projects::create_project),
        )
        .route(
            &format!("{api}/projects/{{project_gid}}"),
            get(projects::get_project)
                .put(projects::update_project)
                .delete(projects::delete_project),
        )
        .route(
            &format!("{api}/projects/{{project_gid}}/project_memberships"),
            get(projects::list_project_memberships),
        )
        .route(
            &format!("{api}/projects/{{project_gid}}/addMembers"),
            post(projects::add_members),
        )
        .route(
            &format!("{api}/projects/{{project_gid}}/removeMembers"),
            post(projects::remove_members),
        )
        .route(
            &format!("{api}/teams/{{team_gid}}/projects"),
            get(projects::list_for_team).post(projects::create_project_for_team),
        )
        .route(
            &format!("{api}/memberships"),
            get(projects::list_memberships).post(projects::create_membership),
        )
        .route(
            &format!("{api}/memberships/{{membership_gid}}"),
            get(projects::get_membership).delete(projects::delete_membership),
        )
        .route(
            &format!("{api}/projects/{{project_gid}}/tasks"),
            get(task_lists::list_for_project),
        )
        .route(
            &format!("{api}/sections/{{section_gid}}/tasks"),
            get(task_lists::list_for_section),
        )
        .route(
            &format!("{api}/user_task_lists/{{user_task_list_gid}}/tasks"),
            get(task_lists::list_for_user_task_list),
        )
        .route(
            &format!("{api}/workspaces/{{workspace_gid}}/tasks/search"),
            get(task_lists::search),
        )
        .route(
            &format!("{api}/webhooks"),
            get(webhooks::list_webhooks).post(webhooks::create_webhook),
        )
        .route(
            &format!("{api}/webhooks/{{webhook_gid}}"),
            get(webhooks::get_webhook).delete(webhooks::delete_webhook),
        )
        .route(
            &format!("{api}/scim/Users"),
            get(scim::list_users).post(scim_write::create_user),
        )
        .route(
            &format!("{api}/scim/Users/{{id}}"),
            get(scim::get_user)
                .put(scim_write::replace_user)
                .patch(scim_write::patch_user)
                .delete(scim_write::delete_user),
        )
        .route(&format!("{api}/scim/{{*rest}}"), get(scim::no_route))
        .route(
            "/-/oauth_authorize",
            get(oauth::authorize_get).post(oauth::authorize_post),
        )
        .route("/-/oauth_token", post(oauth::token))
        .route("/-/oauth_revoke", post(oauth::revoke))
        .fallback(users::no_route)
        .method_not_allowed_fallback(users::no_route)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::intercept,
        ))
        .with_state(state)
}

/// The seeded state: data, the PAT, the service account token, the default
/// client (Full permissions) and the granular-scope client.
fn seeded_inner() -> Inner {
    let mut inner = Inner::new(seed::store());
    inner.tokens.insert(
        seed::PAT.to_string(),
        TokenRecord::full_access(seed::ME_GID, TokenKind::Personal),
    );
    inner.tokens.insert(
        seed::SERVICE_ACCOUNT_TOKEN.to_string(),
        TokenRecord::full_access(seed::SERVICE_ACCOUNT_GID, TokenKind::ServiceAccount),
    );
    inner.register(ClientRecord {
        client: OAuthClient::new(seed::CLIENT_ID, seed::CLIENT_SECRET, &[seed::REDIRECT_URI]),
        permissions: AppPermissions::Full,
        name: seed::CLIENT_NAME.to_string(),
        loopback_any_port: true,
    });
    inner.register(ClientRecord {
        client: OAuthClient::new(
            seed::GRANULAR_CLIENT_ID,
            seed::GRANULAR_CLIENT_SECRET,
            &[seed::REDIRECT_URI],
        ),
        permissions: AppPermissions::scopes(seed::GRANULAR_SCOPES),
        name: seed::GRANULAR_CLIENT_NAME.to_string(),
        loopback_any_port: true,
    });
    inner
}

impl FakeAsana {
    /// Starts a seeded fake on a random loopback port.
    ///
    /// # Panics
    /// If no loopback port can be bound (a broken test machine).
    pub async fn start() -> FakeAsana {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        match FakeAsana::start_on(addr).await {
            Ok(fake) => fake,
            Err(e) => panic!("fake asana: cannot bind {addr}: {e}"),
        }
    }

    /// Starts a seeded fake on `addr`.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<FakeAsana> {
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
                tracing::error!(error = %e, "fake asana server stopped");
            }
        });
        tracing::info!(base_url = %state.base_url, "fake asana listening");
        Ok(FakeAsana {
            state,
            shutdown: Some(tx),
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// `{base}/api/1.0`.
    pub fn api_base(&self) -> String {
        self.state.api_base()
    }

    /// `{base}/-/oauth_authorize`.
    pub fn authorize_url(&self) -> String {
        format!("{}/-/oauth_authorize", self.state.base_url)
    }

    /// `{base}/-/oauth_token`.
    pub fn token_url(&self) -> String {
        format!("{}/-/oauth_token", self.state.base_url)
    }

    /// `{base}/-/oauth_revoke`.
    pub fn revoke_url(&self) -> String {
        format!("{}/-/oauth_revoke", self.state.base_url)
    }

    /// The env keys that point cardhost at this fake: its URLs and the
    /// seeded OAuth app.
    pub fn cardhost_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("ASANA_API_BASE_URL", self.api_base()),
            ("ASANA_AUTHORIZATION_URL", self.authorize_url()),
            ("ASANA_TOKEN_URL", self.token_url()),
            ("ASANA_REVOKE_URL", self.revoke_url()),
            ("ASANA_CLIENT_ID", seed::CLIENT_ID.to_string()),
            ("ASANA_CLIENT_SECRET", seed::CLIENT_SECRET.to_string()),
        ]
    }

    /// Every request received so far (API, SCIM and OAuth), in order.
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

    /// How many calls to `/-/oauth_token` carried this `grant_type` (faulted
    /// and refused ones included; not reset by [`FakeAsana::clear_requests`]).
    pub fn token_grants(&self, grant_type: &str) -> usize {
        self.state
            .lock()
            .grants
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }

    /// Tokens sent to `/-/oauth_revoke` by an authenticated client, in order.
    pub fn revocations(&self) -> Vec<String> {
        self.state.lock().revocations.clone()
    }

    /// Tasks created through the API, in full form (`html_notes` included).
    pub fn tasks(&self) -> Vec<serde_json::Value> {
        self.state
            .lock()
            .store
            .tasks
            .iter()
            .filter(|t| t.created)
            .map(|t| t.full.clone())
            .collect()
    }

    /// A task's full form (`html_notes` included), seeded or created.
    pub fn task(&self, gid: &str) -> Option<serde_json::Value> {
        self.state.lock().store.task(gid).map(|t| t.full.clone())
    }

    /// The gids of the tasks assigned to a user that are not completed, in
    /// store order.
    pub fn open_tasks_of(&self, user_gid: &str) -> Vec<String> {
        self.state
            .lock()
            .store
            .tasks
            .iter()
            .filter(|t| t.assignee() == Some(user_gid) && !t.completed())
            .map(|t| t.gid.clone())
            .collect()
    }

    /// The gids of the tasks in a project, in store order.
    pub fn project_tasks(&self, project_gid: &str) -> Vec<String> {
        self.state
            .lock()
            .store
            .tasks
            .iter()
            .filter(|t| t.projects().contains(&project_gid))
            .map(|t| t.gid.clone())
            .collect()
    }

    /// A project's full form (`ProjectResponse`), or `None` (deleted or unknown).
    pub fn project(&self, gid: &str) -> Option<serde_json::Value> {
        let inner = self.state.lock();
        let store = &inner.store;
        store.project(gid).map(|p| store.project_full_json(p))
    }

    /// A project's memberships: `(member gid, "user" | "team", access level)`.
    pub fn project_members(&self, project_gid: &str) -> Vec<(String, &'static str, String)> {
        self.state
            .lock()
            .store
            .project_memberships
            .iter()
            .filter(|m| m.project == project_gid)
            .map(|m| {
                let kind = match m.kind {
                    model::MemberKind::User => "user",
                    model::MemberKind::Team => "team",
                };
                (m.member.clone(), kind, m.access_level.clone())
            })
            .collect()
    }

    /// The stories on a task, oldest first, in full form.
    pub fn stories(&self, task_gid: &str) -> Vec<serde_json::Value> {
        let inner = self.state.lock();
        let store = &inner.store;
        store
            .stories
            .iter()
            .filter(|s| s.task == task_gid)
            .map(|s| store.story_json(s))
            .collect()
    }

    /// The SCIM `User` resource of the person with this primary email
    /// (deactivated ones included), as `GET /scim/Users/{id}` renders it.
    pub fn scim_user(&self, email: &str) -> Option<serde_json::Value> {
        let api_base = self.state.api_base();
        let inner = self.state.lock();
        inner
            .store
            .users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(email))
            .map(|u| scim::scim_user(&api_base, u))
    }

    /// Makes a workspace premium or not (task search answers 402 in one
    /// that is not).
    pub fn set_premium(&self, workspace_gid: &str, premium: bool) {
        if let Some(w) = self
            .state
            .lock()
            .store
            .workspaces
            .iter_mut()
            .find(|w| w.gid == workspace_gid)
        {
            w.premium = premium;
        }
    }

    /// The gids of the people in a team (deactivated ones included), in
    /// the order they joined.
    pub fn team_members(&self, team_gid: &str) -> Vec<String> {
        self.state
            .lock()
            .store
            .team_memberships
            .iter()
            .filter(|m| m.team == team_gid)
            .map(|m| m.user.clone())
            .collect()
    }

    /// The gids of the teams a person is in.
    pub fn user_teams(&self, user_gid: &str) -> Vec<String> {
        self.state
            .lock()
            .store
            .team_memberships
            .iter()
            .filter(|m| m.user == user_gid)
            .map(|m| m.team.clone())
            .collect()
    }

    /// Whether a user account is active (false once deactivated, e.g.
    /// through SCIM); `None` for an unknown gid.
    pub fn user_active(&self, user_gid: &str) -> Option<bool> {
        self.state.lock().store.user(user_gid).map(|u| u.active)
    }

    /// Adds a personal access token acting as `user_gid` (full access).
    pub fn add_personal_access_token(&self, token: &str, user_gid: &str) {
        self.state.lock().tokens.insert(
            token.to_string(),
            TokenRecord::full_access(user_gid, TokenKind::Personal),
        );
    }

    /// Adds a service account token of Acme Corp (full access; it may call SCIM).
    pub fn add_service_account_token(&self, token: &str) {
        self.state.lock().tokens.insert(
            token.to_string(),
            TokenRecord::full_access(seed::SERVICE_ACCOUNT_GID, TokenKind::ServiceAccount),
        );
    }

    /// Registers (or replaces) an OAuth app with Full permissions, or, when
    /// `scopes_enabled` is false, with granular scopes of which none is
    /// registered. Its redirect URIs match exactly.
    pub fn register_client(&self, client: OAuthClient) {
        let permissions = if client.scopes_enabled {
            AppPermissions::Full
        } else {
            AppPermissions::Scopes(Vec::new())
        };
        self.register_app(client, permissions);
    }

    /// Registers (or replaces) an OAuth app with Full permissions or
    /// granular scopes. Its redirect URIs match exactly.
    pub fn register_app(&self, client: OAuthClient, permissions: AppPermissions) {
        let name = match client.client_id.as_str() {
            seed::CLIENT_ID => seed::CLIENT_NAME.to_string(),
            seed::GRANULAR_CLIENT_ID => seed::GRANULAR_CLIENT_NAME.to_string(),
            other => format!("App {other}"),
        };
        self.state.lock().register(ClientRecord {
            client,
            permissions,
            name,
            loopback_any_port: false,
        });
    }

    /// Lifetime of access tokens issued from now on (default 3600 s).
    pub fn set_access_token_ttl(&self, secs: u64) {
        self.state.lock().access_ttl = Duration::from_secs(secs);
    }

    /// Makes every OAuth access token issued so far expire now (401 on use).
    pub fn expire_access_tokens(&self) {
        self.expire_access_tokens_older_than(Duration::ZERO);
    }

    /// Makes the OAuth access tokens issued at least `age` ago expire now:
    /// a client that refreshed a moment ago keeps the token it just got
    /// (a soak's expiries then never race its refreshes).
    pub fn expire_access_tokens_older_than(&self, age: Duration) {
        let now = Instant::now();
        for record in self.state.lock().tokens.values_mut() {
            if let TokenKind::OAuth {
                issued_at,
                expires_at,
                ..
            } = &mut record.kind
            {
                if now.saturating_duration_since(*issued_at) >= age {
                    *expires_at = now;
                }
            }
        }
    }

    /// As if the user revoked the app: the refresh token gets `invalid_grant`
    /// and the access tokens issued from it get 401.
    pub fn revoke_refresh_token(&self, refresh_token: &str) {
        self.state.lock().revoke_refresh(refresh_token);
    }

    /// Refresh tokens issued so far, in order.
    pub fn refresh_tokens(&self) -> Vec<String> {
        self.state.lock().refresh_order.clone()
    }

    /// Queues a fault; faults are tried in the order they were injected.
    pub fn inject(&self, fault: Fault) {
        self.state.lock().faults.push(fault);
    }

    /// Latency added to every API call (paths under `/api/`), default zero.
    /// It is spent while the request holds its rate-limit concurrency slot.
    pub fn set_delay(&self, d: Duration) {
        self.state.lock().delay = d;
    }

    /// Rate limits per token from now on ([`RateLimits::OFF`] by default;
    /// [`RateLimits::asana_free`] and [`RateLimits::asana_paid`] are Asana's).
    pub fn set_rate_limits(&self, limits: RateLimits) {
        let mut inner = self.state.lock();
        inner.rate_limits = limits;
        inner.usage.clear();
    }

    /// The requests so far that Asana's OpenAPI description does not allow,
    /// without taking them.
    pub fn contract_violations(&self) -> Vec<Violation> {
        self.state.lock().violations.clone()
    }

    /// Takes the contract violations recorded so far: a test that sends
    /// non-conforming requests on purpose takes (and checks) them, so that
    /// dropping the fake does not fail it.
    pub fn take_contract_violations(&self) -> Vec<Violation> {
        std::mem::take(&mut self.state.lock().violations)
    }

    /// The distinct operationIds of Asana's OpenAPI description that
    /// requests to this fake were checked against.
    /// [`crate::contract::validated_operations`] gives them for every fake of
    /// the process.
    pub fn validated_operations(&self) -> BTreeSet<String> {
        self.state.lock().validated.clone()
    }
}

impl Drop for FakeAsana {
    /// Stops the webhook deliveries and the server; then fails the test
    /// (unless it is failing already) if any request it received broke
    /// Asana's OpenAPI description.
    fn drop(&mut self) {
        self.state.lock().webhooks.stop_all();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
        crate::contract::write_coverage_report();
        let violations = self.take_contract_violations();
        if !violations.is_empty() && !std::thread::panicking() {
            let list: Vec<String> = violations.iter().map(|v| format!("  - {v}")).collect();
            panic!(
                "{} request(s) to the fake Asana broke Asana's OpenAPI description (tests/contract/asana_oas.yaml):\n{}",
                violations.len(),
                list.join("\n")
            );
        }
    }
}
