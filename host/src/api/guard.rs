//! The first check of every request, before the API key or a session: DNS rebinding and cross-site
//! requests.
//!
//! - `Host` must name this host: the listen address, `localhost`, `127.0.0.1` or `[::1]` with the
//!   listen port, or the host of `CARDHOST_PUBLIC_URL` (and of the OAuth redirect URI, when it is set
//!   apart). Anything else is answered 421 Misdirected Request: a page whose name was rebound to
//!   127.0.0.1 still sends its own name as `Host`.
//! - A request that changes state (POST, PUT, PATCH, DELETE) is refused with 403 when its
//!   `Sec-Fetch-Site` is `cross-site` or its `Origin` is not one of the host's own origins (those same
//!   names over http, and the public URL's origin). Requests with neither header, as the CLI and curl
//!   send them, pass. `Origin: null`, which a browser sends for a form posted from a page under
//!   `Referrer-Policy: no-referrer` (as the console's pages are) but also from sandboxed frames and
//!   local files, passes only with `Sec-Fetch-Site: same-origin`.
//! - GET and HEAD are not checked for their origin: following a link to the console is a normal
//!   cross-site navigation, and so is the OAuth callback, a top-level GET from the provider that its
//!   single-use state and PKCE protect.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use url::Url;

use crate::config::Settings;

/// The names and origins this host answers to.
#[derive(Clone)]
pub struct Guard(Arc<Allowed>);

struct Allowed {
    /// `host:port`, lowercase, and a bare `host` where the port is its scheme's default.
    authorities: HashSet<String>,
    /// Serialized origins, `scheme://host[:port]`.
    origins: HashSet<String>,
}

impl Allowed {
    fn add(&mut self, url: &Url) {
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return;
        };
        let host = host.to_ascii_lowercase();
        self.authorities.insert(format!("{host}:{port}"));
        if url.port().is_none() {
            self.authorities.insert(host);
        }
        self.origins.insert(url.origin().ascii_serialization());
    }
}

impl Guard {
    /// The names of a host with these settings.
    pub fn new(settings: &Settings) -> Guard {
        let mut allowed = Allowed {
            authorities: HashSet::new(),
            origins: HashSet::new(),
        };
        let port = settings.listen.port();
        let loopback = [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ];
        let mut local: Vec<String> = std::iter::once(settings.listen)
            .chain(loopback.into_iter().map(|ip| SocketAddr::new(ip, port)))
            .map(|addr| format!("http://{addr}"))
            .collect();
        local.push(format!("http://localhost:{port}"));
        // A connector's app may send people back to a redirect URI of its own.
        let redirect_uris: Vec<String> = settings
            .connectors
            .iter()
            .filter_map(|c| settings.app(c).redirect_uri)
            .collect();
        for text in local
            .iter()
            .map(String::as_str)
            .chain([settings.public_url.as_str()])
            .chain(redirect_uris.iter().map(String::as_str))
        {
            match Url::parse(text) {
                Ok(url) => allowed.add(&url),
                Err(e) => {
                    tracing::warn!(url = text, error = %e, "not a URL this host can answer to")
                }
            }
        }
        Guard(Arc::new(allowed))
    }

    /// Whether `authority` (a `Host` value) names this host.
    pub fn host_allowed(&self, authority: &str) -> bool {
        self.0
            .authorities
            .contains(&authority.trim().to_ascii_lowercase())
    }

    /// Whether `origin` (an `Origin` value other than `null`) is one of this host's own.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        Url::parse(origin.trim()).is_ok_and(|url| {
            matches!(url.scheme(), "http" | "https")
                && self.0.origins.contains(&url.origin().ascii_serialization())
        })
    }

    /// Why a request must be refused, if it must.
    fn refuse(&self, request: &Request) -> Option<Response> {
        let headers = request.headers();
        let authority = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| request.uri().authority().map(|a| a.to_string()));
        match authority {
            Some(a) if self.host_allowed(&a) => {}
            Some(a) => {
                let shown: String = a.chars().take(100).collect();
                return Some(refusal(
                    StatusCode::MISDIRECTED_REQUEST,
                    "misdirected_request",
                    &format!(
                        "this host does not answer to the name {shown:?}; reach it at its listen address, \
                         localhost, or CARDHOST_PUBLIC_URL (set that to the URL browsers use)"
                    ),
                ));
            }
            None => {
                return Some(refusal(
                    StatusCode::MISDIRECTED_REQUEST,
                    "misdirected_request",
                    "the request names no host (Host header)",
                ))
            }
        }
        if matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        ) {
            return None;
        }
        let fetch_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase);
        let origin = headers
            .get(header::ORIGIN)
            .map(|v| v.to_str().unwrap_or(""));
        let same_origin = fetch_site.as_deref() == Some("same-origin");
        let cross_site = fetch_site.as_deref() == Some("cross-site");
        let origin_ok = match origin {
            None => true,
            Some(o) if o.trim() == "null" => same_origin,
            Some(o) => self.origin_allowed(o),
        };
        if cross_site || !origin_ok {
            return Some(refusal(
                StatusCode::FORBIDDEN,
                "cross_site_request",
                "this request was sent by a page of another site, so it was refused; use the console's \
                 own pages, the CLI or the API directly",
            ));
        }
        None
    }
}

/// Middleware: refuse requests to another name, and state changes from another site.
pub async fn check(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    match guard.refuse(&request) {
        Some(response) => response,
        None => next.run(request).await,
    }
}

/// A refusal in the API's error shape, `{"error": {"code", "message"}}`, with any status.
pub fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(pairs: &[(&str, &str)]) -> Guard {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Guard::new(&Settings::from_lookup(move |k| map.get(k).cloned()).unwrap())
    }

    #[test]
    fn names_of_the_listen_address_loopback_and_the_public_url() {
        let g = guard(&[
            ("CARDHOST_LISTEN", "127.0.0.1:8080"),
            ("CARDHOST_PUBLIC_URL", "https://Cards.Example.com"),
        ]);
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
            "cards.example.com",
            "cards.example.com:443",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "127.0.0.1:8081",
            "localhost",
            "127.0.0.1",
            "cards.example.com:8080",
            "cards.example.com.evil.example",
            "",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn origins_are_the_same_names_with_their_scheme() {
        let g = guard(&[
            ("CARDHOST_LISTEN", "127.0.0.1:8080"),
            ("CARDHOST_PUBLIC_URL", "https://cards.example.com/"),
        ]);
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
            "https://cards.example.com",
            "https://cards.example.com:443",
        ] {
            assert!(g.origin_allowed(ok), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "https://127.0.0.1:8080",
            "http://cards.example.com",
            "http://localhost:8081",
            "null",
            "file://",
            "",
        ] {
            assert!(!g.origin_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn a_separate_redirect_uri_is_a_name_of_this_host() {
        let plain = crate::config::Settings::from_lookup(|_| None).unwrap();
        let key = plain
            .connectors
            .iter()
            .find_map(|c| c.definition.settings.redirect_uri.first().cloned())
            .expect("a built-in connector has a redirect URI key");
        let g = guard(&[(
            key.as_str(),
            "https://hooks.example.com:8443/oauth/callback",
        )]);
        assert!(g.host_allowed("hooks.example.com:8443"));
        assert!(
            g.host_allowed("127.0.0.1:8080"),
            "the default listen address"
        );
    }
}
