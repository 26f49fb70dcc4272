//! Comments on tasks: `POST /tasks/{task_gid}/stories` and
//! `GET /tasks/{task_gid}/stories`.

use super::auth::Auth;
use super::errors::ApiError;
use super::fields::{render, select, DefaultView};
use super::html;
use super::model::Story;
use super::query::{Page, Params};
use super::state::AppState;
use super::task_input::{opt_bool, opt_string, render_date_time, request_data};
use super::users::viewer;
use super::webhook_events;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

/// `POST /tasks/{task_gid}/stories`: a comment by the caller, from `text` or
/// `html_text` (rich text in `<body>`; one of the two, as with `notes` and
/// `html_notes`). 201 with the full story.
pub async fn create_story(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(task_gid): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let data = request_data(&body)?;
    let mut inner = state.lock();
    let me = viewer(&inner.store, &principal)?.clone();
    inner
        .store
        .task(&task_gid)
        .filter(|t| me.member_of(&t.workspace))
        .ok_or_else(|| ApiError::unknown_object("task", &task_gid))?;
    let text = opt_string(&data, "text")?;
    let html_text = opt_string(&data, "html_text")?;
    let is_pinned = opt_bool(&data, "is_pinned")?.unwrap_or(false);
    let sticker_name = opt_string(&data, "sticker_name")?;
    let (text, html_text) = match (text, html_text) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad(
                "text",
                "Cannot be used together with html_text. You may only provide one of text or html_text.",
            ))
        }
        (Some(text), None) => {
            let xml = format!("<body>{}</body>", html::escape(&text));
            (text, xml)
        }
        (None, Some(xml)) => {
            let plain = html::rich_text(&xml)
                .map_err(|why| ApiError::bad("html_text", &format!("XML is invalid. {why}")))?;
            (plain, xml)
        }
        (None, None) if sticker_name.is_some() => (String::new(), "<body></body>".to_string()),
        (None, None) => return Err(ApiError::missing("text")),
    };
    if text.trim().is_empty() && sticker_name.is_none() {
        return Err(ApiError::bad("text", "A comment cannot be empty"));
    }
    let gid = inner.next_gid();
    let story = Story {
        gid,
        task: task_gid,
        created_by: me.gid.clone(),
        created_at: render_date_time(&Utc::now()),
        text,
        html_text,
        is_pinned,
        sticker_name,
    };
    let full = inner.store.story_json(&story);
    let (story_gid, task_gid) = (story.gid.clone(), story.task.clone());
    inner.store.stories.push(story);
    webhook_events::comment_added(&mut inner, &me.gid, &story_gid, &task_gid);
    let data = render(
        &full,
        params.fields().as_ref(),
        DefaultView::Full { opt_in: &[] },
    );
    Ok((StatusCode::CREATED, Json(json!({ "data": data }))))
}

/// `GET /tasks/{task_gid}/stories`: compact stories (`StoryCompact`),
/// oldest first, paginated.
pub async fn list_stories(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(task_gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let task = store
        .task(&task_gid)
        .filter(|t| me.member_of(&t.workspace))
        .ok_or_else(|| ApiError::unknown_object("task", &task_gid))?;
    let path = format!("/tasks/{}/stories", task.gid);
    let page = Page::from_params(&params, &path)?;
    let fields = params.fields();
    let items = store
        .stories
        .iter()
        .filter(|s| s.task == task.gid)
        .map(|s| match &fields {
            Some(tree) => select(&store.story_json(s), tree),
            None => store.story_compact(s),
        })
        .collect();
    Ok(Json(page.respond(items, &state.api_base(), &path, &params)))
}
