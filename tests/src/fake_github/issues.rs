//! `POST /repos/{owner}/{repo}/issues`
//! (https://docs.github.com/rest/issues/issues#create-an-issue).
//!
//! The body is checked in two steps, as GitHub does: first against the
//! operation's schema (`title` required, string or integer; `body` string;
//! `assignees` an array of strings; `labels` an array of strings or of
//! objects; `milestone` string, integer or null; `type` string or null), a
//! refusal being 422 "Invalid request"; then, once the repository is known,
//! against the repository (422 "Validation Failed" with `errors`). In
//! between: 404 for a repository that does not exist or that the token may
//! not reach (GitHub answers 404, not 403, so as not to confirm private
//! repositories), 403 for a fine-grained token without "Issues" write, 410
//! when the repository has issues disabled.
//!
//! As GitHub documents, only users with push access set assignees, labels,
//! the milestone and the type: they are silently dropped for anyone else.
//! Labels that do not exist are created.

use super::auth::Caller;
use super::errors::{field_error, ApiError};
use super::model::{self, NewIssue, Permission, Repo};
use super::state::AppState;
use super::users::accepted_scopes;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Map, Value};

const DOC: &str = "https://docs.github.com/rest/issues/issues#create-an-issue";

/// The longest title GitHub takes.
const MAX_TITLE: usize = 256;
/// The longest body GitHub takes.
const MAX_BODY: usize = 65536;

/// A label as asked for.
#[derive(Debug, Clone)]
enum LabelRef {
    Name(String),
    Object {
        id: Option<u64>,
        name: Option<String>,
        description: Option<String>,
        color: Option<String>,
    },
}

/// A milestone as asked for.
#[derive(Debug, Clone)]
enum MilestoneRef {
    Number(u64),
    Text(String),
}

/// The body of the request, once it fits the schema.
#[derive(Debug, Clone)]
struct Input {
    title: String,
    body: Option<String>,
    assignees: Vec<String>,
    /// The deprecated `assignee` (API version 2022-11-28 only).
    assignee: Option<String>,
    milestone: Option<MilestoneRef>,
    labels: Vec<LabelRef>,
    issue_type: Option<String>,
}

/// A JSON value as GitHub (a Ruby service) prints it in "Invalid request"
/// messages: `nil` for null.
fn inspect(value: &Value) -> String {
    match value {
        Value::Null => "nil".to_string(),
        other => other.to_string(),
    }
}

fn wrong_type(property: &str, value: &Value, expected: &str) -> ApiError {
    ApiError::invalid_request(
        &format!(
            "For 'properties/{property}', {} is not {expected}.",
            inspect(value)
        ),
        DOC,
    )
}

/// Checks the body against the operation's schema. Properties the schema
/// does not name are ignored, as the schema allows them; `body: null` is
/// taken as no body (the schema says string; GitHub's docs are silent on
/// null and clients commonly send it).
fn parse_input(fields: &Map<String, Value>, version_2022: bool) -> Result<Input, ApiError> {
    let title = match fields.get("title") {
        None => return Err(ApiError::invalid_request("\"title\" wasn't supplied.", DOC)),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(other) => return Err(wrong_type("title", other, "a string or an integer")),
    };
    let body = match fields.get("body") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(wrong_type("body", other, "a string")),
    };
    // `assignee` is deprecated in 2022-11-28 and gone from 2026-03-10's
    // schema; under 2026-03-10 it is ignored like any unknown property.
    let assignee = if version_2022 {
        match fields.get("assignee") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => return Err(wrong_type("assignee", other, "a string")),
        }
    } else {
        None
    };
    let assignees = match fields.get("assignees") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(wrong_type("assignees/items", other, "a string")),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(wrong_type("assignees", other, "an array")),
    };
    let milestone = match fields.get("milestone") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) if n.is_u64() => n.as_u64().map(MilestoneRef::Number),
        Some(Value::Number(n)) if n.is_i64() => Some(MilestoneRef::Text(n.to_string())),
        Some(Value::String(s)) => Some(MilestoneRef::Text(s.clone())),
        Some(other) => return Err(wrong_type("milestone", other, "a string or an integer")),
    };
    let labels = match fields.get("labels") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(LabelRef::Name(s.clone())),
                Value::Object(o) => {
                    let text = |k: &str| o.get(k).and_then(Value::as_str).map(String::from);
                    Ok(LabelRef::Object {
                        id: o.get("id").and_then(Value::as_u64),
                        name: text("name"),
                        description: text("description"),
                        color: text("color"),
                    })
                }
                other => Err(wrong_type("labels/items", other, "a string or an object")),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(wrong_type("labels", other, "an array")),
    };
    let issue_type = match fields.get("type") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(wrong_type("type", other, "a string")),
    };
    Ok(Input {
        title,
        body,
        assignees,
        assignee,
        milestone,
        labels,
        issue_type,
    })
}

/// `POST /repos/{owner}/{repo}/issues`.
pub async fn create_issue(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((owner, repo)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(principal) = caller.principal.clone() else {
        return ApiError::requires_authentication(DOC).into_response();
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return ApiError::problems_parsing_json(DOC).into_response(),
    };
    let Value::Object(fields) = value else {
        return ApiError::body_not_object(DOC).into_response();
    };
    let input = match parse_input(&fields, caller.is_2022_11_28()) {
        Ok(input) => input,
        Err(e) => return e.into_response(),
    };

    let mut inner = state.lock();
    let (base, api) = (state.base_url.clone(), state.api_base());
    let Some(index) = inner.store.repo_index(&owner, &repo) else {
        return ApiError::not_found(DOC).into_response();
    };
    let store = &inner.store;
    let target = &store.repos[index];
    let accepted = if target.private {
        "repo"
    } else {
        "public_repo, repo"
    };
    let permission = store.permission(&principal.login, target);
    let with_headers = |response: Response| {
        let mut response = accepted_scopes(response, accepted);
        response.headers_mut().insert(
            HeaderName::from_static("x-accepted-github-permissions"),
            HeaderValue::from_static("issues=write"),
        );
        response
    };
    if permission.is_none() {
        return with_headers(ApiError::not_found(DOC).into_response());
    }
    match principal.fine_grained_access(&target.owner, &target.name) {
        _ if !principal.is_fine_grained() => {
            let scoped = if target.private {
                principal.has_scope("repo")
            } else {
                principal.has_scope("public_repo")
            };
            if !scoped {
                return with_headers(ApiError::not_found(DOC).into_response());
            }
        }
        None => return with_headers(ApiError::not_found(DOC).into_response()),
        Some(false) => {
            return with_headers(
                ApiError::forbidden("Resource not accessible by personal access token", DOC)
                    .into_response(),
            )
        }
        Some(true) => {}
    }
    if !target.has_issues {
        return with_headers(
            ApiError::new(StatusCode::GONE, "Issues are disabled for this repo", DOC)
                .into_response(),
        );
    }

    let push = permission.is_some_and(|p| p >= Permission::Write);
    let mut errors = Vec::new();
    if input.title.trim().is_empty() {
        errors.push(field_error("title", "missing_field", None));
    } else if input.title.chars().count() > MAX_TITLE {
        let mut e = field_error("title", "custom", None);
        e["message"] = json!(format!(
            "title is too long (maximum is {MAX_TITLE} characters)"
        ));
        errors.push(e);
    }
    if input
        .body
        .as_ref()
        .is_some_and(|b| b.chars().count() > MAX_BODY)
    {
        let mut e = field_error("body", "custom", None);
        e["message"] = json!(format!(
            "body is too long (maximum is {MAX_BODY} characters)"
        ));
        errors.push(e);
    }
    let mut assignee_logins: Vec<String> = Vec::new();
    let mut milestone_number = None;
    let mut type_index = None;
    if push {
        let asked = input
            .assignee
            .iter()
            .map(|a| ("assignee", a))
            .chain(input.assignees.iter().map(|a| ("assignees", a)));
        for (field, login) in asked {
            match store
                .user(login)
                .filter(|u| store.assignable(&u.login, target))
            {
                Some(user) => {
                    if !assignee_logins.contains(&user.login) {
                        assignee_logins.push(user.login.clone());
                    }
                }
                None => errors.push(field_error(field, "invalid", Some(json!(login)))),
            }
        }
        match &input.milestone {
            None => {}
            Some(m) => {
                let number = match m {
                    MilestoneRef::Number(n) => Some(*n),
                    MilestoneRef::Text(t) => t.trim().parse::<u64>().ok(),
                };
                match number.filter(|n| target.milestones.iter().any(|ms| ms.number == *n)) {
                    Some(n) => milestone_number = Some(n),
                    None => {
                        let value = match m {
                            MilestoneRef::Number(n) => json!(n),
                            MilestoneRef::Text(t) => json!(t),
                        };
                        errors.push(field_error("milestone", "invalid", Some(value)));
                    }
                }
            }
        }
        if let Some(name) = &input.issue_type {
            // Issue types belong to organizations; a user's repository has none.
            let found = store.org(&target.owner).and_then(|org| {
                org.issue_types
                    .iter()
                    .position(|t| t.name.eq_ignore_ascii_case(name))
            });
            match found {
                Some(i) => type_index = Some(i),
                None => errors.push(field_error("type", "invalid", Some(json!(name)))),
            }
        }
        for label in &input.labels {
            if let LabelRef::Object { id, name: None, .. } = label {
                let known = id.is_some_and(|id| target.labels.iter().any(|l| l.id == id));
                if !known {
                    errors.push(field_error("labels", "invalid", Some(json!(id))));
                }
            }
        }
    }
    if !errors.is_empty() {
        return with_headers(ApiError::validation_failed(errors, DOC).into_response());
    }

    // Everything checks out: create the labels, then the issue.
    let author_association = author_association(&inner, &principal.login, index);
    let user_json = inner
        .store
        .user(&principal.login)
        .map(|u| model::simple_user(u, &base, &api))
        .unwrap_or(Value::Null);
    let mut label_ids: Vec<u64> = Vec::new();
    if push {
        for label in &input.labels {
            let id = resolve_label(&mut inner.store, index, label);
            if !label_ids.contains(&id) {
                label_ids.push(id);
            }
        }
    }
    let id = inner.store.fresh_id();
    let store = &inner.store;
    let target = &store.repos[index];
    let labels = label_ids
        .iter()
        .filter_map(|id| target.labels.iter().find(|l| l.id == *id))
        .map(|l| model::label(l, target, &api))
        .collect();
    let assignees = assignee_logins
        .iter()
        .filter_map(|l| store.user(l))
        .map(|u| model::simple_user(u, &base, &api))
        .collect();
    let milestone = milestone_number
        .and_then(|n| target.milestones.iter().find(|m| m.number == n))
        .map(|m| {
            let creator = store
                .user(&m.creator)
                .map(|u| model::simple_user(u, &base, &api))
                .unwrap_or(Value::Null);
            model::milestone(m, target, creator, &base, &api)
        });
    let issue_type = type_index.and_then(|i| {
        let org = store.org(&target.owner)?;
        Some(model::issue_type(&org.issue_types[i], &org.created_at))
    });
    let number = target.next_issue_number;
    let issue = model::issue(
        NewIssue {
            id,
            number,
            title: input.title,
            body: input.body,
            user: user_json,
            labels,
            assignees,
            milestone,
            issue_type,
            author_association,
            created_at: model::now_timestamp(),
        },
        target,
        &base,
        &api,
    );
    let location = format!("{api}/repos/{}/issues/{number}", target.full_name());
    let target = &mut inner.store.repos[index];
    target.next_issue_number += 1;
    target.issues.push(issue.clone());
    let mut response = (StatusCode::CREATED, Json(issue)).into_response();
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    with_headers(response)
}

/// How the author relates to the repository: `OWNER` of a user's own
/// repository, `MEMBER` of the owning organization, `COLLABORATOR`, or
/// `NONE`.
fn author_association(inner: &super::state::Inner, login: &str, index: usize) -> &'static str {
    let repo: &Repo = &inner.store.repos[index];
    if repo.owner.eq_ignore_ascii_case(login) {
        "OWNER"
    } else if inner.store.is_member(login, &repo.owner) {
        "MEMBER"
    } else if repo
        .collaborators
        .iter()
        .any(|(l, _)| l.eq_ignore_ascii_case(login))
    {
        "COLLABORATOR"
    } else {
        "NONE"
    }
}

/// The id of the label `label` names in the repository, created (GitHub's
/// default color `ededed`, or the one asked) when no label has that name
/// (compared case-insensitively, as GitHub does).
fn resolve_label(store: &mut super::model::Store, index: usize, label: &LabelRef) -> u64 {
    let (name, description, color, id) = match label {
        LabelRef::Name(name) => (name.clone(), None, None, None),
        LabelRef::Object {
            id,
            name,
            description,
            color,
        } => match name {
            Some(name) => (name.clone(), description.clone(), color.clone(), *id),
            // Checked before: an object without a name names a known id.
            None => return id.unwrap_or_default(),
        },
    };
    let repo = &store.repos[index];
    if let Some(existing) = repo
        .labels
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(&name) || Some(l.id) == id)
    {
        return existing.id;
    }
    let new_id = store.fresh_id();
    store.repos[index].labels.push(super::model::Label {
        id: new_id,
        name,
        color: color
            .map(|c| c.trim_start_matches('#').to_ascii_lowercase())
            .unwrap_or_else(|| "ededed".to_string()),
        default: false,
        description,
    });
    new_id
}
