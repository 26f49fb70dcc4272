//! The raw authorized HTTP capability: build a [`Request`], [`Http::send`] it
//! (or several at once with [`Http::send_all`]), read the [`Response`].
//!
//! `Request`, `Response`, [`Method`], [`Credential`] and [`HttpError`] are the
//! WIT types of `cardhost:card/http`; this module adds a builder and readers.
//! The card never holds a credential: it names one with
//! [`Request::credential`] and the host attaches it. Headers the card sets
//! for `authorization`, `cookie` and `proxy-authorization` are dropped by the
//! host.
//!
//! ```no_run
//! # use cardhost_sdk::http::{Http, Request, Credential};
//! # fn f() -> Result<(), cardhost_sdk::CardError> {
//! let response = Http
//!     .send(
//!         Request::get("/users/me")
//!             .query("opt_fields", "name,email")
//!             .credential(Credential::Connection),
//!     )?;
//! let me: serde_json::Value = response.json()?;
//! # Ok(()) }
//! ```

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use crate::bindings::cardhost::card::http::{Credential, HttpError, Method, Request, Response};
use crate::CardError;

/// The HTTP capability. A zero-sized handle; [`crate::Context::http`] returns one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Http;

impl Http {
    /// Sends `request` through the host, which checks the destination,
    /// attaches the credential asked for and enforces the run's limits.
    pub fn send(&self, request: Request) -> Result<Response, HttpError> {
        #[cfg(target_arch = "wasm32")]
        {
            crate::bindings::cardhost::card::http::send(&request)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            crate::testing::send(&request)
        }
    }

    /// Sends `requests` through the host concurrently and returns the
    /// answers in request order: the i-th result is the answer to the i-th
    /// request. The host has at most 8 in flight at once, checks and
    /// authorizes each as [`Http::send`] does, and counts each toward the
    /// run's call cap (those past it are answered [`HttpError::Denied`]
    /// without being sent).
    pub fn send_all(&self, requests: Vec<Request>) -> Vec<Result<Response, HttpError>> {
        if requests.is_empty() {
            return Vec::new();
        }
        #[cfg(target_arch = "wasm32")]
        {
            crate::bindings::cardhost::card::http::send_all(&requests)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            crate::testing::send_all(&requests)
        }
    }
}

impl Method {
    /// The method's name in capitals, e.g. `GET`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl Request {
    /// A request with no query, headers or body, using the connection's credential.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            credential: Credential::Connection,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::Get, url)
    }

    /// `POST url`.
    pub fn post(url: impl Into<String>) -> Self {
        Request::new(Method::Post, url)
    }

    /// `PUT url`.
    pub fn put(url: impl Into<String>) -> Self {
        Request::new(Method::Put, url)
    }

    /// `PATCH url`.
    pub fn patch(url: impl Into<String>) -> Self {
        Request::new(Method::Patch, url)
    }

    /// `DELETE url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Request::new(Method::Delete, url)
    }

    /// Appends a query parameter (the host encodes it).
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Appends a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body to raw bytes.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// Sets the body to `value` as JSON, and `content-type: application/json`
    /// unless a content type was set already.
    pub fn json_body<T: Serialize + ?Sized>(mut self, value: &T) -> Result<Self, CardError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| CardError::internal(format!("could not encode the request body: {e}")))?;
        if !self
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            self.headers
                .push(("content-type".into(), "application/json".into()));
        }
        self.body = Some(body);
        Ok(self)
    }

    /// Which credential the host attaches (default [`Credential::Connection`]).
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = credential;
        self
    }

    /// Sends this request with [`Http::send`].
    pub fn send(self) -> Result<Response, HttpError> {
        Http.send(self)
    }
}

impl Response {
    /// A response, mostly for tests.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers,
            body: body.into(),
        }
    }

    /// A JSON response with `content-type: application/json`, mostly for tests.
    pub fn json_of(status: u16, value: &serde_json::Value) -> Self {
        Response::new(
            status,
            vec![("content-type".into(), "application/json".into())],
            value.to_string(),
        )
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Whether the content type says JSON (`application/json` or `*+json`).
    pub fn is_json(&self) -> bool {
        self.header("content-type").is_some_and(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
    }

    /// The body decoded as JSON into `T`; a body that does not decode is a
    /// provider error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, CardError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            CardError::provider(format!(
                "the provider's answer (HTTP {}) is not the JSON expected: {}",
                self.status,
                self.why_not_json(&e)
            ))
        })
    }

    /// Why the body did not decode, for an error message: the decoder's
    /// error, led by the content type when that does not say JSON (an HTML
    /// page from a proxy or a maintenance screen, say). A JSON body with
    /// another content type still decodes: this only words the failure.
    pub(crate) fn why_not_json(&self, e: &serde_json::Error) -> String {
        if self.is_json() {
            return e.to_string();
        }
        match self.header("content-type").map(str::trim) {
            Some(ct) if !ct.is_empty() => {
                let essence = ct.split(';').next().unwrap_or(ct).trim();
                format!("it is {essence}, not JSON ({e})")
            }
            _ => format!("it has no content type and is not JSON ({e})"),
        }
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_collects_parts() {
        let req = Request::post("/tasks")
            .query("opt_fields", "name")
            .header("X-Trace", "1")
            .credential(Credential::ServiceAccount)
            .json_body(&serde_json::json!({"a": 1}))
            .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, "/tasks");
        assert_eq!(req.query, vec![("opt_fields".into(), "name".into())]);
        assert_eq!(req.headers.len(), 2);
        assert_eq!(req.body.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(req.credential, Credential::ServiceAccount);
    }

    #[test]
    fn json_body_keeps_an_explicit_content_type() {
        let req = Request::post("/x")
            .header("Content-Type", "application/vnd.api+json")
            .json_body(&1)
            .unwrap();
        assert_eq!(req.headers.len(), 1);
    }

    #[test]
    fn response_readers() {
        let r = Response::new(
            201,
            vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            r#"{"x":2}"#,
        );
        assert!(r.is_success());
        assert!(r.is_json());
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(r.json::<serde_json::Value>().unwrap()["x"], 2);
        let bad = Response::new(200, vec![], "nope");
        assert!(!bad.is_json());
        let e = bad.json::<serde_json::Value>().unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Provider);
        assert!(e.message.contains("no content type"), "{}", e.message);
    }

    #[test]
    fn a_body_that_is_not_json_is_named_by_its_content_type() {
        let page = Response::new(
            200,
            vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            "<html><body>Service Unavailable</body></html>",
        );
        let e = page.json::<serde_json::Value>().unwrap_err();
        assert!(
            e.message.contains("it is text/html, not JSON"),
            "{}",
            e.message
        );
        let cut = Response::new(
            200,
            vec![("content-type".into(), "application/json".into())],
            r#"{"data": "#,
        );
        let e = cut.json::<serde_json::Value>().unwrap_err();
        assert!(!e.message.contains("not JSON ("), "{}", e.message);
        let mislabelled = Response::new(
            200,
            vec![("content-type".into(), "text/plain".into())],
            "[1]",
        );
        assert_eq!(mislabelled.json::<Vec<u8>>().unwrap(), vec![1]);
    }
}
