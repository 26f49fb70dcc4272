//! `POST /tasks` (with Asana's validation and error messages),
//! `GET /tasks/{task_gid}`, `PUT /tasks/{task_gid}`, `DELETE /tasks/{task_gid}`
//! and `GET /users/{user_gid}/user_task_list`.

use super::auth::Auth;
use super::errors::ApiError;
use super::fields::{render, DefaultView};
use super::html;
use super::model::{custom_field_value_json, Project, Store, Task, User, UserTaskList};
use super::query::Params;
use super::state::AppState;
use super::task_input::{
    custom_field_values, id_list, memberships, opt_bool, opt_string, render_date_time,
    request_data, Schedule,
};
use super::users::viewer;
use super::webhook_events;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Map, Value};

/// Task fields Asana only returns when asked for with `opt_fields`.
const OPT_IN: &[&str] = &["html_notes"];

/// Subtypes a task may be created with. (`custom` also exists, for tasks of
/// a custom type, which the fake does not model.)
const SUBTYPES: &[&str] = &["default_task", "milestone", "approval"];

/// Approval statuses; all but `pending` mean the task is completed.
const APPROVAL_STATUSES: &[&str] = &["pending", "approved", "rejected", "changes_requested"];

/// `GET /tasks/{task_gid}`.
pub async fn get_task(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let me = viewer(&inner.store, &principal)?;
    let task = inner
        .store
        .task(&gid)
        .filter(|t| me.member_of(&t.workspace))
        .ok_or_else(|| ApiError::unknown_object("task", &gid))?;
    let data = render(
        &task.full,
        params.fields().as_ref(),
        DefaultView::Full { opt_in: OPT_IN },
    );
    Ok(Json(json!({ "data": data })))
}

/// `POST /tasks`.
pub async fn create_task(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let data = request_data(&body)?;
    let mut inner = state.lock();
    let gid = inner.next_gid();
    let me = viewer(&inner.store, &principal)?.clone();
    let task = build_task(&inner.store, &me, &data, gid)?;
    if let Some(parent) = task.full["parent"]["gid"].as_str() {
        let parent = parent.to_string();
        if let Some(p) = inner.store.tasks.iter_mut().find(|t| t.gid == parent) {
            let count = p.full["num_subtasks"].as_u64().unwrap_or(0);
            p.full["num_subtasks"] = json!(count + 1);
        }
    }
    let rendered = render(
        &task.full,
        params.fields().as_ref(),
        DefaultView::Full { opt_in: OPT_IN },
    );
    let full = task.full.clone();
    inner.store.tasks.push(task);
    webhook_events::task_created(&mut inner, &me.gid, &full);
    Ok((StatusCode::CREATED, Json(json!({ "data": rendered }))))
}

/// A user named by `me`, a gid or an email who belongs to `workspace`.
fn member<'a>(store: &'a Store, me: &User, id: &str, workspace: &str) -> Option<&'a User> {
    store
        .identify_user(id, &me.gid)
        .filter(|u| u.member_of(workspace))
}

/// Validates the request and builds the full task.
fn build_task(
    store: &Store,
    me: &User,
    data: &Map<String, Value>,
    gid: String,
) -> Result<Task, ApiError> {
    let name = opt_string(data, "name")?.unwrap_or_default();
    let notes = opt_string(data, "notes")?;
    let html_notes = opt_string(data, "html_notes")?;
    let workspace_in = opt_string(data, "workspace")?;
    let parent_in = opt_string(data, "parent")?;
    let projects_in = id_list(data, "projects")?;
    let memberships_in = memberships(data)?;
    let followers_in = id_list(data, "followers")?;
    let tags_in = id_list(data, "tags")?;
    let subtype = opt_string(data, "resource_subtype")?.unwrap_or_else(|| "default_task".into());
    let completed_in = opt_bool(data, "completed")?;
    let approval_in = opt_string(data, "approval_status")?;
    if !SUBTYPES.contains(&subtype.as_str()) {
        return Err(ApiError::bad(
            "resource_subtype",
            &format!("Not a valid value: {subtype}"),
        ));
    }
    if notes.is_some() && html_notes.is_some() {
        return Err(ApiError::bad(
            "notes",
            "Cannot be used together with html_notes. You may only provide one of notes or html_notes.",
        ));
    }
    let schedule = Schedule::read(data)?;
    if let (Some(field), "milestone") = (schedule.start_field(), subtype.as_str()) {
        return Err(ApiError::bad(field, "A milestone cannot have a start date"));
    }
    let approval_status = match (subtype.as_str(), approval_in) {
        ("approval", Some(status)) if APPROVAL_STATUSES.contains(&status.as_str()) => Some(status),
        ("approval", Some(status)) => {
            return Err(ApiError::bad(
                "approval_status",
                &format!("Not a valid value: {status}"),
            ))
        }
        ("approval", None) => Some(
            if completed_in == Some(true) {
                "approved"
            } else {
                "pending"
            }
            .to_string(),
        ),
        (_, Some(_)) => {
            return Err(ApiError::bad(
                "approval_status",
                "Only approval tasks have an approval status",
            ))
        }
        (_, None) => None,
    };
    let completed = match &approval_status {
        Some(status) => status != "pending",
        None => completed_in.unwrap_or(false),
    };
    let plain_notes = match &html_notes {
        Some(xml) => Some(
            html::rich_text(xml)
                .map_err(|why| ApiError::bad("html_notes", &format!("XML is invalid. {why}")))?,
        ),
        None => None,
    };

    if let Some(w) = &workspace_in {
        if store.workspace(w).is_none() {
            return Err(ApiError::not_recognized("workspace", w));
        }
        if !me.member_of(w) {
            return Err(ApiError::forbidden(format!(
                "workspace: You do not have access to workspace {w}"
            )));
        }
    }
    let mut projects: Vec<&Project> = Vec::new();
    for gid in &projects_in {
        let project = store
            .project(gid)
            .filter(|p| me.member_of(&p.workspace))
            .ok_or_else(|| ApiError::not_recognized("projects", gid))?;
        if !projects.iter().any(|p| p.gid == project.gid) {
            projects.push(project);
        }
    }
    let mut sections: Vec<(&str, &str)> = Vec::new();
    for (i, membership) in memberships_in.iter().enumerate() {
        let project = store
            .project(&membership.project)
            .filter(|p| me.member_of(&p.workspace))
            .ok_or_else(|| {
                ApiError::bad(
                    "memberships",
                    &format!(
                        "[{i}]: project: Not a recognized ID: {}",
                        membership.project
                    ),
                )
            })?;
        if let Some(section_gid) = &membership.section {
            let section = store.section(section_gid).ok_or_else(|| {
                ApiError::bad(
                    "memberships",
                    &format!("[{i}]: section: Not a recognized ID: {section_gid}"),
                )
            })?;
            if section.project != project.gid {
                return Err(ApiError::bad(
                    "memberships",
                    &format!(
                        "[{i}]: section: Section {section_gid} is not in project {}",
                        project.gid
                    ),
                ));
            }
            sections.push((project.gid.as_str(), section.gid.as_str()));
        }
        if !projects.iter().any(|p| p.gid == project.gid) {
            projects.push(project);
        }
    }
    let parent = match &parent_in {
        Some(gid) => Some(
            store
                .task(gid)
                .filter(|t| me.member_of(&t.workspace))
                .ok_or_else(|| ApiError::not_recognized("parent", gid))?,
        ),
        None => None,
    };
    let workspace_gid = workspace_in
        .clone()
        .or_else(|| projects.first().map(|p| p.workspace.clone()))
        .or_else(|| parent.map(|t| t.workspace.clone()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "You should specify one of workspace, parent, projects",
            )
        })?;
    let workspace = store
        .workspace(&workspace_gid)
        .ok_or_else(|| ApiError::not_recognized("workspace", &workspace_gid))?;
    if let Some(p) = projects.iter().find(|p| p.workspace != workspace_gid) {
        return Err(ApiError::bad(
            "projects",
            &format!(
                "Project {} is not in the task's workspace {workspace_gid}",
                p.gid
            ),
        ));
    }
    if let Some(t) = parent.filter(|t| t.workspace != workspace_gid) {
        return Err(ApiError::bad(
            "parent",
            &format!(
                "Task {} is not in the task's workspace {workspace_gid}",
                t.gid
            ),
        ));
    }

    let assignee = match data.get("assignee") {
        None | Some(Value::Null) => None,
        Some(_) => {
            let id = opt_string(data, "assignee")?.unwrap_or_default();
            Some(
                member(store, me, id.trim(), &workspace_gid)
                    .ok_or_else(|| ApiError::not_recognized("assignee", &id))?,
            )
        }
    };
    let mut followers: Vec<&User> = Vec::new();
    let creator = store.user(&me.gid);
    for user in creator.into_iter().chain(assignee) {
        if !followers.iter().any(|f| f.gid == user.gid) {
            followers.push(user);
        }
    }
    for id in &followers_in {
        let user = member(store, me, id, &workspace_gid)
            .ok_or_else(|| ApiError::not_recognized("followers", id))?;
        if !followers.iter().any(|f| f.gid == user.gid) {
            followers.push(user);
        }
    }
    let mut tags = Vec::new();
    for gid in &tags_in {
        let tag = store
            .tag(gid)
            .filter(|t| t.workspace == workspace_gid)
            .ok_or_else(|| ApiError::not_recognized("tags", gid))?;
        tags.push(store.tag_json(tag));
    }

    let mut field_gids: Vec<&str> = Vec::new();
    for project in &projects {
        for f in &project.custom_fields {
            if !field_gids.contains(&f.as_str()) {
                field_gids.push(f);
            }
        }
    }
    let values = custom_field_values(store, data, &workspace_gid, &field_gids)?;
    let custom_fields: Vec<Value> = field_gids
        .iter()
        .filter_map(|gid| store.custom_field(gid))
        .map(|f| {
            custom_field_value_json(f, values.iter().find(|(g, _)| *g == f.gid).map(|(_, v)| v))
        })
        .collect();
    let memberships: Vec<Value> = projects
        .iter()
        .map(|p| {
            let section = sections
                .iter()
                .find(|(project, _)| *project == p.gid)
                .and_then(|(_, s)| store.section(s))
                .or_else(|| store.first_section(&p.gid));
            json!({
                "project": store.project_json(p),
                "section": section.map(|s| store.section_json(s)),
            })
        })
        .collect();

    let (notes, html_notes) = match (notes, html_notes, plain_notes) {
        (_, Some(xml), Some(plain)) => (plain, xml),
        (Some(text), _, _) => {
            let xml = format!("<body>{}</body>", html::escape(&text));
            (text, xml)
        }
        _ => (String::new(), "<body></body>".to_string()),
    };
    let now = render_date_time(&Utc::now());
    let me_json = store.user_json(me, me);
    let mut full = json!({
        "gid": gid,
        "resource_type": "task",
        "resource_subtype": subtype,
        "name": name,
        "notes": notes,
        "html_notes": html_notes,
        "assignee": assignee.map(|u| store.user_json(u, me)),
        "assignee_status": if assignee.is_some() { json!("upcoming") } else { Value::Null },
        "completed": completed,
        "completed_at": if completed { json!(now) } else { Value::Null },
        "completed_by": if completed { me_json.clone() } else { Value::Null },
        "created_at": now,
        "modified_at": now,
        "created_by": { "gid": me.gid, "resource_type": "user" },
        "due_on": schedule.due_on,
        "due_at": schedule.due_at,
        "start_on": schedule.start_on,
        "start_at": schedule.start_at,
        "followers": followers.iter().map(|u| store.user_json(u, me)).collect::<Vec<_>>(),
        "projects": projects.iter().map(|p| store.project_json(p)).collect::<Vec<_>>(),
        "memberships": memberships,
        "tags": tags,
        "custom_fields": custom_fields,
        "workspace": store.workspace_json(workspace),
        "parent": parent.map(|t| json!({
            "gid": t.gid,
            "resource_type": "task",
            "name": t.full["name"],
            "resource_subtype": t.full["resource_subtype"],
        })),
        "num_subtasks": 0,
        "liked": false,
        "num_likes": 0,
        "permalink_url": format!("https://app.asana.com/1/{workspace_gid}/task/{gid}"),
    });
    if let Some(status) = approval_status {
        full["approval_status"] = json!(status);
    }
    Ok(Task {
        gid,
        workspace: workspace_gid,
        created: true,
        full,
    })
}

/// `GET /users/{user_gid}/user_task_list?workspace=`: the user's "My Tasks"
/// in that workspace (made on first request). Anyone who shares the
/// workspace may read it; its tasks are filtered by access as usual.
pub async fn get_user_task_list(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(user_gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let (owner, workspace) = {
        let store = &inner.store;
        let me = viewer(store, &principal)?;
        let workspace = params
            .non_blank("workspace")
            .ok_or_else(|| ApiError::missing("workspace"))?;
        if store.workspace(workspace).is_none() || !me.member_of(workspace) {
            return Err(ApiError::not_recognized("workspace", workspace));
        }
        let owner = store
            .identify_user(user_gid.trim(), &me.gid)
            .filter(|u| u.workspaces.iter().any(|w| w == workspace))
            .ok_or_else(|| ApiError::unknown_object("user", &user_gid))?;
        (owner.gid.clone(), workspace.to_string())
    };
    let known = inner
        .store
        .user_task_lists
        .iter()
        .any(|l| l.owner == owner && l.workspace == workspace);
    if !known {
        let gid = inner.next_gid();
        inner.store.user_task_lists.push(UserTaskList {
            gid,
            owner: owner.clone(),
            workspace: workspace.clone(),
        });
    }
    let store = &inner.store;
    let list = store
        .user_task_lists
        .iter()
        .find(|l| l.owner == owner && l.workspace == workspace)
        .ok_or_else(|| ApiError::unknown_object("user_task_list", &owner))?;
    let data = render(
        &store.user_task_list_json(list),
        params.fields().as_ref(),
        DefaultView::Full { opt_in: &[] },
    );
    Ok(Json(json!({ "data": data })))
}

/// Fields of `TaskUpdateRequest` that Asana documents as create-only or
/// that have their own endpoints; the contract check lets them through
/// (the description's schema has them), so they are refused here.
const NOT_UPDATABLE: &[(&str, &str)] = &[(
    "memberships",
    "Create-only. Use POST /tasks/{task_gid}/addProject or removeProject",
)];

/// `PUT /tasks/{task_gid}`: only the fields given change; the complete
/// updated record is returned. A deactivated assignee stays until someone
/// reassigns the task.
pub async fn update_task(
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
    let task = store
        .task(&gid)
        .filter(|t| me.member_of(&t.workspace))
        .ok_or_else(|| ApiError::unknown_object("task", &gid))?;
    let mut full = task.full.clone();
    let before = task.full.clone();
    let workspace = task.workspace.clone();
    let parent_before = full["parent"]["gid"].as_str().map(String::from);
    apply_update(store, &me, &workspace, &gid, &data, &mut full)?;
    let parent_after = full["parent"]["gid"].as_str().map(String::from);
    let rendered = render(
        &full,
        params.fields().as_ref(),
        DefaultView::Full { opt_in: OPT_IN },
    );
    for t in inner.store.tasks.iter_mut() {
        if t.gid == gid {
            t.full = full.clone();
        }
        let count = t.full["num_subtasks"].as_u64().unwrap_or(0);
        if parent_before != parent_after {
            if parent_before.as_deref() == Some(t.gid.as_str()) {
                t.full["num_subtasks"] = json!(count.saturating_sub(1));
            }
            if parent_after.as_deref() == Some(t.gid.as_str()) {
                t.full["num_subtasks"] = json!(count + 1);
            }
        }
    }
    webhook_events::task_changed(&mut inner, &me.gid, &before, &full);
    Ok(Json(json!({ "data": rendered })))
}

/// Applies the fields of an update to a task's full form.
fn apply_update(
    store: &Store,
    me: &User,
    workspace: &str,
    gid: &str,
    data: &Map<String, Value>,
    full: &mut Value,
) -> Result<(), ApiError> {
    if let Some((field, why)) = NOT_UPDATABLE.iter().find(|(f, _)| data.contains_key(*f)) {
        return Err(ApiError::bad(field, why));
    }
    let name = opt_string(data, "name")?;
    let notes = opt_string(data, "notes")?;
    let html_notes = opt_string(data, "html_notes")?;
    let completed = opt_bool(data, "completed")?;
    let liked = opt_bool(data, "liked")?;
    let subtype = opt_string(data, "resource_subtype")?;
    let approval = opt_string(data, "approval_status")?;
    if notes.is_some() && html_notes.is_some() {
        return Err(ApiError::bad(
            "notes",
            "Cannot be used together with html_notes. You may only provide one of notes or html_notes.",
        ));
    }
    if data.get("name").is_some_and(Value::is_null) {
        return Err(ApiError::bad("name", "Cannot be null"));
    }
    if let Some(name) = name {
        full["name"] = json!(name);
    }
    if let Some(text) = notes {
        full["html_notes"] = json!(format!("<body>{}</body>", html::escape(&text)));
        full["notes"] = json!(text);
    }
    if let Some(xml) = html_notes {
        let plain = html::rich_text(&xml)
            .map_err(|why| ApiError::bad("html_notes", &format!("XML is invalid. {why}")))?;
        full["notes"] = json!(plain);
        full["html_notes"] = json!(xml);
    }
    if let Some(subtype) = subtype {
        if !SUBTYPES.contains(&subtype.as_str()) {
            return Err(ApiError::bad(
                "resource_subtype",
                &format!("Not a valid value: {subtype}"),
            ));
        }
        full["resource_subtype"] = json!(subtype);
        if subtype == "approval" && full.get("approval_status").is_none() {
            full["approval_status"] = json!("pending");
        }
        if subtype != "approval" {
            if let Some(map) = full.as_object_mut() {
                map.remove("approval_status");
            }
        }
    }
    let now = render_date_time(&Utc::now());
    let set_completed = |full: &mut Value, done: bool| {
        if full["completed"].as_bool() != Some(done) {
            full["completed"] = json!(done);
            full["completed_at"] = if done { json!(now) } else { Value::Null };
            full["completed_by"] = if done {
                store.user_json(me, me)
            } else {
                Value::Null
            };
        }
    };
    if let Some(status) = approval {
        if full["resource_subtype"] != "approval" {
            return Err(ApiError::bad(
                "approval_status",
                "Only approval tasks have an approval status",
            ));
        }
        if !APPROVAL_STATUSES.contains(&status.as_str()) {
            return Err(ApiError::bad(
                "approval_status",
                &format!("Not a valid value: {status}"),
            ));
        }
        set_completed(full, status != "pending");
        full["approval_status"] = json!(status);
    }
    if let Some(done) = completed {
        set_completed(full, done);
    }
    if let Some(liked) = liked {
        full["liked"] = json!(liked);
        full["num_likes"] = json!(u64::from(liked));
    }
    update_schedule(data, full)?;
    if data.contains_key("assignee") {
        match opt_string(data, "assignee")? {
            None => {
                full["assignee"] = Value::Null;
                full["assignee_status"] = Value::Null;
            }
            Some(id) => {
                let user = member(store, me, id.trim(), workspace)
                    .ok_or_else(|| ApiError::not_recognized("assignee", &id))?;
                let user_json = store.user_json(user, me);
                full["assignee"] = user_json.clone();
                full["assigned_by"] = store.user_compact(me);
                full["assignee_status"] = json!("upcoming");
                if let Some(followers) = full["followers"].as_array_mut() {
                    if !followers.iter().any(|f| f["gid"] == user.gid.as_str()) {
                        followers.push(user_json);
                    }
                }
            }
        }
    }
    if data.contains_key("parent") {
        full["parent"] = match opt_string(data, "parent")? {
            None => Value::Null,
            Some(id) => {
                let parent = store
                    .task(&id)
                    .filter(|t| t.workspace == workspace && t.gid != gid)
                    .ok_or_else(|| ApiError::not_recognized("parent", &id))?;
                json!({
                    "gid": parent.gid,
                    "resource_type": "task",
                    "name": parent.full["name"],
                    "resource_subtype": parent.full["resource_subtype"],
                })
            }
        };
    }
    if data.contains_key("custom_fields") {
        let on_task: Vec<String> = full["custom_fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["gid"].as_str().map(String::from))
            .collect();
        let on_task: Vec<&str> = on_task.iter().map(String::as_str).collect();
        let values = custom_field_values(store, data, workspace, &on_task)?;
        let cleared: Vec<&String> = data["custom_fields"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, v)| v.is_null())
            .map(|(k, _)| k)
            .collect();
        if let Some(fields) = full["custom_fields"].as_array_mut() {
            for slot in fields.iter_mut() {
                let Some(field) = slot["gid"].as_str().and_then(|g| store.custom_field(g)) else {
                    continue;
                };
                if let Some((_, value)) = values.iter().find(|(g, _)| *g == field.gid) {
                    *slot = custom_field_value_json(field, Some(value));
                } else if cleared.iter().any(|g| **g == field.gid) {
                    *slot = custom_field_value_json(field, None);
                }
            }
        }
    }
    // assignee_section, assignee_status, external, custom_type and
    // custom_type_status_option are accepted and not modelled.
    full["modified_at"] = json!(now);
    Ok(())
}

/// Applies `due_on`, `due_at`, `start_on` and `start_at` of an update: each
/// given one replaces (or, null, clears) what the task has; `due_on` and
/// `due_at` move together, as do `start_on` and `start_at`.
fn update_schedule(data: &Map<String, Value>, full: &mut Value) -> Result<(), ApiError> {
    let schedule = Schedule::read(data)?;
    if let Some(field) = schedule.start_field() {
        if full["resource_subtype"] == "milestone" {
            return Err(ApiError::bad(field, "A milestone cannot have a start date"));
        }
    }
    if data.contains_key("due_at") && schedule.due_at.is_some() {
        full["due_at"] = json!(schedule.due_at);
        full["due_on"] = json!(schedule.due_on);
    } else if data.contains_key("due_on") && schedule.due_on.is_some() {
        full["due_on"] = json!(schedule.due_on);
        full["due_at"] = Value::Null;
    } else if data.contains_key("due_on") || data.contains_key("due_at") {
        full["due_on"] = Value::Null;
        full["due_at"] = Value::Null;
    }
    if data.contains_key("start_at") && schedule.start_at.is_some() {
        full["start_at"] = json!(schedule.start_at);
        full["start_on"] = json!(schedule.start_on);
    } else if data.contains_key("start_on") && schedule.start_on.is_some() {
        full["start_on"] = json!(schedule.start_on);
        full["start_at"] = Value::Null;
    } else if data.contains_key("start_on") || data.contains_key("start_at") {
        full["start_on"] = Value::Null;
        full["start_at"] = Value::Null;
    }
    Ok(())
}

/// `DELETE /tasks/{task_gid}`: an empty record. The task leaves every list
/// (Asana keeps it in the trash for 30 days, out of the API's reach); its
/// stories go with it and its subtasks lose their parent.
pub async fn delete_task(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    let task = inner
        .store
        .task(&gid)
        .filter(|t| me.member_of(&t.workspace))
        .ok_or_else(|| ApiError::unknown_object("task", &gid))?;
    let parent = task.full["parent"]["gid"].as_str().map(String::from);
    let full = task.full.clone();
    webhook_events::task_deleted(&mut inner, &me.gid, &full);
    let store = &mut inner.store;
    store.tasks.retain(|t| t.gid != gid);
    store.stories.retain(|s| s.task != gid);
    for t in store.tasks.iter_mut() {
        if t.full["parent"]["gid"] == gid.as_str() {
            t.full["parent"] = Value::Null;
        }
        if parent.as_deref() == Some(t.gid.as_str()) {
            let count = t.full["num_subtasks"].as_u64().unwrap_or(0);
            t.full["num_subtasks"] = json!(count.saturating_sub(1));
        }
    }
    Ok(Json(json!({ "data": {} })))
}
