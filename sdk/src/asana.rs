//! A typed Asana client over the authorized HTTP capability.
//!
//! [`Asana`] sends requests relative to the connection's API base
//! (`https://app.asana.com/api/1.0`), unwraps Asana's `{"data": ...}`
//! envelope and turns `{"errors": [{"message": ...}]}` answers into an
//! [`AsanaError`], which converts into a [`CardError`] of the right kind.
//! Several reads go out at once with [`Asana::get_each`] (the host's
//! `send-all`). SCIM calls (`/scim/Users`) use the connection's service
//! account token: see [`Asana::secondary_emails`] and
//! [`Asana::secondary_emails_each`].

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

    /// Asana's messages joined, or a placeholder.
    pub fn detail(&self) -> String {
        if self.messages.is_empty() {
            "no details given".to_string()
        } else {
            self.messages.join("; ")
        }
    }

    /// This error as a [`CardError`]; a 404 names `field`, the input that
    /// pointed at the missing object, unless Asana's message named one.
    pub fn naming(self, field: &str) -> CardError {
        let not_found = self.is_not_found() && self.field.is_none();
        let err = CardError::from(self);
        if not_found {
            err.with_field(field)
        } else {
            err
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
        keep: impl Fn(&T) -> bool,
    ) -> Result<(Vec<T>, bool), AsanaError> {
        let limit = limit.max(1);
        let page_size = page_size.clamp(1, MAX_PAGE_SIZE).to_string();
        let mut items: Vec<T> = Vec::new();
        let mut offset: Option<String> = None;
        for _ in 0..max_pages.max(1) {
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("limit", &page_size));
            if let Some(o) = &offset {
                q.push(("offset", o));
            }
            let page = self.get_page::<T>(path, &q)?;
            items.extend(page.data.into_iter().filter(|item| keep(item)));
            offset = page.next_offset;
            if items.len() > limit {
                items.truncate(limit);
                return Ok((items, true));
            }
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
        self.send_data(Method::Put, path, &[], body)
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

fn with_query(mut request: Request, query: &[(&str, &str)]) -> Request {
    for (name, value) in query {
        request = request.query(*name, *value);
    }
    request
}

fn decode<T: DeserializeOwned>(response: &Response) -> Result<T, AsanaError> {
    serde_json::from_slice(&response.body).map_err(|e| AsanaError {
        status: response.status,
        messages: vec![format!("Asana's answer could not be read: {e}")],
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
pub fn non_blank(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// `value` trimmed when it is an Asana gid (digits only), else an
/// `invalid-input` error naming `field`.
pub fn check_gid<'a>(field: &str, value: &'a str) -> Result<&'a str, CardError> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CardError::invalid_input(
            field,
            format!("`{field}` must be a gid (digits only, such as 1200000000000001)"),
        ));
    }
    Ok(value)
}

/// The workspace a card acts in: `given` unless blank, else the connection's
/// default workspace; without either, an `invalid-input` error naming
/// `workspace`.
pub fn workspace_or_default<'a>(
    given: Option<&'a str>,
    ctx: &'a Context,
) -> Result<&'a str, CardError> {
    non_blank(given)
        .or(non_blank(ctx.default_workspace()))
        .ok_or_else(|| {
            CardError::invalid_input(
                "workspace",
                "give a `workspace`: the connection has no default workspace",
            )
        })
}

/// The default `limit` of a list card: 100 items.
pub fn default_limit() -> u32 {
    100
}

/// The default `page_size` of a list card: 100, Asana's largest page.
pub fn default_page_size() -> u32 {
    MAX_PAGE_SIZE as u32
}

/// The default `max_pages` of a list card: 10.
pub fn default_max_pages() -> u32 {
    10
}

/// Checks a list card's `limit` (1 to 1000), `page_size` (1 to 100) and
/// `max_pages` (1 to 100), naming the field out of range, and returns them
/// in that order for [`Asana::get_all_by`] or [`Asana::get_all_where`].
pub fn paging(
    limit: u32,
    page_size: u32,
    max_pages: u32,
) -> Result<(usize, usize, usize), CardError> {
    for (field, value, max) in [
        ("limit", limit, 1000),
        ("page_size", page_size, MAX_PAGE_SIZE as u32),
        ("max_pages", max_pages, 100),
    ] {
        if !(1..=max).contains(&value) {
            return Err(CardError::invalid_input(
                field,
                format!("`{field}` must be between 1 and {max}"),
            ));
        }
    }
    Ok((limit as usize, page_size as usize, max_pages as usize))
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
        .naming("project");
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
        assert_eq!(workspace_or_default(Some(" 3 "), &ctx).unwrap(), "3");
        assert_eq!(workspace_or_default(Some(" "), &ctx).unwrap(), "7");
        assert_eq!(workspace_or_default(None, &ctx).unwrap(), "7");
        let e = workspace_or_default(None, &Context::new("asana")).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::InvalidInput, Some("workspace"))
        );
        assert_eq!(non_blank(Some(" a ")), Some("a"));
        assert_eq!(check_gid("member", " 12 ").unwrap(), "12");
        for bad in ["", " ", "me", "12a", "1 2", "-1"] {
            let e = check_gid("member", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("member"), "{bad}");
        }
        assert_eq!(non_blank(Some("  ")), None);
    }

    #[test]
    fn paging_bounds_name_the_field() {
        assert_eq!(
            paging(default_limit(), default_page_size(), default_max_pages()).unwrap(),
            (100, 100, 10)
        );
        assert_eq!(paging(1000, 1, 100).unwrap(), (1000, 1, 100));
        for (limit, page_size, max_pages, field) in [
            (0, 1, 1, "limit"),
            (1001, 1, 1, "limit"),
            (1, 0, 1, "page_size"),
            (1, 101, 1, "page_size"),
            (1, 1, 0, "max_pages"),
            (1, 1, 101, "max_pages"),
        ] {
            let e = paging(limit, page_size, max_pages).unwrap_err();
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
}
