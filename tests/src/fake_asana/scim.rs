//! Asana's SCIM 2.0 user endpoints (`{base}/api/1.0/scim/Users`), the only
//! place secondary email addresses are visible. Service account token only.

use super::auth::ScimAuth;
use super::errors::{scim_json, ScimError};
use super::model::{Store, User};
use super::query::Params;
use super::state::AppState;
use super::users::numeric_order;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

/// Schema URN of a SCIM user.
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Schema URN of a SCIM list response.
const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The organization whose people the service account administers.
fn organization(store: &Store, admin: &User) -> Option<String> {
    store
        .workspaces
        .iter()
        .find(|w| w.is_organization && admin.workspaces.contains(&w.gid))
        .map(|w| w.gid.clone())
}

/// The people of `org` (deactivated ones included), by gid.
fn people<'a>(store: &'a Store, org: &str) -> Vec<&'a User> {
    let mut users: Vec<&User> = store
        .users
        .iter()
        .filter(|u| !u.service_account && u.workspaces.iter().any(|w| w == org))
        .collect();
    users.sort_by(|a, b| numeric_order(&a.gid, &b.gid));
    users
}

/// A user as a SCIM `User` resource.
fn scim_user(api_base: &str, user: &User) -> Value {
    let (given, family) = user
        .name
        .split_once(' ')
        .map(|(g, f)| (g.to_string(), f.to_string()))
        .unwrap_or_else(|| (user.name.clone(), String::new()));
    let mut emails = vec![json!({ "value": user.email, "primary": true, "type": "work" })];
    emails.extend(
        user.secondary_emails
            .iter()
            .map(|e| json!({ "value": e, "primary": false, "type": "other" })),
    );
    let mut resource = json!({
        "schemas": [USER_SCHEMA],
        "id": user.gid,
        "userName": user.email,
        "name": { "formatted": user.name, "givenName": given, "familyName": family },
        "emails": emails,
        "active": user.active,
        "meta": {
            "resourceType": "User",
            "location": format!("{api_base}/scim/Users/{}", user.gid),
        },
    });
    if let Some(title) = &user.title {
        resource["title"] = Value::String(title.clone());
    }
    resource
}

/// A parsed `attribute op "value"` filter.
struct Filter {
    attribute: String,
    op: String,
    value: String,
}

impl Filter {
    fn parse(raw: &str) -> Result<Filter, ScimError> {
        let invalid = || ScimError::bad("invalidFilter", format!("Unsupported filter: {raw}"));
        let raw = raw.trim();
        let (attribute, rest) = raw.split_once(char::is_whitespace).ok_or_else(invalid)?;
        let (op, value) = rest
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(invalid)?;
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(invalid)?;
        let attribute = attribute.to_ascii_lowercase();
        let op = op.to_ascii_lowercase();
        let known_attribute = matches!(attribute.as_str(), "username" | "emails" | "emails.value");
        if !known_attribute || !matches!(op.as_str(), "eq" | "sw" | "co") {
            return Err(invalid());
        }
        Ok(Filter {
            attribute,
            op,
            value: value.replace("\\\"", "\"").to_lowercase(),
        })
    }

    fn test(&self, candidate: &str) -> bool {
        let candidate = candidate.to_lowercase();
        match self.op.as_str() {
            "eq" => candidate == self.value,
            "sw" => candidate.starts_with(&self.value),
            _ => candidate.contains(&self.value),
        }
    }

    fn matches(&self, user: &User) -> bool {
        match self.attribute.as_str() {
            "username" => self.test(&user.email),
            _ => std::iter::once(&user.email)
                .chain(&user.secondary_emails)
                .any(|e| self.test(e)),
        }
    }
}

/// A positive integer parameter.
fn positive(params: &Params, name: &str, default: usize) -> Result<usize, ScimError> {
    match params.non_blank(name) {
        None => Ok(default),
        Some(raw) => raw.trim().parse::<usize>().map_err(|_| {
            ScimError::bad(
                "invalidValue",
                format!("{name} must be a non-negative integer"),
            )
        }),
    }
}

/// `GET /scim/Users?filter=userName eq "..."&startIndex&count`.
pub async fn list_users(
    State(state): State<AppState>,
    ScimAuth(principal): ScimAuth,
    params: Params,
) -> Result<Response, ScimError> {
    let filter = params.non_blank("filter").map(Filter::parse).transpose()?;
    let start = positive(&params, "startIndex", 1)?.max(1);
    let count = positive(&params, "count", 100)?.min(100);
    let inner = state.lock();
    let store = &inner.store;
    let admin = store
        .user(&principal.user_gid)
        .ok_or_else(|| ScimError::new(StatusCode::UNAUTHORIZED, "Not Authorized"))?;
    let org = organization(store, admin).unwrap_or_default();
    let matching: Vec<&User> = people(store, &org)
        .into_iter()
        .filter(|u| filter.as_ref().is_none_or(|f| f.matches(u)))
        .collect();
    let api_base = state.api_base();
    let resources: Vec<Value> = matching
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|u| scim_user(&api_base, u))
        .collect();
    let body = json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": matching.len(),
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    });
    Ok(scim_json(StatusCode::OK, &body))
}

/// `GET /scim/Users/{id}`: `id` is the Asana user gid.
pub async fn get_user(
    State(state): State<AppState>,
    ScimAuth(principal): ScimAuth,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let inner = state.lock();
    let store = &inner.store;
    let admin = store
        .user(&principal.user_gid)
        .ok_or_else(|| ScimError::new(StatusCode::UNAUTHORIZED, "Not Authorized"))?;
    let org = organization(store, admin).unwrap_or_default();
    let user = people(store, &org)
        .into_iter()
        .find(|u| u.gid == id)
        .ok_or_else(|| ScimError::new(StatusCode::NOT_FOUND, format!("Resource {id} not found")))?;
    Ok(scim_json(
        StatusCode::OK,
        &scim_user(&state.api_base(), user),
    ))
}

/// Any other SCIM path.
pub async fn no_route() -> ScimError {
    ScimError::new(StatusCode::NOT_FOUND, "Endpoint not found")
}

#[cfg(test)]
mod tests {
    use super::Filter;

    #[test]
    fn filters_parse_user_name_and_emails() {
        let f = Filter::parse("userName eq \"Ada@Example.com\"").unwrap();
        assert_eq!(
            (f.attribute.as_str(), f.op.as_str(), f.value.as_str()),
            ("username", "eq", "ada@example.com")
        );
        assert!(Filter::parse("emails.value co \"bletchley\"").is_ok());
        assert!(Filter::parse("title eq \"x\"").is_err());
        assert!(Filter::parse("userName eq ada").is_err());
    }
}
