//! `POST /tasks` (with Asana's validation and error messages) and
//! `GET /tasks/{task_gid}`.

use super::auth::Auth;
use super::errors::ApiError;
use super::fields::{render, DefaultView};
use super::html;
use super::model::{custom_field_value_json, CustomFieldKind, FieldValue, Store, Task, User};
use super::query::Params;
use super::state::AppState;
use super::users::viewer;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

/// Task fields Asana only returns when asked for with `opt_fields`.
const OPT_IN: &[&str] = &["html_notes"];

/// Subtypes a task may be created with.
const SUBTYPES: &[&str] = &["default_task", "milestone", "approval"];

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
    inner.store.tasks.push(task);
    Ok((StatusCode::CREATED, Json(json!({ "data": rendered }))))
}

/// The `data` object of a JSON request body.
pub fn request_data(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Could not parse request data, invalid JSON",
        )
    })?;
    match value.get("data") {
        Some(Value::Object(data)) => Ok(data.clone()),
        Some(_) => Err(ApiError::bad("data", "Not an object")),
        None => Err(ApiError::missing("data")),
    }
}

/// A string field: absent or null is `None`.
fn opt_string(data: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(ApiError::bad(field, "Not a string")),
    }
}

/// A list of ids: an array of strings, or a comma separated string.
fn id_list(data: &Map<String, Value>, field: &str) -> Result<Vec<String>, ApiError> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.trim().to_string()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(ApiError::bad(field, "Not a string")),
            })
            .collect(),
        Some(_) => Err(ApiError::bad(field, "Not an array")),
    }
}

/// A `YYYY-MM-DD` date.
fn parse_date(raw: &str) -> Option<NaiveDate> {
    let shaped = raw.len() == 10
        && raw.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
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
    let due_on = opt_string(data, "due_on")?;
    let due_at = opt_string(data, "due_at")?;
    let workspace_in = opt_string(data, "workspace")?;
    let parent_in = opt_string(data, "parent")?;
    let projects_in = id_list(data, "projects")?;
    let followers_in = id_list(data, "followers")?;
    let tags_in = id_list(data, "tags")?;
    let subtype = opt_string(data, "resource_subtype")?.unwrap_or_else(|| "default_task".into());
    let completed = match data.get("completed") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::bad("completed", "Not a boolean")),
    };
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
    if due_on.is_some() && due_at.is_some() {
        return Err(ApiError::bad(
            "due_on",
            "Cannot be used together with due_at. You may only provide one of due_on or due_at.",
        ));
    }
    let due_on_date = match &due_on {
        Some(raw) => {
            Some(parse_date(raw).ok_or_else(|| ApiError::bad("due_on", "Not a valid date"))?)
        }
        None => None,
    };
    let due_at_time = match &due_at {
        Some(raw) => Some(
            DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::bad("due_at", "Not a valid date-time"))?,
        ),
        None => None,
    };
    if let Some(xml) = &html_notes {
        html::check_rich_text(xml)
            .map_err(|why| ApiError::bad("html_notes", &format!("XML is invalid. {why}")))?;
    }

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
    let mut projects = Vec::new();
    for gid in &projects_in {
        let project = store
            .project(gid)
            .filter(|p| me.member_of(&p.workspace))
            .ok_or_else(|| ApiError::not_recognized("projects", gid))?;
        if !projects
            .iter()
            .any(|p: &&super::model::Project| p.gid == project.gid)
        {
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
        .ok_or_else(|| ApiError::missing("workspace"))?;
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

    let (notes, html_notes) = match (notes, html_notes) {
        (_, Some(xml)) => (html::strip_tags(&xml), xml),
        (Some(text), None) => {
            let xml = format!("<body>{}</body>", html::escape(&text));
            (text, xml)
        }
        (None, None) => (String::new(), "<body></body>".to_string()),
    };
    let (due_on, due_at) = match (due_on_date, due_at_time) {
        (Some(date), _) => (Some(date.format("%Y-%m-%d").to_string()), None),
        (None, Some(time)) => (
            Some(time.date_naive().format("%Y-%m-%d").to_string()),
            Some(time.to_rfc3339_opts(SecondsFormat::Millis, true)),
        ),
        (None, None) => (None, None),
    };
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let me_json = store.user_json(me, me);
    let full = json!({
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
        "due_on": due_on,
        "due_at": due_at,
        "start_on": null,
        "start_at": null,
        "followers": followers.iter().map(|u| store.user_json(u, me)).collect::<Vec<_>>(),
        "projects": projects.iter().map(|p| store.project_json(p)).collect::<Vec<_>>(),
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
    Ok(Task {
        gid,
        workspace: workspace_gid,
        created: true,
        full,
    })
}

/// The values given in `custom_fields`, checked against the fields the
/// task's projects carry.
fn custom_field_values(
    store: &Store,
    data: &Map<String, Value>,
    workspace: &str,
    on_task: &[&str],
) -> Result<Vec<(String, FieldValue)>, ApiError> {
    let entries = match data.get("custom_fields") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(entries)) => entries,
        Some(_) => return Err(ApiError::bad("custom_fields", "Not an object")),
    };
    let mut values = Vec::new();
    for (gid, raw) in entries {
        let field = store
            .custom_field(gid)
            .filter(|f| f.workspace == workspace)
            .ok_or_else(|| ApiError::not_recognized("custom_fields", gid))?;
        if !on_task.contains(&gid.as_str()) {
            return Err(ApiError::bad(
                "custom_fields",
                &format!("Custom field with ID {gid} is not on given object"),
            ));
        }
        if raw.is_null() {
            continue;
        }
        let value = match &field.kind {
            CustomFieldKind::Text => match raw {
                Value::String(s) => FieldValue::Text(s.clone()),
                _ => {
                    return Err(ApiError::bad(
                        "custom_fields",
                        &format!("Value for custom field {gid} must be a string"),
                    ))
                }
            },
            CustomFieldKind::Number { .. } => {
                let number = match raw {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                FieldValue::Number(number.ok_or_else(|| {
                    ApiError::bad(
                        "custom_fields",
                        &format!("Value for custom field {gid} must be a number"),
                    )
                })?)
            }
            CustomFieldKind::Enum(options) => {
                let id = raw.as_str().unwrap_or_default();
                let option = options.iter().find(|o| o.gid == id).ok_or_else(|| {
                    ApiError::not_recognized("custom_fields", &raw.to_string().replace('"', ""))
                })?;
                FieldValue::Enum(option.clone())
            }
        };
        values.push((gid.clone(), value));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::parse_date;

    #[test]
    fn dates_must_be_real_and_zero_padded() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-2-9").is_none());
        assert!(parse_date("tomorrow").is_none());
    }
}
