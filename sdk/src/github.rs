//! A typed GitHub client over the authorized HTTP capability.
//!
//! [`GitHub`] sends requests relative to the connection's API base
//! (`https://api.github.com`) with `Accept: application/vnd.github+json`;
//! the host adds `X-GitHub-Api-Version` and the credential, so a card sets
//! no auth header. An error answer becomes a [`GitHubError`] (GitHub's
//! `message`, `documentation_url` and `errors`, and the rate-limit and
//! permission headers), which converts into a [`CardError`] of the right
//! kind. Lists are paged by the `Link` header: [`GitHub::get_pages`] follows
//! `rel="next"` (read with [`next_link`]) and [`GitHub::get_at_most`] caps a
//! list by items. [`login`] and [`repo_name`] check the path segments a card
//! takes as input.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{HttpError, Method, Request, Response};
use crate::{CardError, Context, ErrorKind};

/// The media type GitHub recommends asking for.
pub const ACCEPT: &str = "application/vnd.github+json";

/// The most items GitHub returns in one page of a list (`per_page`).
pub const MAX_PER_PAGE: usize = 100;

/// A client for the GitHub REST API of the run's connection.
#[derive(Debug, Clone, Copy)]
pub struct GitHub<'a> {
    ctx: &'a Context,
}

/// One entry of the `errors` list of a GitHub error answer (mostly a 422
/// "Validation Failed").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The kind of object, e.g. `Issue`.
    pub resource: Option<String>,
    /// The field at fault, in GitHub's request body, e.g. `title`.
    pub field: Option<String>,
    /// `missing`, `missing_field`, `invalid`, `already_exists`,
    /// `unprocessable` or `custom` (then `message` says what).
    pub code: Option<String>,
    /// GitHub's sentence, when it gives one.
    pub message: Option<String>,
    /// The value GitHub refused, when it says (as text).
    pub value: Option<String>,
}

/// GitHub refused a request, or the host did not deliver it.
///
/// The facts are a boxed [`GitHubErrorDetails`], read through `Deref`
/// (`err.status`, `err.message`, ...), so that a `Result<T, GitHubError>`
/// stays small.
#[derive(Debug, Clone, Default)]
pub struct GitHubError(Box<GitHubErrorDetails>);

/// What a [`GitHubError`] knows.
#[derive(Debug, Clone, Default)]
pub struct GitHubErrorDetails {
    /// The HTTP status GitHub answered; `0` when there was no answer
    /// (`capability` says why) or the request could not be built.
    pub status: u16,
    /// GitHub's `message`.
    pub message: Option<String>,
    /// GitHub's `documentation_url`.
    pub documentation_url: Option<String>,
    /// GitHub's `errors`.
    pub errors: Vec<FieldError>,
    /// `x-ratelimit-remaining`.
    pub rate_limit_remaining: Option<u64>,
    /// `x-ratelimit-reset`: when the primary rate limit resets, in Unix seconds.
    pub rate_limit_reset: Option<u64>,
    /// `retry-after`, as sent.
    pub retry_after: Option<String>,
    /// `x-accepted-github-permissions`: the permissions a fine-grained
    /// token or GitHub App needs for the endpoint, e.g. `issues=write`.
    pub accepted_permissions: Option<String>,
    /// `x-accepted-oauth-scopes`: the OAuth scopes the endpoint accepts.
    pub accepted_oauth_scopes: Option<String>,
    /// `x-oauth-scopes`: the OAuth scopes the token has.
    pub oauth_scopes: Option<String>,
    /// `x-github-sso`: set when an organization's SAML single sign-on
    /// refused the token.
    pub sso: Option<String>,
    /// The host's capability error, when the request was not delivered.
    pub capability: Option<HttpError>,
    /// Set when a 2xx answer did not decode: the answer is not what the card expects.
    pub undecodable: bool,
    field_names: Vec<(String, String)>,
    explanations: Vec<Explanation>,
}

impl std::ops::Deref for GitHubError {
    type Target = GitHubErrorDetails;
    fn deref(&self) -> &GitHubErrorDetails {
        &self.0
    }
}

impl std::ops::DerefMut for GitHubError {
    fn deref_mut(&mut self) -> &mut GitHubErrorDetails {
        &mut self.0
    }
}

impl From<GitHubErrorDetails> for GitHubError {
    fn from(details: GitHubErrorDetails) -> Self {
        GitHubError(Box::new(details))
    }
}

#[derive(Debug, Clone)]
struct Explanation {
    status: u16,
    field: Option<String>,
    message: String,
}

impl GitHubError {
    /// The error for GitHub's error answer `response`.
    pub fn from_response(response: &Response) -> Self {
        let header = |name: &str| {
            response
                .header(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let number = |name: &str| header(name).and_then(|v| v.parse::<u64>().ok());
        let mut err = GitHubErrorDetails {
            status: response.status,
            rate_limit_remaining: number("x-ratelimit-remaining"),
            rate_limit_reset: number("x-ratelimit-reset"),
            retry_after: header("retry-after"),
            accepted_permissions: header("x-accepted-github-permissions"),
            accepted_oauth_scopes: header("x-accepted-oauth-scopes"),
            oauth_scopes: header("x-oauth-scopes"),
            sso: header("x-github-sso"),
            ..GitHubErrorDetails::default()
        };
        match serde_json::from_slice::<Value>(&response.body) {
            Ok(json) => {
                let text = |key: &str| {
                    json.get(key)
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                };
                err.message = text("message");
                err.documentation_url = text("documentation_url");
                if let Some(errors) = json.get("errors").and_then(Value::as_array) {
                    err.errors = errors.iter().map(field_error).collect();
                }
            }
            Err(_) => {
                let text = String::from_utf8_lossy(&response.body);
                let text = text.trim();
                if !text.is_empty() && text.len() <= 200 && !text.starts_with('<') {
                    err.message = Some(text.to_string());
                }
            }
        }
        err.into()
    }

    /// An error for a request that could not be built (status 0).
    fn local(message: impl Into<String>) -> Self {
        GitHubErrorDetails {
            message: Some(message.into()),
            ..GitHubErrorDetails::default()
        }
        .into()
    }

    /// Names the card's input fields for GitHub's: each pair is (GitHub's
    /// field, the card's field), e.g. `("assignees", "assignees")`. GitHub's
    /// field may be qualified by its resource (`"Label.name"`), which wins
    /// over the bare field. A field GitHub names that is not listed keeps
    /// GitHub's name.
    pub fn with_fields(mut self, names: &[(&str, &str)]) -> Self {
        self.field_names
            .extend(names.iter().map(|(g, c)| (g.to_string(), c.to_string())));
        self
    }

    /// Says what an answer with `status` means for this call: `message`
    /// leads the [`CardError`]'s message (GitHub's own detail follows) and
    /// `field`, when given, is the input field named. The kind stays the
    /// one `status` maps to.
    ///
    /// ```no_run
    /// # use cardhost_sdk::prelude::*;
    /// # fn f(ctx: &Context) -> Result<Value, CardError> {
    /// Ok(GitHub::new(ctx)
    ///     .get("/users/octocat", &[])
    ///     .map_err(|e| e.explain(404, Some("username"), "GitHub has no user `octocat`"))?)
    /// # }
    /// ```
    pub fn explain(mut self, status: u16, field: Option<&str>, message: impl Into<String>) -> Self {
        self.explanations.push(Explanation {
            status,
            field: field.map(str::to_string),
            message: message.into(),
        });
        self
    }

    /// Whether GitHub answered 404.
    pub fn is_not_found(&self) -> bool {
        self.capability.is_none() && self.status == 404
    }

    /// Whether this is a rate limit: a 429, or a 403 with
    /// `x-ratelimit-remaining: 0`, with `retry-after`, or whose message
    /// says "rate limit" (GitHub's secondary rate limits).
    pub fn is_rate_limited(&self) -> bool {
        if self.capability.is_some() {
            return false;
        }
        self.status == 429
            || (self.status == 403
                && (self.rate_limit_remaining == Some(0)
                    || self.retry_after.is_some()
                    || self
                        .message
                        .as_deref()
                        .is_some_and(|m| m.to_ascii_lowercase().contains("rate limit"))))
    }

    /// Whether a 403 looks like a missing permission or OAuth scope rather
    /// than a rate limit: GitHub's "Resource not accessible by personal
    /// access token" (or "by integration"), a permission or scope header
    /// telling what is needed, or a message about scopes.
    pub fn is_missing_permission(&self) -> bool {
        if self.capability.is_some() || self.status != 403 || self.is_rate_limited() {
            return false;
        }
        let message = self.message.as_deref().unwrap_or("").to_ascii_lowercase();
        message.starts_with("resource not accessible by")
            || message.contains("scope")
            || self.accepted_permissions.is_some()
            || self.lacks_scope()
    }

    /// Whether the token's OAuth scopes include none of those the endpoint accepts.
    fn lacks_scope(&self) -> bool {
        let (Some(accepted), Some(granted)) = (&self.accepted_oauth_scopes, &self.oauth_scopes)
        else {
            return false;
        };
        let granted: Vec<&str> = scopes(granted).collect();
        let mut accepted = scopes(accepted).peekable();
        accepted.peek().is_some() && !accepted.any(|s| granted.contains(&s))
    }

    /// The card's name for the field GitHub blamed first, if any.
    pub fn field(&self) -> Option<String> {
        self.errors
            .iter()
            .find(|e| e.field.is_some())
            .and_then(|e| self.card_field(e))
    }

    fn card_field(&self, error: &FieldError) -> Option<String> {
        let field = error.field.as_deref()?;
        let qualified = error.resource.as_deref().map(|r| format!("{r}.{field}"));
        let mapped = |key: &str| {
            self.field_names
                .iter()
                .find(|(g, _)| g == key)
                .map(|(_, c)| c.clone())
        };
        qualified
            .as_deref()
            .and_then(mapped)
            .or_else(|| mapped(field))
            .or_else(|| Some(field.to_string()))
    }

    /// GitHub's message and errors joined, or a placeholder.
    pub fn detail(&self) -> String {
        let mut parts: Vec<String> = self.message.iter().cloned().collect();
        parts.extend(self.errors.iter().map(|e| self.describe(e)));
        parts.retain(|p| !p.is_empty());
        if parts.is_empty() {
            "no details given".to_string()
        } else {
            parts.join("; ")
        }
    }

    fn describe(&self, error: &FieldError) -> String {
        if let Some(message) = &error.message {
            return message.clone();
        }
        let what = match self.card_field(error) {
            Some(field) => format!("`{field}`"),
            None => error.resource.clone().unwrap_or_else(|| "a value".into()),
        };
        let how = match error.code.as_deref() {
            Some("missing") => "refers to something that does not exist".to_string(),
            Some("missing_field") => "is required".to_string(),
            Some("invalid") => "is not valid".to_string(),
            Some("already_exists") => "already exists".to_string(),
            Some("unprocessable") => "could not be processed".to_string(),
            Some(code) => format!("was refused ({code})"),
            None => "was refused".to_string(),
        };
        match &error.value {
            Some(value) => format!("{what} {how}: {value:?}"),
            None => format!("{what} {how}"),
        }
    }

    /// GitHub's documentation link, as a sentence's tail.
    fn see(&self) -> String {
        self.documentation_url
            .as_deref()
            .map(|u| format!(" (see {u})"))
            .unwrap_or_default()
    }

    fn rate_limit_tail(&self) -> String {
        match (&self.retry_after, self.rate_limit_reset) {
            (Some(after), _) => format!("; GitHub asks to wait {after} s"),
            (None, Some(reset)) if self.rate_limit_remaining == Some(0) => {
                format!("; it resets at Unix time {reset}")
            }
            _ => String::new(),
        }
    }

    /// What a 403 refusing a permission or scope should name.
    fn permission_tail(&self) -> String {
        let mut tail = String::new();
        if let Some(permissions) = &self.accepted_permissions {
            tail.push_str(&format!(
                ". GitHub says the token needs the permissions `{permissions}`"
            ));
        }
        if let Some(accepted) = &self.accepted_oauth_scopes {
            let granted = self.oauth_scopes.as_deref().unwrap_or("none");
            tail.push_str(&format!(
                ". GitHub accepts the OAuth scopes `{accepted}`; the token has `{granted}`"
            ));
        }
        tail
    }
}

/// The scopes of a comma-separated scope header.
fn scopes(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|s| !s.is_empty())
}

/// One `errors` entry: an object, or (rarely) a bare string.
fn field_error(value: &Value) -> FieldError {
    if let Some(message) = value.as_str() {
        return FieldError {
            message: Some(message.to_string()),
            ..FieldError::default()
        };
    }
    let text = |key: &str| match value.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Null) | Some(Value::String(_)) | None => None,
        Some(other) => Some(other.to_string()),
    };
    FieldError {
        resource: text("resource"),
        field: text("field"),
        code: text("code"),
        message: text("message"),
        value: text("value"),
    }
}

impl std::fmt::Display for GitHubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.capability {
            Some(err) => f.write_str(&crate::error::describe_http_error(err)),
            None => write!(f, "GitHub answered {}: {}", self.status, self.detail()),
        }
    }
}

impl std::error::Error for GitHubError {}

impl From<HttpError> for GitHubError {
    fn from(err: HttpError) -> Self {
        GitHubErrorDetails {
            capability: Some(err),
            ..GitHubErrorDetails::default()
        }
        .into()
    }
}

impl From<GitHubError> for CardError {
    /// 400 → `invalid-input`; 401 → `unauthorized`; 403 → `rate-limited`
    /// when it is a rate limit, else `forbidden` (saying whether a
    /// permission or scope looks missing); 404 → `not-found` (GitHub also
    /// answers 404 for what the credential may not see); 410 → `provider`;
    /// 422 → `invalid-input` naming the field; 429 → `rate-limited`; others
    /// → `provider`. A capability error → `http`, as [`CardError::from`]
    /// an [`HttpError`] does. An [`GitHubError::explain`]ed status leads
    /// with the caller's message.
    fn from(mut err: GitHubError) -> Self {
        if let Some(cap) = err.capability.take() {
            return CardError::from(cap);
        }
        let status = err.status;
        let detail = err.detail();
        if status == 0 {
            return CardError::internal(detail);
        }
        if err.undecodable {
            return CardError::provider(format!(
                "GitHub's answer (HTTP {status}) is not what the card expects: {detail}"
            ));
        }
        let see = err.see();
        let mut e = match status {
            400 => CardError::new(
                ErrorKind::InvalidInput,
                format!("GitHub rejected the request (400): {detail}{see}"),
            ),
            401 => CardError::unauthorized(format!(
                "GitHub refused the connection's credential (401): {detail}. \
                 Reconnect the GitHub connection or give it a valid token."
            )),
            403 | 429 if err.is_rate_limited() => CardError::rate_limited(format!(
                "GitHub's rate limit stopped the request ({status}): {detail}{}",
                err.rate_limit_tail()
            )),
            403 if err.sso.is_some() => CardError::forbidden(format!(
                "an organization's SAML single sign-on refused the connection's token (403): \
                 {detail}. Authorize the token for that organization."
            )),
            403 if err.is_missing_permission() => CardError::forbidden(format!(
                "the connection's credential lacks a permission or scope this needs (403): \
                 {detail}{}{see}",
                err.permission_tail()
            )),
            403 => CardError::forbidden(format!("GitHub refused the request (403): {detail}{see}")),
            404 => CardError::not_found(format!(
                "GitHub found nothing there (404): {detail}. GitHub also answers 404 for a \
                 private repository or organization the connection's credential cannot see."
            )),
            410 => CardError::provider(format!("GitHub says it is gone (410): {detail}")),
            422 => CardError {
                field: err.field(),
                ..CardError::new(
                    ErrorKind::InvalidInput,
                    format!("GitHub refused the input (422): {detail}{see}"),
                )
            },
            500..=599 => CardError::provider(format!("GitHub had an error ({status}): {detail}")),
            _ => CardError::provider(format!("GitHub answered {status}: {detail}")),
        };
        if let Some(explained) = err.explanations.iter().find(|x| x.status == status) {
            e.message = format!("{} (GitHub answered {status}: {detail})", explained.message);
            if explained.field.is_some() {
                e.field = explained.field.clone();
            }
        }
        e
    }
}

impl<'a> GitHub<'a> {
    /// A client using the connection's credential.
    pub fn new(ctx: &'a Context) -> Self {
        GitHub { ctx }
    }

    /// The run's context.
    pub fn context(&self) -> &'a Context {
        self.ctx
    }

    /// Sends `request` with `Accept: application/vnd.github+json` (unless it
    /// names another); a non-2xx answer is a [`GitHubError`].
    pub fn send(&self, mut request: Request) -> Result<Response, GitHubError> {
        if !request
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("accept"))
        {
            request = request.header("accept", ACCEPT);
        }
        let response = self.ctx.http().send(request)?;
        if response.is_success() {
            Ok(response)
        } else {
            Err(GitHubError::from_response(&response))
        }
    }

    /// `GET path?query`, decoded.
    pub fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, GitHubError> {
        decode(&self.send(with_query(Request::get(path), query))?)
    }

    /// `POST path` with `body` as JSON, the answer decoded.
    pub fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, GitHubError> {
        self.send_json(Method::Post, path, body)
    }

    /// `PATCH path` with `body` as JSON, the answer decoded.
    pub fn patch<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, GitHubError> {
        self.send_json(Method::Patch, path, body)
    }

    fn send_json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T, GitHubError> {
        let request = Request::new(method, path)
            .json_body(body)
            .map_err(|e| GitHubError::local(e.message))?;
        decode(&self.send(request)?)
    }

    /// `GET path?query` for a list, then each `rel="next"` page of the
    /// `Link` header (a full URL, sent as it is: the host lets it through
    /// only on the connector's allowed hosts), until `max_pages` pages (at
    /// least one) or no next link. The items of all pages, in order, and
    /// whether GitHub has more (a next link was left).
    pub fn get_pages<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        max_pages: usize,
    ) -> Result<(Vec<T>, bool), GitHubError> {
        let mut items = Vec::new();
        let mut request = with_query(Request::get(path), query);
        for _ in 0..max_pages.max(1) {
            let url = request.url.clone();
            let response = self.send(request)?;
            items.extend(decode::<Vec<T>>(&response)?);
            match next_link(&response) {
                // A next link back to the same page would never end.
                Some(next) if next != url => request = Request::get(next),
                _ => return Ok((items, false)),
            }
        }
        Ok((items, true))
    }

    /// At most `max_items` (at least one) items of a list: `per_page` is
    /// `min(100, max_items)` and pages are followed as [`GitHub::get_pages`]
    /// does until there are enough. The items, and whether the list was cut
    /// (GitHub has more than `max_items`).
    pub fn get_at_most<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        max_items: usize,
    ) -> Result<(Vec<T>, bool), GitHubError> {
        self.get_at_most_by(path, query, max_items, MAX_PER_PAGE)
    }

    /// [`GitHub::get_at_most`] asking for at most `page_size` items a page
    /// (1 to 100): smaller pages mean more requests, each answered sooner.
    pub fn get_at_most_by<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        max_items: usize,
        page_size: usize,
    ) -> Result<(Vec<T>, bool), GitHubError> {
        let max_items = max_items.max(1);
        let per_page = max_items.min(page_size.clamp(1, MAX_PER_PAGE));
        let per_page_text = per_page.to_string();
        let mut query = query.to_vec();
        query.push(("per_page", per_page_text.as_str()));
        let (mut items, more) = self.get_pages(path, &query, max_items.div_ceil(per_page))?;
        let cut = more || items.len() > max_items;
        items.truncate(max_items);
        Ok((items, cut))
    }
}

fn with_query(mut request: Request, query: &[(&str, &str)]) -> Request {
    for (name, value) in query {
        request = request.query(*name, *value);
    }
    request
}

fn decode<T: DeserializeOwned>(response: &Response) -> Result<T, GitHubError> {
    serde_json::from_slice(&response.body).map_err(|e| {
        GitHubErrorDetails {
            status: response.status,
            message: Some(format!(
                "GitHub's answer could not be read: {}",
                response.why_not_json(&e)
            )),
            undecodable: true,
            ..GitHubErrorDetails::default()
        }
        .into()
    })
}

/// One link of an RFC 8288 `Link` header: its target and its relation types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The target URI, as given between `<` and `>`.
    pub target: String,
    /// The `rel` parameter's relation types (it may list several, separated
    /// by spaces), as given.
    pub rels: Vec<String>,
}

/// The `rel="next"` target of `response`'s `Link` header(s), if any.
pub fn next_link(response: &Response) -> Option<String> {
    response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("link"))
        .find_map(|(_, value)| find_link(value, "next"))
}

/// The target of the first link of `header` (a `Link` header's value)
/// whose relation types include `rel` (compared without case).
pub fn find_link(header: &str, rel: &str) -> Option<String> {
    parse_links(header)
        .into_iter()
        .find(|link| link.rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
        .map(|link| link.target)
}

/// The links of a `Link` header's value (RFC 8288 §3): `<target>` then
/// `;`-separated parameters, links separated by commas. Whitespace around
/// the parts, parameters in any order, quoted or bare values (a quoted one
/// may hold `,` and `;`) are taken; only the first `rel` counts; a link that
/// does not start with `<` is skipped.
pub fn parse_links(header: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = header;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            return links;
        }
        let Some(after) = rest.strip_prefix('<') else {
            rest = skip_link(rest);
            continue;
        };
        let Some(end) = after.find('>') else {
            return links;
        };
        let target = after[..end].trim().to_string();
        rest = &after[end + 1..];
        let mut rels: Option<Vec<String>> = None;
        while let Some(param) = rest.trim_start().strip_prefix(';') {
            let (name, value, after) = parameter(param);
            rest = after;
            if name.eq_ignore_ascii_case("rel") && rels.is_none() {
                rels = Some(value.split_whitespace().map(str::to_string).collect());
            }
        }
        links.push(Link {
            target,
            rels: rels.unwrap_or_default(),
        });
        rest = skip_link(rest);
    }
}

/// One `name[=value]` parameter at the start of `s`: the name, the value
/// (unquoted) and what follows it.
fn parameter(s: &str) -> (&str, String, &str) {
    let end = s.find(['=', ';', ',']).unwrap_or(s.len());
    let name = s[..end].trim();
    let Some(value) = s[end..].strip_prefix('=') else {
        return (name, String::new(), &s[end..]);
    };
    let value = value.trim_start();
    if let Some(quoted) = value.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return (name, out, &quoted[i + 1..]),
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                c => out.push(c),
            }
        }
        (name, out, "")
    } else {
        let end = value.find([';', ',']).unwrap_or(value.len());
        (name, value[..end].trim().to_string(), &value[end..])
    }
}

/// `s` after the next comma that is not inside a quoted string.
fn skip_link(s: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => return &s[i + 1..],
            _ => {}
        }
    }
    ""
}

/// `value` (trimmed) if it can be a GitHub login: 1 to 39 ASCII letters,
/// digits, hyphens or underscores, not starting with a hyphen. New personal
/// accounts take single hyphens only, but older accounts may have doubled or
/// trailing hyphens and Enterprise Managed Users end in `_shortcode`, so the
/// check keeps a value safe in a path rather than re-stating sign-up rules.
/// Otherwise an `invalid-input` error naming `field`.
pub fn login<'v>(field: &str, value: &'v str) -> Result<&'v str, CardError> {
    let value = value.trim();
    let valid = (1..=39).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !value.starts_with('-');
    if valid {
        Ok(value)
    } else {
        Err(CardError::invalid_input(
            field,
            format!(
                "`{field}` must be a GitHub login: 1 to 39 letters, digits, hyphens or \
                 underscores, not starting with a hyphen (got {value:?})"
            ),
        ))
    }
}

/// `value` (trimmed) if it is a GitHub repository name: 1 to 100 ASCII
/// letters, digits, `.`, `-` or `_`, and not `.` or `..`. Otherwise an
/// `invalid-input` error naming `field`.
pub fn repo_name<'v>(field: &str, value: &'v str) -> Result<&'v str, CardError> {
    let value = value.trim();
    let valid = (1..=100).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        && value != "."
        && value != "..";
    if valid {
        Ok(value)
    } else {
        Err(CardError::invalid_input(
            field,
            format!(
                "`{field}` must be a repository name: 1 to 100 letters, digits, `.`, `-` or `_`, \
                 not `.` or `..` (got {value:?})"
            ),
        ))
    }
}

/// `value` percent-encoded as one path segment (outside `A-Z a-z 0-9 - . _ ~`),
/// for a value GitHub gave (such as a login read back) rather than one checked
/// with [`login`] or [`repo_name`].
pub fn path_segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{clear_mock, mock_http};
    use serde_json::json;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn answer(status: u16, headers: &[(&str, &str)], body: Value) -> Response {
        let mut r = Response::json_of(status, &body);
        r.headers
            .extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        r
    }

    fn card_error(status: u16, headers: &[(&str, &str)], body: Value) -> CardError {
        GitHubError::from_response(&answer(status, headers, body)).into()
    }

    #[test]
    fn link_headers_of_several_shapes() {
        let github = r#"<https://api.github.com/user/1/orgs?per_page=2&page=2>; rel="next", <https://api.github.com/user/1/orgs?per_page=2&page=5>; rel="last""#;
        assert_eq!(
            find_link(github, "next").as_deref(),
            Some("https://api.github.com/user/1/orgs?per_page=2&page=2")
        );
        assert_eq!(
            find_link(github, "last").as_deref(),
            Some("https://api.github.com/user/1/orgs?per_page=2&page=5")
        );
        assert_eq!(find_link(github, "prev"), None);
        // Last page: prev and first only.
        let last = r#"<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first""#;
        assert_eq!(find_link(last, "next"), None);
        // Whitespace, parameter order, bare values, case, extra parameters.
        for header in [
            r#"  < https://a.io/n > ;rel=next"#,
            r#"<https://a.io/n>;type="application/json"; REL="Next""#,
            "<https://a.io/n>\t;\ttitle=\"a, b; c\" ; rel = \"next\"  ",
            r#"<https://a.io/p>; rel="prev", <https://a.io/n>; rel="next""#,
            r#"<https://a.io/n>; rel="prefetch next""#,
            r#"<https://a.io/n>; rel=next; rel=last"#,
            r#"junk; rel="next", <https://a.io/n>; rel="next""#,
            r#"<https://a.io/x>; title="say \"next\", then"; rel="last", <https://a.io/n>; rel="next""#,
        ] {
            assert_eq!(
                find_link(header, "next").as_deref(),
                Some("https://a.io/n"),
                "{header}"
            );
        }
        // Only the first rel counts; a URL may hold commas and semicolons.
        assert_eq!(
            find_link("<https://a.io/n>; rel=last; rel=next", "next"),
            None
        );
        assert_eq!(
            find_link(r#"<https://a.io/s?q=a,b;c>; rel="next""#, "next").as_deref(),
            Some("https://a.io/s?q=a,b;c")
        );
        for nothing in ["", " , ", "<https://a.io/n", "<https://a.io/n>", "rel=next"] {
            assert_eq!(find_link(nothing, "next"), None, "{nothing:?}");
        }
        assert_eq!(
            parse_links(r#"<a>; rel="next last", <b>"#),
            vec![
                Link {
                    target: "a".into(),
                    rels: vec!["next".into(), "last".into()]
                },
                Link {
                    target: "b".into(),
                    rels: vec![]
                },
            ]
        );
        // Several Link headers on one answer.
        let r = Response::new(
            200,
            vec![
                ("Link".into(), r#"<https://a.io/l>; rel="last""#.into()),
                ("link".into(), r#"<https://a.io/n>; rel="next""#.into()),
            ],
            "[]",
        );
        assert_eq!(next_link(&r).as_deref(), Some("https://a.io/n"));
    }

    #[test]
    fn statuses_map_to_kinds() {
        let kind = |status| card_error(status, &[], json!({"message": "x"})).kind;
        assert_eq!(kind(400), ErrorKind::InvalidInput);
        assert_eq!(kind(401), ErrorKind::Unauthorized);
        assert_eq!(kind(403), ErrorKind::Forbidden);
        assert_eq!(kind(404), ErrorKind::NotFound);
        assert_eq!(kind(409), ErrorKind::Provider);
        assert_eq!(kind(410), ErrorKind::Provider);
        assert_eq!(kind(422), ErrorKind::InvalidInput);
        assert_eq!(kind(429), ErrorKind::RateLimited);
        assert_eq!(kind(500), ErrorKind::Provider);
        assert_eq!(kind(503), ErrorKind::Provider);
        let cap: CardError =
            GitHubError::from(HttpError::NeedsReauth("connect GitHub again".into())).into();
        assert_eq!(
            (cap.kind, cap.message.as_str()),
            (ErrorKind::Http, "connect GitHub again")
        );
        let e = card_error(
            401,
            &[],
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        );
        assert!(
            e.message.contains("(401): Bad credentials"),
            "{}",
            e.message
        );
        let e = card_error(502, &[], json!(null));
        assert_eq!(e.message, "GitHub had an error (502): no details given");
        let e: CardError =
            GitHubError::from_response(&Response::new(502, vec![], "Bad Gateway")).into();
        assert!(e.message.ends_with("Bad Gateway"), "{}", e.message);
    }

    #[test]
    fn a_403_says_permission_or_rate_limit() {
        let pat = card_error(
            403,
            &[("x-accepted-github-permissions", "issues=write")],
            json!({"message": "Resource not accessible by personal access token",
                   "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue", "status": "403"}),
        );
        assert_eq!(pat.kind, ErrorKind::Forbidden);
        assert!(
            pat.message.contains("lacks a permission"),
            "{}",
            pat.message
        );
        assert!(pat.message.contains("`issues=write`"), "{}", pat.message);
        assert!(
            pat.message
                .contains("see https://docs.github.com/rest/issues"),
            "{}",
            pat.message
        );
        let scope = card_error(
            403,
            &[
                ("X-OAuth-Scopes", "read:user"),
                ("X-Accepted-OAuth-Scopes", "repo, public_repo"),
            ],
            json!({"message": "Forbidden"}),
        );
        assert_eq!(scope.kind, ErrorKind::Forbidden);
        assert!(
            scope.message.contains("lacks a permission or scope"),
            "{}",
            scope.message
        );
        assert!(
            scope.message.contains("the token has `read:user`"),
            "{}",
            scope.message
        );
        let app = GitHubError::from_response(&answer(
            403,
            &[],
            json!({"message": "Resource not accessible by integration"}),
        ));
        assert!(app.is_missing_permission());
        // Scopes that include an accepted one are not a missing scope.
        let other = GitHubError::from_response(&answer(
            403,
            &[
                ("x-oauth-scopes", "repo, user"),
                ("x-accepted-oauth-scopes", "repo"),
            ],
            json!({"message": "Must have admin rights to Repository."}),
        ));
        assert!(!other.is_missing_permission());
        let e = CardError::from(other);
        assert_eq!(e.kind, ErrorKind::Forbidden);
        assert!(
            e.message.starts_with("GitHub refused the request (403)"),
            "{}",
            e.message
        );
        let primary = card_error(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", "1700000000"),
            ],
            json!({"message": "API rate limit exceeded for user ID 1."}),
        );
        assert_eq!(primary.kind, ErrorKind::RateLimited);
        assert!(
            primary.message.contains("Unix time 1700000000"),
            "{}",
            primary.message
        );
        let secondary = card_error(
            403,
            &[("retry-after", "60")],
            json!({"message": "You have exceeded a secondary rate limit."}),
        );
        assert_eq!(secondary.kind, ErrorKind::RateLimited);
        assert!(
            secondary.message.contains("wait 60 s"),
            "{}",
            secondary.message
        );
        let secondary = card_error(
            403,
            &[],
            json!({"message": "You have exceeded a secondary rate limit and have been temporarily blocked."}),
        );
        assert_eq!(secondary.kind, ErrorKind::RateLimited);
        let sso = card_error(
            403,
            &[(
                "x-github-sso",
                "required; url=https://github.com/orgs/acme/sso?authorization_request=1",
            )],
            json!({"message": "Resource protected by organization SAML enforcement."}),
        );
        assert!(sso.message.contains("single sign-on"), "{}", sso.message);
    }

    #[test]
    fn a_404_says_private_repositories_look_missing() {
        let e = card_error(404, &[], json!({"message": "Not Found", "status": "404"}));
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.message.contains("private repository"), "{}", e.message);
        let e: CardError =
            GitHubError::from_response(&answer(404, &[], json!({"message": "Not Found"})))
                .explain(404, Some("username"), "GitHub has no user `nobody`")
                .explain(410, None, "never used")
                .into();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert_eq!(e.field.as_deref(), Some("username"));
        assert_eq!(
            e.message,
            "GitHub has no user `nobody` (GitHub answered 404: Not Found)"
        );
        let gone: CardError = GitHubError::from_response(&answer(
            410,
            &[],
            json!({"message": "Issues are disabled for this repo"}),
        ))
        .explain(404, Some("repo"), "no such repository")
        .into();
        assert_eq!(gone.kind, ErrorKind::Provider);
        assert_eq!(gone.field, None);
        assert!(
            gone.message.contains("Issues are disabled"),
            "{}",
            gone.message
        );
    }

    #[test]
    fn a_422_names_the_cards_field() {
        let body = json!({
            "message": "Validation Failed",
            "errors": [
                {"resource": "Issue", "code": "custom", "field": "title", "message": "title is too long (maximum is 256 characters)"},
                {"resource": "Issue", "code": "invalid", "field": "assignees", "value": "nobody"}
            ],
            "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
            "status": "422"
        });
        let err = GitHubError::from_response(&answer(422, &[], body.clone()));
        assert_eq!(err.errors.len(), 2);
        assert_eq!(err.errors[1].value.as_deref(), Some("nobody"));
        let e: CardError = err.with_fields(&[("title", "issue_title")]).into();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("issue_title"));
        assert!(e.message.contains("Validation Failed; title is too long (maximum is 256 characters); `assignees` is not valid: \"nobody\""), "{}", e.message);
        // Unmapped: GitHub's name; qualified by resource: that mapping wins.
        let e = card_error(422, &[], body.clone());
        assert_eq!(e.field.as_deref(), Some("title"));
        let e: CardError = GitHubError::from_response(&answer(
            422,
            &[],
            json!({"message": "Validation Failed", "errors": [{"resource": "Label", "code": "invalid", "field": "name"}]}),
        ))
        .with_fields(&[("name", "title"), ("Label.name", "labels")])
        .into();
        assert_eq!(e.field.as_deref(), Some("labels"));
        assert!(e.message.contains("`labels` is not valid"), "{}", e.message);
        let e = card_error(
            422,
            &[],
            json!({"message": "Validation Failed", "errors": ["No commits between main and main"]}),
        );
        assert_eq!(e.field, None);
        assert!(e.message.contains("No commits between"), "{}", e.message);
    }

    #[test]
    fn requests_ask_for_github_json_and_carry_no_auth() {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        mock_http(move |req| {
            log.borrow_mut().push(req.clone());
            Ok(answer(201, &[], json!({"number": 7})))
        });
        let ctx = Context::new("github");
        let out: Value = GitHub::new(&ctx)
            .post("/repos/o/r/issues", &json!({"title": "t"}))
            .unwrap();
        clear_mock();
        assert_eq!(out["number"], 7);
        let req = seen.borrow()[0].clone();
        assert_eq!(
            (req.method, req.url.as_str()),
            (Method::Post, "/repos/o/r/issues")
        );
        assert_eq!(req.body.as_deref(), Some(&br#"{"title":"t"}"#[..]));
        let header = |name: &str| {
            req.headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("accept"), Some(ACCEPT));
        assert_eq!(header("content-type"), Some("application/json"));
        assert_eq!(header("authorization"), None);
    }

    #[test]
    fn an_unreadable_success_is_a_provider_error() {
        mock_http(|_| Ok(Response::new(200, vec![], "<html>")));
        let ctx = Context::new("github");
        let err = GitHub::new(&ctx).get::<Value>("/user", &[]).unwrap_err();
        clear_mock();
        let e = CardError::from(err);
        assert_eq!(e.kind, ErrorKind::Provider);
        assert!(
            e.message.contains("not what the card expects"),
            "{}",
            e.message
        );
    }

    /// A list of `total` numbers served `per_page` at a time by page number,
    /// with GitHub's Link header; the requests, once sent.
    fn serve_list(total: usize) -> Rc<RefCell<Vec<Request>>> {
        let seen = Rc::new(RefCell::new(Vec::new()));
        let log = seen.clone();
        mock_http(move |req| {
            log.borrow_mut().push(req.clone());
            let (path, params) = req.url.split_once('?').unwrap_or((req.url.as_str(), ""));
            let mut pairs: Vec<(String, String)> = req.query.clone();
            pairs.extend(
                params
                    .split('&')
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
            let get = |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.parse::<usize>().unwrap())
            };
            let per_page = get("per_page").unwrap_or(30);
            let page = get("page").unwrap_or(1);
            let items: Vec<usize> = (0..total)
                .skip((page - 1) * per_page)
                .take(per_page)
                .collect();
            let last = total.div_ceil(per_page);
            let base = "https://api.github.com/users/octocat/orgs";
            let path = path.trim_start_matches("https://api.github.com");
            assert_eq!(path, "/users/octocat/orgs");
            let mut links = Vec::new();
            if page < last {
                links.push(format!(
                    "<{base}?per_page={per_page}&page={}>; rel=\"next\"",
                    page + 1
                ));
                links.push(format!(
                    "<{base}?per_page={per_page}&page={last}>; rel=\"last\""
                ));
            }
            let headers: Vec<(&str, &str)> = Vec::new();
            let mut r = answer(200, &headers, json!(items));
            if !links.is_empty() {
                r.headers.push(("Link".into(), links.join(", ")));
            }
            Ok(r)
        });
        seen
    }

    #[test]
    fn pages_follow_next_links_up_to_the_cap() {
        let ctx = Context::new("github");
        let gh = GitHub::new(&ctx);
        let seen = serve_list(7);
        let (items, more) = gh
            .get_pages::<usize>("/users/octocat/orgs", &[("per_page", "3")], 10)
            .unwrap();
        assert_eq!((items, more), ((0..7).collect(), false));
        let urls: Vec<String> = seen.borrow().iter().map(|r| r.url.clone()).collect();
        assert_eq!(
            urls,
            [
                "/users/octocat/orgs",
                "https://api.github.com/users/octocat/orgs?per_page=3&page=2",
                "https://api.github.com/users/octocat/orgs?per_page=3&page=3"
            ]
        );
        // The next URL is sent as it is: no query added again.
        assert_eq!(
            seen.borrow()[0].query,
            vec![("per_page".to_string(), "3".to_string())]
        );
        assert!(seen.borrow()[1..]
            .iter()
            .all(|r| r.query.is_empty() && r.method == Method::Get));
        seen.borrow_mut().clear();
        let (items, more) = gh
            .get_pages::<usize>("/users/octocat/orgs", &[("per_page", "3")], 2)
            .unwrap();
        assert_eq!((items.len(), more), (6, true));
        assert_eq!(seen.borrow().len(), 2);
        // Zero pages still reads one.
        let (items, more) = gh
            .get_pages::<usize>("/users/octocat/orgs", &[("per_page", "3")], 0)
            .unwrap();
        assert_eq!((items.len(), more), (3, true));
        clear_mock();
    }

    #[test]
    fn at_most_caps_by_items() {
        let ctx = Context::new("github");
        let gh = GitHub::new(&ctx);
        for (total, max, expected, cut, requests, per_page) in [
            (250, 150, 150, true, 2, "100"),
            (150, 150, 150, false, 2, "100"),
            (3, 100, 3, false, 1, "100"),
            (5, 5, 5, false, 1, "5"),
            (6, 5, 5, true, 1, "5"),
            (1000, 1000, 1000, false, 10, "100"),
            (1001, 1000, 1000, true, 10, "100"),
        ] {
            let seen = serve_list(total);
            let (items, more) = gh
                .get_at_most::<usize>("/users/octocat/orgs", &[], max)
                .unwrap();
            assert_eq!((items.len(), more), (expected, cut), "{total} {max}");
            assert_eq!(items, (0..expected).collect::<Vec<_>>());
            assert_eq!(seen.borrow().len(), requests, "{total} {max}");
            assert_eq!(
                seen.borrow()[0].query,
                vec![("per_page".to_string(), per_page.to_string())]
            );
        }
        clear_mock();
    }

    #[test]
    fn a_failing_page_is_the_error() {
        let ctx = Context::new("github");
        let mut calls = 0;
        mock_http(move |_| {
            calls += 1;
            if calls > 1 {
                return Err(HttpError::Denied(
                    "evil.example is not one of the hosts the GitHub connector may reach".into(),
                ));
            }
            let mut r = answer(200, &[], json!([1]));
            r.headers.push((
                "link".into(),
                "<https://evil.example/p2>; rel=\"next\"".into(),
            ));
            Ok(r)
        });
        let err = GitHub::new(&ctx)
            .get_pages::<u32>("/x", &[], 5)
            .unwrap_err();
        clear_mock();
        let e = CardError::from(err);
        assert_eq!(e.kind, ErrorKind::Http);
        assert!(e.message.contains("evil.example"), "{}", e.message);
    }

    #[test]
    fn logins_and_repository_names() {
        for good in [
            "octocat",
            "a",
            "A-1-b",
            "x".repeat(39).as_str(),
            " mona ",
            "old--name-",
            "mona_acme",
        ] {
            assert!(login("owner", good).is_ok(), "{good}");
        }
        assert_eq!(login("owner", " mona ").unwrap(), "mona");
        for bad in ["", " ", "-a", "a.b", "../x", "me/x", "ü", &"x".repeat(40)] {
            let e = login("owner", bad).unwrap_err();
            assert_eq!(
                (e.kind, e.field.as_deref()),
                (ErrorKind::InvalidInput, Some("owner")),
                "{bad}"
            );
            assert!(e.message.contains("`owner`"), "{}", e.message);
        }
        for good in [
            "hello-world",
            ".github",
            "a_b.c",
            "...",
            "x".repeat(100).as_str(),
        ] {
            assert!(repo_name("repo", good).is_ok(), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "a%2e", "ü", &"x".repeat(101)] {
            let e = repo_name("repo", bad).unwrap_err();
            assert_eq!(e.field.as_deref(), Some("repo"), "{bad}");
        }
        assert_eq!(path_segment("mona-lisa_1.x"), "mona-lisa_1.x");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
