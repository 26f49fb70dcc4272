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
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

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
    /// whether or not it succeeded.
    pub async fn send(
        &self,
        grant: &Grant,
        request: Request,
        calls: &mut Vec<HttpCall>,
    ) -> Result<Response, HttpError> {
        let started = Instant::now();
        let method = request.method;
        let mut call = HttpCall {
            method: format!("{:?}", method).to_uppercase(),
            path: path_only(&request.url),
            status: None,
            duration_ms: 0.0,
            rate_limited: 0,
            error: None,
        };
        let result = self.send_inner(grant, request, &mut call).await;
        call.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match &result {
            Ok(resp) => call.status = Some(resp.status),
            Err(e) => call.error = Some(e.to_string()),
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
        let url = destination::resolve(&grant.connector, &request.url, &request.query)
            .map_err(HttpError::Denied)?;
        call.path = url.path().to_string();
        if request.credential == CredentialKind::ServiceAccount && !grant.allow_service_account {
            return Err(HttpError::Denied(
                "this card's manifest does not allow the service account token".into(),
            ));
        }
        let headers = card_headers(&request.headers)?;
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
            if status == 429 && call.rate_limited < self.limits.max_rate_limit_retries {
                let wait = retry_after(response.headers());
                if Instant::now() + wait < grant.deadline {
                    call.rate_limited += 1;
                    tracing::debug!(target: "cardhost::http", wait_ms = wait.as_millis() as u64, "waiting out a 429");
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            return self.read(grant, response).await;
        }
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
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    HttpError::NoCredential("the stored token is not a valid header value".into())
                })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = body {
            builder = builder.body(body.clone());
        }
        builder.send().await.map_err(|e| transport_error(&e))
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
        let limit = self.limits.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len as usize > limit)
        {
            return Err(HttpError::TooLarge(limit as u64));
        }
        let mut body = Vec::new();
        loop {
            let remaining = grant
                .deadline
                .checked_duration_since(Instant::now())
                .ok_or(HttpError::Timeout)?;
            let chunk = tokio::time::timeout(remaining, response.chunk())
                .await
                .map_err(|_| HttpError::Timeout)?
                .map_err(|e| transport_error(&e))?;
            let Some(chunk) = chunk else { break };
            if body.len() + chunk.len() > limit {
                return Err(HttpError::TooLarge(limit as u64));
            }
            body.extend_from_slice(&chunk);
        }
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

/// How long a 429 asks to wait: `Retry-After` in seconds, else one second.
fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(Duration::from_secs(1))
}

fn credential_error(e: CredentialError) -> HttpError {
    match e {
        CredentialError::Missing(m) => HttpError::NoCredential(m),
        CredentialError::NeedsReauth(m) => HttpError::NeedsReauth(m),
        CredentialError::Transient(m) => HttpError::Transport(m),
    }
}

/// A transport error without the URL's query (it may carry personal data).
fn transport_error(e: &reqwest::Error) -> HttpError {
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
    let host = e.url().and_then(|u| u.host_str()).unwrap_or("the provider");
    HttpError::Transport(format!("{what} ({host})"))
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
    fn retry_after_reads_seconds() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), Duration::from_secs(1));
        h.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Duration::from_secs(2));
        h.insert(RETRY_AFTER, HeaderValue::from_static("0.25"));
        assert_eq!(retry_after(&h), Duration::from_millis(250));
    }
}
