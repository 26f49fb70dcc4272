//! The checks a connector definition passes before the host uses it, built
//! in or installed: every error names the field that is wrong.

use std::collections::BTreeSet;

use super::definition::{AccountPointers, ConnectorDefinition, OAuth2, Webhooks};
use super::{http_url, is_loopback_host};
use crate::error::{AppError, Kind};

/// A definition the host cannot use, and the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DefinitionError {
    /// The definition's field (`auth.oauth2.scopes`), or an env key that
    /// overrides one.
    pub field: String,
    pub message: String,
}

impl DefinitionError {
    pub(crate) fn new(field: &str, message: impl Into<String>) -> DefinitionError {
        DefinitionError {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// An env key whose value is wrong.
    pub(crate) fn env(key: &str, message: impl Into<String>) -> DefinitionError {
        DefinitionError::new(key, message)
    }
}

impl From<DefinitionError> for AppError {
    fn from(e: DefinitionError) -> AppError {
        AppError::new(
            Kind::Unprocessable,
            "invalid_connector",
            format!("the connector definition is not valid: {e}"),
        )
        .field(&e.field)
    }
}

/// The RFC 6749 (and RFC 7009) error codes a provider's own codes may map to.
const KNOWN_ERROR_CODES: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "invalid_scope",
    "unauthorized_client",
    "unsupported_grant_type",
    "access_denied",
    "redirect_uri_mismatch",
];

/// Headers a definition may not set: credentials and connection framing.
const FORBIDDEN_HEADERS: &[&str] = &[
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

type Checked = Result<(), DefinitionError>;

/// Check a definition on its own (not against other connectors).
pub fn validate(d: &ConnectorDefinition) -> Checked {
    let fail = |field: &str, message: String| Err(DefinitionError::new(field, message));
    if !valid_id(&d.id) {
        return fail(
            "id",
            format!(
                "{:?} must be 1 to 40 lowercase letters, digits and dashes, starting with a letter",
                d.id
            ),
        );
    }
    text("name", &d.name, 100)?;
    text("description", &d.description, 500)?;
    if let Some(docs) = &d.docs_url {
        http_url(docs).map_err(|m| DefinitionError::new("docs_url", m))?;
    }
    secure_url("api.base_url", &d.api.base_url)?;
    for (i, host) in d.api.allowed_hosts.iter().enumerate() {
        if !valid_host(host) {
            return fail(
                &format!("api.allowed_hosts[{i}]"),
                format!("{host:?} is not a host name (no scheme, port or path)"),
            );
        }
    }
    for (name, value) in &d.api.headers {
        let field = format!("api.headers.{name}");
        let lower = name.to_ascii_lowercase();
        if FORBIDDEN_HEADERS.contains(&lower.as_str()) {
            return fail(&field, format!("the header {name} is the host's to set"));
        }
        if reqwest::header::HeaderName::from_bytes(lower.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(value).is_err()
        {
            return fail(&field, "not a valid header name and value".to_string());
        }
    }
    if d.auth.oauth2.is_none() && d.auth.token.is_none() {
        return fail(
            "auth",
            "a connector needs at least one of auth.oauth2 and auth.token".to_string(),
        );
    }
    if let Some(o) = &d.auth.oauth2 {
        oauth2(o)?;
    }
    if let Some(t) = &d.auth.token {
        text("auth.token.label", &t.label, 100)?;
        text("auth.token.description", &t.description, 1000)?;
        if t.scheme.is_empty()
            || !t
                .scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return fail(
                "auth.token.scheme",
                format!("{:?} is not an Authorization scheme", t.scheme),
            );
        }
    }
    if let Some(sa) = &d.auth.service_account {
        text("auth.service_account.description", &sa.description, 1000)?;
        api_path("auth.service_account.check.path", &sa.check.path)?;
    }
    env_keys(d)?;
    api_path("whoami.path", &d.whoami.path)?;
    pointers("whoami.account", &d.whoami.account)?;
    if let Some(w) = &d.default_workspace {
        text("default_workspace.label", &w.label, 50)?;
        pointer("default_workspace.list", &w.list)?;
        pointer("default_workspace.id", &w.id)?;
    }
    for (i, status) in d.rate_limit.statuses.iter().enumerate() {
        if !(400..=599).contains(status) {
            return fail(
                &format!("rate_limit.statuses[{i}]"),
                format!("{status} is not an HTTP error status"),
            );
        }
    }
    if d.rate_limit.default_wait_secs > 3600 {
        return fail(
            "rate_limit.default_wait_secs",
            "at most 3600 seconds".to_string(),
        );
    }
    if let Some(w) = &d.webhooks {
        webhooks(w)?;
    }
    Ok(())
}

fn webhooks(w: &Webhooks) -> Checked {
    api_path("webhooks.create", &w.create)?;
    for (field, path) in [("webhooks.get", &w.get), ("webhooks.delete", &w.delete)] {
        api_path(field, path)?;
        if path.matches("{id}").count() != 1 {
            return Err(DefinitionError::new(
                field,
                format!("{path:?} must contain {{id}} once, where the webhook's id goes"),
            ));
        }
    }
    if let Some(envelope) = &w.envelope {
        text("webhooks.envelope", envelope, 50)?;
    }
    text("webhooks.target_field", &w.target_field, 50)?;
    pointer("webhooks.id", &w.id)?;
    pointer("webhooks.events", &w.events)?;
    for (field, name) in [
        ("webhooks.handshake_header", &w.handshake_header),
        ("webhooks.signature_header", &w.signature_header),
    ] {
        let lower = name.to_ascii_lowercase();
        if reqwest::header::HeaderName::from_bytes(lower.as_bytes()).is_err()
            || FORBIDDEN_HEADERS.contains(&lower.as_str())
        {
            return Err(DefinitionError::new(
                field,
                format!("{name:?} is not a header the provider can send"),
            ));
        }
    }
    Ok(())
}

fn oauth2(o: &OAuth2) -> Checked {
    secure_url("auth.oauth2.authorize_url", &o.authorize_url)?;
    secure_url("auth.oauth2.token_url", &o.token_url)?;
    secure_url(
        "auth.oauth2.revoke.url",
        &o.revoke.url.replace("{client_id}", "client"),
    )?;
    text("auth.oauth2.revoke.token_field", &o.revoke.token_field, 100)?;
    let sep = &o.granted_scope_separator;
    if sep.is_empty() || sep.len() > 3 {
        return Err(DefinitionError::new(
            "auth.oauth2.granted_scope_separator",
            "one to three characters",
        ));
    }
    for (scope, description) in &o.scopes {
        let field = format!("auth.oauth2.scopes.{scope}");
        if scope.is_empty()
            || scope.len() > 200
            || scope.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(DefinitionError::new(&field, "a scope name has no spaces"));
        }
        text(&field, description, 500)?;
    }
    let known = |field: &str, scope: &str| -> Checked {
        if o.scopes.contains_key(scope) {
            Ok(())
        } else {
            Err(DefinitionError::new(
                field,
                format!("{scope:?} is not in auth.oauth2.scopes"),
            ))
        }
    };
    for (scope, implied) in &o.scope_implies {
        let field = format!("auth.oauth2.scope_implies.{scope}");
        known(&field, scope)?;
        for s in implied {
            known(&field, s)?;
        }
    }
    if let Some(full) = &o.full_access_scope {
        known("auth.oauth2.full_access_scope", full)?;
    }
    for s in &o.default_scopes.scopes {
        known("auth.oauth2.default_scopes.scopes", s)?;
    }
    for (k, (name, value)) in o.authorize_params.iter().enumerate() {
        let reserved = [
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        ];
        if reserved.contains(&name.as_str()) || name.is_empty() || value.len() > 500 {
            return Err(DefinitionError::new(
                &format!("auth.oauth2.authorize_params[{k}]"),
                format!("{name:?} is set by the host or not a parameter"),
            ));
        }
    }
    if let Some(p) = &o.token_account {
        pointers("auth.oauth2.token_account", p)?;
    }
    for (code, meaning) in &o.error_codes {
        if !KNOWN_ERROR_CODES.contains(&meaning.as_str()) {
            return Err(DefinitionError::new(
                &format!("auth.oauth2.error_codes.{code}"),
                format!("{meaning:?} is not one of {}", KNOWN_ERROR_CODES.join(", ")),
            ));
        }
    }
    Ok(())
}

fn env_keys(d: &ConnectorDefinition) -> Checked {
    let mut seen = BTreeSet::new();
    for (setting, keys) in d.settings.all() {
        for key in keys {
            let field = format!("settings.{setting}");
            let valid = key.len() <= 100
                && key.starts_with(|c: char| c.is_ascii_uppercase())
                && key
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(DefinitionError::new(
                    &field,
                    format!("{key:?} is not an env key (capitals, digits and _)"),
                ));
            }
            if key.starts_with("CARDHOST_") {
                return Err(DefinitionError::new(
                    &field,
                    format!("{key} is one of the host's own keys"),
                ));
            }
            if !seen.insert(key.clone()) {
                return Err(DefinitionError::new(
                    &field,
                    format!("{key} names two settings"),
                ));
            }
        }
    }
    Ok(())
}

/// The env keys of a definition, for checking that two connectors share none.
pub(crate) fn env_key_set(d: &ConnectorDefinition) -> BTreeSet<String> {
    d.settings
        .all()
        .into_iter()
        .flat_map(|(_, keys)| keys.iter().cloned())
        .collect()
}

fn text(field: &str, value: &str, max: usize) -> Checked {
    if value.trim().is_empty() {
        return Err(DefinitionError::new(field, "must not be empty"));
    }
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(DefinitionError::new(
            field,
            format!("at most {max} characters, without control characters"),
        ));
    }
    Ok(())
}

/// An https URL, or http on loopback (a fake provider in tests).
fn secure_url(field: &str, raw: &str) -> Checked {
    let url = http_url(raw).map_err(|m| DefinitionError::new(field, m))?;
    if url.scheme() != "https" && !is_loopback_host(&url) {
        return Err(DefinitionError::new(
            field,
            format!("{raw:?} must be https (plain http only on loopback)"),
        ));
    }
    Ok(())
}

fn api_path(field: &str, path: &str) -> Checked {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains("..")
        && !path.contains(['?', '#', '\\'])
        && !path.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(DefinitionError::new(
            field,
            format!("{path:?} must be a path under the API base, starting with /"),
        ))
    }
}

fn pointers(field: &str, p: &AccountPointers) -> Checked {
    if p.id.is_empty() || p.name.is_empty() {
        return Err(DefinitionError::new(
            field,
            "id and name need at least one JSON pointer each",
        ));
    }
    for (part, list) in [("id", &p.id), ("name", &p.name), ("email", &p.email)] {
        for ptr in list {
            pointer(&format!("{field}.{part}"), ptr)?;
        }
    }
    Ok(())
}

/// A JSON pointer (RFC 6901).
fn pointer(field: &str, ptr: &str) -> Checked {
    if ptr.is_empty() || ptr.starts_with('/') {
        Ok(())
    } else {
        Err(DefinitionError::new(
            field,
            format!("{ptr:?} is not a JSON pointer (it starts with /)"),
        ))
    }
}

fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.ends_with('-')
}

fn valid_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}
