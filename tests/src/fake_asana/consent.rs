//! The HTML pages of the authorization endpoint: the consent page (with
//! "Allow" and "Deny" forms, no script, nothing loaded from elsewhere) and the
//! error page shown when the app or its redirect URI cannot be trusted.

use super::html::escape;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Inline style shared by both pages.
const STYLE: &str = "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f6f8f9;color:#1e1f21;margin:0}\
main{max-width:420px;margin:64px auto;background:#fff;border:1px solid #e0e6e8;border-radius:8px;padding:32px}\
h1{font-size:20px;margin:0 0 16px}.logo{color:#f06a6a;font-weight:700;font-size:22px;margin-bottom:24px}\
ul{padding-left:20px}.actions{display:flex;gap:12px;margin-top:24px}form{margin:0}\
button{font-size:15px;padding:8px 20px;border-radius:6px;border:1px solid #cfcbcb;background:#fff;cursor:pointer}\
#allow{background:#4573d2;border-color:#4573d2;color:#fff}.who{color:#6d6e6f;font-size:14px}.error{color:#c92f54}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\
         <body><main><div class=\"logo\">asana</div>{body}</main></body></html>",
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

/// What the consent page shows and carries.
pub struct Consent<'a> {
    pub app_name: &'a str,
    pub user_name: &'a str,
    pub user_email: &'a str,
    pub workspace_names: Vec<&'a str>,
    /// The scopes asked for, each with its description.
    pub scopes: Vec<(&'a str, &'a str)>,
    /// The authorization request, replayed as hidden inputs.
    pub hidden: Vec<(&'a str, &'a str)>,
}

/// The consent page: "<app> wants to access your Asana account".
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
    let form = |decision: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/-/oauth_authorize\">{hidden}\
             <input type=\"hidden\" name=\"decision\" value=\"{decision}\">\
             <button type=\"submit\" id=\"{decision}\">{label}</button></form>"
        )
    };
    let scopes: String = consent
        .scopes
        .iter()
        .map(|(name, description)| {
            format!(
                "<li><code>{}</code> {}</li>",
                escape(name),
                escape(description)
            )
        })
        .collect();
    let app = escape(consent.app_name);
    let body = format!(
        "<h1>{app} wants to access your Asana account</h1>\
         <p class=\"who\">Signed in as {} ({}) &middot; {}</p>\
         <p>{app} will be able to:</p><ul>{scopes}</ul>\
         <div class=\"actions\">{}{}</div>",
        escape(consent.user_name),
        escape(consent.user_email),
        escape(&consent.workspace_names.join(", ")),
        form("allow", "Allow"),
        form("deny", "Deny"),
    );
    page(
        StatusCode::OK,
        &format!("Grant {} access to Asana", consent.app_name),
        &body,
    )
}

/// A 400 page for a request Asana refuses without redirecting.
pub fn error_page(message: &str) -> Response {
    let body = format!(
        "<h1>Something went wrong</h1><p class=\"error\" id=\"error\">{}</p>",
        escape(message)
    );
    page(StatusCode::BAD_REQUEST, "Asana - Error", &body)
}
