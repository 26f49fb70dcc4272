//! `GET /stories/{story_gid}` (`getStory`, scope `stories:read`): the full
//! record of one story, as <https://developers.asana.com/reference/getstory>
//! describes it. Only the stories this fake keeps (comments) exist; a story
//! on a task of a workspace the caller is not a member of is unknown to it,
//! as Asana answers for objects the caller cannot see.

use super::auth::Auth;
use super::errors::ApiError;
use super::fields::{render, DefaultView};
use super::query::Params;
use super::state::AppState;
use super::users::viewer;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

/// `GET /stories/{story_gid}`: the story in full (or its `opt_fields`).
pub async fn get_story(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(story_gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let story = store
        .stories
        .iter()
        .find(|s| s.gid == story_gid)
        .filter(|s| {
            store
                .task(&s.task)
                .is_some_and(|t| me.member_of(&t.workspace))
        })
        .ok_or_else(|| ApiError::unknown_object("story", &story_gid))?;
    let data = render(
        &store.story_json(story),
        params.fields().as_ref(),
        DefaultView::Full { opt_in: &[] },
    );
    Ok(Json(json!({ "data": data })))
}

#[cfg(test)]
mod tests {
    use super::super::seed::*;
    use super::super::tests::{get, granular_token};
    use super::super::FakeAsana;
    use reqwest::StatusCode;
    use serde_json::json;

    #[tokio::test]
    async fn a_story_is_read_in_full_or_by_its_fields() {
        let fake = FakeAsana::start().await;
        let path = format!("/stories/{STORY_GID}");
        let (status, body) = get(&fake, PAT, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["gid"], STORY_GID);
        assert_eq!(body["data"]["resource_subtype"], "comment_added");
        assert_eq!(body["data"]["target"]["gid"], OFFBOARD_TASK_GID);
        assert!(body["data"]["html_text"].is_string(), "full: {body}");
        let fields = "opt_fields=text,created_by.name,target.name";
        let (status, body) = get(&fake, PAT, &format!("{path}?{fields}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["created_by"]["gid"], MANAGER_GID);
        assert!(body["data"].get("html_text").is_none(), "{body}");
        assert_eq!(
            body["data"]["target"],
            json!({"gid": OFFBOARD_TASK_GID, "resource_type": "task",
                   "name": fake.task(OFFBOARD_TASK_GID).unwrap()["name"]})
        );
    }

    #[tokio::test]
    async fn an_unknown_story_is_404_and_the_scope_is_stories_read() {
        let fake = FakeAsana::start().await;
        let (status, body) = get(&fake, PAT, "/stories/1200000000009999").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let tasks_only = granular_token(&fake, "tasks:read").await;
        let path = format!("/stories/{STORY_GID}");
        let (status, _) = get(&fake, &tasks_only, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let stories = granular_token(&fake, "stories:read").await;
        let (status, _) = get(&fake, &stories, &path).await;
        assert_eq!(status, StatusCode::OK);
    }
}
