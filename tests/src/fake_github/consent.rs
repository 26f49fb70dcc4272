//! The HTML pages of the authorization endpoint: "Authorize <app>" (with
//! "Authorize" and "Cancel" forms, no script, nothing loaded from
//! elsewhere) and the error pages shown instead of redirecting when the app
//! or its redirect URI cannot be trusted.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f6f8fa;color:#1f2328;margin:0}\
main{max-width:440px;margin:64px auto;background:#fff;border:1px solid #d1d9e0;border-radius:6px;padding:32px}\
h1{font-size:20px;font-weight:400;margin:0 0 16px}.mark{font-size:28px;text-align:center;margin-bottom:16px}\
ul{padding-left:20px}.actions{display:flex;gap:12px;margin-top:24px}form{margin:0}\
button{font-size:14px;padding:6px 16px;border-radius:6px;border:1px solid #d1d9e0;background:#f6f8fa;cursor:pointer}\
#authorize{background:#1f883d;border-color:#1f883d;color:#fff}.who{color:#59636e;font-size:14px}.error{color:#d1242f}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\
         <body><main><div class=\"mark\">&#128049;</div>{body}</main></body></html>",
        escape(title)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        html,
    )
        .into_response()
}

/// What the authorization page shows and carries.
pub struct Consent<'a> {
    pub app_name: &'a str,
    pub login: &'a str,
    pub name: Option<&'a str>,
    /// The scopes asked for, each with its description.
    pub scopes: Vec<(&'a str, &'a str)>,
    /// Where the user will be sent back.
    pub redirect_uri: &'a str,
    /// The authorization request, replayed as hidden inputs.
    pub hidden: Vec<(&'a str, &'a str)>,
}

/// The authorization page: "Authorize <app>".
pub fn consent_page(consent: &Consent<'_>) -> Response {
    let hidden: String = consent
        .hidden
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let form = |value: &str, id: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/login/oauth/authorize\">{hidden}\
             <input type=\"hidden\" name=\"authorize\" value=\"{value}\">\
             <button type=\"submit\" id=\"{id}\">{label}</button></form>"
        )
    };
    let scopes: String = if consent.scopes.is_empty() {
        "<li>Public information (read-only)</li>".to_string()
    } else {
        consent
            .scopes
            .iter()
            .map(|(name, description)| {
                format!(
                    "<li><code>{}</code> {}</li>",
                    escape(name),
                    escape(description)
                )
            })
            .collect()
    };
    let app = escape(consent.app_name);
    let who = match consent.name {
        Some(name) => format!("{} ({})", escape(name), escape(consent.login)),
        None => escape(consent.login),
    };
    let body = format!(
        "<h1>Authorize <strong>{app}</strong></h1>\
         <p class=\"who\">Signed in as {who}</p>\
         <p>{app} wants to access your account:</p><ul>{scopes}</ul>\
         <div class=\"actions\">{}{}</div>\
         <p class=\"who\">Authorizing will redirect to <code>{}</code></p>",
        form("0", "cancel", "Cancel"),
        form(
            "1",
            "authorize",
            &format!("Authorize {}", escape(consent.login))
        ),
        escape(consent.redirect_uri),
    );
    page(
        StatusCode::OK,
        &format!("Authorize application {}", consent.app_name),
        &body,
    )
}

/// The page for an authorization request GitHub will not redirect back
/// from. GitHub shows such pages; their status is not documented, and the
/// fake answers them with `status`.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<h1>Be careful!</h1><p class=\"error\" id=\"error\">{}</p>",
        escape(message)
    );
    page(status, "Authorization error", &body)
}
