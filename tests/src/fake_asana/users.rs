//! `GET /users/{user_gid}` (`me`, a gid or an email), the same within one
//! workspace (`GET /workspaces/{workspace_gid}/users/{user_gid}`) and
//! `GET /users` (by `workspace`, `team` or both).

use super::auth::{Auth, Principal};
use super::errors::ApiError;
use super::fields::{render, DefaultView};
use super::model::{Store, User};
use super::query::{Page, Params};
use super::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

/// The user a principal acts as.
pub fn viewer<'a>(store: &'a Store, principal: &Principal) -> Result<&'a User, ApiError> {
    store
        .user(&principal.user_gid)
        .ok_or_else(ApiError::unauthorized)
}

/// Checks an optional `workspace` query parameter: it must name a workspace
/// the viewer belongs to.
pub fn workspace_param<'a>(
    store: &Store,
    viewer: &User,
    params: &'a Params,
) -> Result<Option<&'a str>, ApiError> {
    let Some(gid) = params.non_blank("workspace") else {
        return Ok(None);
    };
    if store.workspace(gid).is_none() {
        return Err(ApiError::not_recognized("workspace", gid));
    }
    if !viewer.member_of(gid) {
        return Err(ApiError::forbidden(format!(
            "workspace: You do not have access to workspace {gid}"
        )));
    }
    Ok(Some(gid))
}

/// `GET /users/{user_gid}`: compact without `opt_fields`.
pub async fn get_user(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(user_gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    workspace_param(store, me, &params)?;
    let user = store
        .identify_user(user_gid.trim(), &me.gid)
        .filter(|u| store.can_see_user(me, u))
        .ok_or_else(|| ApiError::unknown_object("user", &user_gid))?;
    let full = store.user_json(user, me);
    let data = render(&full, params.fields().as_ref(), DefaultView::Compact);
    Ok(Json(json!({ "data": data })))
}

/// `GET /workspaces/{workspace_gid}/users/{user_gid}`: the user record of
/// someone who is a member of that workspace (404 for anyone else, even a
/// user the viewer shares another workspace with); compact without
/// `opt_fields`.
pub async fn get_user_for_workspace(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path((workspace_gid, user_gid)): Path<(String, String)>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let workspace = store
        .workspace(&workspace_gid)
        .filter(|w| me.member_of(&w.gid))
        .ok_or_else(|| ApiError::unknown_object("workspace", &workspace_gid))?;
    let user = store
        .identify_user(user_gid.trim(), &me.gid)
        .filter(|u| u.member_of(&workspace.gid))
        .ok_or_else(|| ApiError::unknown_object("user", &user_gid))?;
    let full = store.user_json(user, me);
    let data = render(&full, params.fields().as_ref(), DefaultView::Compact);
    Ok(Json(json!({ "data": data })))
}

/// `GET /users`: people of one workspace, of one team, or of every
/// workspace the viewer is in, sorted by gid, paginated.
pub async fn list_users(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let team = params
        .non_blank("team")
        .map(|gid| {
            store
                .team(gid)
                .filter(|t| store.can_see_team(me, t))
                .ok_or_else(|| ApiError::not_recognized("team", gid))
        })
        .transpose()?;
    let workspace = workspace_param(store, me, &params)?;
    let page = Page::from_params(&params, "/users")?;
    let mut users: Vec<&User> = store
        .users
        .iter()
        .filter(|u| u.listed())
        .filter(|u| {
            team.is_none_or(|t| store.in_team(&t.gid, &u.gid) && u.member_of(&t.organization))
        })
        .filter(|u| match workspace {
            Some(w) => u.member_of(w),
            None => u
                .workspaces
                .iter()
                .any(|w| me.member_of(w) && u.member_of(w)),
        })
        .collect();
    users.sort_by(|a, b| numeric_order(&a.gid, &b.gid));
    let fields = params.fields();
    let items = users
        .into_iter()
        .map(|u| {
            render(
                &store.user_json(u, me),
                fields.as_ref(),
                DefaultView::Compact,
            )
        })
        .collect();
    Ok(Json(page.respond(
        items,
        &state.api_base(),
        "/users",
        &params,
    )))
}

/// Orders gids numerically (they are numeric strings of varying length).
pub fn numeric_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// 404 for API paths no route serves.
pub async fn no_route() -> ApiError {
    ApiError::no_route()
}
