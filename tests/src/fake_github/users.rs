//! Users and their organizations: `GET /user`, `GET /users/{username}`,
//! `GET /user/orgs` and `GET /users/{username}/orgs`.

use super::auth::Caller;
use super::errors::ApiError;
use super::model::{full_user, org_as_account, org_simple};
use super::params::{Page, Params};
use super::state::AppState;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::Value;

const DOC_AUTHENTICATED_USER: &str =
    "https://docs.github.com/rest/users/users#get-the-authenticated-user";
const DOC_USER: &str = "https://docs.github.com/rest/users/users#get-a-user";
const DOC_MY_ORGS: &str =
    "https://docs.github.com/rest/orgs/orgs#list-organizations-for-the-authenticated-user";
const DOC_ORGS_OF: &str = "https://docs.github.com/rest/orgs/orgs#list-organizations-for-a-user";

/// Sets `X-Accepted-OAuth-Scopes` (what GitHub reports the endpoint checks).
pub fn accepted_scopes(mut response: Response, scopes: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(scopes) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-accepted-oauth-scopes"), value);
    }
    response
}

/// `GET /user`: the token's user. Its private fields (plan, private repos,
/// two-factor) only with the `user` scope, as GitHub documents; any token
/// may read the public profile.
pub async fn authenticated_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let Some(principal) = caller.principal else {
        return ApiError::requires_authentication(DOC_AUTHENTICATED_USER).into_response();
    };
    let inner = state.lock();
    let Some(user) = inner.store.user(&principal.login) else {
        return ApiError::bad_credentials().into_response();
    };
    let private = principal.has_scope("user");
    let body = full_user(user, &state.base_url, &state.api_base(), private);
    accepted_scopes(Json(body).into_response(), "user")
}

/// `GET /users/{username}`: a user (or an organization, `type:
/// "Organization"`) by login, case-insensitive; 404 otherwise. GitHub serves
/// public profiles without authentication.
pub async fn user(State(state): State<AppState>, Path(username): Path<String>) -> Response {
    let inner = state.lock();
    let (base, api) = (&state.base_url, state.api_base());
    let body = if let Some(user) = inner.store.user(&username) {
        full_user(user, base, &api, false)
    } else if let Some(org) = inner.store.org(&username) {
        let public_repos = inner
            .store
            .repos
            .iter()
            .filter(|r| r.owner == org.login && !r.private)
            .count() as u64;
        org_as_account(org, base, &api, public_repos)
    } else {
        return ApiError::not_found(DOC_USER).into_response();
    };
    // GitHub's documented example of the scope headers is this endpoint.
    accepted_scopes(Json(body).into_response(), "user")
}

/// One page of `items`, with GitHub's `Link` header.
fn paginated(items: Vec<Value>, url: &str, params: &Params) -> Response {
    let page = Page::from_params(params);
    let link = page.link(items.len(), url, params);
    let mut response = Json(page.slice(&items)).into_response();
    if let Some(link) = link.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

/// `GET /user/orgs`: every organization of the token's user, private
/// memberships included, paginated. OAuth and classic tokens need `user` or
/// `read:org` (or a scope including it), else 403, as GitHub documents; a
/// fine-grained token gets 200 with an empty list, as GitHub documents too.
pub async fn my_orgs(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(principal) = caller.principal else {
        return ApiError::requires_authentication(DOC_MY_ORGS).into_response();
    };
    let accepted = "admin:org, read:org, repo, user, write:org";
    if principal.is_fine_grained() {
        return Json(Vec::<Value>::new()).into_response();
    }
    if !principal.has_scope("user") && !principal.has_scope("read:org") {
        // GitHub documents the 403, not its message: this one follows the
        // wording GitHub uses for other missing scopes.
        let error = ApiError::forbidden("Missing the 'read:org' scope.", DOC_MY_ORGS);
        return accepted_scopes(error.into_response(), accepted);
    }
    let params = Params::parse(query.as_deref());
    let items: Vec<Value> = {
        let inner = state.lock();
        inner
            .store
            .orgs_of(&principal.login, true)
            .into_iter()
            .map(|o| org_simple(o, &state.base_url, &state.api_base()))
            .collect()
    };
    let url = format!("{}{}", state.base_url, uri.path());
    accepted_scopes(paginated(items, &url, &params), accepted)
}

/// `GET /users/{username}/orgs`: the user's public memberships only,
/// whoever asks (as GitHub documents), paginated; 404 for an unknown user.
pub async fn orgs_of(
    State(state): State<AppState>,
    Path(username): Path<String>,
    OriginalUri(uri): OriginalUri,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.as_deref());
    let items: Vec<Value> = {
        let inner = state.lock();
        let Some(user) = inner.store.user(&username) else {
            return ApiError::not_found(DOC_ORGS_OF).into_response();
        };
        inner
            .store
            .orgs_of(&user.login, false)
            .into_iter()
            .map(|o| org_simple(o, &state.base_url, &state.api_base()))
            .collect()
    };
    let url = format!("{}{}", state.base_url, uri.path());
    accepted_scopes(paginated(items, &url, &params), "")
}
