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
/// Schema URN of the SCIM enterprise user extension (`department`, `manager`).
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
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
pub fn scim_user(api_base: &str, user: &User) -> Value {
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
    if user.department.is_some() || user.manager.is_some() {
        let mut extension = serde_json::Map::new();
        if let Some(department) = &user.department {
            extension.insert("department".into(), Value::String(department.clone()));
        }
        if let Some(manager) = &user.manager {
            extension.insert("manager".into(), json!({ "value": manager }));
        }
        resource["schemas"] = json!([USER_SCHEMA, ENTERPRISE_SCHEMA]);
        resource[ENTERPRISE_SCHEMA] = Value::Object(extension);
    }
    resource
}

/// The one filter Asana's SCIM API takes: `userName eq "<email>"`
/// (https://developers.asana.com/docs/scim). Any other attribute or
/// operator is refused.
#[derive(Debug, PartialEq)]
struct UserNameFilter {
    /// The email, lower-cased.
    email: String,
}

impl UserNameFilter {
    fn parse(raw: &str) -> Result<UserNameFilter, ScimError> {
        let invalid = || {
            ScimError::bad(
                "invalidFilter",
                format!("Unsupported filter: {raw}. The only filter supported is userName eq \"<email>\"."),
            )
        };
        let mut words = raw.trim().splitn(3, char::is_whitespace);
        let (Some(attribute), Some(op), Some(value)) = (words.next(), words.next(), words.next())
        else {
            return Err(invalid());
        };
        if !attribute.eq_ignore_ascii_case("userName") || !op.eq_ignore_ascii_case("eq") {
            return Err(invalid());
        }
        let value = value
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains('"'))
            .ok_or_else(invalid)?;
        Ok(UserNameFilter {
            email: value.to_lowercase(),
        })
    }

    fn matches(&self, user: &User) -> bool {
        user.email.eq_ignore_ascii_case(&self.email)
    }
}

/// `GET /scim/Users[?filter=userName eq "..."]`: every person of the
/// domain, or the one with that email. `count` and `startIndex` are
/// ignored, as Asana ignores them: the whole list comes in one page.
pub async fn list_users(
    State(state): State<AppState>,
    ScimAuth(principal): ScimAuth,
    params: Params,
) -> Result<Response, ScimError> {
    let filter = params
        .get("filter")
        .map(UserNameFilter::parse)
        .transpose()?;
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
    let resources: Vec<Value> = matching.iter().map(|u| scim_user(&api_base, u)).collect();
    let body = json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": matching.len(),
        "startIndex": 1,
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
    use super::UserNameFilter;

    #[test]
    fn only_user_name_eq_is_a_filter() {
        let f = UserNameFilter::parse("userName eq \"Ada@Example.com\"").unwrap();
        assert_eq!(f.email, "ada@example.com");
        assert!(UserNameFilter::parse("username EQ \"ada@example.com\"").is_ok());
        assert!(UserNameFilter::parse("emails.value co \"bletchley\"").is_err());
        assert!(UserNameFilter::parse("emails eq \"ada@example.com\"").is_err());
        assert!(UserNameFilter::parse("userName sw \"ada\"").is_err());
        assert!(UserNameFilter::parse("title eq \"x\"").is_err());
        assert!(UserNameFilter::parse("userName eq ada").is_err());
        assert!(UserNameFilter::parse("").is_err());
    }
}
