//! Console sessions and CSRF protection.
//!
//! - A session id is 32 random bytes (base64url) in the `cardhost_session`
//!   cookie: `HttpOnly; SameSite=Strict; Path=/`, plus `Secure` when the
//!   public URL is https. The host keeps only its SHA-256, in memory, with an
//!   idle and an absolute expiry; signing in always makes a new id.
//! - Each session has its own CSRF token (32 random bytes). Every POST to a
//!   signed-in route must carry it as the `csrf` form field; the middleware
//!   checks it in constant time before any handler runs, and refuses (403)
//!   a POST without it, with a wrong one, or from a cross-site page.
//! - The sign-in form is protected by a double-submit nonce (a short-lived
//!   cookie on `/console/login` that the form must echo). Its wrong keys count
//!   with the API's, per client address and for the whole host, and are
//!   answered 429 with `Retry-After` once too many (see
//!   [`throttle`](crate::api::throttle)).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::{Extension, Form};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use maud::html;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::layout::{self, see_other, Flash, Nav, Page};
use super::{Console, MAX_FORM_BODY};
use crate::api::auth::{set_retry_after, Denied};

/// The session cookie.
pub(crate) const SESSION_COOKIE: &str = "cardhost_session";
/// The sign-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "cardhost_login";
/// A session ends after this long without a request.
const IDLE: Duration = Duration::from_secs(2 * 60 * 60);
/// And after this long in any case.
const ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);
/// At most this many live sessions; the least recently used go first.
const MAX_SESSIONS: usize = 1000;

/// The sessions of this host, in memory; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Sessions {
    inner: Arc<Mutex<HashMap<[u8; 32], Session>>>,
}

struct Session {
    csrf: String,
    created: Instant,
    last_seen: Instant,
    flash: Option<Flash>,
}

impl Session {
    fn live(&self, now: Instant) -> bool {
        now.duration_since(self.last_seen) < IDLE && now.duration_since(self.created) < ABSOLUTE
    }
}

/// What a handler knows about the session it runs in.
#[derive(Clone)]
pub(crate) struct SessionCtx {
    key: [u8; 32],
    /// The token every state-changing form must carry.
    pub csrf: Arc<str>,
}

/// 32 random bytes, base64url.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key_of(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// Whether two tokens are equal, in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl Sessions {
    /// A new session; its id (for the cookie) and context.
    fn create(&self) -> (String, SessionCtx) {
        let id = random_token();
        let key = key_of(&id);
        let csrf = random_token();
        let now = Instant::now();
        let mut map = self.inner.lock().expect("sessions");
        map.retain(|_, s| s.live(now));
        if map.len() >= MAX_SESSIONS {
            if let Some(oldest) = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(k, _)| *k) {
                map.remove(&oldest);
            }
        }
        map.insert(
            key,
            Session {
                csrf: csrf.clone(),
                created: now,
                last_seen: now,
                flash: None,
            },
        );
        (
            id,
            SessionCtx {
                key,
                csrf: csrf.into(),
            },
        )
    }

    /// The live session with this id, marked as seen.
    fn touch(&self, id: &str) -> Option<SessionCtx> {
        let key = key_of(id);
        let now = Instant::now();
        let mut map = self.inner.lock().expect("sessions");
        match map.get_mut(&key) {
            Some(s) if s.live(now) => {
                s.last_seen = now;
                Some(SessionCtx {
                    key,
                    csrf: s.csrf.as_str().into(),
                })
            }
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    fn remove(&self, ctx: &SessionCtx) {
        self.inner.lock().expect("sessions").remove(&ctx.key);
    }

    /// Keep a message for the next page this session sees.
    pub(crate) fn set_flash(&self, ctx: &SessionCtx, flash: Flash) {
        if let Some(s) = self.inner.lock().expect("sessions").get_mut(&ctx.key) {
            s.flash = Some(flash);
        }
    }

    /// The message kept for this page, if any (shown once).
    pub(crate) fn take_flash(&self, ctx: &SessionCtx) -> Option<Flash> {
        self.inner
            .lock()
            .expect("sessions")
            .get_mut(&ctx.key)
            .and_then(|s| s.flash.take())
    }
}

/// A cookie's value from the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

fn set_cookie(response: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn session_cookie(console: &Console, id: &str) -> String {
    format!(
        "{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ABSOLUTE.as_secs(),
        secure(console)
    )
}

fn secure(console: &Console) -> &'static str {
    if console.secure_cookies {
        "; Secure"
    } else {
        ""
    }
}

/// Whether the request may change state (and so must carry the CSRF token).
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A local path to return to after signing in, or the Connections page.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/console/")
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/console/connections".to_string(),
    }
}

/// Middleware of every signed-in route: find the session (or send the
/// visitor to sign in), then check the CSRF token of state-changing requests.
pub(crate) async fn require_session(
    State(console): State<Console>,
    request: Request,
    next: Next,
) -> Response {
    let found = cookie(request.headers(), SESSION_COOKIE).and_then(|id| console.sessions.touch(id));
    let ctx = match found {
        Some(ctx) => ctx,
        None => {
            if changes_state(request.method()) {
                return forbidden(
                    "Your session has ended",
                    "You are not signed in, or your session expired, so this form was not sent. Sign in and try again.",
                    "session_expired",
                );
            }
            let back = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_string());
            let target = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &safe_next(back.as_deref()))
                .finish();
            return see_other(&format!("/console/login?{target}"));
        }
    };
    let request = if changes_state(request.method()) {
        match check_csrf(&ctx, request).await {
            Ok(r) => r,
            Err(response) => return response,
        }
    } else {
        request
    };
    let mut request = request;
    request.extensions_mut().insert(ctx);
    next.run(request).await
}

/// Read the form body, check its `csrf` field, and hand the request on
/// with the body put back.
async fn check_csrf(ctx: &SessionCtx, request: Request) -> Result<Request, Response> {
    let cross_site = request
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    if cross_site {
        return Err(csrf_refused(
            "The form was sent from another site, so it was refused.",
        ));
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return Err(layout::message_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is too large",
                "The form holds more than 256 KiB. Send less and try again.",
                Some("body_too_large"),
            ))
        }
    };
    let token = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    match token {
        Some(t) if same_token(&t, &ctx.csrf) => {
            Ok(Request::from_parts(parts, Body::from(bytes)))
        }
        Some(_) => Err(csrf_refused(
            "The form's security token does not belong to your session (it may be from an older page). Go back, reload the page and try again.",
        )),
        None => Err(csrf_refused(
            "The form carries no security token, so it was refused. Use the forms of the console's own pages.",
        )),
    }
}

fn csrf_refused(message: &str) -> Response {
    forbidden("Request refused", message, "csrf_failed")
}

fn forbidden(title: &str, message: &str, code: &str) -> Response {
    layout::message_page(StatusCode::FORBIDDEN, title, message, Some(code))
}

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    next: Option<String>,
}

/// `GET /console/login`.
pub(crate) async fn login_form(
    State(console): State<Console>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    if cookie(&headers, SESSION_COOKIE)
        .and_then(|id| console.sessions.touch(id))
        .is_some()
    {
        return see_other(&next);
    }
    login_page(&console, StatusCode::OK, &next, None)
}

fn login_page(console: &Console, status: StatusCode, next: &str, error: Option<&str>) -> Response {
    let nonce = random_token();
    let body = html! {
        div.login {
            h1 { "Sign in to the console" }
            p.muted {
                "Enter the host's API key: " code { "CARDHOST_API_KEY" } ", or the "
                code { "api.key" } " file in its data dir."
            }
            @if let Some(e) = error {
                div.banner.error role="alert" { p { (e) } }
            }
            form method="post" action="/console/login" {
                input type="hidden" name="nonce" value=(nonce);
                input type="hidden" name="next" value=(next);
                label for="api_key" { "API key" }
                input #api_key type="password" name="api_key" autocomplete="current-password" required autofocus;
                div.actions { button.primary #sign-in type="submit" { "Sign in" } }
            }
        }
    };
    let page = Page::new("Sign in", Nav::None);
    let mut response = layout::html(status, layout::render(&page, None, body));
    set_cookie(
        &mut response,
        format!(
            "{LOGIN_COOKIE}={nonce}; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=600{}",
            secure(console)
        ),
    );
    response
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    nonce: String,
    next: Option<String>,
}

/// `POST /console/login`: exchange the API key for a session.
pub(crate) async fn login(
    State(console): State<Console>,
    connect_info: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let nonce_ok =
        cookie(&headers, LOGIN_COOKIE).is_some_and(|c| !c.is_empty() && same_token(c, &form.nonce));
    if !nonce_ok {
        return login_page(
            &console,
            StatusCode::FORBIDDEN,
            &next,
            Some("The sign-in form expired or was not sent from this page. Enter the key again."),
        );
    }
    let peer = connect_info.map(|Extension(ConnectInfo(addr))| addr.ip());
    match console.gate.check(peer, form.api_key.trim()) {
        Ok(()) => {}
        Err(Denied::Wrong) => {
            return login_page(
                &console,
                StatusCode::UNAUTHORIZED,
                &next,
                Some("That is not this host's API key."),
            )
        }
        Err(Denied::Limited(wait)) => {
            let mut response = login_page(
                &console,
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                Some(&format!(
                    "Too many wrong keys were tried. Wait {} seconds, then try again.",
                    crate::api::throttle::retry_after_secs(wait)
                )),
            );
            set_retry_after(&mut response, wait);
            return response;
        }
    }
    let (id, _) = console.sessions.create();
    let mut response = see_other(&next);
    set_cookie(&mut response, session_cookie(&console, &id));
    set_cookie(
        &mut response,
        format!("{LOGIN_COOKIE}=; Path=/console/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// `POST /console/logout`.
pub(crate) async fn logout(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
) -> Response {
    console.sessions.remove(&ctx);
    let mut response = see_other("/console/login");
    set_cookie(
        &mut response,
        format!(
            "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            secure(&console)
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        let t = random_token();
        assert_eq!(t.len(), 43);
        assert!(same_token(&t, &t.clone()));
        assert!(!same_token(&t, &t[..42]));
        assert!(!same_token(&t, &random_token()));
        assert!(!same_token("", &t));
    }

    #[test]
    fn next_stays_in_the_console() {
        assert_eq!(safe_next(Some("/console/cards")), "/console/cards");
        for bad in [
            "https://evil.example/",
            "//evil.example/console/",
            "/api/v1/connections",
            "/console/\\evil",
        ] {
            assert_eq!(safe_next(Some(bad)), "/console/connections", "{bad}");
        }
        assert_eq!(safe_next(None), "/console/connections");
    }

    #[test]
    fn sessions_expire_and_hold_their_flash() {
        let sessions = Sessions::default();
        let (id, ctx) = sessions.create();
        assert!(sessions.touch(&id).is_some());
        assert!(sessions.touch("not-a-session").is_none());
        sessions.set_flash(&ctx, Flash::ok("Saved", "done"));
        assert!(sessions.take_flash(&ctx).is_some());
        assert!(sessions.take_flash(&ctx).is_none());
        let map = sessions.inner.lock().unwrap();
        let session = map.get(&key_of(&id)).unwrap();
        let now = Instant::now();
        assert!(session.live(now));
        assert!(!session.live(now + IDLE));
        assert!(!session.live(now + ABSOLUTE));
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; cardhost_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }
}
