//! Teams and team memberships: `GET /workspaces/{workspace_gid}/teams`,
//! `GET /teams/{team_gid}`, `GET /teams/{team_gid}/users`,
//! `POST /teams/{team_gid}/addUser` and `removeUser`,
//! `GET /users/{user_gid}/teams`, `GET /team_memberships`,
//! `GET /teams/{team_gid}/team_memberships` and
//! `GET /team_memberships/{team_membership_gid}`.
//!
//! Who may see a team: members, and anyone in its organization unless the
//! team is secret. Only members may add or remove people (the description of
//! `addUser` and `removeUser`); the service account, which acts as an
//! organization admin, may too (Asana does not document admins' rights here).

use super::auth::{Auth, Principal};
use super::errors::ApiError;
use super::fields::{render, DefaultView};
use super::model::{Store, Team, TeamMembership, User};
use super::query::{Page, Params};
use super::state::AppState;
use super::task_input::{opt_string, request_data};
use super::users::{numeric_order, viewer};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

const FULL: DefaultView<'static> = DefaultView::Full { opt_in: &[] };

/// A team named in the path that the viewer may see.
pub fn path_team<'a>(store: &'a Store, me: &User, gid: &str) -> Result<&'a Team, ApiError> {
    store
        .team(gid)
        .filter(|t| store.can_see_team(me, t))
        .ok_or_else(|| ApiError::unknown_object("team", gid))
}

/// The compact form of a team.
fn team_compact(team: &Team) -> Value {
    json!({ "gid": team.gid, "resource_type": "team", "name": team.name })
}

/// The people of a team who are live members of its organization.
pub fn team_users<'a>(store: &'a Store, team: &Team) -> Vec<&'a User> {
    store
        .team_memberships
        .iter()
        .filter(|m| m.team == team.gid)
        .filter_map(|m| store.user(&m.user))
        .filter(|u| u.listed() && u.member_of(&team.organization))
        .collect()
}

/// `GET /workspaces/{workspace_gid}/teams`: the teams of an organization the
/// viewer can see, paginated. A workspace that is not an organization has no
/// teams: Asana does not document its answer, so the list is empty.
pub async fn list_for_workspace(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let workspace = store
        .workspace(&gid)
        .filter(|w| me.member_of(&w.gid))
        .ok_or_else(|| ApiError::unknown_object("workspace", &gid))?;
    let path = format!("/workspaces/{}/teams", workspace.gid);
    let page = Page::from_params(&params, &path)?;
    let fields = params.fields();
    let items = store
        .teams
        .iter()
        .filter(|t| t.organization == workspace.gid && store.can_see_team(me, t))
        .map(|t| render(&store.team_json(t), fields.as_ref(), DefaultView::Compact))
        .collect();
    Ok(Json(page.respond(items, &state.api_base(), &path, &params)))
}

/// `GET /teams/{team_gid}`: the full record.
pub async fn get_team(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let team = path_team(store, me, &gid)?;
    let data = render(&store.team_json(team), params.fields().as_ref(), FULL);
    Ok(Json(json!({ "data": data })))
}

/// `GET /teams/{team_gid}/users`: compact users, sorted alphabetically. The
/// description declares no `limit` and its answer no `next_page`: the list
/// comes whole (Asana caps it at 2000).
pub async fn list_users(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let team = path_team(store, me, &gid)?;
    let mut users = team_users(store, team);
    users.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| numeric_order(&a.gid, &b.gid))
    });
    let fields = params.fields();
    let data: Vec<Value> = users
        .into_iter()
        .map(|u| {
            render(
                &store.user_json(u, me),
                fields.as_ref(),
                DefaultView::Compact,
            )
        })
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// The user named in a `{"data": {"user": ...}}` body, who must be a live
/// member of the team's organization.
fn body_user<'a>(
    store: &'a Store,
    me: &User,
    team: &Team,
    body: &[u8],
) -> Result<&'a User, ApiError> {
    let data = request_data(body)?;
    let id = opt_string(&data, "user")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::missing("user"))?;
    store
        .identify_user(id.trim(), &me.gid)
        .filter(|u| !u.service_account && u.workspaces.contains(&team.organization))
        .ok_or_else(|| ApiError::not_recognized("user", &id))
}

/// Refuses a caller who is neither a member of the team nor the service account.
fn must_be_member(
    store: &Store,
    principal: &Principal,
    me: &User,
    team: &Team,
) -> Result<(), ApiError> {
    if principal.service_account || store.in_team(&team.gid, &me.gid) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "You must be a member of team {} to change its members.",
            team.gid
        )))
    }
}

/// `POST /teams/{team_gid}/addUser`: the complete team membership record.
/// Adding someone who is already a member answers their membership.
pub async fn add_user(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let (team, user) = {
        let store = &inner.store;
        let me = viewer(store, &principal)?;
        let team = path_team(store, me, &gid)?;
        must_be_member(store, &principal, me, team)?;
        let user = body_user(store, me, team, &body)?;
        if !user.active {
            return Err(ApiError::bad(
                "user",
                &format!("User {} has been deactivated", user.gid),
            ));
        }
        (team.gid.clone(), user.gid.clone())
    };
    if inner.store.team_membership(&team, &user).is_none() {
        let gid = inner.next_gid();
        inner.store.team_memberships.push(TeamMembership {
            gid,
            team: team.clone(),
            user: user.clone(),
            is_admin: false,
            is_guest: false,
        });
    }
    let store = &inner.store;
    let membership = store
        .team_membership(&team, &user)
        .ok_or_else(|| ApiError::unknown_object("team_membership", &user))?;
    let data = render(
        &store.team_membership_json(membership),
        params.fields().as_ref(),
        FULL,
    );
    Ok(Json(json!({ "data": data })))
}

/// `POST /teams/{team_gid}/removeUser`: an empty record. Removing someone
/// who is not a member is let through (Asana does not document it). A
/// deactivated person can still be removed.
pub async fn remove_user(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let (team, user) = {
        let store = &inner.store;
        let me = viewer(store, &principal)?;
        let team = path_team(store, me, &gid)?;
        must_be_member(store, &principal, me, team)?;
        let user = body_user(store, me, team, &body)?;
        (team.gid.clone(), user.gid.clone())
    };
    inner
        .store
        .team_memberships
        .retain(|m| !(m.team == team && m.user == user));
    Ok(Json(json!({ "data": {} })))
}

/// `GET /users/{user_gid}/teams?organization=`: the teams of one
/// organization the user is in (and the viewer can see), paginated.
pub async fn list_for_user(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(user_gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let org = params
        .non_blank("organization")
        .ok_or_else(|| ApiError::missing("organization"))?;
    if store.workspace(org).is_none() {
        return Err(ApiError::not_recognized("organization", org));
    }
    if !me.member_of(org) {
        return Err(ApiError::forbidden(format!(
            "organization: You do not have access to organization {org}"
        )));
    }
    let user = store
        .identify_user(user_gid.trim(), &me.gid)
        .filter(|u| store.can_see_user(me, u))
        .ok_or_else(|| ApiError::unknown_object("user", &user_gid))?;
    let path = format!("/users/{}/teams", user_gid.trim());
    let page = Page::from_params(&params, &path)?;
    let fields = params.fields();
    let items = store
        .teams
        .iter()
        .filter(|t| t.organization == org && store.can_see_team(me, t))
        .filter(|t| store.in_team(&t.gid, &user.gid))
        .map(|t| render(&store.team_json(t), fields.as_ref(), DefaultView::Compact))
        .collect();
    Ok(Json(page.respond(items, &state.api_base(), &path, &params)))
}

/// The memberships of a list, rendered (nested resources compact).
fn memberships_page(
    store: &Store,
    memberships: Vec<&TeamMembership>,
    params: &Params,
    api_base: &str,
    path: &str,
) -> Result<Json<Value>, ApiError> {
    let page = Page::from_params(params, path)?;
    let fields = params.fields();
    let items = memberships
        .into_iter()
        .map(|m| render(&store.team_membership_json(m), fields.as_ref(), FULL))
        .collect();
    Ok(Json(page.respond(items, api_base, path, params)))
}

/// Whether a membership's user is a live member of the team's organization.
fn live(store: &Store, membership: &TeamMembership) -> bool {
    let org = store
        .team(&membership.team)
        .map(|t| t.organization.as_str());
    store
        .user(&membership.user)
        .zip(org)
        .is_some_and(|(u, org)| u.listed() && u.member_of(org))
}

/// `GET /team_memberships`: by `team`, or by `user` and `workspace` (which
/// the description says go together), paginated.
pub async fn list_memberships(
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
    let user_id = params.non_blank("user");
    let workspace = params.non_blank("workspace");
    let user = match (user_id, workspace) {
        (Some(id), Some(ws)) => {
            if !me.member_of(ws) {
                return Err(ApiError::not_recognized("workspace", ws));
            }
            Some(
                store
                    .identify_user(id.trim(), &me.gid)
                    .filter(|u| store.can_see_user(me, u))
                    .ok_or_else(|| ApiError::not_recognized("user", id))?,
            )
        }
        (Some(_), None) => {
            return Err(ApiError::bad(
                "workspace",
                "Missing input: the user parameter must be used with the workspace parameter",
            ))
        }
        (None, Some(_)) => {
            return Err(ApiError::bad(
                "user",
                "Missing input: the workspace parameter must be used with the user parameter",
            ))
        }
        (None, None) => None,
    };
    if team.is_none() && user.is_none() {
        return Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "You must specify a team, or a user and a workspace",
        ));
    }
    let memberships: Vec<&TeamMembership> = store
        .team_memberships
        .iter()
        .filter(|m| team.is_none_or(|t| m.team == t.gid))
        .filter(|m| user.is_none_or(|u| m.user == u.gid))
        .filter(|m| {
            store.team(&m.team).is_some_and(|t| {
                store.can_see_team(me, t) && workspace.is_none_or(|w| t.organization == w)
            })
        })
        .filter(|m| live(store, m))
        .collect();
    memberships_page(
        store,
        memberships,
        &params,
        &state.api_base(),
        "/team_memberships",
    )
}

/// `GET /teams/{team_gid}/team_memberships`, paginated.
pub async fn list_memberships_for_team(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let team = path_team(store, me, &gid)?;
    let memberships: Vec<&TeamMembership> = store
        .team_memberships
        .iter()
        .filter(|m| m.team == team.gid && live(store, m))
        .collect();
    let path = format!("/teams/{}/team_memberships", team.gid);
    memberships_page(store, memberships, &params, &state.api_base(), &path)
}

/// `GET /team_memberships/{team_membership_gid}`.
pub async fn get_membership(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let membership = store
        .team_memberships
        .iter()
        .find(|m| m.gid == gid)
        .filter(|m| {
            store
                .team(&m.team)
                .is_some_and(|t| store.can_see_team(me, t))
        })
        .ok_or_else(|| ApiError::unknown_object("team_membership", &gid))?;
    let data = render(
        &store.team_membership_json(membership),
        params.fields().as_ref(),
        FULL,
    );
    Ok(Json(json!({ "data": data })))
}

/// Teams for typeahead: those of the workspace the viewer can see.
pub fn typeahead_candidates(store: &Store, me: &User, workspace: &str) -> Vec<(Value, String)> {
    store
        .teams
        .iter()
        .filter(|t| t.organization == workspace && store.can_see_team(me, t))
        .map(|t| (team_compact(t), t.name.clone()))
        .collect()
}
