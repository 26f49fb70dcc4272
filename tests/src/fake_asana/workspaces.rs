//! `GET /workspaces`, `GET /workspaces/{gid}` and the typeahead search
//! `GET /workspaces/{gid}/typeahead`.

use super::auth::Auth;
use super::errors::ApiError;
use super::fields::{render, DefaultView};
use super::model::{Store, User, Workspace};
use super::query::{Page, Params};
use super::state::AppState;
use super::users::viewer;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};

/// Resource types the typeahead endpoint accepts.
const TYPEAHEAD_TYPES: &[&str] = &[
    "actor",
    "agent",
    "custom_field",
    "goal",
    "project",
    "project_template",
    "portfolio",
    "tag",
    "task",
    "team",
    "user",
];

/// A workspace named in the path that the viewer belongs to.
fn path_workspace<'a>(store: &'a Store, me: &User, gid: &str) -> Result<&'a Workspace, ApiError> {
    store
        .workspace(gid)
        .filter(|w| me.member_of(&w.gid))
        .ok_or_else(|| ApiError::unknown_object("workspace", gid))
}

/// `GET /workspaces`: the viewer's workspaces, compact, paginated.
pub async fn list_workspaces(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let page = Page::from_params(&params, "/workspaces")?;
    let fields = params.fields();
    let items = store
        .workspaces
        .iter()
        .filter(|w| me.member_of(&w.gid))
        .map(|w| {
            render(
                &store.workspace_json(w),
                fields.as_ref(),
                DefaultView::Compact,
            )
        })
        .collect();
    Ok(Json(page.respond(
        items,
        &state.api_base(),
        "/workspaces",
        &params,
    )))
}

/// `GET /workspaces/{workspace_gid}`: the full record.
pub async fn get_workspace(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let workspace = path_workspace(store, me, &gid)?;
    let data = render(
        &store.workspace_json(workspace),
        params.fields().as_ref(),
        DefaultView::Full { opt_in: &[] },
    );
    Ok(Json(json!({ "data": data })))
}

/// How well `query` matches a name: 0 when the name starts with it, 1 when
/// another word of it does, 2 when it only occurs inside. Whether Asana
/// matches anything but names (email addresses, say) is not documented, so
/// the fake matches names only.
fn rank(query: &str, name: &str) -> Option<u8> {
    if query.is_empty() {
        return Some(0);
    }
    let name = name.to_lowercase();
    if name.starts_with(query) {
        Some(0)
    } else if name.split_whitespace().any(|w| w.starts_with(query)) {
        Some(1)
    } else if name.contains(query) {
        Some(2)
    } else {
        None
    }
}

/// `GET /workspaces/{workspace_gid}/typeahead`. Results are compact
/// (`AsanaNamedResource`: gid, resource_type, name): `opt_fields` can only
/// narrow them, as its documented values are `name` alone.
pub async fn typeahead(
    State(state): State<AppState>,
    Auth(principal): Auth,
    Path(gid): Path<String>,
    params: Params,
) -> Result<Json<Value>, ApiError> {
    let inner = state.lock();
    let store = &inner.store;
    let me = viewer(store, &principal)?;
    let workspace = path_workspace(store, me, &gid)?;
    let resource_type = params
        .non_blank("resource_type")
        .or_else(|| params.non_blank("type"))
        .ok_or_else(|| ApiError::missing("resource_type"))?;
    if !TYPEAHEAD_TYPES.contains(&resource_type) {
        return Err(ApiError::bad(
            "resource_type",
            &format!("Not a valid resource type: {resource_type}"),
        ));
    }
    let count = params.bounded("count", 1, 100)?.unwrap_or(20);
    let query = params.get("query").unwrap_or("").trim().to_lowercase();
    let ws = workspace.gid.as_str();
    let candidates: Vec<(Value, String)> = match resource_type {
        "user" | "actor" => store
            .users
            .iter()
            .filter(|u| u.listed() && u.member_of(ws))
            .map(|u| (store.user_json(u, me), u.name.clone()))
            .collect(),
        "project" => store
            .projects
            .iter()
            .filter(|p| p.workspace == ws && store.can_see_project(me, p))
            .map(|p| (store.project_json(p), p.name.clone()))
            .collect(),
        "tag" => store
            .tags
            .iter()
            .filter(|t| t.workspace == ws)
            .map(|t| (store.tag_json(t), t.name.clone()))
            .collect(),
        "custom_field" => store
            .custom_fields
            .iter()
            .filter(|c| c.workspace == ws)
            .map(|c| (store.custom_field_json(c), c.name.clone()))
            .collect(),
        "task" => store
            .tasks
            .iter()
            .filter(|t| t.workspace == ws)
            .map(|t| {
                let name = t.full["name"].as_str().unwrap_or_default().to_string();
                (t.full.clone(), name)
            })
            .collect(),
        "team" => super::teams::typeahead_candidates(store, me, ws),
        _ => Vec::new(),
    };
    let mut ranked: Vec<(u8, String, Value)> = candidates
        .into_iter()
        .filter_map(|(full, name)| rank(&query, &name).map(|r| (r, name, full)))
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let fields = params.fields();
    let data: Vec<Value> = ranked
        .into_iter()
        .take(count)
        .map(|(_, _, full)| render(&named(&full), fields.as_ref(), DefaultView::Compact))
        .collect();
    Ok(Json(json!({ "data": data })))
}

/// The `AsanaNamedResource` form of a resource: gid, resource_type and name
/// only (a custom field too, which compact forms elsewhere keep whole).
fn named(full: &Value) -> Value {
    match full {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| matches!(k.as_str(), "gid" | "resource_type" | "name"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn prefix_of_a_word_ranks_before_a_substring_and_emails_never_match() {
        assert_eq!(rank("gra", "Grace Hopper"), Some(0));
        assert_eq!(rank("hop", "Grace Hopper"), Some(1));
        assert_eq!(rank("ace", "Grace Hopper"), Some(2));
        assert_eq!(rank("zzz", "Grace Hopper"), None);
        assert_eq!(rank("grace.hopper@", "Grace Hopper"), None);
    }
}
