//! Asana's SCIM 2.0 user writes (`POST /scim/Users`, `PUT`, `PATCH` and
//! `DELETE /scim/Users/{id}`), as https://developers.asana.com/docs/scim
//! documents them:
//!
//! - `userName` is required and must be an email address; a `userName`
//!   already taken is 409 with scimType `uniqueness`;
//! - accepted attributes: `userName`, `name` (`formatted`, `givenName`,
//!   `familyName`), `emails`, `active`, `title`, `preferredLanguage`,
//!   `addresses`, `userType`, and the enterprise extension (`department`,
//!   `manager`); anything else is 400 `invalidSyntax` (the page lists what it
//!   accepts; the fake refuses the rest rather than drop it silently);
//!   `externalId`, `displayName`, `locale` and `timezone`, which identity
//!   providers commonly send, are accepted and ignored (undocumented);
//! - PATCH does not support `name.givenName` or `name.familyName` ("use
//!   name.formatted"): 400 `invalidPath`;
//! - `active=false` (PUT, PATCH) and DELETE deprovision ("zombify") the user:
//!   in the REST API they drop out of listings, typeahead, teams and
//!   projects' member lists and their tokens stop working, while their tasks
//!   stay assigned to them until reassigned (where their work goes is an
//!   Admin Console setting the fake does not model); reactivating a
//!   deprovisioned user is not supported by Asana: 400 `mutability`.

use super::auth::ScimAuth;
use super::errors::{scim_json, ScimError};
use super::model::{Store, User};
use super::scim::{scim_user, ENTERPRISE_SCHEMA};
use super::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Schema URN of a SCIM PATCH request.
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Top-level attributes of a user resource the fake accepts.
const ACCEPTED: &[&str] = &[
    "schemas",
    "id",
    "meta",
    "userName",
    "name",
    "emails",
    "active",
    "title",
    "preferredLanguage",
    "addresses",
    "userType",
    "externalId",
    "displayName",
    "locale",
    "timezone",
    ENTERPRISE_SCHEMA,
];

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidValue", detail)
}

fn invalid_syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidSyntax", detail)
}

fn not_found(id: &str) -> ScimError {
    ScimError::new(StatusCode::NOT_FOUND, format!("Resource {id} not found"))
}

fn conflict(email: &str) -> ScimError {
    let mut error = ScimError::new(
        StatusCode::CONFLICT,
        format!("User with userName {email} already exists"),
    );
    error.set_scim_type("uniqueness");
    error
}

/// The SCIM body as a JSON object.
fn body_object(body: &[u8]) -> Result<Map<String, Value>, ScimError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid_syntax("The request body must be a JSON object")),
        Err(e) => Err(invalid_syntax(format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// Whether a string is shaped like an email address.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !s.contains(' ')
}

/// A string attribute (null is `None`).
fn string_attr(value: &Value, name: &str) -> Result<Option<String>, ScimError> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(invalid_value(format!("{name} must be a string"))),
    }
}

/// A boolean attribute; `"True"`/`"False"` strings, which some identity
/// providers send, are taken too.
fn bool_attr(value: &Value, name: &str) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid_value(format!("{name} must be a boolean"))),
    }
}

/// The organization the service account administers.
fn organization(store: &Store, admin_gid: &str) -> Result<String, ScimError> {
    let admin = store
        .user(admin_gid)
        .ok_or_else(|| ScimError::new(StatusCode::UNAUTHORIZED, "Not Authorized"))?;
    store
        .workspaces
        .iter()
        .find(|w| w.is_organization && admin.workspaces.contains(&w.gid))
        .map(|w| w.gid.clone())
        .ok_or_else(|| ScimError::new(StatusCode::FORBIDDEN, "No organization to provision"))
}

/// Whether `email` is the primary email of anyone but `except`.
fn taken(store: &Store, email: &str, except: Option<&str>) -> bool {
    store
        .users
        .iter()
        .any(|u| u.email.eq_ignore_ascii_case(email) && Some(u.gid.as_str()) != except)
}

/// The user to change: a person of the organization.
fn person_index(store: &Store, org: &str, id: &str) -> Result<usize, ScimError> {
    store
        .users
        .iter()
        .position(|u| u.gid == id && !u.service_account && u.workspaces.iter().any(|w| w == org))
        .ok_or_else(|| not_found(id))
}

/// Sets `active`: false deprovisions; true on a deprovisioned user is refused.
fn set_active(user: &mut User, active: bool) -> Result<(), ScimError> {
    match (user.active, active) {
        (false, true) => {
            let mut error = ScimError::new(
                StatusCode::BAD_REQUEST,
                "Reactivating a deprovisioned user is not supported",
            );
            error.set_scim_type("mutability");
            Err(error)
        }
        (_, active) => {
            user.active = active;
            Ok(())
        }
    }
}

/// Sets the enterprise extension's `manager` (`{"value": gid}` or a gid).
fn set_manager(store: &Store, org: &str, user: &mut User, value: &Value) -> Result<(), ScimError> {
    let gid = match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => string_attr(o.get("value").unwrap_or(&Value::Null), "manager.value")?,
        _ => return Err(invalid_value("manager must be an object with a value")),
    };
    if let Some(gid) = &gid {
        if !store
            .users
            .iter()
            .any(|u| &u.gid == gid && u.workspaces.iter().any(|w| w == org))
        {
            return Err(invalid_value(format!(
                "manager {gid} is not a user of the organization"
            )));
        }
    }
    user.manager = gid.filter(|g| !g.is_empty());
    Ok(())
}

/// Applies the enterprise extension object.
fn set_enterprise(
    store: &Store,
    org: &str,
    user: &mut User,
    value: &Value,
) -> Result<(), ScimError> {
    let Value::Object(ext) = value else {
        return Err(invalid_value(format!(
            "{ENTERPRISE_SCHEMA} must be an object"
        )));
    };
    for (key, v) in ext {
        match key.as_str() {
            "department" => user.department = string_attr(v, "department")?,
            "manager" => set_manager(store, org, user, v)?,
            // employeeNumber, costCenter, organization and division: not modelled.
            _ => {}
        }
    }
    Ok(())
}

/// Reads `emails`: at most one primary; the others become secondary
/// addresses. Returns the primary one, if marked.
fn set_emails(user: &mut User, value: &Value) -> Result<Option<String>, ScimError> {
    let Value::Array(items) = value else {
        return Err(invalid_value("emails must be an array"));
    };
    let mut primary = None;
    let mut others = Vec::new();
    for item in items {
        let email = string_attr(item.get("value").unwrap_or(&Value::Null), "emails.value")?
            .ok_or_else(|| invalid_value("emails.value is required"))?;
        if !is_email(&email) {
            return Err(invalid_value(format!("{email} is not an email address")));
        }
        let is_primary = match item.get("primary") {
            None | Some(Value::Null) => false,
            Some(v) => bool_attr(v, "emails.primary")?,
        };
        if is_primary {
            if primary.is_some() {
                return Err(invalid_value("primary may be true for one email only"));
            }
            primary = Some(email);
        } else {
            others.push(email);
        }
    }
    user.secondary_emails = others
        .into_iter()
        .filter(|e| !e.eq_ignore_ascii_case(&user.email))
        .collect();
    Ok(primary)
}

/// Applies a whole resource (POST and PUT): every attribute given, and
/// (`replace`) the removal of optional ones left out.
fn apply_resource(
    store: &Store,
    org: &str,
    user: &mut User,
    body: &Map<String, Value>,
    replace: bool,
) -> Result<(), ScimError> {
    if let Some(unknown) = body.keys().find(|k| !ACCEPTED.contains(&k.as_str())) {
        return Err(invalid_syntax(format!("Unsupported attribute: {unknown}")));
    }
    let user_name = string_attr(body.get("userName").unwrap_or(&Value::Null), "userName")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| invalid_value("userName is required"))?;
    if !is_email(&user_name) {
        return Err(invalid_value("userName must be an email address"));
    }
    if taken(store, &user_name, Some(&user.gid)) {
        return Err(conflict(&user_name));
    }
    user.email = user_name.clone();
    if let Some(name) = body.get("name").filter(|v| !v.is_null()) {
        let Value::Object(name) = name else {
            return Err(invalid_value("name must be an object"));
        };
        let part = |k: &str| string_attr(name.get(k).unwrap_or(&Value::Null), &format!("name.{k}"));
        let formatted = part("formatted")?;
        let given = part("givenName")?;
        let family = part("familyName")?;
        let joined = [given, family]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        match formatted.filter(|f| !f.trim().is_empty()) {
            Some(f) => user.name = f,
            None if !joined.is_empty() => user.name = joined,
            None => {}
        }
    }
    if user.name.is_empty() {
        // Asana does not document a user created without a name; the
        // fake names them after their address.
        user.name = user_name.split('@').next().unwrap_or_default().to_string();
    }
    match body.get("title") {
        Some(v) => user.title = string_attr(v, "title")?,
        None if replace => user.title = None,
        None => {}
    }
    match body.get(ENTERPRISE_SCHEMA) {
        Some(v) => {
            if replace {
                user.department = None;
                user.manager = None;
            }
            set_enterprise(store, org, user, v)?;
        }
        None if replace => {
            user.department = None;
            user.manager = None;
        }
        None => {}
    }
    if let Some(emails) = body.get("emails").filter(|v| !v.is_null()) {
        if let Some(primary) = set_emails(user, emails)? {
            if !primary.eq_ignore_ascii_case(&user_name) {
                return Err(invalid_value("The primary email must be the userName"));
            }
        }
    }
    if let Some(active) = body.get("active").filter(|v| !v.is_null()) {
        set_active(user, bool_attr(active, "active")?)?;
    }
    Ok(())
}

/// A response with the resource and its `Location`.
fn resource_response(state: &AppState, status: StatusCode, user: &User) -> Response {
    let api_base = state.api_base();
    let mut response = scim_json(status, &scim_user(&api_base, user));
    if let Ok(location) = HeaderValue::from_str(&format!("{api_base}/scim/Users/{}", user.gid)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

/// `POST /scim/Users`: 201 with the new user, a member of the organization.
pub async fn create_user(
    State(state): State<AppState>,
    ScimAuth(principal): ScimAuth,
    body: Bytes,
) -> Result<Response, ScimError> {
    let body = body_object(&body)?;
    let mut inner = state.lock();
    let org = organization(&inner.store, &principal.user_gid)?;
    let mut user = User {
        gid: String::new(),
        name: String::new(),
        email: String::new(),
        secondary_emails: Vec::new(),
        has_photo: false,
        workspaces: vec![org.clone()],
        active: true,
        title: None,
        service_account: false,
        department: None,
        manager: None,
    };
    apply_resource(&inner.store, &org, &mut user, &body, false)?;
    user.gid = inner.next_gid();
    let response = resource_response(&state, StatusCode::CREATED, &user);
    inner.store.users.push(user);
    Ok(response)
}

/// `PUT /scim/Users/{id}`: replaces the user's attributes.
pub async fn replace_user(
    State(state): State<AppState>,
    ScimAuth(principal): ScimAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ScimError> {
    let body = body_object(&body)?;
    let mut inner = state.lock();
    let org = organization(&inner.store, &principal.user_gid)?;
    let index = person_index(&inner.store, &org, &id)?;
    let mut user = inner.store.users[index].clone();
    apply_resource(&inner.store, &org, &mut user, &body, true)?;
    let response = resource_response(&state, StatusCode::OK, &user);
    inner.store.users[index] = user;
    Ok(response)
}

/// One attribute path of a PATCH operation, applied to `user`.
fn patch_path(
    store: &Store,
    org: &str,
    user: &mut User,
    op: &str,
    path: &str,
    value: &Value,
) -> Result<(), ScimError> {
    let invalid_path = |detail: String| ScimError::bad("invalidPath", detail);
    let remove = op == "remove";
    let lower = path.to_ascii_lowercase();
    let enterprise = ENTERPRISE_SCHEMA.to_ascii_lowercase();
    match lower.as_str() {
        "active" if !remove => set_active(user, bool_attr(value, "active")?),
        "name.formatted" if !remove => {
            user.name = string_attr(value, "name.formatted")?
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| invalid_value("name.formatted cannot be empty"))?;
            Ok(())
        }
        "name.givenname" | "name.familyname" => Err(invalid_path(format!(
            "{path} is unsupported for PATCH requests, use name.formatted"
        ))),
        "name" if !remove => {
            let formatted = value.get("formatted").cloned().unwrap_or(Value::Null);
            if value.get("givenName").is_some() || value.get("familyName").is_some() {
                return Err(invalid_path(
                    "name.givenName and name.familyName are unsupported for PATCH requests, use name.formatted".into(),
                ));
            }
            patch_path(store, org, user, op, "name.formatted", &formatted)
        }
        "title" => {
            user.title = if remove {
                None
            } else {
                string_attr(value, "title")?
            };
            Ok(())
        }
        "username" if !remove => {
            let email = string_attr(value, "userName")?.unwrap_or_default();
            if !is_email(&email) {
                return Err(invalid_value("userName must be an email address"));
            }
            if taken(store, &email, Some(&user.gid)) {
                return Err(conflict(&email));
            }
            user.email = email;
            Ok(())
        }
        "emails" if !remove => set_emails(user, value).map(|_| ()),
        "preferredlanguage" | "addresses" | "externalid" | "displayname" | "locale"
        | "timezone" => Ok(()),
        p if p == format!("{enterprise}:department") => {
            user.department = if remove {
                None
            } else {
                string_attr(value, "department")?
            };
            Ok(())
        }
        p if p == format!("{enterprise}:manager") || p == format!("{enterprise}:manager.value") => {
            if remove {
                user.manager = None;
                Ok(())
            } else {
                set_manager(store, org, user, value)
            }
        }
        p if p == enterprise && !remove => set_enterprise(store, org, user, value),
        _ => Err(invalid_path(format!("Unsupported path for {op}: {path}"))),
    }
}

/// `PATCH /scim/Users/{id}`: applies `Operations` (`add`, `replace`,
/// `remove`; with a `path`, or without one and an object `value` of
/// attributes), all or nothing. 200 with the user.
pub async fn patch_user(
    State(state): State<AppState>,
    ScimAuth(principal): ScimAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ScimError> {
    let body = body_object(&body)?;
    if let Some(schemas) = body.get("schemas") {
        let listed = schemas
            .as_array()
            .is_some_and(|s| s.iter().any(|v| v == PATCH_SCHEMA));
        if !listed {
            return Err(invalid_syntax(format!("schemas must list {PATCH_SCHEMA}")));
        }
    }
    let operations = body
        .get("Operations")
        .and_then(Value::as_array)
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| invalid_syntax("Operations is required"))?;
    let mut inner = state.lock();
    let org = organization(&inner.store, &principal.user_gid)?;
    let index = person_index(&inner.store, &org, &id)?;
    let mut user = inner.store.users[index].clone();
    for operation in operations {
        let op = operation
            .get("op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .filter(|op| ["add", "replace", "remove"].contains(&op.as_str()))
            .ok_or_else(|| invalid_syntax("op must be add, replace or remove"))?;
        let value = operation.get("value").cloned().unwrap_or(Value::Null);
        match operation.get("path").and_then(Value::as_str) {
            Some(path) => patch_path(&inner.store, &org, &mut user, &op, path, &value)?,
            None => {
                let Value::Object(attributes) = &value else {
                    return Err(ScimError::bad(
                        "noTarget",
                        "An operation without a path needs an object value",
                    ));
                };
                for (path, v) in attributes {
                    patch_path(&inner.store, &org, &mut user, &op, path, v)?;
                }
            }
        }
    }
    let response = resource_response(&state, StatusCode::OK, &user);
    inner.store.users[index] = user;
    Ok(response)
}

/// `DELETE /scim/Users/{id}`: deprovisions the user; 204.
pub async fn delete_user(
    State(state): State<AppState>,
    ScimAuth(principal): ScimAuth,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let mut inner = state.lock();
    let org = organization(&inner.store, &principal.user_gid)?;
    let index = person_index(&inner.store, &org, &id)?;
    inner.store.users[index].active = false;
    Ok(StatusCode::NO_CONTENT.into_response())
}
