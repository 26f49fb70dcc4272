//! Lists of tasks: `GET /tasks`, `GET /projects/{project_gid}/tasks`,
//! `GET /sections/{section_gid}/tasks`,
//! `GET /user_task_lists/{user_task_list_gid}/tasks` and the premium-only
//! search `GET /workspaces/{workspace_gid}/tasks/search`.
//!
//! Lists are compact (`TaskCompact`: gid, resource_type, name,
//! resource_subtype) unless `opt_fields` asks for more, in the order the
//! tasks were added, paginated as everywhere else (the search aside).

use super::auth::Auth;
use super::errors::ApiError;
use super::fields::select;
use super::model::{Store, Task, User};
use super::query::{Page, Params};
use super::state::AppState;
use super::task_input::{parse_date, parse_date_time};
use super::users::viewer;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// Asana's answer to `GET /tasks` without exactly one filter.
const ONE_FILTER: &str =
    "Must specify exactly one of project, tag, section, user task list, or assignee + workspace";

/// Asana's answer to a search by someone who is not premium there
/// (quoted in Credal-ai/actions-sdk#155).
pub const SEARCH_PREMIUM_ONLY: &str = "Search is only available to premium users.";

/// A gid given in a query parameter that names nothing the viewer can
/// see: 400 for what is not a gid at all, 404 otherwise.
pub fn unknown_ref(field: &str, id: &str) -> ApiError {
    if !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()) {
        ApiError::unknown_object(field, id)
    } else {
        ApiError::not_recognized(field, id)
    }
}

/// A task as a list shows it.
fn list_item(task: &Task, params: &Params) -> Value {
    match params.fields() {
        Some(tree) => select(&task.full, &tree),
        None => task.compact(),
    }
}

/// A date-time query parameter; `now` is accepted where Asana shows it
/// (`completed_since=now`).
fn since(params: &Params, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(raw) = params.non_blank(name) else {
        return Ok(None);
    };
    if raw.trim() == "now" {
        return Ok(Some(Utc::now()));
    }
    parse_date_time(raw.trim())
        .or_else(|| {
            parse_date(raw.trim())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
        .map(Some)
        .ok_or_else(|| ApiError::bad(name, &format!("Not a valid date-time: {raw}")))
}

/// A timestamp of a task's full form.
fn stamp(task: &Task, field: &str) -> Option<DateTime<Utc>> {
    task.full[field].as_str().and_then(parse_date_time)
}

/// `completed_since` and `modified_since`.
struct Since {
    completed: Option<DateTime<Utc>>,
    modified: Option<DateTime<Utc>>,
}

impl Since {
    fn read(params: &Params) -> Result<Since, ApiError> {
        Ok(Since {
            completed: since(params, "completed_since")?,
            modified: since(params, "modified_since")?,
        })
    }

    /// Incomplete or completed since; modified since.
    fn keeps(&self, task: &Task) -> bool {
        let completed_ok = match self.completed {
            None => true,
            Some(t) => !task.completed() || stamp(task, "completed_at").is_some_and(|c| c >= t),
        };
        let modified_ok = match self.modified {
            None => true,
            Some(t) => stamp(task, "modified_at").is_some_and(|m| m >= t),
        };
        completed_ok && modified_ok
    }
}

/// Answers a page of `tasks`.
fn respond(
    state: &AppState,
    params: &Params,
    path: &str,
    tasks: Vec<&Task>,
) -> Result<Json<Value>, ApiError> {
    let page = Page::from_params(params, path)?;
    let items = tasks.into_iter().map(|t| list_item(t, params)).collect();
    Ok(Json(page.respond(items, &state.api_base(), path, params)))
}

/// A user named by `me`, a gid or an email who belongs (or, deactivated,
/// belonged) to `workspace`: their tasks stay findable after they leave.
fn assignee_in<'a>(store: &'a Store, me: &User, id: &str, workspace: &str) -> Option<&'a User> {
    store
        .identify_user(id.trim(), &me.gid)
        .filter(|u| u.workspaces.iter().any(|w| w == workspace))
}

/// `GET /tasks`: exactly one of `project`, `section`, or `assignee` with
/// `workspace` (`tag` and `user_task_list` are not parameters of this
/// operation in the description, so the contract check refuses them).
pub async fn list_tasks(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let project = params.non_blank("project");
    let section = params.non_blank("section");
    let assignee = params.non_blank("assignee");
    let workspace = params.non_blank("workspace");
    let by_assignee = assignee.is_some() || workspace.is_some();
    let filters = [project.is_some(), section.is_some(), by_assignee]
        .iter()
        .filter(|f| **f)
        .count();
    if filters != 1 || assignee.is_some() != workspace.is_some() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, ONE_FILTER));
    }
    let since = Since::read(&params)?;
    let tasks: Vec<&Task> = if let Some(gid) = project {
        let project = store
            .project(gid)
            .filter(|p| store.can_see_project(me, p))
            .ok_or_else(|| unknown_ref("project", gid))?;
        store
            .tasks
            .iter()
            .filter(|t| t.projects().contains(&project.gid.as_str()))
            .collect()
    } else if let Some(gid) = section {
        let section = store
            .section(gid)
            .filter(|s| {
                store
                    .project(&s.project)
                    .is_some_and(|p| store.can_see_project(me, p))
            })
            .ok_or_else(|| unknown_ref("section", gid))?;
        store
            .tasks
            .iter()
            .filter(|t| t.sections().contains(&section.gid.as_str()))
            .collect()
    } else {
        let (Some(id), Some(ws)) = (assignee, workspace) else {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, ONE_FILTER));
        };
        if store.workspace(ws).is_none() || !me.member_of(ws) {
            return Err(unknown_ref("workspace", ws));
        }
        let user = assignee_in(store, me, id, ws).ok_or_else(|| unknown_ref("assignee", id))?;
        store
            .tasks
            .iter()
            .filter(|t| t.workspace == ws && t.assignee() == Some(user.gid.as_str()))
            .collect()
    };
    let tasks = tasks.into_iter().filter(|t| since.keeps(t)).collect();
    respond(&state, &params, "/tasks", tasks)
}

/// `GET /projects/{project_gid}/tasks`.
pub async fn list_for_project(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let project = store
        .project(&gid)
        .filter(|p| store.can_see_project(me, p))
        .ok_or_else(|| ApiError::unknown_object("project", &gid))?;
    let since = Since::read(&params)?;
    let tasks = store
        .tasks
        .iter()
        .filter(|t| t.projects().contains(&project.gid.as_str()) && since.keeps(t))
        .collect();
    respond(
        &state,
        &params,
        &format!("/projects/{}/tasks", project.gid),
        tasks,
    )
}

/// `GET /sections/{section_gid}/tasks`.
pub async fn list_for_section(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let section = store
        .section(&gid)
        .filter(|s| {
            store
                .project(&s.project)
                .is_some_and(|p| store.can_see_project(me, p))
        })
        .ok_or_else(|| ApiError::unknown_object("section", &gid))?;
    let since = Since::read(&params)?;
    let tasks = store
        .tasks
        .iter()
        .filter(|t| t.sections().contains(&section.gid.as_str()) && since.keeps(t))
        .collect();
    respond(
        &state,
        &params,
        &format!("/sections/{}/tasks", section.gid),
        tasks,
    )
}

/// `GET /user_task_lists/{user_task_list_gid}/tasks`: the tasks assigned to
/// the list's owner in its workspace, complete and incomplete unless
/// `completed_since` filters them.
pub async fn list_for_user_task_list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let list = store
        .user_task_lists
        .iter()
        .find(|l| l.gid == gid && me.member_of(&l.workspace))
        .ok_or_else(|| ApiError::unknown_object("user_task_list", &gid))?;
    let since = Since::read(&params)?;
    let tasks = store
        .tasks
        .iter()
        .filter(|t| t.workspace == list.workspace && t.assignee() == Some(list.owner.as_str()))
        .filter(|t| since.keeps(t))
        .collect();
    respond(
        &state,
        &params,
        &format!("/user_task_lists/{}/tasks", list.gid),
        tasks,
    )
}

/// Search parameters the fake does not implement: refused loudly rather
/// than ignored, so a card relying on one does not pass on unfiltered
/// results. (`custom_fields.*` and `custom_types.*` are not parameters of the
/// description at all, so the contract check refuses them first.)
const SEARCH_UNIMPLEMENTED: &[&str] = &[
    "portfolios.any",
    "teams.any",
    "liked_by.not",
    "commented_on_by.not",
    "is_blocking",
    "is_blocked",
    "has_attachment",
];

/// A comma separated list of ids in a search parameter.
fn ids(params: &Params, name: &str) -> Option<Vec<String>> {
    params.non_blank(name).map(|raw| {
        raw.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    })
}

/// A boolean search parameter.
fn flag(params: &Params, name: &str) -> Result<Option<bool>, ApiError> {
    match params.non_blank(name).map(str::trim) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(ApiError::bad(name, &format!("Not a boolean: {other}"))),
    }
}

/// A date search parameter.
fn day(params: &Params, name: &str) -> Result<Option<String>, ApiError> {
    params
        .non_blank(name)
        .map(|raw| {
            parse_date(raw.trim())
                .map(|d| d.format("%Y-%m-%d").to_string())
                .ok_or_else(|| ApiError::bad(name, &format!("Not a valid date: {raw}")))
        })
        .transpose()
}

/// A date-time search parameter.
fn instant(params: &Params, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    params
        .non_blank(name)
        .map(|raw| {
            parse_date_time(raw.trim())
                .ok_or_else(|| ApiError::bad(name, &format!("Not a valid date-time: {raw}")))
        })
        .transpose()
}

/// `*.any`, `*.not` and `*.all` of one kind of reference, as the gids a
/// task holds for it.
fn refs_match(params: &Params, me: &str, kind: &str, held: &[String]) -> bool {
    let resolve = |id: &String| {
        if id == "me" {
            me.to_string()
        } else {
            id.clone()
        }
    };
    if let Some(any) = ids(params, &format!("{kind}.any")) {
        if !any.iter().map(resolve).any(|id| held.contains(&id)) {
            return false;
        }
    }
    if let Some(not) = ids(params, &format!("{kind}.not")) {
        if not.iter().map(resolve).any(|id| held.contains(&id)) {
            return false;
        }
    }
    if let Some(all) = ids(params, &format!("{kind}.all")) {
        if !all.iter().map(resolve).all(|id| held.contains(&id)) {
            return false;
        }
    }
    true
}

/// The gids of the users in a list field of a task (`followers`).
fn user_gids(task: &Task, field: &str) -> Vec<String> {
    task.full[field]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["gid"].as_str().map(String::from))
        .collect()
}

/// `GET /workspaces/{workspace_gid}/tasks/search`: premium workspaces only
/// (402 elsewhere). Supported: `text` (name and notes, case-insensitive),
/// `resource_subtype`, `assignee`/`projects`/`sections`/`tags`/`followers`/
/// `created_by` with `.any`/`.not`/`.all` (`assignee.any=null` is
/// unassigned), `completed`, `is_subtask`, the `due_on`, `start_on`,
/// `created_on`, `completed_on` and `modified_on` dates with `.before` and
/// `.after`, the `*_at.before`/`.after` date-times, `sort_by`
/// (`modified_at` by default, `created_at`, `completed_at`, `due_date`,
/// `likes`) with `sort_ascending`, and `limit` (default 20, at most 100; no
/// `next_page`, as Asana documents). Asana's results are eventually
/// consistent; the fake's are immediate.
pub async fn search(
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
    if !workspace.premium {
        return Err(ApiError::new(
            StatusCode::PAYMENT_REQUIRED,
            SEARCH_PREMIUM_ONLY,
        ));
    }
    if let Some(name) = SEARCH_UNIMPLEMENTED
        .iter()
        .find(|n| params.get(n).is_some())
    {
        return Err(ApiError::bad(
            name,
            "The fake Asana does not implement this search filter",
        ));
    }
    let limit = params.bounded("limit", 1, 100)?.unwrap_or(20);
    let text = params.non_blank("text").map(|t| t.trim().to_lowercase());
    let subtype = params.non_blank("resource_subtype");
    let completed = flag(&params, "completed")?;
    let is_subtask = flag(&params, "is_subtask")?;
    let sort_ascending = flag(&params, "sort_ascending")?.unwrap_or(false);
    let sort_by = params.non_blank("sort_by").unwrap_or("modified_at");
    if ![
        "due_date",
        "created_at",
        "completed_at",
        "likes",
        "modified_at",
    ]
    .contains(&sort_by)
    {
        return Err(ApiError::bad(
            "sort_by",
            &format!("Not a valid value: {sort_by}"),
        ));
    }
    let unassigned = params.get("assignee.any") == Some("null");
    // (task field, parameter base) of the date filters.
    let date_fields = [
        ("due_on", "due_on"),
        ("start_on", "start_on"),
        ("created_at", "created_on"),
        ("completed_at", "completed_on"),
        ("modified_at", "modified_on"),
    ];
    let mut day_filters = Vec::new();
    for (field, base) in date_fields {
        for (suffix, op) in [("", 0), (".before", -1), (".after", 1)] {
            if let Some(d) = day(&params, &format!("{base}{suffix}"))? {
                day_filters.push((field, op, d));
            }
        }
    }
    let mut time_filters = Vec::new();
    for field in ["due_at", "created_at", "completed_at", "modified_at"] {
        for (suffix, op) in [(".before", -1), (".after", 1)] {
            if let Some(t) = instant(&params, &format!("{field}{suffix}"))? {
                time_filters.push((field, op, t));
            }
        }
    }
    let mut found: Vec<&Task> = store
        .tasks
        .iter()
        .filter(|t| t.workspace == workspace.gid)
        .filter(|t| {
            text.as_ref().is_none_or(|q| {
                let name = t.full["name"].as_str().unwrap_or_default().to_lowercase();
                let notes = t.full["notes"].as_str().unwrap_or_default().to_lowercase();
                name.contains(q) || notes.contains(q)
            })
        })
        .filter(|t| subtype.is_none_or(|s| t.full["resource_subtype"] == s))
        .filter(|t| completed.is_none_or(|c| t.completed() == c))
        .filter(|t| is_subtask.is_none_or(|s| t.full["parent"].is_object() == s))
        .filter(|t| {
            let assignee: Vec<String> = t.assignee().map(String::from).into_iter().collect();
            if unassigned {
                assignee.is_empty()
            } else {
                refs_match(&params, &me.gid, "assignee", &assignee)
            }
        })
        .filter(|t| {
            let projects: Vec<String> = t.projects().into_iter().map(String::from).collect();
            let sections: Vec<String> = t.sections().into_iter().map(String::from).collect();
            let tags: Vec<String> = t.tags().into_iter().map(String::from).collect();
            let creator: Vec<String> = t.full["created_by"]["gid"]
                .as_str()
                .map(String::from)
                .into_iter()
                .collect();
            // The description: with both projects.any and sections.any, a
            // task in either matches.
            let places = match (ids(&params, "projects.any"), ids(&params, "sections.any")) {
                (Some(p), Some(s)) => {
                    p.iter().any(|id| projects.contains(id))
                        || s.iter().any(|id| sections.contains(id))
                }
                (Some(p), None) => p.iter().any(|id| projects.contains(id)),
                (None, Some(s)) => s.iter().any(|id| sections.contains(id)),
                (None, None) => true,
            };
            let without_any = |kind: &str, held: &[String]| {
                let mut narrowed = params.clone();
                narrowed.0.retain(|(k, _)| k != &format!("{kind}.any"));
                refs_match(&narrowed, &me.gid, kind, held)
            };
            places
                && without_any("projects", &projects)
                && without_any("sections", &sections)
                && refs_match(&params, &me.gid, "tags", &tags)
                && refs_match(&params, &me.gid, "followers", &user_gids(t, "followers"))
                && refs_match(&params, &me.gid, "created_by", &creator)
        })
        .filter(|t| {
            day_filters.iter().all(|(field, op, d)| {
                let value = t.full[*field]
                    .as_str()
                    .map(|v| v.get(..10).unwrap_or(v).to_string());
                match value {
                    None => false,
                    Some(v) => match op {
                        -1 => v.as_str() < d.as_str(),
                        1 => v.as_str() > d.as_str(),
                        _ => v == *d,
                    },
                }
            })
        })
        .filter(|t| {
            time_filters
                .iter()
                .all(|(field, op, at)| match stamp(t, field) {
                    None => false,
                    Some(v) => {
                        if *op < 0 {
                            v < *at
                        } else {
                            v > *at
                        }
                    }
                })
        })
        .collect();
    let key = |t: &Task| -> String {
        match sort_by {
            "due_date" => t.full["due_at"]
                .as_str()
                .or(t.full["due_on"].as_str())
                .unwrap_or_default()
                .to_string(),
            "likes" => format!("{:010}", t.full["num_likes"].as_u64().unwrap_or(0)),
            field => t.full[field].as_str().unwrap_or_default().to_string(),
        }
    };
    found.sort_by_key(|t| key(t));
    if !sort_ascending {
        found.reverse();
    }
    let data: Vec<Value> = found
        .into_iter()
        .take(limit)
        .map(|t| list_item(t, &params))
        .collect();
    Ok(Json(json!({ "data": data })))
}
