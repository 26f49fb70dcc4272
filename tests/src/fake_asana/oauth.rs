//! Asana's OAuth 2.0 endpoints (https://developers.asana.com/docs/oauth):
//! `/-/oauth_authorize` (authorization code grant with PKCE, consent page,
//! scopes checked against the app's registration), `/-/oauth_token` (code
//! exchange and refresh) and `/-/oauth_revoke` (refresh tokens only). The
//! client authenticates with `client_id` and `client_secret` form fields, the
//! way Asana documents them.

use super::consent::{consent_page, error_page, Consent};
use super::errors::OAuthError;
use super::query::Params;
use super::seed;
use super::state::{
    random_secret, AppState, ClientRecord, CodeRecord, Inner, RefreshRecord, TokenKind,
    TokenRecord, DEFAULT_SCOPE,
};
use super::AppPermissions;
use crate::contract::contract;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use url::Url;

/// How long an authorization code may be exchanged.
const CODE_TTL: Duration = Duration::from_secs(600);

/// The parameters of an authorization request that travel through the consent page.
const CARRIED: &[&str] = &[
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "scope",
    "as_user",
];

/// Whether `uri` is one of the client's redirect URIs.
pub fn redirect_allowed(client: &ClientRecord, uri: &str) -> bool {
    if client.client.redirect_uris.iter().any(|r| r == uri) {
        return true;
    }
    if !client.loopback_any_port {
        return false;
    }
    let Ok(url) = Url::parse(uri) else {
        return false;
    };
    url.scheme() == "http"
        && matches!(url.host_str(), Some("127.0.0.1") | Some("localhost"))
        && url.port().is_some()
        && url.path() == "/oauth/callback"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none()
}

/// A 302 to `redirect_uri` with `pairs` added to its query.
fn redirect(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    let location = match Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (k, v) in pairs {
                    query.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => return error_page("The 'redirect_uri' parameter is not a valid URL."),
    };
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// A redirect carrying an OAuth error (and the request's `state`).
fn redirect_error(
    redirect_uri: &str,
    state: Option<&str>,
    error: &str,
    description: &str,
) -> Response {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        pairs.push(("state", state));
    }
    redirect(redirect_uri, &pairs)
}

/// The user's answer on the consent page.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decision {
    Allow,
    Deny,
}

/// `GET /-/oauth_authorize`: the consent page, or (with `approve=1` or
/// `approve=deny`) the answer straight away.
pub async fn authorize_get(State(state): State<AppState>, params: Params) -> Response {
    let decision = match params.get("approve") {
        Some("deny") => Some(Decision::Deny),
        Some(v) if !v.is_empty() && v != "0" && v != "false" => Some(Decision::Allow),
        _ => None,
    };
    authorize(&state, &params, decision)
}

/// `POST /-/oauth_authorize`: a button of the consent page.
pub async fn authorize_post(State(state): State<AppState>, body: Bytes) -> Response {
    let params = Params::parse(std::str::from_utf8(&body).ok());
    let decision = match params.get("decision") {
        Some("allow") => Decision::Allow,
        _ => Decision::Deny,
    };
    authorize(&state, &params, Some(decision))
}

fn authorize(state: &AppState, params: &Params, decision: Option<Decision>) -> Response {
    let mut inner = state.lock();
    let client_id = params.get("client_id").unwrap_or("");
    let Some(client) = inner.client(client_id).cloned() else {
        return error_page("The 'client_id' parameter does not match a registered application.");
    };
    let Some(redirect_uri) = params.non_blank("redirect_uri") else {
        return error_page("The 'redirect_uri' parameter is missing.");
    };
    if !redirect_allowed(&client, redirect_uri) {
        return error_page(
            "The 'redirect_uri' parameter does not match a valid url for the application.",
        );
    }
    let request_state = params.get("state");
    let fail = |error: &str, description: &str| {
        redirect_error(redirect_uri, request_state, error, description)
    };
    if params.get("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "The 'response_type' parameter must be 'code'.",
        );
    }
    let challenge = params.non_blank("code_challenge");
    let method = params.non_blank("code_challenge_method");
    match (challenge, method) {
        (None, None) => {}
        (Some(c), Some("S256")) => {
            let well_formed = (43..=128).contains(&c.len())
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !well_formed {
                return fail(
                    "invalid_request",
                    "The 'code_challenge' parameter is malformed.",
                );
            }
        }
        (Some(_), _) => {
            return fail(
                "invalid_request",
                "The 'code_challenge_method' parameter must be 'S256'.",
            )
        }
        (None, Some(_)) => {
            return fail(
                "invalid_request",
                "The 'code_challenge' parameter is missing.",
            )
        }
    }
    let scopes = match granted_scopes(&client.permissions, params.get("scope")) {
        Ok(scopes) => scopes,
        Err((error, description)) => return fail(error, &description),
    };
    let user_gid = params.non_blank("as_user").unwrap_or(seed::ME_GID);
    let Some(user) = inner.store.user(user_gid).filter(|u| u.listed()).cloned() else {
        return error_page("The user to sign in as does not exist.");
    };
    match decision {
        None => {
            let hidden = CARRIED
                .iter()
                .filter_map(|name| params.get(name).map(|v| (*name, v)))
                .collect();
            let workspace_names = inner
                .store
                .workspaces
                .iter()
                .filter(|w| user.member_of(&w.gid))
                .map(|w| w.name.as_str())
                .collect();
            let scopes = scopes
                .iter()
                .map(|s| {
                    let description = contract().scopes().get(s).map_or("", String::as_str);
                    (s.as_str(), description)
                })
                .collect();
            consent_page(&Consent {
                app_name: &client.name,
                user_name: &user.name,
                user_email: &user.email,
                workspace_names,
                scopes,
                hidden,
            })
        }
        Some(Decision::Deny) => fail("access_denied", "The user denied the request."),
        Some(Decision::Allow) => {
            let code = format!("1/{}", random_secret(16));
            inner.codes.insert(
                code.clone(),
                CodeRecord {
                    client_id: client.client.client_id.clone(),
                    redirect_uri: redirect_uri.to_string(),
                    user_gid: user.gid.clone(),
                    code_challenge: challenge.map(String::from),
                    expires_at: Instant::now() + CODE_TTL,
                    used: false,
                    scopes,
                },
            );
            let mut pairs = vec![("code", code.as_str())];
            if let Some(s) = request_state {
                pairs.push(("state", s));
            }
            redirect(redirect_uri, &pairs)
        }
    }
}

/// The scopes an authorization request is granted, or the error and
/// description it is redirected back with.
///
/// - An unknown scope name is `invalid_scope`.
/// - An app registered with granular scopes may ask only for those:
///   `default` (also what an omitted `scope` means) and any other scope are
///   `forbidden_scopes`, with the descriptions Asana documents.
/// - An app with Full permissions may ask for anything; no `scope` is `default`.
fn granted_scopes(
    permissions: &AppPermissions,
    requested: Option<&str>,
) -> Result<Vec<String>, (&'static str, String)> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in requested.unwrap_or("").split_whitespace() {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_string());
        }
    }
    if scopes.is_empty() {
        scopes.push(DEFAULT_SCOPE.to_string());
    }
    // Asana documents the error code but not the description of an unknown scope.
    if let Some(unknown) = scopes.iter().find(|s| !contract().knows_scope(s)) {
        return Err((
            "invalid_scope",
            format!("The requested scope '{unknown}' is invalid."),
        ));
    }
    let AppPermissions::Scopes(registered) = permissions else {
        return Ok(scopes);
    };
    if scopes.iter().any(|s| s == DEFAULT_SCOPE) {
        return Err((
            "forbidden_scopes",
            "Your app is not allowed to request user authorization for default identity scopes"
                .to_string(),
        ));
    }
    let forbidden: Vec<String> = scopes
        .iter()
        .filter(|s| !registered.contains(s))
        .map(|s| format!("'{s}'"))
        .collect();
    if !forbidden.is_empty() {
        return Err((
            "forbidden_scopes",
            format!(
                "Your app is not allowed to request user authorization for {} scopes.",
                forbidden.join(", ")
            ),
        ));
    }
    Ok(scopes)
}

/// The client the request authenticates as, from the `client_id` and
/// `client_secret` form fields, which Asana documents as required.
///
/// Credentials in an `Authorization` header (HTTP Basic, the default of many
/// OAuth libraries) are refused with 401 `invalid_client` in RFC 6749's
/// shape: Asana documents the form fields only, and not its exact answer to
/// a Basic header.
fn authenticate_client(
    inner: &Inner,
    headers: &HeaderMap,
    form: &Params,
) -> Result<String, OAuthError> {
    if headers.contains_key(header::AUTHORIZATION) {
        return Err(OAuthError::client_refused(
            "Client credentials must be sent as the client_id and client_secret form fields, not in an Authorization header.",
        ));
    }
    let (Some(id), Some(secret)) = (form.get("client_id"), form.get("client_secret")) else {
        return Err(OAuthError::client_refused(
            "The client_id and client_secret form fields are required.",
        ));
    };
    match inner.client(id) {
        Some(c) if c.client.client_secret == secret => Ok(id.to_string()),
        _ => Err(OAuthError::invalid_client()),
    }
}

/// Issues an access token (tied to `refresh_token` if any) and renders the grant.
///
/// The body is the one Asana documents: no `scope` field, since Asana does
/// not document one (the client records the scopes it asked for).
fn grant_response(
    inner: &mut Inner,
    user_gid: &str,
    refresh_token: Option<String>,
    include_refresh: bool,
    scopes: Vec<String>,
) -> Result<Response, OAuthError> {
    let user = inner
        .store
        .user(user_gid)
        .filter(|u| u.active)
        .cloned()
        .ok_or_else(|| OAuthError::invalid_grant("The user of this grant is no longer active."))?;
    let access_token = format!("2/{}/{}", user.gid, random_secret(24));
    let ttl = inner.access_ttl;
    inner.tokens.insert(
        access_token.clone(),
        TokenRecord {
            user_gid: user.gid.clone(),
            kind: TokenKind::OAuth {
                refresh_token: refresh_token.clone(),
                issued_at: Instant::now(),
                expires_at: Instant::now() + ttl,
            },
            revoked: false,
            scopes,
        },
    );
    let mut body = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": ttl.as_secs(),
        "data": {
            "id": user.gid.parse::<u64>().unwrap_or_default(),
            "gid": user.gid,
            "name": user.name,
            "email": user.email,
        },
    });
    if include_refresh {
        if let Some(rt) = refresh_token {
            body["refresh_token"] = json!(rt);
        }
    }
    let mut response = (StatusCode::OK, Json(body)).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /-/oauth_token`.
pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Params::parse(std::str::from_utf8(&body).ok());
    let mut inner = state.lock();
    exchange(&mut inner, &headers, &form).unwrap_or_else(IntoResponse::into_response)
}

fn exchange(inner: &mut Inner, headers: &HeaderMap, form: &Params) -> Result<Response, OAuthError> {
    let client_id = authenticate_client(inner, headers, form)?;
    match form.get("grant_type") {
        Some("authorization_code") => exchange_code(inner, &client_id, form),
        Some("refresh_token") => refresh(inner, &client_id, form),
        Some(other) => Err(OAuthError::bad(
            "unsupported_grant_type",
            format!("The grant type '{other}' is not supported."),
        )),
        None => Err(OAuthError::invalid_request(
            "The 'grant_type' parameter is missing.",
        )),
    }
}

fn exchange_code(
    inner: &mut Inner,
    client_id: &str,
    form: &Params,
) -> Result<Response, OAuthError> {
    let code = form
        .non_blank("code")
        .ok_or_else(|| OAuthError::invalid_request("The 'code' parameter is missing."))?;
    let record = inner
        .codes
        .get(code)
        .filter(|c| !c.used && c.client_id == client_id && Instant::now() < c.expires_at)
        .cloned()
        .ok_or_else(|| {
            OAuthError::invalid_grant(
                "The authorization code is invalid, expired or was already used.",
            )
        })?;
    let redirect_uri = form.get("redirect_uri").unwrap_or("");
    if redirect_uri != record.redirect_uri {
        return Err(OAuthError::invalid_grant(
            "The redirect_uri does not match the redirect_uri of the authorization request.",
        ));
    }
    if let Some(challenge) = &record.code_challenge {
        let verifier = form.get("code_verifier").unwrap_or("");
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        if verifier.is_empty() || computed != *challenge {
            return Err(OAuthError::invalid_grant(
                "The code verifier failed verification against the code challenge.",
            ));
        }
    }
    if let Some(c) = inner.codes.get_mut(code) {
        c.used = true;
    }
    let refresh_token = format!("1/{}:{}", record.user_gid, random_secret(16));
    inner.refresh.insert(
        refresh_token.clone(),
        RefreshRecord {
            user_gid: record.user_gid.clone(),
            client_id: client_id.to_string(),
            revoked: false,
            scopes: record.scopes.clone(),
        },
    );
    inner.refresh_order.push(refresh_token.clone());
    grant_response(
        inner,
        &record.user_gid,
        Some(refresh_token),
        true,
        record.scopes,
    )
}

fn refresh(inner: &mut Inner, client_id: &str, form: &Params) -> Result<Response, OAuthError> {
    let refresh_token = form
        .non_blank("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("The 'refresh_token' parameter is missing."))?;
    let record = inner
        .refresh
        .get(refresh_token)
        .filter(|r| !r.revoked && r.client_id == client_id)
        .cloned()
        .ok_or_else(|| {
            OAuthError::invalid_grant("The refresh token is invalid or has been revoked.")
        })?;
    grant_response(
        inner,
        &record.user_gid,
        Some(refresh_token.to_string()),
        false,
        record.scopes,
    )
}

/// `POST /-/oauth_revoke`: revokes a refresh token of the calling client and
/// every access token issued from it. Asana takes refresh tokens only: an
/// access token (or a personal access token) gets 400; a token it does not
/// know gets 200, as Asana answers "revoked or not found" alike. The 400's
/// body is not documented; this one is RFC 7009's `unsupported_token_type`.
pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Params::parse(std::str::from_utf8(&body).ok());
    let mut inner = state.lock();
    let client_id = match authenticate_client(&inner, &headers, &form) {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let Some(token) = form.non_blank("token").map(String::from) else {
        return OAuthError::invalid_request("The 'token' parameter is missing.").into_response();
    };
    inner.revocations.push(token.clone());
    if inner.tokens.contains_key(&token) {
        return OAuthError::bad(
            "unsupported_token_type",
            "Only refresh tokens can be revoked; this is a bearer token.",
        )
        .into_response();
    }
    let owns_refresh = inner
        .refresh
        .get(&token)
        .is_some_and(|r| r.client_id == client_id);
    if owns_refresh {
        inner.revoke_refresh(&token);
    }
    StatusCode::OK.into_response()
}
