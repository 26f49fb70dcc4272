//! A typed Asana client over the authorized HTTP capability.
//!
//! [`Asana`] sends requests relative to the connection's API base
//! (`https://app.asana.com/api/1.0`), unwraps Asana's `{"data": ...}`
//! envelope and turns `{"errors": [{"message": ...}]}` answers into an
//! [`AsanaError`], which converts into a [`CardError`] of the right kind.
//! Several reads go out at once with [`Asana::get_each`] (the host's
//! `send-all`). SCIM calls (`/scim/Users`) use the connection's service
//! account token: see [`Asana::secondary_emails`] and
//! [`Asana::secondary_emails_each`] to read, [`Asana::scim_user_by_email`],
//! [`Asana::scim_create_user`] and [`Asana::scim_patch`] to manage users.
//! Event cards find Asana's webhook subscriptions and events in [`events`].

pub mod events;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Credential, HttpError, Method, Request, Response};
use crate::{CardError, Context};

/// The most items Asana returns in one page (`limit` is 1 to 100).
pub const MAX_PAGE_SIZE: usize = 100;

/// A client for the Asana API of the run's connection.
#[derive(Debug, Clone, Copy)]
pub struct Asana<'a> {
    ctx: &'a Context,
    credential: Credential,
}

/// An Asana object in compact form: its gid and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Compact {
    /// The object's gid.
    pub gid: String,
    /// The object's name (null when Asana gives none).
    #[serde(default)]
    pub name: Option<String>,
}

/// A task as task lists show it, read with [`TASK_SUMMARY_FIELDS`]; refer
/// to one in a flow as `tasks[0].gid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaskSummary {
    /// The task's gid.
    pub gid: String,
    /// The task's name.
    pub name: Option<String>,
    /// Whether the task is completed.
    pub completed: Option<bool>,
    /// Who the task is assigned to, or null.
    pub assignee: Option<Compact>,
    /// The due date, `YYYY-MM-DD`, or null.
    pub due_on: Option<String>,
    /// The due date and time (UTC), or null.
    pub due_at: Option<String>,
    /// The task's URL in Asana.
    pub permalink_url: Option<String>,
}

/// The `opt_fields` that fill a [`TaskSummary`] (related objects by name
/// only, which `tasks:read` allows).
pub const TASK_SUMMARY_FIELDS: &str = "name,completed,assignee.name,due_on,due_at,permalink_url";

/// A task in full, as the task cards output it, read with [`TASK_FIELDS`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Task {
    /// The task's gid.
    pub gid: String,
    /// The task's name.
    pub name: Option<String>,
    /// The description, as plain text.
    pub notes: Option<String>,
    /// Who the task is assigned to, or null.
    pub assignee: Option<Compact>,
    /// The due date, `YYYY-MM-DD`, or null.
    pub due_on: Option<String>,
    /// The due date and time (UTC), or null.
    pub due_at: Option<String>,
    /// Whether the task is completed.
    pub completed: Option<bool>,
    /// When the task was completed, or null.
    pub completed_at: Option<String>,
    /// The projects the task is in.
    #[serde(default)]
    pub projects: Vec<Compact>,
    /// The projects the task is in, each with the task's section there.
    #[serde(default)]
    pub memberships: Vec<TaskMembership>,
    /// The task's tags.
    #[serde(default)]
    pub tags: Vec<Compact>,
    /// The task's URL in Asana.
    pub permalink_url: Option<String>,
    /// The task's custom field values.
    #[serde(default)]
    pub custom_fields: Vec<CustomFieldValue>,
}

/// A project a task is in and the task's section there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TaskMembership {
    /// The project.
    pub project: Option<Compact>,
    /// The task's section in that project, or null.
    pub section: Option<Compact>,
}

/// A custom field's value on a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CustomFieldValue {
    /// The custom field's gid.
    pub gid: String,
    /// The custom field's name.
    pub name: Option<String>,
    /// What kind of field: `text`, `number`, `enum`, `multi_enum`, `date`,
    /// `people`, ...
    pub resource_subtype: Option<String>,
    /// The value as Asana shows it (text), or null when unset.
    pub display_value: Option<String>,
}

/// The `opt_fields` that fill a [`Task`]: related objects by name only, and
/// custom fields by their value on the task, which `tasks:read` allows (more
/// would need the related resources' own scopes,
/// <https://developers.asana.com/docs/oauth-scopes>).
pub const TASK_FIELDS: &str = "name,notes,assignee.name,due_on,due_at,completed,completed_at,\
projects.name,memberships.project.name,memberships.section.name,tags.name,permalink_url,\
custom_fields.name,custom_fields.resource_subtype,custom_fields.display_value";

/// One page of a list: the items and, when there are more, the offset of
/// the next page (pass it back as the `offset` query parameter).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_offset: Option<String>,
}

/// Asana refused a request, or the host did not deliver it.
#[derive(Debug, Clone)]
pub struct AsanaError {
    /// The HTTP status Asana answered; `0` when there was no answer
    /// (`capability` says why).
    pub status: u16,
    /// Asana's error messages, in order.
    pub messages: Vec<String>,
    /// The field Asana blamed, from its `"field: message"` convention.
    pub field: Option<String>,
    /// Asana's error `phrase` (on a 500): the id Asana support asks for to
    /// look up the incident.
    pub phrase: Option<String>,
    /// The host's capability error, when the request was not delivered.
    pub capability: Option<HttpError>,
}

impl AsanaError {
    /// Whether Asana answered 404.
    pub fn is_not_found(&self) -> bool {
        self.capability.is_none() && self.status == 404
    }

    /// This error as a [`CardError`]; a 404 is a `not-found` error naming
    /// `field`, the input that pointed at the missing object.
    ///
    /// ```no_run
    /// # use cardhost_sdk::prelude::*;
    /// # fn f(ctx: &Context) -> Result<Value, CardError> {
    /// Asana::new(ctx).get("/tasks/12", &[]).map_err(|e| e.naming("task"))
    /// # }
    /// ```
    pub fn naming(self, field: &str) -> CardError {
        if !self.is_not_found() {
            return self.into();
        }
        CardError::not_found(format!(
            "Asana found nothing for `{field}` (404): {}",
            self.detail()
        ))
        .with_field(field)
    }

    /// This error as a [`CardError`], where a 402 Payment Required (the
    /// operation needs a paid Asana plan) is a `forbidden` error naming
    /// `field` and saying that it needs Asana Premium (or higher) for `what`.
    pub fn premium_only(self, field: &str, what: &str) -> CardError {
        if self.capability.is_some() || self.status != 402 {
            return self.into();
        }
        CardError::forbidden(format!(
            "the {field} needs Asana Premium (or higher) for {what} (Asana answered 402 \
             Payment Required: {})",
            self.detail()
        ))
        .with_field(field)
    }

    /// [`AsanaError::naming`] for a request that several inputs point into
    /// (a path and a query): a 404 names the one of `fields` that Asana's
    /// message blames (`workspace: Unknown object: 1`), else the first.
    pub fn naming_any(self, fields: &[&str]) -> CardError {
        let blamed = fields.iter().find(|f| self.field.as_deref() == Some(**f));
        let field = blamed.or(fields.first()).copied().unwrap_or_default();
        self.naming(field)
    }

    /// Asana's messages joined, or a placeholder.
    pub fn detail(&self) -> String {
        if self.messages.is_empty() {
            "no details given".to_string()
        } else {
            self.messages.join("; ")
        }
    }
}

impl std::fmt::Display for AsanaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.capability {
            Some(err) => f.write_str(&crate::error::describe_http_error(err)),
            None => write!(f, "Asana answered {}: {}", self.status, self.detail()),
        }
    }
}

impl std::error::Error for AsanaError {}

impl From<HttpError> for AsanaError {
    fn from(err: HttpError) -> Self {
        AsanaError {
            status: 0,
            messages: Vec::new(),
            field: None,
            phrase: None,
            capability: Some(err),
        }
    }
}

impl From<AsanaError> for CardError {
    /// 400 → `invalid-input` (with Asana's field), 401 → `unauthorized`,
    /// 403 → `forbidden`, 404 → `not-found`, 429 → `rate-limited`,
    /// others → `provider`; a capability error → `http`. A 5xx keeps
    /// Asana's error phrase in the message, for Asana support.
    fn from(err: AsanaError) -> Self {
        if let Some(cap) = err.capability {
            return CardError::from(cap);
        }
        let detail = err.detail();
        let status = err.status;
        let e = match status {
            400 => CardError::new(
                crate::ErrorKind::InvalidInput,
                format!("Asana rejected the request (400): {detail}"),
            ),
            401 => CardError::unauthorized(format!(
                "Asana refused the connection's credential (401): {detail}"
            )),
            403 => CardError::forbidden(format!(
                "the connection is not allowed to do this in Asana (403): {detail}"
            )),
            404 => CardError::not_found(format!("Asana found no such object (404): {detail}")),
            429 => CardError::rate_limited(format!(
                "Asana kept answering 429 Too Many Requests: {detail}"
            )),
            500..=599 => CardError::provider(match &err.phrase {
                Some(phrase) => format!(
                    "Asana had an error ({status}): {detail} (Asana's error phrase \"{phrase}\": \
                     quote it to Asana support)"
                ),
                None => format!("Asana had an error ({status}): {detail}"),
            }),
            _ => CardError::provider(format!("Asana answered {status}: {detail}")),
        };
        CardError {
            field: err.field,
            ..e
        }
    }
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

/// `{"data": body}` for a borrowed body.
#[derive(Serialize)]
struct DataRef<'b, B: Serialize + ?Sized> {
    data: &'b B,
}

#[derive(Deserialize)]
struct PageEnvelope<T> {
    data: Vec<T>,
    #[serde(default)]
    next_page: Option<NextPage>,
}

#[derive(Deserialize)]
struct NextPage {
    offset: Option<String>,
}

impl<'a> Asana<'a> {
    /// A client using the connection's credential.
    pub fn new(ctx: &'a Context) -> Self {
        Asana {
            ctx,
            credential: Credential::Connection,
        }
    }

    /// The same client using the connection's service account token (for
    /// SCIM; the card's manifest must allow it).
    pub fn with_service_account(self) -> Self {
        Asana {
            credential: Credential::ServiceAccount,
            ..self
        }
    }

    /// The client a card's `as_service_account` input asks for: the
    /// connection's service account token when `true` (an `invalid-input`
    /// error naming `as_service_account` when the connection has none),
    /// else the connection's own credential.
    pub fn acting(ctx: &'a Context, as_service_account: bool) -> Result<Self, CardError> {
        if !as_service_account {
            return Ok(Asana::new(ctx));
        }
        if !ctx.has_service_account() {
            return Err(CardError::invalid_input(
                "as_service_account",
                "`as_service_account` needs a connection with a service account token",
            ));
        }
        Ok(Asana::new(ctx).with_service_account())
    }

    /// The run's context.
    pub fn context(&self) -> &'a Context {
        self.ctx
    }

    /// Sends `request` with this client's credential; a non-2xx answer is an
    /// [`AsanaError`].
    pub fn send(&self, request: Request) -> Result<Response, AsanaError> {
        let response = self.ctx.http().send(request.credential(self.credential))?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(parse_error(response.status, &response.body))
        }
    }

    /// Sends `requests` at once with this client's credential (see
    /// [`crate::Http::send_all`]); the i-th result answers the i-th request,
    /// and a non-2xx answer is an [`AsanaError`].
    pub fn send_all(&self, requests: Vec<Request>) -> Vec<Result<Response, AsanaError>> {
        let requests = requests
            .into_iter()
            .map(|r| r.credential(self.credential))
            .collect();
        self.ctx
            .http()
            .send_all(requests)
            .into_iter()
            .map(|result| match result {
                Ok(response) if response.is_success() => Ok(response),
                Ok(response) => Err(parse_error(response.status, &response.body)),
                Err(e) => Err(e.into()),
            })
            .collect()
    }

    /// `GET path?query` for each of `paths` at once (the host has at most 8
    /// in flight), and the `data` of each answer, in the order of `paths`.
    /// One failure does not stop the others.
    ///
    /// ```no_run
    /// # use cardhost_sdk::prelude::*;
    /// # fn f(ctx: &Context, gids: &[String]) -> Result<(), CardError> {
    /// let paths: Vec<String> = gids.iter().map(|g| format!("/users/{g}")).collect();
    /// for user in Asana::new(ctx).get_each::<Value>(&paths, &[("opt_fields", "email")]) {
    ///     let user = user?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn get_each<T: DeserializeOwned>(
        &self,
        paths: &[String],
        query: &[(&str, &str)],
    ) -> Vec<Result<T, AsanaError>> {
        let requests = paths
            .iter()
            .map(|path| with_query(Request::get(path.as_str()), query))
            .collect();
        self.send_all(requests)
            .into_iter()
            .map(|result| result.and_then(|r| decode::<Envelope<T>>(&r).map(|e| e.data)))
            .collect()
    }

    /// `GET path?query` and the `data` of the answer.
    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, AsanaError> {
        let response = self.send(with_query(Request::get(path), query))?;
        decode::<Envelope<T>>(&response).map(|e| e.data)
    }

    /// `GET path?query` and the `data` of the answer as JSON.
    pub fn get_value(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, AsanaError> {
        self.get::<Value>(path, query)
    }

    /// `GET path?query` for one page of a list.
    pub fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Page<T>, AsanaError> {
        let response = self.send(with_query(Request::get(path), query))?;
        let page = decode::<PageEnvelope<T>>(&response)?;
        Ok(Page {
            data: page.data,
            next_offset: page.next_page.and_then(|n| n.offset),
        })
    }

    /// Up to `limit` items of a list, following `next_page.offset` for at
    /// most `max_pages` pages of at most 100 items (Asana's largest page).
    /// The flag says whether Asana had more than was read.
    pub fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        limit: usize,
        max_pages: usize,
    ) -> Result<(Vec<T>, bool), AsanaError> {
        self.get_all_by(path, query, limit, MAX_PAGE_SIZE, max_pages)
    }

    /// [`Asana::get_all`] with pages of at most `page_size` items (1 to 100).
    pub fn get_all_by<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        limit: usize,
        page_size: usize,
        max_pages: usize,
    ) -> Result<(Vec<T>, bool), AsanaError> {
        let limit = limit.max(1);
        let page_cap = page_size.clamp(1, MAX_PAGE_SIZE);
        let mut items: Vec<T> = Vec::new();
        let mut offset: Option<String> = None;
        for _ in 0..max_pages.max(1) {
            let page_size = (limit - items.len()).min(page_cap).to_string();
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("limit", &page_size));
            if let Some(o) = &offset {
                q.push(("offset", o));
            }
            let page = self.get_page::<T>(path, &q)?;
            items.extend(page.data);
            offset = page.next_offset;
            if offset.is_none() {
                return Ok((items, false));
            }
            if items.len() >= limit {
                items.truncate(limit);
                return Ok((items, true));
            }
        }
        Ok((items, offset.is_some()))
    }

    /// The items of a list that `keep` accepts, up to `limit` of them,
    /// reading pages of `page_size` items (1 to 100) for at most `max_pages`
    /// pages. The flag says whether Asana had more: pages left unread, or
    /// more accepted items than `limit`.
    pub fn get_all_where<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        (limit, page_size, max_pages): (usize, usize, usize),
        mut keep: impl FnMut(&T) -> bool,
    ) -> Result<(Vec<T>, bool), AsanaError> {
        let limit = limit.max(1);
        let size = page_size.clamp(1, MAX_PAGE_SIZE).to_string();
        let mut items: Vec<T> = Vec::new();
        let mut offset: Option<String> = None;
        for _ in 0..max_pages.max(1) {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("limit", &size));
            if let Some(o) = &offset {
                q.push(("offset", o));
            }
            let page = self.get_page::<T>(path, &q)?;
            for item in page.data.into_iter().filter(|item| keep(item)) {
                if items.len() == limit {
                    return Ok((items, true));
                }
                items.push(item);
            }
            offset = page.next_offset;
            if offset.is_none() || items.len() == limit {
                return Ok((items, offset.is_some()));
            }
        }
        Ok((items, offset.is_some()))
    }

    /// `DELETE path`; Asana answers an empty `data` object.
    pub fn delete(&self, path: &str) -> Result<(), AsanaError> {
        self.send(Request::new(Method::Delete, path)).map(|_| ())
    }

    /// `POST path` with `{"data": body}` and the `data` of the answer.
    pub fn post<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AsanaError> {
        self.post_with_query(path, &[], body)
    }

    /// `POST path?query` with `{"data": body}` and the `data` of the answer.
    pub fn post_with_query<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<T, AsanaError> {
        self.send_data(Method::Post, path, query, body)
    }

    /// `PUT path` with `{"data": body}` and the `data` of the answer.
    pub fn put<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, AsanaError> {
        self.put_with_query(path, &[], body)
    }

    /// `PUT path?query` with `{"data": body}` and the `data` of the answer.
    pub fn put_with_query<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<T, AsanaError> {
        self.send_data(Method::Put, path, query, body)
    }

    fn send_data<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: &B,
    ) -> Result<T, AsanaError> {
        let request = with_query(Request::new(method, path), query)
            .json_body(&DataRef { data: body })
            .map_err(|e| AsanaError {
                status: 0,
                messages: vec![e.message],
                field: None,
                phrase: None,
                capability: None,
            })?;
        let response = self.send(request)?;
        decode::<Envelope<T>>(&response).map(|e| e.data)
    }

    /// `GET path?query` without the `data` envelope (SCIM answers have none).
    pub fn get_raw<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, AsanaError> {
        let response = self.send(with_query(Request::get(path), query))?;
        decode::<T>(&response)
    }

    /// The secondary (non-primary) emails of the Asana user whose primary
    /// email is `email`, read with SCIM (`GET /scim/Users?filter=userName eq
    /// "email"`) using the connection's **service account token**. An
    /// unknown user has none.
    ///
    /// Errors are already [`CardError`]s: a 401 or 403 says that Asana
    /// refused the service account token.
    pub fn secondary_emails(&self, email: &str) -> Result<Vec<String>, CardError> {
        let filter = scim_filter(email);
        let list: ScimList = self
            .with_service_account()
            .get_raw("/scim/Users", &[("filter", filter.as_str())])
            .map_err(scim_error)?;
        Ok(secondary_emails_of(email, &list.resources))
    }

    /// [`Asana::secondary_emails`] of each of `emails`, read at once (the
    /// host has at most 8 SCIM requests in flight), in the order of `emails`.
    /// The first failure is the error.
    pub fn secondary_emails_each(&self, emails: &[&str]) -> Result<Vec<Vec<String>>, CardError> {
        let requests = emails
            .iter()
            .map(|email| Request::get("/scim/Users").query("filter", scim_filter(email)))
            .collect();
        self.with_service_account()
            .send_all(requests)
            .into_iter()
            .zip(emails)
            .map(|(result, email)| {
                let list: ScimList = result.and_then(|r| decode(&r)).map_err(scim_error)?;
                Ok(secondary_emails_of(email, &list.resources))
            })
            .collect()
    }
}

/// The default `limit` of a list card: how many items in all.
pub fn default_limit() -> u32 {
    100
}

/// The default `page_size` of a list card: Asana's largest page.
pub fn default_page_size() -> u32 {
    MAX_PAGE_SIZE as u32
}

/// The default `max_pages` of a list card.
pub fn default_max_pages() -> u32 {
    10
}

/// Checks a list card's paging input for [`Asana::get_all_by`]: `limit`
/// 1 to 1000, `page_size` 1 to 100 and `max_pages` 1 to 100, returned as
/// `(limit, page_size, max_pages)`; an error names the field out of range.
pub fn check_paging(
    limit: u32,
    page_size: u32,
    max_pages: u32,
) -> Result<(usize, usize, usize), CardError> {
    check_range("limit", limit, 1, 1000)?;
    check_range("page_size", page_size, 1, MAX_PAGE_SIZE as u32)?;
    check_range("max_pages", max_pages, 1, 100)?;
    Ok((limit as usize, page_size as usize, max_pages as usize))
}

/// `value` of input `field` checked to be within `min..=max`; an
/// `invalid-input` error naming `field` otherwise.
pub fn check_range(field: &str, value: u32, min: u32, max: u32) -> Result<u32, CardError> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(CardError::invalid_input(
            field,
            format!("`{field}` must be between {min} and {max}, not {value}"),
        ))
    }
}

fn with_query(mut request: Request, query: &[(&str, &str)]) -> Request {
    for (name, value) in query {
        request = request.query(*name, *value);
    }
    request
}

fn decode<T: DeserializeOwned>(response: &Response) -> Result<T, AsanaError> {
    serde_json::from_slice(&response.body).map_err(|e| AsanaError {
        status: response.status,
        messages: vec![format!(
            "Asana's answer could not be read: {}",
            response.why_not_json(&e)
        )],
        field: None,
        phrase: None,
        capability: None,
    })
}

/// The [`AsanaError`] for an error answer: Asana's `errors[].message`s (or
/// a SCIM `detail`), the field named by the first `"field: message"`, and
/// the first `errors[].phrase`.
pub fn parse_error(status: u16, body: &[u8]) -> AsanaError {
    let mut messages = Vec::new();
    let mut phrase = None;
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        if let Some(errors) = json.get("errors").and_then(Value::as_array) {
            messages.extend(
                errors
                    .iter()
                    .filter_map(|e| e.get("message").and_then(Value::as_str))
                    .map(str::to_string),
            );
            phrase = errors
                .iter()
                .filter_map(|e| e.get("phrase").and_then(Value::as_str))
                .map(str::trim)
                .find(|p| !p.is_empty())
                .map(str::to_string);
        }
        if let Some(detail) = json.get("detail").and_then(Value::as_str) {
            messages.push(detail.to_string());
        }
    } else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if !text.is_empty() && text.len() <= 200 && !text.starts_with('<') {
            messages.push(text.to_string());
        }
    }
    let field = messages.iter().find_map(|m| field_of(m));
    AsanaError {
        status,
        messages,
        field,
        phrase,
        capability: None,
    }
}

/// The field of an Asana message in its `"field: message"` convention, e.g.
/// `assignee` for `"assignee: Not a recognized ID: 12"`; a leading `data.`
/// is dropped. `None` when the message does not start with a field name.
pub fn field_of(message: &str) -> Option<String> {
    let (head, rest) = message.split_once(':')?;
    if !rest.starts_with(' ') || head.is_empty() || head.len() > 64 {
        return None;
    }
    let mut chars = head.chars();
    let first = chars.next()?;
    if !(first.is_ascii_lowercase() || first == '_') {
        return None;
    }
    if !head
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '[' | ']'))
    {
        return None;
    }
    let head = head.strip_prefix("data.").unwrap_or(head);
    if head == "data" {
        return None;
    }
    Some(head.to_string())
}

/// `value` made safe as one path segment of an Asana URL (a gid, an email,
/// `me`): percent-encoded outside `A-Z a-z 0-9 - . _ ~ @ +`. A value that is
/// empty, `.` or `..`, or holds `/`, `\`, `?`, `#`, `%` or a control character
/// is an `invalid-input` error naming `field`.
pub fn path_segment(field: &str, value: &str) -> Result<String, CardError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CardError::invalid_input(
            field,
            format!("`{field}` must not be empty"),
        ));
    }
    if value == "."
        || value == ".."
        || value.chars().any(|c| {
            matches!(c, '/' | '\\' | '?' | '#' | '%') || c.is_control() || c.is_whitespace()
        })
    {
        return Err(CardError::invalid_input(
            field,
            format!("`{field}` must be a gid, an email or `me`"),
        ));
    }
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@' | b'+') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// The one of `fields` (name, value) that was given, for inputs that take
/// exactly one of several fields. None given is an `invalid-input` error
/// naming the first field; two given name the second of them.
pub fn exactly_one<'a>(
    fields: &[(&'a str, Option<&'a str>)],
) -> Result<(&'a str, &'a str), CardError> {
    let names: Vec<String> = fields.iter().map(|(name, _)| format!("`{name}`")).collect();
    let names = names.join(", ");
    let mut given = fields.iter().filter_map(|(name, v)| v.map(|v| (*name, v)));
    let Some(first) = given.next() else {
        let field = fields.first().map_or("", |f| f.0);
        return Err(CardError::invalid_input(
            field,
            format!("give one of {names}"),
        ));
    };
    match given.next() {
        Some((second, _)) => Err(CardError::invalid_input(
            second,
            format!(
                "give only one of {names}, not both `{}` and `{second}`",
                first.0
            ),
        )),
        None => Ok(first),
    }
}

/// The workspace gid a card works in: `given` when it is not blank, else the
/// connection's default workspace, checked with [`gid`]; with neither, an
/// `invalid-input` error naming `workspace`.
pub fn workspace_or_default<'a>(
    ctx: &'a Context,
    given: Option<&'a str>,
) -> Result<&'a str, CardError> {
    let workspace = given
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .or(ctx
            .default_workspace()
            .map(str::trim)
            .filter(|w| !w.is_empty()))
        .ok_or_else(|| {
            CardError::invalid_input(
                "workspace",
                "give a `workspace`: the connection has no default workspace",
            )
        })?;
    gid("workspace", workspace)
}

/// `value`, the gid of an Asana object, trimmed: ASCII digits only, as
/// Asana's gids are, so it is the same in a path (`/tasks/{gid}`), a query
/// or a body. Anything else is an `invalid-input` error naming `field`.
pub fn gid<'a>(field: &str, value: &'a str) -> Result<&'a str, CardError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CardError::invalid_input(
            field,
            format!("`{field}` must not be empty"),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::invalid_input(
            field,
            format!("`{field}` must be a gid (digits), not {value:?}"),
        ));
    }
    Ok(value)
}

/// Whether `value` looks like an email address: one `@`, something before
/// it, a dotted domain after it, no spaces.
pub fn looks_like_email(value: &str) -> bool {
    let value = value.trim();
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
}

/// `value` trimmed; `None` when absent or blank.
pub fn trimmed(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Whether `value` is a calendar date written `YYYY-MM-DD`, as Asana's
/// `due_on` and `start_on` take it.
pub fn is_date(value: &str) -> bool {
    let b = value.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shaped {
        return false;
    }
    let number = |from: usize, to: usize| value[from..to].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (number(0, 4), number(5, 7), number(8, 10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    year >= 1 && (1..=days).contains(&day)
}

/// Whether `value` is an RFC 3339 date-time such as `2024-05-01T17:00:00Z`,
/// `2024-05-01T17:00:00.250+02:00`.
pub fn is_date_time(value: &str) -> bool {
    let two_digits = |s: &str, max: u32| {
        s.len() == 2
            && s.bytes().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().unwrap_or(99) <= max
    };
    let clock = |s: &str, maxes: &[u32]| {
        let parts: Vec<&str> = s.split(':').collect();
        parts.len() == maxes.len() && parts.iter().zip(maxes).all(|(p, m)| two_digits(p, *m))
    };
    let Some((date, time)) = value.split_once(['T', 't']) else {
        return false;
    };
    let (time, zone_ok) = match time.strip_suffix(['Z', 'z']) {
        Some(time) => (time, true),
        None if time.len() > 6 && time.is_char_boundary(time.len() - 6) => {
            let (time, zone) = time.split_at(time.len() - 6);
            (
                time,
                zone.starts_with(['+', '-']) && clock(&zone[1..], &[23, 59]),
            )
        }
        None => return false,
    };
    let (time, fraction_ok) = match time.split_once('.') {
        Some((time, frac)) => (
            time,
            !frac.is_empty() && frac.bytes().all(|c| c.is_ascii_digit()),
        ),
        None => (time, true),
    };
    is_date(date) && zone_ok && fraction_ok && clock(time, &[23, 59, 60])
}

/// Checks a start and a due date as Asana takes them for a project
/// (`start_on`, `due_on`): each `YYYY-MM-DD`; a start date only with a due
/// date in the same request, and before it. The error names the field.
pub fn check_start_and_due(start_on: Option<&str>, due_on: Option<&str>) -> Result<(), CardError> {
    for (field, value) in [("due_on", due_on), ("start_on", start_on)] {
        if value.is_some_and(|v| !is_date(v)) {
            return Err(CardError::invalid_input(
                field,
                format!("`{field}` must be a calendar date written YYYY-MM-DD"),
            ));
        }
    }
    match (start_on, due_on) {
        (Some(_), None) => Err(CardError::invalid_input(
            "start_on",
            "`start_on` needs `due_on` in the same request: give both",
        )),
        (Some(start), Some(due)) if start >= due => Err(CardError::invalid_input(
            "start_on",
            "`start_on` must be before `due_on`",
        )),
        _ => Ok(()),
    }
}

/// A project's color, as Asana names them (`none` for no color).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProjectColor {
    DarkPink,
    DarkGreen,
    DarkBlue,
    DarkRed,
    DarkTeal,
    DarkBrown,
    DarkOrange,
    DarkPurple,
    DarkWarmGray,
    LightPink,
    LightGreen,
    LightBlue,
    LightRed,
    LightTeal,
    LightBrown,
    LightOrange,
    LightPurple,
    LightWarmGray,
    None,
}

/// The `opt_fields` that read a [`Project`].
pub const PROJECT_FIELDS: &str = "name,notes,color,default_view,privacy_setting,archived,\
completed,start_on,due_on,created_at,modified_at,owner.name,team.name,workspace.name,\
members.name,current_status_update.title,permalink_url";

/// An Asana project, as the project cards output it (read with
/// [`PROJECT_FIELDS`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Project {
    /// The project's gid.
    pub gid: String,
    /// The project's name.
    pub name: Option<String>,
    /// The description, as plain text.
    pub notes: Option<String>,
    /// The color (`dark-pink` … `light-warm-gray`, or `none`), or null.
    pub color: Option<String>,
    /// The view the project opens in: `list`, `board`, `calendar` or `timeline`.
    pub default_view: Option<String>,
    /// Who can see it: `public_to_workspace`, `private_to_team` or `private`.
    pub privacy_setting: Option<String>,
    /// Whether the project is archived.
    pub archived: Option<bool>,
    /// Whether the project is marked complete.
    pub completed: Option<bool>,
    /// The start date, `YYYY-MM-DD`, or null.
    pub start_on: Option<String>,
    /// The due date, `YYYY-MM-DD`, or null.
    pub due_on: Option<String>,
    /// When the project was created (RFC 3339).
    pub created_at: Option<String>,
    /// When the project was last modified (RFC 3339).
    pub modified_at: Option<String>,
    /// The project's owner, or null.
    pub owner: Option<Compact>,
    /// The team the project is shared with, or null.
    pub team: Option<Compact>,
    /// The workspace or organization of the project.
    pub workspace: Option<Compact>,
    /// The users who are members of the project.
    #[serde(default)]
    pub members: Vec<Compact>,
    /// The latest status update posted to the project, or null.
    pub current_status_update: Option<StatusUpdate>,
    /// The project's URL in Asana.
    pub permalink_url: Option<String>,
}

/// A status update in compact form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StatusUpdate {
    /// The status update's gid.
    pub gid: String,
    /// Its title.
    pub title: Option<String>,
}

/// A SCIM list answer (`ListResponse`).
#[derive(Debug, Clone, Deserialize)]
pub struct ScimList {
    #[serde(rename = "Resources", default)]
    pub resources: Vec<ScimUser>,
}

/// The part of a SCIM user the sdk reads.
#[derive(Debug, Clone, Deserialize)]
pub struct ScimUser {
    #[serde(rename = "userName", default)]
    pub user_name: Option<String>,
    #[serde(default)]
    pub emails: Vec<ScimEmail>,
    /// The user's SCIM id.
    #[serde(default)]
    pub id: Option<String>,
    /// The user's name parts.
    #[serde(default)]
    pub name: Option<ScimName>,
    /// Whether the user is active (false once deprovisioned).
    #[serde(default)]
    pub active: Option<bool>,
    /// The user's job title.
    #[serde(default)]
    pub title: Option<String>,
    /// The enterprise extension (`department`).
    #[serde(
        rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        default
    )]
    pub enterprise: Option<ScimEnterprise>,
}

/// A SCIM user's `name`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScimName {
    #[serde(default)]
    pub formatted: Option<String>,
    #[serde(rename = "givenName", default)]
    pub given_name: Option<String>,
    #[serde(rename = "familyName", default)]
    pub family_name: Option<String>,
}

/// The part of SCIM's enterprise user extension Asana takes.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScimEnterprise {
    #[serde(default)]
    pub department: Option<String>,
}

/// One of a SCIM user's emails.
#[derive(Debug, Clone, Deserialize)]
pub struct ScimEmail {
    pub value: String,
    #[serde(default)]
    pub primary: bool,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

/// The SCIM filter `userName eq "email"`, with `"` and `\` escaped.
pub fn scim_filter(email: &str) -> String {
    let escaped = email.replace('\\', "\\\\").replace('"', "\\\"");
    format!("userName eq \"{escaped}\"")
}

/// The emails of `users` that are not primary and not `primary_email`
/// (compared without case), without duplicates, in order.
pub fn secondary_emails_of(primary_email: &str, users: &[ScimUser]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for email in users.iter().flat_map(|u| &u.emails) {
        let value = email.value.trim();
        if email.primary
            || value.is_empty()
            || value.eq_ignore_ascii_case(primary_email)
            || out.iter().any(|e| e.eq_ignore_ascii_case(value))
        {
            continue;
        }
        out.push(value.to_string());
    }
    out
}

/// A SCIM failure as a [`CardError`] that names the service account token.
fn scim_error(err: AsanaError) -> CardError {
    if err.capability.is_some() {
        let e = CardError::from(err);
        return CardError::http(format!(
            "could not read secondary emails with the service account token: {}",
            e.message
        ));
    }
    let detail = err.detail();
    match err.status {
        401 => CardError::unauthorized(format!(
            "Asana refused the connection's service account token for SCIM (401): {detail}. \
             Check the service account token set on the connection."
        )),
        403 => CardError::forbidden(format!(
            "Asana refused SCIM access to the connection's service account token (403): {detail}. \
             Secondary emails need an Asana service account token of an Enterprise organization."
        )),
        _ => {
            let e = CardError::from(err);
            CardError {
                message: format!("could not read secondary emails with SCIM: {}", e.message),
                field: None,
                ..e
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Users and teams: paging bounds of list cards, a 404 named after the input
// that pointed at the missing object, user references, listing with a
// filter, and SCIM writes with the service account token.

/// The SCIM schema URN of a user.
pub const SCIM_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The SCIM schema URN of the enterprise user extension (`department`).
pub const SCIM_ENTERPRISE_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// The SCIM schema URN of a PATCH request.
pub const SCIM_PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// `value` trimmed, or `None` when absent; a value given but blank is an
/// `invalid-input` error naming `field` (leave it out instead).
pub fn non_blank<'v>(field: &str, value: Option<&'v str>) -> Result<Option<&'v str>, CardError> {
    match value.map(str::trim) {
        Some("") => Err(CardError::invalid_input(
            field,
            format!("`{field}` must not be blank: leave it out instead"),
        )),
        other => Ok(other),
    }
}

/// A user as Asana's `user` parameters take one: `me`, a gid (digits) or an
/// email address, trimmed; anything else is an `invalid-input` error naming
/// `field`.
pub fn user_ref<'v>(field: &str, value: &'v str) -> Result<&'v str, CardError> {
    let value = value.trim();
    let gid = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    if value == "me" || gid || looks_like_email(value) {
        Ok(value)
    } else {
        Err(CardError::invalid_input(
            field,
            format!("`{field}` must be `me`, a user gid or an email address, not {value:?}"),
        ))
    }
}

/// `value` trimmed, when it is an email address; else an `invalid-input`
/// error naming `field`.
pub fn email<'v>(field: &str, value: &'v str) -> Result<&'v str, CardError> {
    let value = value.trim();
    if looks_like_email(value) {
        Ok(value)
    } else {
        Err(CardError::invalid_input(
            field,
            format!("`{field}` must be an email address, not {value:?}"),
        ))
    }
}

/// Exactly one of two alternative inputs, each `(field, value)`: the field
/// given and its value, trimmed. Neither, both, or a blank value is an
/// `invalid-input` error naming a field.
pub fn one_of<'v>(
    first: (&'static str, Option<&'v str>),
    second: (&'static str, Option<&'v str>),
) -> Result<(&'static str, &'v str), CardError> {
    let a = non_blank(first.0, first.1)?;
    let b = non_blank(second.0, second.1)?;
    match (a, b) {
        (Some(a), None) => Ok((first.0, a)),
        (None, Some(b)) => Ok((second.0, b)),
        (Some(_), Some(_)) => Err(CardError::invalid_input(
            second.0,
            format!("give `{}` or `{}`, not both", first.0, second.0),
        )),
        (None, None) => Err(CardError::invalid_input(
            first.0,
            format!("give `{}` or `{}`", first.0, second.0),
        )),
    }
}

/// The run's connection must have a service account token (for SCIM):
/// otherwise an `invalid-input` error naming `connection`, before any
/// request.
pub fn require_service_account(ctx: &Context, card: &str) -> Result<(), CardError> {
    if ctx.has_service_account() {
        return Ok(());
    }
    Err(CardError::invalid_input(
        "connection",
        format!(
            "{card} manages users through Asana's SCIM API, which takes only a service account \
             token: the connection needs one (an Asana Enterprise service account token, set on \
             the connection as its service account token)"
        ),
    ))
}

impl AsanaError {
    /// This error as a [`CardError`], a 404 becoming a `not-found` error
    /// naming `field`, the input that pointed at `value`.
    pub fn or_not_found(self, field: &str, value: &str) -> CardError {
        if self.is_not_found() {
            CardError::not_found(format!(
                "Asana found no {value:?} (given as `{field}`) (404): {}",
                self.detail()
            ))
            .with_field(field)
        } else {
            self.into()
        }
    }
}

/// A SCIM write refused or failed as a [`CardError`]: a 401 or 403 says
/// that Asana refused the connection's service account token.
pub fn scim_card_error(err: AsanaError) -> CardError {
    if err.capability.is_some() {
        return err.into();
    }
    let detail = err.detail();
    match err.status {
        401 => CardError::unauthorized(format!(
            "Asana refused the connection's service account token for SCIM (401): {detail}. \
             Check the service account token set on the connection."
        )),
        403 => CardError::forbidden(format!(
            "Asana refused SCIM to the connection's service account token (403): {detail}. \
             Managing users needs the service account token of an Asana Enterprise organization."
        )),
        _ => err.into(),
    }
}

impl<'a> Asana<'a> {
    /// `method path` with `body` as it is (SCIM bodies have no `data`
    /// envelope) and the answer decoded.
    pub fn send_raw<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, AsanaError> {
        let request = Request::new(method, path)
            .json_body(body)
            .map_err(|e| AsanaError {
                status: 0,
                messages: vec![e.message],
                field: None,
                phrase: None,
                capability: None,
            })?;
        decode(&self.send(request)?)
    }

    /// The SCIM user whose `userName` is `email` (compared without case),
    /// read with the service account token; `None` when there is none.
    pub fn scim_user_by_email(&self, email: &str) -> Result<Option<ScimUser>, AsanaError> {
        let filter = scim_filter(email);
        let list: ScimList = self
            .with_service_account()
            .get_raw("/scim/Users", &[("filter", filter.as_str())])?;
        Ok(list.resources.into_iter().find(|u| {
            u.user_name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(email.trim()))
        }))
    }

    /// [`Asana::scim_user_by_email`] for a card: no such user (or one
    /// without an id) is a `not-found` error naming `field`, the input that
    /// led to `email`; a refusal names the service account token.
    pub fn scim_user_for(&self, field: &str, email: &str) -> Result<ScimUser, CardError> {
        self.scim_user_by_email(email)
            .map_err(scim_card_error)?
            .filter(|user| user.id.is_some())
            .ok_or_else(|| {
                CardError::not_found(format!(
                    "Asana has no user with email {email} in the service account's organization \
                     (SCIM)"
                ))
                .with_field(field)
            })
    }

    /// `POST /scim/Users` with `user` (a SCIM user resource) using the
    /// service account token; the user created.
    pub fn scim_create_user(&self, user: &Value) -> Result<ScimUser, AsanaError> {
        self.with_service_account()
            .send_raw(Method::Post, "/scim/Users", user)
    }

    /// `PATCH /scim/Users/{id}` with these `Operations` (see
    /// [`scim_replace`]) using the service account token; the user after.
    pub fn scim_patch(&self, id: &str, operations: Vec<Value>) -> Result<ScimUser, AsanaError> {
        let id = path_segment("id", id).map_err(|e| AsanaError {
            status: 400,
            messages: vec![e.message],
            field: Some("id".into()),
            phrase: None,
            capability: None,
        })?;
        let body = serde_json::json!({"schemas": [SCIM_PATCH_SCHEMA], "Operations": operations});
        self.with_service_account()
            .send_raw(Method::Patch, &format!("/scim/Users/{id}"), &body)
    }
}

/// A SCIM PATCH operation replacing the attribute at `path` with `value`.
pub fn scim_replace(path: &str, value: impl Into<Value>) -> Value {
    serde_json::json!({"op": "replace", "path": path, "value": value.into()})
}

/// An Asana user as SCIM describes it: what the user cards return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScimProfile {
    /// The user's SCIM id (the id `asana.update-user` takes).
    pub id: String,
    /// The user's primary email (SCIM `userName`).
    pub email: Option<String>,
    /// The user's full name (`name.formatted`, else given and family names).
    pub name: Option<String>,
    /// The user's job title, or null.
    pub title: Option<String>,
    /// The user's department, or null.
    pub department: Option<String>,
    /// Whether the user is active; false once deactivated (deprovisioned).
    pub active: Option<bool>,
}

impl From<ScimUser> for ScimProfile {
    fn from(user: ScimUser) -> Self {
        let name = user.name.unwrap_or_default();
        let parts = [name.given_name, name.family_name]
            .into_iter()
            .flatten()
            .filter(|p| !p.trim().is_empty())
            .collect::<Vec<_>>();
        let joined = (!parts.is_empty()).then(|| parts.join(" "));
        ScimProfile {
            id: user.id.unwrap_or_default(),
            email: user.user_name,
            name: name.formatted.filter(|n| !n.trim().is_empty()).or(joined),
            title: user.title,
            department: user.enterprise.and_then(|e| e.department),
            active: user.active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn get_all_follows_offsets_up_to_the_limit_and_the_page_cap() {
        use crate::testing::{clear_mock, mock_http};
        use std::cell::RefCell;
        use std::rc::Rc;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        mock_http(move |req| {
            let offset = req
                .query
                .iter()
                .find(|(k, _)| k == "offset")
                .map(|(_, v)| v.clone());
            log.borrow_mut().push(req.query.clone());
            let (data, next) = match offset.as_deref() {
                None => (json!([{"gid": "1"}, {"gid": "2"}]), json!({"offset": "b"})),
                Some("b") => (json!([{"gid": "3"}, {"gid": "4"}]), json!({"offset": "c"})),
                _ => (json!([{"gid": "5"}]), Value::Null),
            };
            Ok(Response::json_of(
                200,
                &json!({"data": data, "next_page": next}),
            ))
        });
        let ctx = Context::new("asana");
        let asana = Asana::new(&ctx);
        let (all, more) = asana
            .get_all::<Compact>("/users", &[("workspace", "1")], 10, 10)
            .unwrap();
        assert_eq!(all.len(), 5);
        assert!(!more);
        assert_eq!(seen.borrow()[0][1], ("limit".to_string(), "10".to_string()));
        assert_eq!(seen.borrow()[1][1], ("limit".to_string(), "8".to_string()));
        let (three, more) = asana.get_all::<Compact>("/users", &[], 3, 10).unwrap();
        assert_eq!((three.len(), more), (3, true));
        let (capped, more) = asana.get_all::<Compact>("/users", &[], 100, 1).unwrap();
        assert_eq!((capped.len(), more), (2, true));
        seen.borrow_mut().clear();
        let (small, _) = asana
            .get_all_by::<Compact>("/users", &[], 100, 2, 1)
            .unwrap();
        assert_eq!(small.len(), 2);
        assert_eq!(seen.borrow()[0][0], ("limit".to_string(), "2".to_string()));
        clear_mock();
    }

    #[test]
    fn field_from_asana_messages() {
        assert_eq!(
            field_of("assignee: Not a recognized ID: 12").as_deref(),
            Some("assignee")
        );
        assert_eq!(
            field_of("data.due_on: Invalid date").as_deref(),
            Some("due_on")
        );
        assert_eq!(
            field_of("custom_fields[0].gid: bad").as_deref(),
            Some("custom_fields[0].gid")
        );
        assert_eq!(field_of("Not Found"), None);
        assert_eq!(field_of("Error: something"), None);
        assert_eq!(field_of("see https://asana.com/x"), None);
        assert_eq!(field_of("workspace:missing space"), None);
        assert_eq!(
            field_of("You should specify one of workspace, parent, projects"),
            None
        );
    }

    #[test]
    fn parses_asana_errors() {
        let body = json!({"errors": [
            {"message": "Not a gid", "help": "..."},
            {"message": "workspace: Missing input", "phrase": "x"}
        ]});
        let e = parse_error(400, body.to_string().as_bytes());
        assert_eq!(e.status, 400);
        assert_eq!(e.messages, vec!["Not a gid", "workspace: Missing input"]);
        assert_eq!(e.field.as_deref(), Some("workspace"));
        let c: CardError = e.into();
        assert_eq!(c.kind, ErrorKind::InvalidInput);
        assert_eq!(c.field.as_deref(), Some("workspace"));
        assert!(c.message.contains("Missing input"));
    }

    #[test]
    fn a_server_error_keeps_the_phrase() {
        let body = json!({"errors": [{"message": "Server Error", "phrase": "6 sad squid snuggle softly",
                                      "help": "For more information on API status codes and how to handle them, read the docs on errors: https://developers.asana.com/docs/errors"}]});
        let e = parse_error(500, body.to_string().as_bytes());
        assert_eq!(e.phrase.as_deref(), Some("6 sad squid snuggle softly"));
        let c: CardError = e.into();
        assert_eq!(c.kind, ErrorKind::Provider);
        assert!(c.message.contains("(500): Server Error"), "{}", c.message);
        assert!(
            c.message.contains("\"6 sad squid snuggle softly\""),
            "{}",
            c.message
        );
        assert!(c.message.contains("Asana support"), "{}", c.message);
        let c: CardError = parse_error(503, br#"{"errors":[{"message":"Server Error"}]}"#).into();
        assert_eq!(c.message, "Asana had an error (503): Server Error");
    }

    #[test]
    fn get_each_answers_in_order_and_keeps_each_failure() {
        use crate::testing::{clear_mock, mock_http, take_batches};
        mock_http(|req| match req.url.as_str() {
            "/users/2" => Ok(Response::json_of(
                404,
                &json!({"errors": [{"message": "user: Unknown object: 2"}]}),
            )),
            url => Ok(Response::json_of(
                200,
                &json!({"data": {"gid": url.trim_start_matches("/users/")}}),
            )),
        });
        let ctx = Context::new("asana");
        let paths: Vec<String> = ["1", "2", "3"]
            .iter()
            .map(|g| format!("/users/{g}"))
            .collect();
        let users = Asana::new(&ctx).get_each::<Compact>(&paths, &[("opt_fields", "name")]);
        let batches = take_batches();
        clear_mock();
        assert_eq!(users.len(), 3);
        assert_eq!(users[0].as_ref().unwrap().gid, "1");
        assert!(users[1].as_ref().unwrap_err().is_not_found());
        assert_eq!(users[2].as_ref().unwrap().gid, "3");
        assert_eq!(batches.len(), 1);
        assert!(batches[0]
            .iter()
            .all(|r| r.credential == Credential::Connection
                && r.query == [("opt_fields".to_string(), "name".to_string())]));
    }

    #[test]
    fn secondary_emails_each_uses_the_service_account() {
        use crate::testing::{clear_mock, mock_http, take_batches};
        mock_http(|req| {
            assert_eq!(req.credential, Credential::ServiceAccount);
            Ok(Response::json_of(
                200,
                &json!({"Resources": [{"emails": [{"value": format!("other-{}", req.query[0].1.len())}]}]}),
            ))
        });
        let ctx = Context::new("asana");
        let emails = Asana::new(&ctx)
            .secondary_emails_each(&["a@x.io", "bb@x.io"])
            .unwrap();
        let batches = take_batches();
        clear_mock();
        assert_eq!(emails, [vec!["other-20"], vec!["other-21"]]);
        let filters: Vec<&str> = batches[0].iter().map(|r| r.query[0].1.as_str()).collect();
        assert_eq!(
            filters,
            [r#"userName eq "a@x.io""#, r#"userName eq "bb@x.io""#]
        );
        assert!(Asana::new(&ctx)
            .secondary_emails_each(&[])
            .unwrap()
            .is_empty());
    }

    #[test]
    fn parses_scim_and_text_errors() {
        let e = parse_error(403, br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"Forbidden","status":"403"}"#);
        assert_eq!(e.messages, vec!["Forbidden"]);
        let e = parse_error(502, b"Bad Gateway");
        assert_eq!(e.messages, vec!["Bad Gateway"]);
        let e = parse_error(502, b"<html>long page</html>");
        assert!(e.messages.is_empty());
        assert_eq!(CardError::from(e).kind, ErrorKind::Provider);
    }

    #[test]
    fn statuses_map_to_kinds() {
        let kind = |status| CardError::from(parse_error(status, b"{}")).kind;
        assert_eq!(kind(400), ErrorKind::InvalidInput);
        assert_eq!(kind(401), ErrorKind::Unauthorized);
        assert_eq!(kind(403), ErrorKind::Forbidden);
        assert_eq!(kind(404), ErrorKind::NotFound);
        assert_eq!(kind(429), ErrorKind::RateLimited);
        assert_eq!(kind(500), ErrorKind::Provider);
        assert_eq!(kind(503), ErrorKind::Provider);
        assert_eq!(kind(402), ErrorKind::Provider);
        let cap: CardError =
            AsanaError::from(HttpError::NeedsReauth("authorize again".into())).into();
        assert_eq!(cap.kind, ErrorKind::Http);
        assert_eq!(cap.message, "authorize again");
    }

    #[test]
    fn path_segments() {
        assert_eq!(path_segment("user", "me").unwrap(), "me");
        assert_eq!(path_segment("user", " 1234 ").unwrap(), "1234");
        assert_eq!(
            path_segment("user", "a.b+c@example.com").unwrap(),
            "a.b+c@example.com"
        );
        assert_eq!(
            path_segment("user", "o'neil@x.io").unwrap(),
            "o%27neil@x.io"
        );
        for bad in [
            "", " ", ".", "..", "1/2", "a\\b", "me?x=1", "a#b", "%2e%2e", "a b",
        ] {
            let e = path_segment("user", bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad}");
            assert_eq!(e.field.as_deref(), Some("user"));
        }
    }

    #[test]
    fn a_404_names_the_input_that_pointed_at_it() {
        let e = parse_error(
            404,
            br#"{"errors":[{"message":"task: Unknown object: 9"}]}"#,
        );
        let c = e.naming("parent");
        assert_eq!(c.kind, ErrorKind::NotFound);
        assert_eq!(c.field.as_deref(), Some("parent"));
        assert!(c.message.contains("`parent`") && c.message.contains("Unknown object: 9"));
        let c = parse_error(403, br#"{"errors":[{"message":"No access"}]}"#).naming("task");
        assert_eq!((c.kind, c.field), (ErrorKind::Forbidden, None));
        let e = || {
            parse_error(
                404,
                br#"{"errors":[{"message":"workspace: Unknown object: 1"}]}"#,
            )
        };
        assert_eq!(
            e().naming_any(&["user", "workspace"]).field.as_deref(),
            Some("workspace")
        );
        assert_eq!(
            e().naming_any(&["project"]).field.as_deref(),
            Some("project")
        );
        let c = parse_error(402, br#"{"errors":[{"message":"Payment Required"}]}"#)
            .premium_only("workspace", "task search");
        assert_eq!(
            (c.kind, c.field.as_deref()),
            (ErrorKind::Forbidden, Some("workspace"))
        );
        assert!(
            c.message.starts_with(
                "the workspace needs Asana Premium (or higher) for task search (Asana answered 402"
            ),
            "{}",
            c.message
        );
        let c = e().premium_only("workspace", "x");
        assert_eq!(c.kind, ErrorKind::NotFound);
    }

    #[test]
    fn gids() {
        assert_eq!(gid("task", " 12 ").unwrap(), "12");
        for bad in ["1/2", "..", "a b", "1%2F", "me@x.io", "ü"] {
            let e = gid("task", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("task"), "{bad}");
            assert!(e.message.starts_with("`task` must be a gid"), "{bad}");
        }
        let e = gid("task", " ").unwrap_err();
        assert_eq!(e.message, "`task` must not be empty");
    }

    #[test]
    fn exactly_one_of_several_fields() {
        let one = exactly_one(&[
            ("project", None),
            ("section", Some("5")),
            ("assignee", None),
        ]);
        assert_eq!(one.unwrap(), ("section", "5"));
        let e = exactly_one(&[("project", None), ("section", None)]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("project"));
        assert_eq!(e.message, "give one of `project`, `section`");
        let e = exactly_one(&[
            ("project", Some("1")),
            ("section", None),
            ("assignee", Some("")),
        ])
        .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("assignee"));
        assert!(
            e.message.contains("not both `project` and `assignee`"),
            "{}",
            e.message
        );
    }

    #[test]
    fn the_default_workspace_fills_in() {
        let ctx = Context::new("asana").with_default_workspace("1");
        assert_eq!(workspace_or_default(&ctx, Some(" 2 ")).unwrap(), "2");
        assert_eq!(workspace_or_default(&ctx, Some(" ")).unwrap(), "1");
        assert_eq!(workspace_or_default(&ctx, None).unwrap(), "1");
        let e = workspace_or_default(&Context::new("asana"), None).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("workspace"));
        let e = workspace_or_default(&ctx, Some("1/2")).unwrap_err();
        assert!(e.message.starts_with("`workspace` must be a gid"));
    }

    #[test]
    fn paging_bounds() {
        let defaults = (default_limit(), default_page_size(), default_max_pages());
        assert_eq!(defaults, (100, 100, 10));
        assert_eq!(check_paging(1, 1, 1).unwrap(), (1, 1, 1));
        assert_eq!(check_paging(1000, 100, 100).unwrap(), (1000, 100, 100));
        for ((limit, page_size, max_pages), field) in [
            ((0, 100, 10), "limit"),
            ((1001, 100, 10), "limit"),
            ((100, 0, 10), "page_size"),
            ((100, 101, 10), "page_size"),
            ((100, 100, 0), "max_pages"),
            ((100, 100, 101), "max_pages"),
        ] {
            let e = check_paging(limit, page_size, max_pages).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput);
            assert_eq!(e.field.as_deref(), Some(field));
            assert!(e.message.contains(field), "{}", e.message);
        }
    }

    #[test]
    fn get_all_where_filters_across_pages() {
        use crate::testing::{clear_mock, mock_http};
        use std::cell::RefCell;
        use std::rc::Rc;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        mock_http(move |req| {
            log.borrow_mut().push(req.query.clone());
            let offset = req.query.iter().find(|(k, _)| k == "offset");
            let (data, next) = match offset.map(|(_, v)| v.as_str()) {
                None => (
                    json!([{"gid": "1", "name": "Alpha"}, {"gid": "2", "name": "Beta"}]),
                    json!({"offset": "b"}),
                ),
                Some("b") => (
                    json!([{"gid": "3", "name": "alphabet"}, {"gid": "4", "name": "Gamma"}]),
                    json!({"offset": "c"}),
                ),
                _ => (json!([{"gid": "5", "name": "Alpine"}]), Value::Null),
            };
            Ok(Response::json_of(
                200,
                &json!({"data": data, "next_page": next}),
            ))
        });
        let ctx = Context::new("asana");
        let asana = Asana::new(&ctx);
        let alp = |c: &Compact| {
            c.name
                .as_deref()
                .unwrap_or("")
                .to_lowercase()
                .contains("alp")
        };
        let (all, more) = asana
            .get_all_where("/projects", &[("workspace", "1")], (10, 2, 10), alp)
            .unwrap();
        let gids: Vec<&str> = all.iter().map(|c| c.gid.as_str()).collect();
        assert_eq!((gids, more), (vec!["1", "3", "5"], false));
        assert_eq!(seen.borrow().len(), 3);
        assert!(seen
            .borrow()
            .iter()
            .all(|q| q[1] == ("limit".to_string(), "2".to_string())));
        let (two, more) = asana
            .get_all_where("/projects", &[], (2, 2, 10), alp)
            .unwrap();
        assert_eq!((two.len(), more), (2, true));
        let (one, more) = asana
            .get_all_where("/projects", &[], (1, 2, 10), alp)
            .unwrap();
        assert_eq!((one.len(), more), (1, true));
        let (capped, more) = asana
            .get_all_where("/projects", &[], (10, 2, 1), alp)
            .unwrap();
        assert_eq!((capped.len(), more), (1, true));
        clear_mock();
    }

    #[test]
    fn a_not_found_names_the_input() {
        let e =
            parse_error(404, br#"{"errors":[{"message":"Unknown object: 7"}]}"#).naming("project");
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::NotFound, Some("project"))
        );
        let e = parse_error(400, br#"{"errors":[{"message":"team: Missing input"}]}"#)
            .naming("project");
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::InvalidInput, Some("team"))
        );
        let e = parse_error(
            404,
            br#"{"errors":[{"message":"owner: Unknown object: 7"}]}"#,
        )
        .naming_any(&["project", "owner"]);
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::NotFound, Some("owner"))
        );
        let e = parse_error(403, b"{}").naming("project");
        assert_eq!((e.kind, e.field), (ErrorKind::Forbidden, None));
    }

    #[test]
    fn the_workspace_given_or_the_default() {
        let ctx = Context::new("asana").with_default_workspace(" 7 ");
        assert_eq!(workspace_or_default(&ctx, Some(" 3 ")).unwrap(), "3");
        assert_eq!(workspace_or_default(&ctx, Some(" ")).unwrap(), "7");
        assert_eq!(workspace_or_default(&ctx, None).unwrap(), "7");
        let e = workspace_or_default(&Context::new("asana"), None).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::InvalidInput, Some("workspace"))
        );
        assert_eq!(trimmed(Some(" a ")), Some("a"));
        assert_eq!(gid("member", " 12 ").unwrap(), "12");
        for bad in ["", " ", "me", "12a", "1 2", "-1"] {
            let e = gid("member", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("member"), "{bad}");
        }
        assert_eq!(trimmed(Some("  ")), None);
    }

    #[test]
    fn paging_bounds_name_the_field() {
        assert_eq!(
            check_paging(default_limit(), default_page_size(), default_max_pages()).unwrap(),
            (100, 100, 10)
        );
        assert_eq!(check_paging(1000, 1, 100).unwrap(), (1000, 1, 100));
        for (limit, page_size, max_pages, field) in [
            (0, 1, 1, "limit"),
            (1001, 1, 1, "limit"),
            (1, 0, 1, "page_size"),
            (1, 101, 1, "page_size"),
            (1, 1, 0, "max_pages"),
            (1, 1, 101, "max_pages"),
        ] {
            let e = check_paging(limit, page_size, max_pages).unwrap_err();
            assert_eq!(
                (e.kind, e.field.as_deref()),
                (ErrorKind::InvalidInput, Some(field))
            );
        }
    }

    #[test]
    fn dates_and_date_times() {
        for good in ["2024-02-29", "2027-12-31", "0001-01-01"] {
            assert!(is_date(good), "{good}");
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "24-01-01",
            "2024/01/01",
            "2024-1-01",
            "",
            "2024-01-01T00:00:00Z",
            "0000-01-01",
        ] {
            assert!(!is_date(bad), "{bad}");
        }
        for good in [
            "2024-05-01T17:00:00Z",
            "2024-05-01t17:00:00.250z",
            "2024-05-01T17:00:00+02:00",
            "2024-05-01T23:59:60-11:30",
        ] {
            assert!(is_date_time(good), "{good}");
        }
        for bad in [
            "2024-05-01",
            "2024-05-01T17:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T17:00:00",
            "2024-05-01T17:00:00+0200",
            "2024-05-01T17:00:00.Z",
            "2024-02-30T00:00:00Z",
            "now",
            "2024-05-01T17:00:00+02:60",
            "2024-05-01T1é:00:00+02:00",
        ] {
            assert!(!is_date_time(bad), "{bad}");
        }
    }

    #[test]
    fn start_and_due_dates() {
        assert!(check_start_and_due(None, None).is_ok());
        assert!(check_start_and_due(None, Some("2027-01-31")).is_ok());
        assert!(check_start_and_due(Some("2027-01-01"), Some("2027-01-31")).is_ok());
        for (start, due, field) in [
            (None, Some("2027-02-30"), "due_on"),
            (Some("2027-1-1"), Some("2027-01-31"), "start_on"),
            (Some("2027-01-01"), None, "start_on"),
            (Some("2027-01-31"), Some("2027-01-31"), "start_on"),
            (Some("2027-02-01"), Some("2027-01-31"), "start_on"),
        ] {
            let e = check_start_and_due(start, due).unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{start:?} {due:?}");
        }
    }

    #[test]
    fn projects_read_as_asana_renders_them() {
        let p: Project = serde_json::from_value(json!({
            "gid": "3", "resource_type": "project", "name": "Launch", "color": "dark-blue",
            "owner": {"gid": "1", "resource_type": "user", "name": "Ada"}, "team": null,
            "members": [{"gid": "1", "resource_type": "user", "name": "Ada"}],
            "current_status_update": {"gid": "9", "resource_type": "status_update", "title": "On track"}
        }))
        .unwrap();
        assert_eq!(p.owner.unwrap().name.as_deref(), Some("Ada"));
        assert_eq!((p.team, p.members.len()), (None, 1));
        assert_eq!(
            p.current_status_update.unwrap().title.as_deref(),
            Some("On track")
        );
        let colors: ProjectColor = serde_json::from_value(json!("dark-warm-gray")).unwrap();
        assert_eq!(colors, ProjectColor::DarkWarmGray);
        assert!(serde_json::from_value::<ProjectColor>(json!("dark_blue")).is_err());
        assert_eq!(
            serde_json::to_value(ProjectColor::None).unwrap(),
            json!("none")
        );
    }

    #[test]
    fn email_detection() {
        assert!(looks_like_email("ada@example.com"));
        assert!(looks_like_email("a.b+c@sub.example.co.uk"));
        for no in [
            "ada",
            "@example.com",
            "ada@",
            "ada@localhost",
            "a@b@c.d",
            "ada @x.io",
            "a@.x",
            "a@x.",
        ] {
            assert!(!looks_like_email(no), "{no}");
        }
    }

    #[test]
    fn scim_filters_and_secondary_emails() {
        assert_eq!(scim_filter("ada@x.io"), r#"userName eq "ada@x.io""#);
        assert_eq!(scim_filter(r#"a"b@x.io"#), r#"userName eq "a\"b@x.io""#);
        let list: ScimList = serde_json::from_value(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 1,
            "Resources": [{
                "userName": "ada@x.io",
                "emails": [
                    {"value": "ada@x.io", "primary": true, "type": "work"},
                    {"value": "ada@old.io", "type": "other"},
                    {"value": "ADA@x.io"},
                    {"value": "ada@old.io"},
                    {"value": "countess@y.io", "primary": false}
                ]
            }]
        }))
        .unwrap();
        assert_eq!(
            secondary_emails_of("ada@x.io", &list.resources),
            vec!["ada@old.io", "countess@y.io"]
        );
        assert!(secondary_emails_of("x@y.z", &[]).is_empty());
    }

    #[test]
    fn scim_refusal_names_the_service_account_token() {
        let e = scim_error(parse_error(403, br#"{"detail":"not allowed"}"#));
        assert_eq!(e.kind, ErrorKind::Forbidden);
        assert!(e.message.contains("service account token"), "{}", e.message);
    }

    #[test]
    fn check_paging_names_the_field_out_of_range() {
        assert!(check_paging(1, 1, 1).is_ok());
        assert!(check_paging(1000, 100, 100).is_ok());
        for ((limit, size, pages), field) in [
            ((0, 1, 1), "limit"),
            ((1001, 1, 1), "limit"),
            ((1, 0, 1), "page_size"),
            ((1, 101, 1), "page_size"),
            ((1, 1, 0), "max_pages"),
            ((1, 1, 101), "max_pages"),
        ] {
            let e = check_paging(limit, size, pages).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput);
            assert_eq!(e.field.as_deref(), Some(field));
            assert!(e.message.contains(field), "{}", e.message);
        }
    }

    #[test]
    fn blank_values_and_user_references() {
        assert_eq!(non_blank("title", None).unwrap(), None);
        assert_eq!(non_blank("title", Some(" CTO ")).unwrap(), Some("CTO"));
        let e = non_blank("title", Some("  ")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("title"));
        for good in ["me", " 12345 ", "ada@x.io"] {
            assert_eq!(user_ref("user", good).unwrap(), good.trim());
        }
        for bad in ["", "you", "12a", "ada@", "../1", "Me"] {
            let e = user_ref("user", bad).unwrap_err();
            assert_eq!(
                (e.kind, e.field.as_deref()),
                (ErrorKind::InvalidInput, Some("user")),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_missing_service_account_is_named_before_any_request() {
        let e = require_service_account(&Context::new("asana"), "asana.create-user").unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("connection"));
        assert!(e.message.contains("service account token"), "{}", e.message);
        assert!(require_service_account(
            &Context::new("asana").with_service_account(true),
            "asana.create-user"
        )
        .is_ok());
    }

    #[test]
    fn a_404_names_the_input_and_scim_refusals_the_token() {
        let e = parse_error(
            404,
            br#"{"errors":[{"message":"team: Unknown object: 9"}]}"#,
        )
        .or_not_found("team_gid", "9");
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.field.as_deref(), Some("team_gid"));
        assert!(e.message.contains("\"9\""), "{}", e.message);
        let e = parse_error(403, br#"{"errors":[{"message":"no"}]}"#).or_not_found("team", "9");
        assert_eq!(e.kind, ErrorKind::Forbidden);
        for (status, kind) in [(401, ErrorKind::Unauthorized), (403, ErrorKind::Forbidden)] {
            let e = scim_card_error(parse_error(status, br#"{"detail":"x"}"#));
            assert_eq!(e.kind, kind);
            assert!(e.message.contains("service account token"), "{}", e.message);
        }
        assert_eq!(
            scim_card_error(parse_error(404, b"{}")).kind,
            ErrorKind::NotFound
        );
    }

    #[test]
    fn get_all_where_stops_at_the_limit_and_says_when_there_may_be_more() {
        use crate::testing::{clear_mock, mock_http};
        use std::cell::RefCell;
        use std::rc::Rc;
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        mock_http(move |req| {
            log.borrow_mut().push(req.query.clone());
            let offset = req.query.iter().find(|(k, _)| k == "offset");
            let (data, next) = match offset.map(|(_, v)| v.as_str()) {
                None => (
                    json!([{"gid": "1", "name": "Ops"}, {"gid": "2", "name": "Design"}]),
                    json!({"offset": "b"}),
                ),
                Some("b") => (
                    json!([{"gid": "3", "name": "DevOps"}, {"gid": "4", "name": "ops east"}]),
                    json!({"offset": "c"}),
                ),
                _ => (json!([{"gid": "5", "name": "Sales"}]), Value::Null),
            };
            Ok(Response::json_of(
                200,
                &json!({"data": data, "next_page": next}),
            ))
        });
        let ctx = Context::new("asana");
        let asana = Asana::new(&ctx);
        let ops = |t: &Compact| {
            t.name
                .as_deref()
                .unwrap_or("")
                .to_lowercase()
                .contains("ops")
        };
        let (found, more) = asana
            .get_all_where::<Compact>(
                "/workspaces/1/teams",
                &[("opt_fields", "name")],
                (10, 2, 10),
                ops,
            )
            .unwrap();
        let gids: Vec<&str> = found.iter().map(|t| t.gid.as_str()).collect();
        assert_eq!((gids, more), (vec!["1", "3", "4"], false));
        assert_eq!(
            seen.borrow()[1],
            [("opt_fields", "name"), ("limit", "2"), ("offset", "b")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        let (found, more) = asana
            .get_all_where::<Compact>("/t", &[], (2, 2, 10), ops)
            .unwrap();
        assert_eq!((found.len(), more), (2, true), "the limit was reached");
        let (found, more) = asana
            .get_all_where::<Compact>("/t", &[], (10, 2, 1), ops)
            .unwrap();
        assert_eq!((found.len(), more), (1, true), "a page was left unread");
        seen.borrow_mut().clear();
        let (found, more) = asana
            .get_all_where::<Compact>("/t", &[], (3, 2, 10), ops)
            .unwrap();
        assert_eq!((found.len(), more), (3, true));
        assert_eq!(seen.borrow().len(), 2, "no page read past the limit");
        clear_mock();
    }

    #[test]
    fn scim_writes_use_the_service_account_and_raw_bodies() {
        use crate::testing::{clear_mock, mock_http};
        use std::cell::RefCell;
        use std::rc::Rc;
        let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
        let log = seen.clone();
        mock_http(move |req| {
            log.borrow_mut().push(req.clone());
            assert_eq!(req.credential, Credential::ServiceAccount);
            Ok(match (req.method, req.url.as_str()) {
                (Method::Get, "/scim/Users") => Response::json_of(
                    200,
                    &json!({"Resources": [{"id": "7", "userName": "Ada@X.io", "active": true}]}),
                ),
                _ => Response::json_of(
                    200,
                    &json!({"id": "7", "userName": "ada@x.io", "active": false,
                            "name": {"givenName": "Ada", "familyName": "Lovelace"},
                            "title": "Countess",
                            SCIM_ENTERPRISE_SCHEMA: {"department": "Maths"}}),
                ),
            })
        });
        let ctx = Context::new("asana");
        let asana = Asana::new(&ctx);
        let found = asana.scim_user_by_email("ada@x.io").unwrap().unwrap();
        assert_eq!(found.id.as_deref(), Some("7"));
        assert!(asana.scim_user_by_email("bob@x.io").unwrap().is_none());
        let created = asana
            .scim_create_user(&json!({"schemas": [SCIM_USER_SCHEMA], "userName": "ada@x.io"}))
            .unwrap();
        let patched = asana
            .scim_patch("7", vec![scim_replace("active", false)])
            .unwrap();
        assert_eq!(
            ScimProfile::from(patched),
            ScimProfile {
                id: "7".into(),
                email: Some("ada@x.io".into()),
                name: Some("Ada Lovelace".into()),
                title: Some("Countess".into()),
                department: Some("Maths".into()),
                active: Some(false),
            }
        );
        assert_eq!(created.title.as_deref(), Some("Countess"));
        let e = asana.scim_patch("../7", vec![]).unwrap_err();
        assert_eq!(CardError::from(e).field.as_deref(), Some("id"));
        clear_mock();
        let seen = seen.borrow();
        assert_eq!(seen.len(), 4, "no request for a bad id");
        assert_eq!(seen[0].query[0].1, r#"userName eq "ada@x.io""#);
        assert_eq!(
            (seen[2].method, seen[2].url.as_str()),
            (Method::Post, "/scim/Users")
        );
        let body: Value = serde_json::from_slice(seen[2].body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"schemas": [SCIM_USER_SCHEMA], "userName": "ada@x.io"})
        );
        assert_eq!(
            (seen[3].method, seen[3].url.as_str()),
            (Method::Patch, "/scim/Users/7")
        );
        let body: Value = serde_json::from_slice(seen[3].body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"schemas": [SCIM_PATCH_SCHEMA],
                   "Operations": [{"op": "replace", "path": "active", "value": false}]})
        );
    }

    #[test]
    fn a_scim_profile_prefers_the_formatted_name() {
        let user: ScimUser = serde_json::from_value(json!({
            "id": "7", "userName": "ada@x.io",
            "name": {"formatted": "Ada King", "givenName": "Ada", "familyName": "Lovelace"}
        }))
        .unwrap();
        let profile = ScimProfile::from(user);
        assert_eq!(profile.name.as_deref(), Some("Ada King"));
        assert_eq!(
            (profile.title, profile.department, profile.active),
            (None, None, None)
        );
        let bare: ScimUser = serde_json::from_value(json!({"id": "8"})).unwrap();
        assert_eq!(ScimProfile::from(bare).name, None);
    }

    #[test]
    fn emails_gids_and_alternative_inputs() {
        assert_eq!(email("email", " ada@x.io ").unwrap(), "ada@x.io");
        assert_eq!(
            email("email", "ada").unwrap_err().field.as_deref(),
            Some("email")
        );
        assert_eq!(gid("gid", " 42 ").unwrap(), "42");
        for bad in ["", "me", "4 2", "1/2"] {
            assert_eq!(
                gid("gid", bad).unwrap_err().field.as_deref(),
                Some("gid"),
                "{bad}"
            );
        }
        assert_eq!(
            one_of(("email", Some(" a ")), ("id", None)).unwrap(),
            ("email", "a")
        );
        assert_eq!(
            one_of(("email", None), ("id", Some("7"))).unwrap(),
            ("id", "7")
        );
        for (a, b, field) in [
            (None, None, "email"),
            (Some("a"), Some("7"), "id"),
            (Some(" "), None, "email"),
            (None, Some(""), "id"),
        ] {
            let e = one_of(("email", a), ("id", b)).unwrap_err();
            assert_eq!(
                (e.kind, e.field.as_deref()),
                (ErrorKind::InvalidInput, Some(field))
            );
        }
        assert_eq!(
            (default_limit(), default_page_size(), default_max_pages()),
            (100, 100, 10)
        );
    }

    #[test]
    fn the_workspace_or_the_default_one() {
        let none = Context::new("asana");
        let ws = Context::new("asana").with_default_workspace("1");
        assert_eq!(workspace_or_default(&ws, None).unwrap(), "1");
        assert_eq!(workspace_or_default(&none, Some(" 2 ")).unwrap(), "2");
        assert_eq!(workspace_or_default(&ws, Some(" ")).unwrap(), "1");
        for (ctx, value) in [(&none, None), (&ws, Some("1/2"))] {
            let e = workspace_or_default(ctx, value).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("workspace"), "{value:?}");
        }
    }

    #[test]
    fn scim_user_for_names_the_input_of_a_missing_user() {
        use crate::testing::{clear_mock, mock_http};
        mock_http(|req| {
            let found = req.query[0].1.contains("ada@x.io");
            let resources = if found {
                json!([{"id": "7", "userName": "ada@x.io"}])
            } else {
                json!([])
            };
            Ok(Response::json_of(200, &json!({"Resources": resources})))
        });
        let ctx = Context::new("asana");
        let asana = Asana::new(&ctx);
        assert_eq!(
            asana
                .scim_user_for("email", "ada@x.io")
                .unwrap()
                .id
                .as_deref(),
            Some("7")
        );
        let e = asana.scim_user_for("gid", "bob@x.io").unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::NotFound, Some("gid"))
        );
        assert!(e.message.contains("bob@x.io"), "{}", e.message);
        mock_http(|_| Ok(Response::json_of(403, &json!({"detail": "no"}))));
        let e = asana.scim_user_for("email", "ada@x.io").unwrap_err();
        clear_mock();
        assert!(e.message.contains("service account token"), "{}", e.message);
    }
}
