//! The authorized HTTP capability handed to cards.
//!
//! A card says what it wants (method, path or URL, headers, body) and which
//! credential to use; the host decides whether it may go there, strips any
//! credential the card tried to set, attaches the real one, refreshes it once
//! on a 401, waits out 429s within the run's deadline, caps the response size
//! and records the call. One [`HttpCapability`] (one connection pool) serves
//! the whole process; a [`Grant`] says what one run may do.

pub mod batch;
pub mod credentials;
pub mod destination;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::connectors::definition::RateLimit;
use crate::connectors::Connector;
pub use credentials::{CredentialError, CredentialKind, CredentialSource, StaticCredentials};

/// Headers a card may never set: credentials and connection framing.
const DROPPED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
];

/// HTTP methods a card may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// The method's name in capitals, e.g. `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn as_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// What a card asks the host to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    /// A path under the API base or a full URL.
    pub url: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub credential: CredentialKind,
}

/// What the host hands back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why the host did not deliver a response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    #[error("request refused: {0}")]
    Denied(String),
    #[error("{0}")]
    NoCredential(String),
    #[error("{0}")]
    NeedsReauth(String),
    #[error("the run's deadline passed before the provider answered")]
    Timeout,
    #[error("the response was larger than the {0} bytes a card may receive")]
    TooLarge(u64),
    #[error("{0}")]
    Transport(String),
}

/// One call a card made, as kept in the run's history: never a header value.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct HttpCall {
    pub method: String,
    /// The URL's path, without the query.
    pub path: String,
    /// The final status, or `None` when no response came.
    pub status: Option<u16>,
    pub duration_ms: f64,
    /// How many times a 429 was waited out.
    pub rate_limited: u32,
    /// Why the call failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Limits of the capability, the same for every run.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Largest response body a card may receive.
    pub max_response_bytes: usize,
    /// Longest URL a card may ask for (path or URL with its query encoded).
    pub max_url_bytes: usize,
    /// Most bytes of header names and values one request may carry.
    pub max_header_bytes: usize,
    /// Largest request body a card may send.
    pub max_request_body_bytes: usize,
    /// How many 429s one request waits out before the 429 is handed back.
    pub max_rate_limit_retries: u32,
    /// How many requests one run may make; later ones are refused. Every
    /// request a card asks for counts, sent or refused, one by one or in a batch.
    pub max_calls_per_run: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_response_bytes: 8 * 1024 * 1024,
            max_url_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_request_body_bytes: 4 * 1024 * 1024,
            max_rate_limit_retries: 5,
            max_calls_per_run: 1000,
        }
    }
}

/// What one run may do with the capability.
#[derive(Clone)]
pub struct Grant {
    pub connector: Arc<Connector>,
    pub credentials: Arc<dyn CredentialSource>,
    /// Whether the card's manifest allows the service account token.
    pub allow_service_account: bool,
    /// When the run must be over.
    pub deadline: Instant,
}

/// The process-wide HTTP capability: one connection pool for every card.
#[derive(Clone)]
pub struct HttpCapability {
    client: reqwest::Client,
    limits: HttpLimits,
}

impl HttpCapability {
    /// A capability with its own connection pool.
    pub fn new(limits: HttpLimits) -> anyhow::Result<HttpCapability> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("cardhost/", env!("CARGO_PKG_VERSION")))
            .redirect(same_origin_redirects())
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(HttpCapability { client, limits })
    }

    /// The limits every run is held to.
    pub fn limits(&self) -> &HttpLimits {
        &self.limits
    }

    /// The shared client, for the host's own calls (OAuth, health checks).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Send a card's request under a grant. The call is recorded in `calls`
    /// whether or not it succeeded, up to the per-run cap: past it, requests
    /// are refused without being sent, recorded or logged one by one.
    pub async fn send(
        &self,
        grant: &Grant,
        request: Request,
        calls: &mut Vec<HttpCall>,
    ) -> Result<Response, HttpError> {
        let cap = self.limits.max_calls_per_run;
        if calls.len() >= cap {
            if calls.len() == cap {
                calls.push(cap_reached(&request, cap));
            }
            return Err(HttpError::Denied(calls_cap_message(cap)));
        }
        let started = Instant::now();
        let method = request.method;
        let mut call = HttpCall {
            method: method.as_str().to_string(),
            path: recorded_path(&request.url),
            status: None,
            duration_ms: 0.0,
            rate_limited: 0,
            error: None,
        };
        let result = self.send_inner(grant, request, &mut call).await;
        call.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(resp) => call.status = Some(resp.status),
            Err(e) => call.error = Some(truncate(&e.to_string(), MAX_RECORDED_ERROR)),
        }
        tracing::info!(
            target: "cardhost::http",
            method = %call.method,
            path = %call.path,
            status = call.status,
            duration_ms = format_args!("{:.1}", call.duration_ms),
            rate_limited = call.rate_limited,
            error = call.error.as_deref(),
            "card request"
        );
        calls.push(call);
        result
    }

    async fn send_inner(
        &self,
        grant: &Grant,
        request: Request,
        call: &mut HttpCall,
    ) -> Result<Response, HttpError> {
        self.check_sizes(&request)?;
        let url = destination::resolve(&grant.connector, &request.url, &request.query)
            .map_err(HttpError::Denied)?;
        if url.as_str().len() > self.limits.max_url_bytes {
            return Err(HttpError::Denied(format!(
                "the request URL is {} bytes encoded; a card may send at most {}",
                url.as_str().len(),
                self.limits.max_url_bytes
            )));
        }
        call.path = truncate(url.path(), MAX_RECORDED_PATH);
        if request.credential == CredentialKind::ServiceAccount && !grant.allow_service_account {
            return Err(HttpError::Denied(
                "this card's manifest does not allow the service account token".into(),
            ));
        }
        let mut headers = card_headers(&request.headers)?;
        for (name, value) in &grant.connector.definition.api.headers {
            // Checked when the definition was validated.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        let mut token = match request.credential {
            CredentialKind::None => None,
            kind => Some(
                grant
                    .credentials
                    .token(kind)
                    .await
                    .map_err(credential_error)?,
            ),
        };
        let mut refreshed = false;
        loop {
            let response = self
                .attempt(
                    grant,
                    request.method,
                    &url,
                    &headers,
                    &request.body,
                    token.as_ref(),
                )
                .await?;
            let status = response.status().as_u16();
            if status == 401 && !refreshed {
                if let Some(rejected) = &token {
                    refreshed = true;
                    if let Some(fresh) = grant
                        .credentials
                        .after_unauthorized(request.credential, rejected)
                        .await
                        .map_err(credential_error)?
                    {
                        token = Some(fresh);
                        continue;
                    }
                }
            }
            let limited = rate_limit_wait(
                &grant.connector.definition.rate_limit,
                status,
                response.headers(),
                SystemTime::now(),
            );
            if let (Some(wait), true) = (
                limited,
                call.rate_limited < self.limits.max_rate_limit_retries,
            ) {
                let left = grant.deadline.saturating_duration_since(Instant::now());
                if wait < left {
                    call.rate_limited += 1;
                    tracing::debug!(target: "cardhost::http", status, wait_ms = wait.as_millis() as u64, "waiting out a rate limit");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                call.error = Some(format!(
                    "rate limited: the provider asked to wait {}, more than the {:.1} s left before the run's deadline",
                    describe_wait(wait),
                    left.as_secs_f64()
                ));
            }
            return self.read(grant, response).await;
        }
    }

    /// Refuse a request whose URL, headers or body are over the limits,
    /// before anything is parsed or copied.
    fn check_sizes(&self, request: &Request) -> Result<(), HttpError> {
        let url_bytes = request.url.len()
            + request
                .query
                .iter()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>();
        if url_bytes > self.limits.max_url_bytes {
            return Err(HttpError::Denied(format!(
                "the request URL is {url_bytes} bytes or more; a card may send at most {}",
                self.limits.max_url_bytes
            )));
        }
        let header_bytes: usize = request
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 4)
            .sum();
        if header_bytes > self.limits.max_header_bytes {
            return Err(HttpError::Denied(format!(
                "the request headers are {header_bytes} bytes; a card may send at most {}",
                self.limits.max_header_bytes
            )));
        }
        let body_bytes = request.body.as_ref().map_or(0, Vec::len);
        if body_bytes > self.limits.max_request_body_bytes {
            return Err(HttpError::Denied(format!(
                "the request body is {body_bytes} bytes; a card may send at most {}",
                self.limits.max_request_body_bytes
            )));
        }
        Ok(())
    }

    async fn attempt(
        &self,
        grant: &Grant,
        method: Method,
        url: &url::Url,
        headers: &HeaderMap,
        body: &Option<Vec<u8>>,
        token: Option<&SecretString>,
    ) -> Result<reqwest::Response, HttpError> {
        let remaining = grant
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(HttpError::Timeout)?;
        let mut builder = self
            .client
            .request(method.as_reqwest(), url.clone())
            .headers(headers.clone())
            .timeout(remaining);
        if let Some(token) = token {
            let scheme = grant
                .connector
                .definition
                .auth
                .token
                .as_ref()
                .map_or("Bearer", |t| t.scheme.as_str());
            let mut value = HeaderValue::from_str(&format!("{scheme} {}", token.expose_secret()))
                .map_err(|_| {
                HttpError::NoCredential("the stored token is not a valid header value".into())
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = body {
            builder = builder.body(body.clone());
        }
        builder.send().await.map_err(|e| transport_error(&e, url))
    }

    async fn read(
        &self,
        grant: &Grant,
        mut response: reqwest::Response,
    ) -> Result<Response, HttpError> {
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| *name != reqwest::header::SET_COOKIE)
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect();
        let url = response.url().clone();
        let limit = self.limits.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len as usize > limit)
        {
            return Err(HttpError::TooLarge(limit as u64));
        }
        // One timer for the whole body, at the run's deadline.
        let reading = async {
            let mut body = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| transport_error(&e, &url))?
            {
                if body.len() + chunk.len() > limit {
                    return Err(HttpError::TooLarge(limit as u64));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(body)
        };
        let body = tokio::time::timeout_at(grant.deadline.into(), reading)
            .await
            .map_err(|_| HttpError::Timeout)??;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Follow a redirect only within the same origin, at most five times.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().cloned();
        let same = first.is_some_and(|f| f.origin() == attempt.url().origin());
        if attempt.previous().len() > 5 || !same {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}

fn card_headers(pairs: &[(String, String)]) -> Result<HeaderMap, HttpError> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let lower = name.to_ascii_lowercase();
        if DROPPED_HEADERS.contains(&lower.as_str()) {
            continue;
        }
        let name = HeaderName::from_bytes(lower.as_bytes())
            .map_err(|_| HttpError::Denied(format!("{name:?} is not a valid header name")))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| HttpError::Denied(format!("the value of header {name} is not valid")))?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// How long a rate-limited answer asks to wait, or `None` when it is not
/// one. A 429 always is; another status the connector lists is when it
/// carries `Retry-After` or the connector's remaining header at 0. The wait
/// is `Retry-After`, else the reset time, else the connector's default.
fn rate_limit_wait(
    limits: &RateLimit,
    status: u16,
    headers: &HeaderMap,
    now: SystemTime,
) -> Option<Duration> {
    if !limits.statuses.contains(&status) && status != 429 {
        return None;
    }
    let header = |name: &Option<String>| {
        name.as_deref()
            .and_then(|n| headers.get(n))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let exhausted = header(&limits.remaining_header) == Some("0");
    let has_retry_after = headers.contains_key(RETRY_AFTER);
    if status != 429 && !has_retry_after && !exhausted {
        return None;
    }
    if has_retry_after {
        return Some(retry_after(headers, now));
    }
    let reset = header(&limits.reset_header).and_then(|v| v.parse::<u64>().ok());
    if let (true, Some(reset)) = (exhausted, reset) {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(reset);
        return Some(at.duration_since(now).unwrap_or(Duration::ZERO));
    }
    Some(Duration::from_secs(limits.default_wait_secs))
}

/// How long a 429 asks to wait, per RFC 9110 §10.2.3: `Retry-After` as
/// delay-seconds or as an HTTP-date (compared with `now`); one second when
/// it is absent or unreadable. Huge values saturate instead of overflowing
/// (the caller compares the wait with what is left of the run).
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Duration {
    let Some(value) = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()) else {
        return Duration::from_secs(1);
    };
    let value = value.trim();
    if let Ok(date) = httpdate::parse_http_date(value) {
        return date.duration_since(now).unwrap_or(Duration::ZERO);
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse::<u64>()
            .map(Duration::from_secs)
            .unwrap_or(Duration::MAX);
    }
    // Not RFC 9110's delay-seconds, but sent by some providers: fractions.
    match value.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => {
            Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX)
        }
        Ok(s) if s.is_infinite() && s > 0.0 => Duration::MAX,
        _ => Duration::from_secs(1),
    }
}

/// A wait for people: seconds, or "longer than a year".
fn describe_wait(wait: Duration) -> String {
    if wait > Duration::from_secs(365 * 24 * 3600) {
        "longer than a year".to_string()
    } else {
        format!("{:.1} s", wait.as_secs_f64())
    }
}

/// Longest path kept in a call's record and log line.
const MAX_RECORDED_PATH: usize = 256;
/// Longest error text kept in a call's record.
const MAX_RECORDED_ERROR: usize = 512;

/// The one record a run keeps of its requests past the cap: the first one,
/// logged once; the later ones are refused without a record.
fn cap_reached(request: &Request, cap: usize) -> HttpCall {
    tracing::warn!(target: "cardhost::http", cap, "a run reached its cap of requests; later ones are refused");
    HttpCall {
        method: request.method.as_str().to_string(),
        path: recorded_path(&request.url),
        status: None,
        duration_ms: 0.0,
        rate_limited: 0,
        error: Some(calls_cap_message(cap)),
    }
}

fn calls_cap_message(cap: usize) -> String {
    format!("this run already made {cap} requests, the per-run cap (CARDHOST_MAX_CALLS_PER_RUN)")
}

/// `text` cut to at most `max` bytes on a character boundary, marked with `…`.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}

fn credential_error(e: CredentialError) -> HttpError {
    match e {
        CredentialError::Missing(m) => HttpError::NoCredential(m),
        CredentialError::NeedsReauth(m) => HttpError::NeedsReauth(m),
        CredentialError::Transient(m) => HttpError::Transport(m),
    }
}

/// A transport error without the URL's query (it may carry personal data),
/// naming the host of `url`, the request's (an error met while reading a
/// body carries no URL of its own).
fn transport_error(e: &reqwest::Error, url: &url::Url) -> HttpError {
    if e.is_timeout() {
        return HttpError::Timeout;
    }
    let what = if e.is_connect() {
        "could not connect to the provider"
    } else if e.is_redirect() {
        "the provider redirected too often"
    } else if e.is_body() || e.is_decode() {
        "the provider's response broke off"
    } else {
        "the request to the provider failed"
    };
    let host = e
        .url()
        .and_then(|u| u.host_str())
        .or(url.host_str())
        .unwrap_or("the provider");
    HttpError::Transport(format!("{what} ({host})"))
}

/// The path of what a card asked for, as a call record keeps it: read from
/// the first bytes only, so a huge URL is neither parsed nor copied whole.
fn recorded_path(target: &str) -> String {
    let mut end = target.len().min(4 * MAX_RECORDED_PATH);
    while !target.is_char_boundary(end) {
        end -= 1;
    }
    truncate(&path_only(&target[..end]), MAX_RECORDED_PATH)
}

fn path_only(target: &str) -> String {
    let without_query = target.split(['?', '#']).next().unwrap_or(target);
    match url::Url::parse(without_query) {
        Ok(u) => u.path().to_string(),
        Err(_) => without_query.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_set_credentials_are_dropped() {
        let h = card_headers(&[
            ("Authorization".into(), "Bearer stolen".into()),
            ("Cookie".into(), "a=b".into()),
            ("Accept".into(), "application/json".into()),
        ])
        .unwrap();
        assert!(h.get("authorization").is_none());
        assert!(h.get("cookie").is_none());
        assert_eq!(h.get("accept").unwrap(), "application/json");
    }

    #[test]
    fn retry_after_reads_seconds_dates_and_absurd_values() {
        let now = SystemTime::now();
        let wait = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            retry_after(&h, now)
        };
        assert_eq!(retry_after(&HeaderMap::new(), now), Duration::from_secs(1));
        assert_eq!(wait("2"), Duration::from_secs(2));
        assert_eq!(wait("0.25"), Duration::from_millis(250));
        assert_eq!(wait("1e300"), Duration::MAX);
        assert_eq!(wait("99999999999999999999999"), Duration::MAX);
        assert_eq!(wait("inf"), Duration::MAX);
        assert_eq!(wait("-3"), Duration::from_secs(1));
        assert_eq!(wait("soon"), Duration::from_secs(1));
        let in_a_minute = httpdate::fmt_http_date(now + Duration::from_secs(61));
        let got = wait(&in_a_minute);
        assert!(
            got > Duration::from_secs(59) && got <= Duration::from_secs(61),
            "{got:?}"
        );
        assert_eq!(wait("Sun, 06 Nov 1994 08:49:37 GMT"), Duration::ZERO);
        assert_eq!(describe_wait(Duration::MAX), "longer than a year");
    }

    #[test]
    fn rate_limits_follow_the_connector() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let limits = RateLimit {
            statuses: vec![403, 429],
            remaining_header: Some("x-ratelimit-remaining".into()),
            reset_header: Some("x-ratelimit-reset".into()),
            default_wait_secs: 60,
        };
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, HeaderValue::from_str(v).unwrap());
            }
            h
        };
        let wait = |status, pairs: &[(&'static str, &str)]| {
            rate_limit_wait(&limits, status, &headers(pairs), now)
        };
        assert_eq!(wait(403, &[]), None, "a plain 403 is a refusal");
        assert_eq!(wait(500, &[("retry-after", "1")]), None);
        assert_eq!(
            wait(403, &[("retry-after", "3")]),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            wait(
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", "1010")
                ]
            ),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            wait(
                429,
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "10")]
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(wait(429, &[]), Some(Duration::from_secs(60)));
        assert_eq!(
            rate_limit_wait(
                &RateLimit::default(),
                403,
                &headers(&[("retry-after", "1")]),
                now
            ),
            None
        );
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("aé", 2), "a…");
    }
}
