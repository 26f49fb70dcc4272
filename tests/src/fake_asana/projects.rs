//! Projects and their memberships: `POST /projects`,
//! `POST /teams/{team_gid}/projects`, `GET`/`PUT`/`DELETE
//! /projects/{project_gid}`, `GET /projects`, `GET /teams/{team_gid}/projects`,
//! `GET /projects/{project_gid}/project_memberships`,
//! `POST /projects/{project_gid}/addMembers` and `removeMembers`, and the
//! generic `GET`/`POST /memberships` and `GET`/`DELETE
//! /memberships/{membership_gid}` (for projects only).
//!
//! Who may change a project or its members is not documented beyond "the
//! user must have access": anyone who can see the project may.

use super::auth::Auth;
use super::errors::ApiError;
use super::fields::{render, select, DefaultView};
use super::html;
use super::model::{MemberKind, Project, ProjectMembership, Section, Store, User};
use super::query::{Page, Params};
use super::state::{AppState, Inner};
use super::task_input::{opt_bool, opt_string, parse_date, render_date_time, request_data};
use super::task_lists::unknown_ref;
use super::users::viewer;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Map, Value};

/// Project fields only returned when asked for with `opt_fields`, as for tasks.
const OPT_IN: &[&str] = &["html_notes"];

const FULL: DefaultView<'static> = DefaultView::Full { opt_in: OPT_IN };

/// Access levels of a project membership.
const ACCESS_LEVELS: &[&str] = &["admin", "editor", "commenter", "viewer"];

/// The keys of `ProjectMembershipCompact` (and of the compact `membership`).
const MEMBERSHIP_COMPACT: &[&str] = &[
    "gid",
    "resource_type",
    "resource_subtype",
    "parent",
    "member",
    "access_level",
];

/// A project named in the path that the viewer may see.
fn path_project<'a>(store: &'a Store, me: &User, gid: &str) -> Result<&'a Project, ApiError> {
    store
        .project(gid)
        .filter(|p| store.can_see_project(me, p))
        .ok_or_else(|| ApiError::unknown_object("project", gid))
}

/// The full project, rendered for the response.
fn project_data(store: &Store, gid: &str, params: &Params) -> Result<Value, ApiError> {
    let project = store
        .project(gid)
        .ok_or_else(|| ApiError::unknown_object("project", gid))?;
    Ok(render(
        &store.project_full_json(project),
        params.fields().as_ref(),
        FULL,
    ))
}

/// A membership, as a list shows it.
fn membership_item(store: &Store, m: &ProjectMembership, generic: bool, params: &Params) -> Value {
    let full = store.project_membership_json(m, generic);
    match params.fields() {
        Some(tree) => select(&full, &tree),
        None => match &full {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| MEMBERSHIP_COMPACT.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        },
    }
}

/// A `YYYY-MM-DD` body field (null clears it).
fn opt_date(data: &Map<String, Value>, field: &str) -> Result<Option<Option<String>>, ApiError> {
    if !data.contains_key(field) {
        return Ok(None);
    }
    match opt_string(data, field)? {
        None => Ok(Some(None)),
        Some(raw) => parse_date(&raw)
            .map(|d| Some(Some(d.format("%Y-%m-%d").to_string())))
            .ok_or_else(|| ApiError::bad(field, &format!("Not a valid date: {raw}"))),
    }
}

/// Applies the writable fields both `ProjectRequest` and
/// `ProjectUpdateRequest` share.
fn apply_fields(
    store: &Store,
    me: &User,
    data: &Map<String, Value>,
    project: &mut Project,
) -> Result<(), ApiError> {
    let notes = opt_string(data, "notes")?;
    let html_notes = opt_string(data, "html_notes")?;
    if notes.is_some() && html_notes.is_some() {
        return Err(ApiError::bad(
            "notes",
            "Cannot be used together with html_notes. You may only provide one of notes or html_notes.",
        ));
    }
    if let Some(name) = opt_string(data, "name")? {
        project.name = name;
    }
    if let Some(text) = notes {
        project.html_notes = format!("<body>{}</body>", html::escape(&text));
        project.notes = text;
    }
    if let Some(xml) = html_notes {
        project.notes = html::rich_text(&xml)
            .map_err(|why| ApiError::bad("html_notes", &format!("XML is invalid. {why}")))?;
        project.html_notes = xml;
    }
    if let Some(archived) = opt_bool(data, "archived")? {
        project.archived = archived;
    }
    if data.contains_key("color") {
        project.color = opt_string(data, "color")?;
    }
    if let Some(view) = opt_string(data, "default_view")? {
        project.default_view = view;
    }
    // `due_date` is the deprecated name of `due_on`.
    for field in ["due_on", "due_date"] {
        if let Some(due) = opt_date(data, field)? {
            project.due_on = due;
        }
    }
    if let Some(start) = opt_date(data, "start_on")? {
        if start.is_some() && project.due_on.is_none() {
            return Err(ApiError::bad(
                "start_on",
                "due_on must be present in the request when setting start_on",
            ));
        }
        project.start_on = start;
    }
    if let Some(privacy) = opt_string(data, "privacy_setting")? {
        project.privacy_setting = privacy;
    } else if let Some(public) = opt_bool(data, "public")? {
        project.privacy_setting = if public {
            "public_to_workspace"
        } else {
            "private_to_team"
        }
        .to_string();
    }
    if data.contains_key("owner") {
        project.owner = match opt_string(data, "owner")? {
            None => None,
            Some(id) => Some(
                store
                    .identify_user(id.trim(), &me.gid)
                    .filter(|u| u.member_of(&project.workspace))
                    .ok_or_else(|| ApiError::not_recognized("owner", &id))?
                    .gid
                    .clone(),
            ),
        };
    }
    if data
        .get("custom_fields")
        .and_then(Value::as_object)
        .is_some_and(|o| !o.is_empty())
    {
        return Err(ApiError::bad(
            "custom_fields",
            "The fake Asana does not implement project custom field values",
        ));
    }
    // icon, default_access_level and the minimum access levels are accepted
    // and not modelled.
    Ok(())
}

/// A team of `organization` the viewer can see, named in a body or a path.
fn team_in<'a>(
    store: &'a Store,
    me: &User,
    id: &str,
    organization: &str,
) -> Result<&'a super::model::Team, ApiError> {
    store
        .team(id)
        .filter(|t| t.organization == organization && store.can_see_team(me, t))
        .ok_or_else(|| ApiError::not_recognized("team", id))
}

/// Creates a project from a `ProjectRequest` (`team_path`: the team of
/// `POST /teams/{team_gid}/projects`).
fn create(
    inner: &mut Inner,
    me: &User,
    data: &Map<String, Value>,
    team_path: Option<&str>,
) -> Result<String, ApiError> {
    let store = &inner.store;
    let team_body = opt_string(data, "team")?;
    let workspace_body = opt_string(data, "workspace")?;
    let team_path = match team_path {
        Some(gid) => Some(
            store
                .team(gid)
                .filter(|t| store.can_see_team(me, t))
                .ok_or_else(|| ApiError::unknown_object("team", gid))?,
        ),
        None => None,
    };
    let workspace_gid = match (&workspace_body, team_path) {
        (Some(w), _) => w.clone(),
        (None, Some(t)) => t.organization.clone(),
        (None, None) => return Err(ApiError::missing("workspace")),
    };
    let workspace = store
        .workspace(&workspace_gid)
        .filter(|w| me.member_of(&w.gid))
        .ok_or_else(|| ApiError::not_recognized("workspace", &workspace_gid))?;
    let team = match (team_path, &team_body) {
        (Some(t), _) if t.organization != workspace.gid => {
            return Err(ApiError::bad(
                "workspace",
                &format!("Team {} is not in workspace {}", t.gid, workspace.gid),
            ))
        }
        (Some(t), _) => Some(t),
        (None, Some(id)) => Some(team_in(store, me, id, &workspace.gid)?),
        (None, None) => None,
    };
    if workspace.is_organization && team.is_none() {
        // "If the workspace for your project is an organization, you must
        // also supply a team to share the project with."
        return Err(ApiError::missing("team"));
    }
    let followers: Vec<String> = match opt_string(data, "followers")? {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|id| {
                store
                    .identify_user(id, &me.gid)
                    .filter(|u| u.member_of(&workspace.gid))
                    .map(|u| u.gid.clone())
                    .ok_or_else(|| ApiError::not_recognized("followers", id))
            })
            .collect::<Result<_, _>>()?,
    };
    let now = render_date_time(&Utc::now());
    let mut project = Project {
        gid: String::new(),
        name: String::new(),
        workspace: workspace.gid.clone(),
        custom_fields: Vec::new(),
        team: team.map(|t| t.gid.clone()),
        archived: false,
        owner: Some(me.gid.clone()),
        notes: String::new(),
        html_notes: "<body></body>".to_string(),
        color: Some("none".to_string()),
        privacy_setting: "public_to_workspace".to_string(),
        default_view: "list".to_string(),
        due_on: None,
        start_on: None,
        followers: Vec::new(),
        created_at: now.clone(),
        modified_at: now,
    };
    apply_fields(store, me, data, &mut project)?;
    project.followers =
        std::iter::once(me.gid.clone())
            .chain(followers)
            .fold(Vec::new(), |mut all, f| {
                if !all.contains(&f) {
                    all.push(f);
                }
                all
            });
    let gid = inner.next_gid();
    project.gid = gid.clone();
    let section = inner.next_gid();
    inner.store.sections.push(Section {
        gid: section,
        name: "Untitled section".to_string(),
        project: gid.clone(),
    });
    let creator = inner.next_gid();
    inner.store.project_memberships.push(ProjectMembership {
        gid: creator,
        project: gid.clone(),
        member: me.gid.clone(),
        kind: MemberKind::User,
        access_level: "admin".to_string(),
    });
    if let Some(team) = &project.team {
        let shared = inner.next_gid();
        inner.store.project_memberships.push(ProjectMembership {
            gid: shared,
            project: gid.clone(),
            member: team.clone(),
            kind: MemberKind::Team,
            access_level: "editor".to_string(),
        });
    }
    inner.store.projects.push(project);
    Ok(gid)
}

/// `POST /projects`: `workspace` is required, and in an organization so is
/// `team`. 201 with the full project; its creator is its owner, an admin
/// member and a follower; it starts with one "Untitled section".
pub async fn create_project(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let data = request_data(&body)?;
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    let gid = create(&mut inner, &me, &data, None)?;
    let data = project_data(&inner.store, &gid, &params)?;
    Ok((StatusCode::CREATED, Json(json!({ "data": data }))))
}

/// `POST /teams/{team_gid}/projects`: a project shared with that team.
pub async fn create_project_for_team(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(team_gid): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let data = request_data(&body)?;
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    let gid = create(&mut inner, &me, &data, Some(&team_gid))?;
    let data = project_data(&inner.store, &gid, &params)?;
    Ok((StatusCode::CREATED, Json(json!({ "data": data }))))
}

/// `GET /projects/{project_gid}`: the full record (`html_notes` on request).
pub async fn get_project(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let project = path_project(store, me, &gid)?;
    let data = project_data(store, &project.gid, &params)?;
    Ok(Json(json!({ "data": data })))
}

/// `PUT /projects/{project_gid}`: only the fields given change. `followers`
/// is create-only (its description); `team` moves the project to another
/// team of the same organization.
pub async fn update_project(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let data = request_data(&body)?;
    let mut inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?.clone();
    let mut project = path_project(store, &me, &gid)?.clone();
    if data.contains_key("followers") {
        return Err(ApiError::bad(
            "followers",
            "Create-only. Use POST /projects/{project_gid}/addFollowers",
        ));
    }
    if data.get("name").is_some_and(Value::is_null) {
        return Err(ApiError::bad("name", "Cannot be null"));
    }
    apply_fields(store, &me, &data, &mut project)?;
    if let Some(id) = opt_string(&data, "team")? {
        project.team = Some(team_in(store, &me, &id, &project.workspace)?.gid.clone());
    }
    project.modified_at = render_date_time(&Utc::now());
    let name = project.name.clone();
    if let Some(slot) = inner.store.projects.iter_mut().find(|p| p.gid == gid) {
        *slot = project;
    }
    // Tasks show their projects by name.
    for task in inner.store.tasks.iter_mut() {
        for list in ["projects", "memberships"] {
            if let Some(items) = task.full[list].as_array_mut() {
                for item in items {
                    let slot = if list == "projects" {
                        item
                    } else {
                        &mut item["project"]
                    };
                    if slot["gid"] == gid.as_str() {
                        slot["name"] = json!(name);
                    }
                }
            }
        }
    }
    let data = project_data(&inner.store, &gid, &params)?;
    Ok(Json(json!({ "data": data })))
}

/// `DELETE /projects/{project_gid}`: an empty record. Its tasks stay (in
/// their other projects, or in none), its sections and memberships go.
pub async fn delete_project(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    path_project(&inner.store, &me, &gid)?;
    let store = &mut inner.store;
    store.projects.retain(|p| p.gid != gid);
    store.sections.retain(|s| s.project != gid);
    store.project_memberships.retain(|m| m.project != gid);
    for task in store.tasks.iter_mut() {
        if let Some(items) = task.full["projects"].as_array_mut() {
            items.retain(|p| p["gid"] != gid.as_str());
        }
        if let Some(items) = task.full["memberships"].as_array_mut() {
            items.retain(|m| m["project"]["gid"] != gid.as_str());
        }
    }
    Ok(Json(json!({ "data": {} })))
}

/// The `archived` filter of a project list.
fn archived_filter(params: &Params) -> Result<Option<bool>, ApiError> {
    match params.non_blank("archived").map(str::trim) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(ApiError::bad(
            "archived",
            &format!("Not a boolean: {other}"),
        )),
    }
}

/// A page of compact projects.
fn projects_page(
    state: &AppState,
    store: &Store,
    projects: Vec<&Project>,
    params: &Params,
    path: &str,
) -> Result<Json<Value>, ApiError> {
    let page = Page::from_params(params, path)?;
    let fields = params.fields();
    let items = projects
        .into_iter()
        .map(|p| {
            render(
                &store.project_full_json(p),
                fields.as_ref(),
                DefaultView::Compact,
            )
        })
        .collect();
    Ok(Json(page.respond(items, &state.api_base(), path, params)))
}

/// `GET /projects?workspace=&team=&archived=`: compact projects the viewer
/// can see, paginated. Without `workspace` or `team`, those of every
/// workspace the viewer is in.
pub async fn list_projects(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let workspace = params.non_blank("workspace");
    if let Some(w) = workspace {
        if store.workspace(w).is_none() || !me.member_of(w) {
            return Err(unknown_ref("workspace", w));
        }
    }
    let team = params
        .non_blank("team")
        .map(|t| {
            store
                .team(t)
                .filter(|team| store.can_see_team(me, team))
                .ok_or_else(|| unknown_ref("team", t))
        })
        .transpose()?;
    let archived = archived_filter(&params)?;
    let projects = store
        .projects
        .iter()
        .filter(|p| store.can_see_project(me, p))
        .filter(|p| workspace.is_none_or(|w| p.workspace == w))
        .filter(|p| team.is_none_or(|t| p.team.as_deref() == Some(t.gid.as_str())))
        .filter(|p| archived.is_none_or(|a| p.archived == a))
        .collect();
    projects_page(&state, store, projects, &params, "/projects")
}

/// `GET /teams/{team_gid}/projects?archived=`, paginated.
pub async fn list_for_team(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let team = super::teams::path_team(store, me, &gid)?;
    let archived = archived_filter(&params)?;
    let projects = store
        .projects
        .iter()
        .filter(|p| p.team.as_deref() == Some(team.gid.as_str()))
        .filter(|p| store.can_see_project(me, p))
        .filter(|p| archived.is_none_or(|a| p.archived == a))
        .collect();
    projects_page(
        &state,
        store,
        projects,
        &params,
        &format!("/teams/{}/projects", team.gid),
    )
}

/// `GET /projects/{project_gid}/project_memberships?user=`: compact
/// memberships (users and teams), paginated.
pub async fn list_project_memberships(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let project = path_project(store, me, &gid)?;
    let user = params
        .non_blank("user")
        .map(|id| {
            store
                .identify_user(id.trim(), &me.gid)
                .ok_or_else(|| ApiError::not_recognized("user", id))
        })
        .transpose()?;
    let path = format!("/projects/{}/project_memberships", project.gid);
    let page = Page::from_params(&params, &path)?;
    let items = store
        .project_memberships
        .iter()
        .filter(|m| m.project == project.gid)
        .filter(|m| user.is_none_or(|u| m.kind == MemberKind::User && m.member == u.gid))
        .map(|m| membership_item(store, m, false, &params))
        .collect();
    Ok(Json(page.respond(items, &state.api_base(), &path, &params)))
}

/// The users of a `members` string (comma separated `me`, emails or gids),
/// each a live member of the project's workspace.
fn members_of(
    store: &Store,
    me: &User,
    project: &Project,
    body: &[u8],
) -> Result<Vec<String>, ApiError> {
    let data = request_data(body)?;
    let raw = opt_string(&data, "members")?.ok_or_else(|| ApiError::missing("members"))?;
    let ids: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if ids.is_empty() {
        return Err(ApiError::missing("members"));
    }
    ids.into_iter()
        .map(|id| {
            store
                .identify_user(id, &me.gid)
                .filter(|u| u.member_of(&project.workspace) && !u.service_account)
                .map(|u| u.gid.clone())
                .ok_or_else(|| ApiError::not_recognized("members", id))
        })
        .collect()
}

/// `POST /projects/{project_gid}/addMembers`: the updated project. New
/// members get the project's default access level (`editor`).
pub async fn add_members(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    let project = path_project(&inner.store, &me, &gid)?.clone();
    let users = members_of(&inner.store, &me, &project, &body)?;
    for user in users {
        let known =
            inner.store.project_memberships.iter().any(|m| {
                m.project == project.gid && m.kind == MemberKind::User && m.member == user
            });
        if !known {
            let membership = inner.next_gid();
            inner.store.project_memberships.push(ProjectMembership {
                gid: membership,
                project: project.gid.clone(),
                member: user,
                kind: MemberKind::User,
                access_level: "editor".to_string(),
            });
        }
    }
    let data = project_data(&inner.store, &gid, &params)?;
    Ok(Json(json!({ "data": data })))
}

/// `POST /projects/{project_gid}/removeMembers`: the updated project.
pub async fn remove_members(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    let project = path_project(&inner.store, &me, &gid)?.clone();
    let users = members_of(&inner.store, &me, &project, &body)?;
    let store = &mut inner.store;
    store.project_memberships.retain(|m| {
        !(m.project == project.gid && m.kind == MemberKind::User && users.contains(&m.member))
    });
    store
        .projects
        .iter_mut()
        .filter(|p| p.gid == project.gid)
        .for_each(|p| p.followers.retain(|f| !users.contains(f)));
    let data = project_data(&inner.store, &gid, &params)?;
    Ok(Json(json!({ "data": data })))
}

/// `GET /memberships?parent=&member=` (and `member` with
/// `resource_subtype=project_membership` for a team's project memberships):
/// compact memberships, paginated. The fake has project memberships only;
/// a `parent` that is not a project is not recognized.
pub async fn list_memberships(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let parent = params
        .non_blank("parent")
        .map(|gid| {
            store
                .project(gid)
                .filter(|p| store.can_see_project(me, p))
                .ok_or_else(|| ApiError::not_recognized("parent", gid))
        })
        .transpose()?;
    let member = params.non_blank("member");
    let subtype = params.non_blank("resource_subtype");
    if let Some(s) = subtype.filter(|s| *s != "project_membership") {
        return Err(ApiError::bad(
            "resource_subtype",
            &format!("Not a valid value: {s}"),
        ));
    }
    if parent.is_none() {
        // Without a parent: `member` must be a team, with `resource_subtype`.
        let Some(team) = member else {
            return Err(ApiError::missing("parent"));
        };
        if subtype.is_none() {
            return Err(ApiError::missing("resource_subtype"));
        }
        if store.team(team).is_none() {
            return Err(ApiError::bad(
                "member",
                "Without parent, member must be a team",
            ));
        }
    }
    let member_gid = member.map(|id| {
        store
            .identify_user(id, &me.gid)
            .map(|u| u.gid.clone())
            .unwrap_or_else(|| id.to_string())
    });
    let page = Page::from_params(&params, "/memberships")?;
    let items = store
        .project_memberships
        .iter()
        .filter(|m| parent.is_none_or(|p| m.project == p.gid))
        .filter(|m| member_gid.as_ref().is_none_or(|g| &m.member == g))
        .filter(|m| {
            store
                .project(&m.project)
                .is_some_and(|p| store.can_see_project(me, p))
        })
        .map(|m| membership_item(store, m, true, &params))
        .collect();
    Ok(Json(page.respond(
        items,
        &state.api_base(),
        "/memberships",
        &params,
    )))
}

/// `POST /memberships`: shares a project with a user or a team
/// (`parent`, `member` required; `access_level` or the deprecated `role`,
/// by default the project's default, `editor`). 201 with the membership. A
/// member who already has one gets it updated.
pub async fn create_membership(
    State(state): State<AppState>,
    Auth(principal): Auth,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let data = request_data(&body)?;
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    let store = &inner.store;
    let parent = opt_string(&data, "parent")?.ok_or_else(|| ApiError::missing("parent"))?;
    let member = opt_string(&data, "member")?.ok_or_else(|| ApiError::missing("member"))?;
    let project = store
        .project(&parent)
        .filter(|p| store.can_see_project(&me, p))
        .ok_or_else(|| ApiError::not_recognized("parent", &parent))?
        .clone();
    let level = opt_string(&data, "access_level")?
        .or(opt_string(&data, "role")?)
        .unwrap_or_else(|| "editor".to_string());
    if !ACCESS_LEVELS.contains(&level.as_str()) {
        return Err(ApiError::bad(
            "access_level",
            &format!("Not a valid value: {level}"),
        ));
    }
    let (member, kind) = match store.team(&member) {
        Some(team) if team.organization == project.workspace => {
            (team.gid.clone(), MemberKind::Team)
        }
        Some(_) => return Err(ApiError::not_recognized("member", &member)),
        None => (
            store
                .identify_user(member.trim(), &me.gid)
                .filter(|u| u.member_of(&project.workspace) && !u.service_account)
                .ok_or_else(|| ApiError::not_recognized("member", &member))?
                .gid
                .clone(),
            MemberKind::User,
        ),
    };
    let existing = inner
        .store
        .project_memberships
        .iter()
        .position(|m| m.project == project.gid && m.member == member);
    let index = match existing {
        Some(i) => {
            inner.store.project_memberships[i].access_level = level;
            i
        }
        None => {
            let gid = inner.next_gid();
            inner.store.project_memberships.push(ProjectMembership {
                gid,
                project: project.gid.clone(),
                member,
                kind,
                access_level: level,
            });
            inner.store.project_memberships.len() - 1
        }
    };
    let store = &inner.store;
    let data = store.project_membership_json(&store.project_memberships[index], true);
    Ok((StatusCode::CREATED, Json(json!({ "data": data }))))
}

/// A membership the viewer can see.
fn path_membership<'a>(
    store: &'a Store,
    me: &User,
    gid: &str,
) -> Result<&'a ProjectMembership, ApiError> {
    store
        .project_memberships
        .iter()
        .find(|m| m.gid == gid)
        .filter(|m| {
            store
                .project(&m.project)
                .is_some_and(|p| store.can_see_project(me, p))
        })
        .ok_or_else(|| ApiError::unknown_object("membership", gid))
}

/// `GET /memberships/{membership_gid}`.
pub async fn get_membership(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let membership = path_membership(store, me, &gid)?;
    Ok(Json(
        json!({ "data": store.project_membership_json(membership, true) }),
    ))
}

/// `DELETE /memberships/{membership_gid}`: an empty record.
pub async fn delete_membership(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    path_membership(&inner.store, &me, &gid)?;
    inner.store.project_memberships.retain(|m| m.gid != gid);
    Ok(Json(json!({ "data": {} })))
}
