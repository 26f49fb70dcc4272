//! Who an API request acts as: credentials from the `Authorization` header
//! (`Bearer <token>` or `token <token>`, as GitHub documents; HTTP Basic
//! with a token as password, which GitHub also accepts), resolved to a live
//! token and its user, kind and scopes.

use super::scopes;
use super::state::{Inner, TokenKind};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// The API versions the fake serves: GitHub's current ones. The first is
/// the default when a request names none.
pub const API_VERSIONS: &[&str] = &["2022-11-28", "2026-03-10"];

/// What a request's `Authorization` header carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    None,
    Token(String),
    /// HTTP Basic `user:password` (an app's credentials, or a token as password).
    Basic(String, String),
    /// A header the API cannot read.
    Malformed,
}

/// Reads the `Authorization` header.
pub fn credentials(headers: &HeaderMap) -> Credentials {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Credentials::None;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed;
    };
    let Some((scheme, rest)) = value.trim().split_once(' ') else {
        return Credentials::Malformed;
    };
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        if rest.is_empty() {
            return Credentials::Malformed;
        }
        return Credentials::Token(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
            return Credentials::Basic(user.to_string(), password.to_string());
        }
    }
    Credentials::Malformed
}

/// The user and token behind an authenticated request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub login: String,
    pub user_id: u64,
    pub kind: TokenKind,
    pub scopes: Vec<String>,
}

impl Principal {
    /// Whether the token is fine-grained (it has permissions, not scopes).
    pub fn is_fine_grained(&self) -> bool {
        matches!(self.kind, TokenKind::FineGrained { .. })
    }

    /// Whether an OAuth or classic token has `scope` (itself or a scope
    /// including it); false for fine-grained tokens.
    pub fn has_scope(&self, scope: &str) -> bool {
        !self.is_fine_grained() && scopes::grants(&self.scopes, scope)
    }

    /// For a fine-grained token: whether it can reach `owner/repo`, and
    /// whether it has "Issues" write there.
    pub fn fine_grained_access(&self, owner: &str, repo: &str) -> Option<bool> {
        match &self.kind {
            TokenKind::FineGrained {
                repos,
                issues_write,
            } => repos
                .iter()
                .any(|(o, r)| o.eq_ignore_ascii_case(owner) && r.eq_ignore_ascii_case(repo))
                .then_some(*issues_write),
            _ => None,
        }
    }
}

/// The principal behind `token`, if it is live and its user exists.
pub fn resolve(inner: &Inner, token: &str) -> Option<Principal> {
    let record = inner.tokens.get(token).filter(|r| !r.revoked)?;
    let user = inner.store.user(&record.login)?;
    Some(Principal {
        login: user.login.clone(),
        user_id: user.id,
        kind: record.kind.clone(),
        scopes: record.scopes.clone(),
    })
}

/// What the middleware tells the API handlers about a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `None` for an unauthenticated request (or one authenticated as an app).
    pub principal: Option<Principal>,
    /// The API version selected.
    pub version: &'static str,
    /// The request's `Authorization` header, read.
    pub credentials: Credentials,
}

impl Caller {
    /// Whether the request selected API version 2022-11-28.
    pub fn is_2022_11_28(&self) -> bool {
        self.version == API_VERSIONS[0]
    }
}
