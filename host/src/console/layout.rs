//! The page frame (header, navigation, banners) and the small pieces every
//! page shares: status badges, times, error pages, redirects.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{html, Markup, DOCTYPE};

use super::session::SessionCtx;
use crate::error::AppError;
use crate::store::ConnectionStatus;

/// Which navigation entry is current.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    None,
    Connections,
    Cards,
    Flows,
}

/// The frame of one page.
pub(crate) struct Page<'a> {
    pub title: &'a str,
    pub nav: Nav,
    /// Move on to this local page at once (a meta refresh: no script).
    pub refresh: Option<&'a str>,
}

impl<'a> Page<'a> {
    pub fn new(title: &'a str, nav: Nav) -> Page<'a> {
        Page {
            title,
            nav,
            refresh: None,
        }
    }
}

/// How a banner reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Success,
    Warning,
    Error,
}

/// A banner: what happened, and the error code when something failed.
#[derive(Debug, Clone)]
pub(crate) struct Flash {
    pub tone: Tone,
    pub title: String,
    pub message: String,
    pub code: Option<String>,
}

impl Flash {
    pub fn ok(title: impl Into<String>, message: impl Into<String>) -> Flash {
        Flash {
            tone: Tone::Success,
            title: title.into(),
            message: message.into(),
            code: None,
        }
    }

    pub fn warning(title: impl Into<String>, message: impl Into<String>) -> Flash {
        Flash {
            tone: Tone::Warning,
            title: title.into(),
            message: message.into(),
            code: None,
        }
    }

    pub fn error(title: impl Into<String>, e: &AppError) -> Flash {
        Flash {
            tone: Tone::Error,
            title: title.into(),
            message: sentence(&e.message),
            code: Some(e.code.clone()),
        }
    }
}

/// A service message as a sentence: capital first letter, final full stop.
pub(crate) fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', ')']) {
        out.push('.');
    }
    out
}

/// A banner.
pub(crate) fn banner(flash: &Flash) -> Markup {
    let class = match flash.tone {
        Tone::Success => "banner success",
        Tone::Warning => "banner warning",
        Tone::Error => "banner error",
    };
    html! {
        div class=(class) #banner role=(if flash.tone == Tone::Success { "status" } else { "alert" }) {
            strong.banner-title { (flash.title) }
            p { (flash.message) }
            @if let Some(code) = &flash.code {
                p.code { "Error code: " code #error-code { (code) } }
            }
        }
    }
}

/// The whole document around `body`.
pub(crate) fn render(page: &Page<'_>, ctx: Option<&SessionCtx>, body: Markup) -> Markup {
    let item = |nav: Nav, href: &str, label: &str| {
        html! {
            a href=(href) class=(if page.nav == nav { "current" } else { "" }) { (label) }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(to) = page.refresh {
                    meta http-equiv="refresh" content={ "0; url=" (to) };
                }
                title { (page.title) " · cardhost" }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/console/assets/console.css";
            }
            body {
                header.topbar {
                    div.topbar-inner {
                        a.brand href="/console/connections" { span.logo-mark {} "cardhost" }
                        @if page.nav != Nav::None {
                            nav {
                                (item(Nav::Connections, "/console/connections", "Connections"))
                                (item(Nav::Cards, "/console/cards", "Cards"))
                                (item(Nav::Flows, "/console/flows", "Flows"))
                            }
                        }
                        @if let Some(ctx) = ctx {
                            form.signout method="post" action="/console/logout" {
                                input type="hidden" name="csrf" value=(ctx.csrf);
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// An HTML response.
pub(crate) fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = (status, markup.into_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A 303 to a local path (or, for OAuth, the provider's authorize URL).
pub(crate) fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => message_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Redirect failed",
            "The address to continue to is not valid.",
            Some("internal"),
        ),
    }
}

/// A page that only says something (refusals, errors).
pub(crate) fn message_page(
    status: StatusCode,
    title: &str,
    message: &str,
    code: Option<&str>,
) -> Response {
    let body = html! {
        section.panel.message {
            h1 { (title) }
            p #message { (message) }
            @if let Some(code) = code {
                p.code { "Error code: " code #error-code { (code) } }
            }
            div.actions {
                a.button href="/console/connections" { "Back to Connections" }
            }
        }
    };
    html(status, render(&Page::new(title, Nav::None), None, body))
}

/// A service error as a page.
pub(crate) fn error_page(ctx: &SessionCtx, nav: Nav, title: &str, e: &AppError) -> Response {
    let body = html! {
        h1 { (title) }
        (banner(&Flash::error(title, e)))
        div.actions {
            a.button href="/console/connections" { "Back to Connections" }
        }
    };
    html(
        crate::api::json::status(e.kind),
        render(&Page::new(title, nav), Some(ctx), body),
    )
}

/// The status of a connection as a badge.
pub(crate) fn status_badge(status: ConnectionStatus) -> Markup {
    let (class, label) = match status {
        ConnectionStatus::Connected => ("badge healthy", "Healthy"),
        ConnectionStatus::NeedsReauth => ("badge warning", "Needs re-authorization"),
        ConnectionStatus::Error => ("badge error", "Error"),
        ConnectionStatus::Pending => ("badge pending", "Pending"),
    };
    html! { span class=(class) data-status=(status_code(status)) { (label) } }
}

fn status_code(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Connected => "connected",
        ConnectionStatus::NeedsReauth => "needs_reauth",
        ConnectionStatus::Error => "error",
        ConnectionStatus::Pending => "pending",
    }
}

/// A time as "3 min ago" (with the exact UTC time as its title).
pub(crate) fn when(at: Option<DateTime<Utc>>) -> Markup {
    match at {
        None => html! { span.muted { "Never" } },
        Some(at) => {
            let exact = at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
            html! { time datetime=(at.to_rfc3339()) title=(exact) { (relative(at, Utc::now())) } }
        }
    }
}

/// "just now", "5 min ago", "3 h ago", "2 days ago", or the date.
pub(crate) fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    match secs {
        s if s < 0 => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        0..=59 => "Just now".into(),
        60..=3599 => format!("{} min ago", secs / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        86_400..=604_799 => match secs / 86_400 {
            1 => "Yesterday".into(),
            d => format!("{d} days ago"),
        },
        _ => at.format("%Y-%m-%d").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_naturally() {
        let now = Utc::now();
        assert_eq!(relative(now, now), "Just now");
        assert_eq!(
            relative(now - chrono::Duration::minutes(5), now),
            "5 min ago"
        );
        assert_eq!(relative(now - chrono::Duration::hours(3), now), "3 h ago");
        assert_eq!(relative(now - chrono::Duration::days(1), now), "Yesterday");
        assert_eq!(relative(now - chrono::Duration::days(3), now), "3 days ago");
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            sentence("access was not allowed"),
            "Access was not allowed."
        );
        assert_eq!(sentence("done."), "Done.");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn text_is_escaped() {
        let flash = Flash::ok("<b>", "<script>alert(1)</script>");
        let out = banner(&flash).into_string();
        assert!(
            out.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{out}"
        );
        assert!(!out.contains("<script>"));
    }
}
