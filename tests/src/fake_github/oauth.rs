//! OAuth apps' web application flow
//! (https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps):
//! `GET /login/oauth/authorize` (the authorization page, or with
//! `approve=1` / `approve=deny` the answer straight away) and
//! `POST /login/oauth/access_token` (code exchange, with PKCE when the
//! authorization request sent a challenge).
//!
//! OAuth apps' tokens do not expire: the token endpoint answers no
//! `refresh_token` and no `expires_in`. Codes are single-use and expire
//! after ten minutes. A user/app/scopes combination keeps at most ten
//! tokens: an eleventh revokes the oldest, as GitHub documents.

use super::consent::{consent_page, error_page, Consent};
use super::errors::{render_oauth, OAuthError};
use super::params::Params;
use super::scopes;
use super::state::{
    random_alphanumeric, random_hex, AppState, CodeRecord, Inner, TokenKind, TokenRecord,
};
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use url::{Host, Url};

/// How long an authorization code may be exchanged (GitHub: ten minutes).
const CODE_TTL: Duration = Duration::from_secs(600);

/// How many tokens a user/app/scopes combination keeps.
const TOKENS_PER_COMBINATION: usize = 10;

/// The authorization request's parameters carried through the page.
const CARRIED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "login",
    "allow_signup",
];

/// Whether `given` may be used as a redirect URI for an app with these
/// callback URLs. GitHub documents the rule: the host (or a subdomain of
/// it) and the port must match the callback URL's, and the path must be
/// the callback's or below it; for a loopback callback any port is fine.
/// The scheme must match too (GitHub's examples keep it); a query string is
/// allowed, a fragment is not (a redirect URI cannot carry one).
pub fn redirect_allowed(callbacks: &[String], given: &str) -> bool {
    let Ok(given) = Url::parse(given) else {
        return false;
    };
    if given.fragment().is_some() || !given.username().is_empty() || given.password().is_some() {
        return false;
    }
    callbacks
        .iter()
        .filter_map(|c| Url::parse(c).ok())
        .any(|callback| matches_callback(&callback, &given))
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
    }
}

fn matches_callback(callback: &Url, given: &Url) -> bool {
    if callback.scheme() != given.scheme() {
        return false;
    }
    let (Some(ch), Some(gh)) = (callback.host(), given.host()) else {
        return false;
    };
    let loopback = is_loopback(&ch) && ch == gh;
    let host_ok = match (&ch, &gh) {
        (Host::Domain(c), Host::Domain(g)) => {
            let (c, g) = (c.to_ascii_lowercase(), g.to_ascii_lowercase());
            g == c || g.ends_with(&format!(".{c}"))
        }
        _ => ch == gh,
    };
    let port_ok = loopback || callback.port_or_known_default() == given.port_or_known_default();
    let base = callback.path().trim_end_matches('/');
    let path_ok = given.path() == callback.path()
        || given.path() == base
        || given.path().starts_with(&format!("{base}/"));
    host_ok && port_ok && path_ok
}

/// A 302 to `redirect_uri` with `pairs` added to its query.
fn redirect(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The redirect_uri is not a valid URL.",
        );
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

/// The user's answer on the authorization page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    Allow,
    Deny,
}

/// `GET /login/oauth/authorize`.
pub async fn authorize_get(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref());
    let decision = match params.get("approve") {
        Some("deny") => Some(Decision::Deny),
        Some(v) if !v.is_empty() && v != "0" && v != "false" => Some(Decision::Allow),
        _ => None,
    };
    authorize(&state, &params, decision)
}

/// `POST /login/oauth/authorize`: a button of the authorization page.
pub async fn authorize_post(State(state): State<AppState>, body: Bytes) -> Response {
    let params = Params::parse(std::str::from_utf8(&body).ok());
    let decision = if params.get("authorize") == Some("1") {
        Decision::Allow
    } else {
        Decision::Deny
    };
    authorize(&state, &params, Some(decision))
}

/// Whether a PKCE challenge is what GitHub accepts: "a 43 character SHA-256
/// hash" (base64url, unpadded).
fn well_formed_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn authorize(state: &AppState, params: &Params, decision: Option<Decision>) -> Response {
    let mut inner = state.lock();
    let client_id = params.get("client_id").unwrap_or("");
    let Some(app) = inner.app(client_id).cloned() else {
        // GitHub shows its 404 page for an unknown client_id.
        return error_page(StatusCode::NOT_FOUND, "No application has this client_id.");
    };
    // Without a redirect_uri GitHub sends the user to the app's callback URL.
    let given_redirect = params.non_blank("redirect_uri");
    let redirect_uri = match given_redirect {
        Some(uri) if redirect_allowed(&app.redirect_uris, uri) => uri.to_string(),
        // GitHub's troubleshooting page describes a redirect to the callback
        // URL carrying `error=redirect_uri_mismatch`; github.com shows a
        // "Be careful!" page instead, and so does the fake: never redirect to
        // a URI the app did not register.
        Some(_) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                "The redirect_uri is not associated with this application.",
            )
        }
        None => match app.redirect_uris.first() {
            Some(uri) => uri.clone(),
            None => {
                return error_page(
                    StatusCode::BAD_REQUEST,
                    "This application has no callback URL.",
                )
            }
        },
    };
    let request_state = params.get("state");
    let fail = |error: &str, description: &str, uri: &str| {
        let mut pairs = vec![
            ("error", error),
            ("error_description", description),
            ("error_uri", uri),
        ];
        if let Some(s) = request_state {
            pairs.push(("state", s));
        }
        redirect(&redirect_uri, &pairs)
    };
    // PKCE: GitHub accepts only S256 and a 43-character challenge. It does
    // not document how it refuses others; the fake redirects back with
    // RFC 7636's `invalid_request`.
    let challenge = params.non_blank("code_challenge");
    match (challenge, params.non_blank("code_challenge_method")) {
        (None, None) => {}
        (Some(c), Some("S256")) if well_formed_challenge(c) => {}
        (Some(_), Some("S256")) => return fail(
            "invalid_request",
            "The code_challenge must be a 43 character base64url-encoded SHA-256 hash.",
            "https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
        ),
        (Some(_), _) => return fail(
            "invalid_request",
            "Only the S256 code_challenge_method is supported.",
            "https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
        ),
        (None, Some(_)) => return fail(
            "invalid_request",
            "The code_challenge is required with code_challenge_method.",
            "https://docs.github.com/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
        ),
    }
    let login = inner.signed_in.clone();
    let grant_key = (app.client_id.clone(), login.clone());
    let granted = inner.grants.get(&grant_key).cloned();
    // No `scope`: the scopes the user already granted the app, or none.
    let scopes = match params.get("scope") {
        Some(raw) => scopes::normalize(&scopes::parse(raw)),
        None => granted.clone().unwrap_or_default(),
    };
    // A user who already granted every scope asked is not shown the page.
    let already_granted = granted
        .as_ref()
        .is_some_and(|g| scopes.iter().all(|s| scopes::grants(g, s)));
    let decision = decision.or(already_granted.then_some(Decision::Allow));
    match decision {
        None => {
            let user = inner.store.user(&login);
            let hidden = CARRIED
                .iter()
                .filter_map(|name| params.get(name).map(|v| (*name, v)))
                .collect();
            consent_page(&Consent {
                app_name: &app.name,
                login: &login,
                name: user.and_then(|u| u.name.as_deref()),
                scopes: scopes
                    .iter()
                    .map(|s| (s.as_str(), scopes::description(s)))
                    .collect(),
                redirect_uri: &redirect_uri,
                hidden,
            })
        }
        Some(Decision::Deny) => fail(
            "access_denied",
            "The user has denied your application access.",
            "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/#access-denied",
        ),
        Some(Decision::Allow) => {
            let mut all = granted.unwrap_or_default();
            all.extend(scopes.iter().cloned());
            inner.grants.insert(grant_key, scopes::normalize(&all));
            let code = random_hex(10);
            inner.codes.insert(
                code.clone(),
                CodeRecord {
                    client_id: app.client_id.clone(),
                    redirect_uri: given_redirect.map(String::from),
                    login,
                    scopes,
                    code_challenge: challenge.map(String::from),
                    expires_at: Instant::now() + CODE_TTL,
                    used: false,
                },
            );
            let mut pairs = vec![("code", code.as_str())];
            if let Some(s) = request_state {
                pairs.push(("state", s));
            }
            redirect(&redirect_uri, &pairs)
        }
    }
}

/// `POST /login/oauth/access_token`. Parameters come as a form body (or a
/// JSON one, or in the query string, which GitHub also reads); errors are
/// answered with HTTP 200, as GitHub does.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params = Params::parse(query.as_deref());
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if json_body {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(&body) {
            for (k, v) in map {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                params.0.push((k, v));
            }
        }
    } else {
        params
            .0
            .extend(Params::parse(std::str::from_utf8(&body).ok()).0);
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let result = {
        let mut inner = state.lock();
        exchange(&mut inner, &headers, &params)
    };
    match result {
        Ok(grant) => {
            let scope = grant.scopes.join(",");
            render_oauth(
                &[
                    ("access_token", &grant.access_token),
                    ("token_type", "bearer"),
                    ("scope", &scope),
                ],
                accept.as_deref(),
            )
        }
        Err(error) => error.render(accept.as_deref()),
    }
}

/// A token issued by the token endpoint.
struct Grant {
    access_token: String,
    scopes: Vec<String>,
}

/// The app the request authenticates as: `client_id` and `client_secret`
/// parameters, as GitHub documents (HTTP Basic is accepted too: GitHub's
/// docs are silent on it).
fn authenticate_client(
    inner: &Inner,
    headers: &HeaderMap,
    params: &Params,
) -> Result<String, OAuthError> {
    let from_params = match (params.get("client_id"), params.get("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_string(), secret.to_string())),
        _ => None,
    };
    let from_basic = || {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, rest) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(STANDARD.decode(rest.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        Some((id.to_string(), secret.to_string()))
    };
    let (id, secret) = from_params
        .or_else(from_basic)
        .ok_or_else(OAuthError::incorrect_client_credentials)?;
    match inner.app(&id) {
        Some(app) if app.client_secret == secret => Ok(id),
        _ => Err(OAuthError::incorrect_client_credentials()),
    }
}

fn exchange(inner: &mut Inner, headers: &HeaderMap, params: &Params) -> Result<Grant, OAuthError> {
    let client_id = authenticate_client(inner, headers, params)?;
    match params.non_blank("grant_type") {
        // The web flow needs no grant_type; RFC 6749's is accepted too.
        None | Some("authorization_code") => exchange_code(inner, &client_id, params),
        // OAuth apps' tokens do not expire and come with no refresh token,
        // so no refresh token is ever known.
        Some("refresh_token") => Err(OAuthError::bad_refresh_token()),
        // The device flow is not part of the fake.
        Some(other) => Err(OAuthError::unsupported_grant_type(other)),
    }
}

fn exchange_code(inner: &mut Inner, client_id: &str, params: &Params) -> Result<Grant, OAuthError> {
    let code = params
        .non_blank("code")
        .ok_or_else(OAuthError::bad_verification_code)?;
    let record = inner
        .codes
        .get(code)
        .filter(|c| !c.used && c.client_id == client_id && Instant::now() < c.expires_at)
        .cloned()
        .ok_or_else(OAuthError::bad_verification_code)?;
    // GitHub uses the redirect_uri "to match against the URI originally
    // provided when the code was issued"; it is "strongly recommended", not
    // required, so leaving it out is accepted.
    if let Some(given) = params.non_blank("redirect_uri") {
        let matches = match &record.redirect_uri {
            Some(original) => given == original,
            None => inner
                .app(client_id)
                .is_some_and(|app| redirect_allowed(&app.redirect_uris, given)),
        };
        if !matches {
            return Err(OAuthError::redirect_uri_mismatch());
        }
    }
    // GitHub does not document the error for a code_verifier that does not
    // match the challenge (nor for a missing one); the code and verifier
    // together "verify" the request, so the fake answers
    // bad_verification_code, and the code stays usable. A verifier sent for
    // a code issued without a challenge is ignored.
    if let Some(challenge) = &record.code_challenge {
        let verifier = params.get("code_verifier").unwrap_or("");
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if verifier.is_empty() || computed != *challenge {
            return Err(OAuthError::bad_verification_code());
        }
    }
    if let Some(c) = inner.codes.get_mut(code) {
        c.used = true;
    }
    let access_token = format!("gho_{}", random_alphanumeric(36));
    inner.tokens.insert(
        access_token.clone(),
        TokenRecord::new(
            &record.login,
            TokenKind::OAuth {
                client_id: client_id.to_string(),
            },
            record.scopes.clone(),
        ),
    );
    inner.issued.push(access_token.clone());
    enforce_token_limit(inner, client_id, &record.login, &record.scopes);
    Ok(Grant {
        access_token,
        scopes: record.scopes,
    })
}

/// Revokes the oldest live tokens of this user/app/scopes combination
/// beyond the ten GitHub keeps.
fn enforce_token_limit(inner: &mut Inner, client_id: &str, login: &str, scopes: &[String]) {
    let mut sorted = scopes.to_vec();
    sorted.sort();
    let same: Vec<String> = inner
        .issued
        .iter()
        .filter(|t| {
            inner.tokens.get(*t).is_some_and(|r| {
                let mut s = r.scopes.clone();
                s.sort();
                !r.revoked && r.client_id() == Some(client_id) && r.login == login && s == sorted
            })
        })
        .cloned()
        .collect();
    if same.len() > TOKENS_PER_COMBINATION {
        for token in &same[..same.len() - TOKENS_PER_COMBINATION] {
            if let Some(r) = inner.tokens.get_mut(token) {
                r.revoked = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_githubs_documented_rules() {
        let callbacks = vec!["http://example.com/path".to_string()];
        let ok = |u: &str| redirect_allowed(&callbacks, u);
        assert!(ok("http://example.com/path"));
        assert!(ok("http://example.com/path/subdir/other"));
        assert!(ok("http://oauth.example.com/path"));
        assert!(ok("http://oauth.example.com/path/subdir/other"));
        assert!(!ok("http://example.com/bar"));
        assert!(!ok("http://example.com/"));
        assert!(!ok("http://example.com:8080/path"));
        assert!(!ok("http://oauth.example.com:8080/path"));
        assert!(!ok("http://example.org"));
        assert!(!ok("https://example.com/path"));
        assert!(!ok("http://example.com/pathology"));
        let loopback = vec!["http://127.0.0.1/path".to_string()];
        assert!(redirect_allowed(&loopback, "http://127.0.0.1:1234/path"));
        assert!(!redirect_allowed(&loopback, "http://localhost:1234/path"));
        assert!(!redirect_allowed(&loopback, "http://127.0.0.1:1234/other"));
    }
}
