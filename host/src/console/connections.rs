//! The Connections pages: the list, New Connection, a connection's page with
//! its actions (test, reauthorize, rename, service account token, personal
//! access token) and the delete confirmation.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::layout::{
    self, banner, error_page, html, render, see_other, sentence, status_badge, when, Flash, Nav,
    Page,
};
use super::session::SessionCtx;
use super::Console;
use crate::connections::{CreateConnection, UpdateConnection};
use crate::error::AppError;
use crate::store::{AuthMethod, Connection, ConnectionStatus};

/// The hidden CSRF field of every form.
pub(crate) fn csrf_field(ctx: &SessionCtx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf); }
}

fn connection_url(id: &str) -> String {
    format!("/console/connections/{id}")
}

fn connector_name(console: &Console, id: &str) -> String {
    console
        .app
        .registry
        .get(id)
        .map(|c| c.name.clone())
        .unwrap_or_else(|| id.to_string())
}

fn auth_label(auth: AuthMethod) -> &'static str {
    match auth {
        AuthMethod::OAuth => "OAuth",
        AuthMethod::Token => "Personal access token",
    }
}

/// `GET /console/connections`.
pub(crate) async fn list(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
) -> Response {
    let flash = console.sessions.take_flash(&ctx);
    let connections = match console.app.connections.list() {
        Ok(c) => c,
        Err(e) => return error_page(&ctx, Nav::Connections, "Connections", &e),
    };
    let body = html! {
        div.page-head {
            div {
                h1 { "Connections" }
                p.muted { "Named, reusable sign-ins to your apps. Cards and flows act through them." }
            }
            a.button.primary #new-connection href="/console/connections/new" { "New Connection" }
        }
        @if let Some(f) = &flash { (banner(f)) }
        @if connections.is_empty() {
            section.panel.empty {
                h2 { "No connections yet" }
                p { "Create one to let cards act on a provider on your behalf." }
                a.button.primary href="/console/connections/new" { "New Connection" }
            }
        } @else {
            table.list #connections {
                thead { tr {
                    th { "Nickname" } th { "Connector" } th { "Account" } th { "Status" } th { "Last used" }
                } }
                tbody {
                    @for c in &connections {
                        tr data-id=(c.id) {
                            td.nickname {
                                a href=(connection_url(&c.id)) { (c.nickname) }
                                div.sub { (auth_label(c.auth)) }
                            }
                            td { (connector_name(&console, &c.connector)) }
                            td {
                                @if let Some(a) = &c.account {
                                    div { (a.name) }
                                    @if let Some(email) = &a.email { div.sub { (email) } }
                                } @else {
                                    span.muted { "—" }
                                }
                            }
                            td { (status_badge(c.status)) }
                            td { (when(c.last_used_at)) }
                        }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        render(
            &Page::new("Connections", Nav::Connections),
            Some(&ctx),
            body,
        ),
    )
}

/// What the New Connection form holds.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewConnection {
    #[serde(default)]
    connector: String,
    #[serde(default)]
    nickname: String,
    /// `oauth` or `token`.
    #[serde(default)]
    auth: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    service_account_token: String,
}

/// `GET /console/connections/new`.
pub(crate) async fn new_form(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
) -> Response {
    let form = NewConnection {
        auth: "oauth".into(),
        ..NewConnection::default()
    };
    new_page(&console, &ctx, StatusCode::OK, &form, None)
}

fn new_page(
    console: &Console,
    ctx: &SessionCtx,
    status: StatusCode,
    form: &NewConnection,
    error: Option<&AppError>,
) -> Response {
    let connectors = console.app.registry.all();
    let field_error = |name: &str| error.filter(|e| e.field.as_deref() == Some(name));
    let token = form.auth == "token";
    let body = html! {
        div.page-head {
            div {
                p.crumbs { a href="/console/connections" { "Connections" } " / New" }
                h1 { "New Connection" }
            }
        }
        @if let Some(e) = error { (banner(&Flash::error("The connection was not created", e))) }
        form.panel.form #new-connection-form method="post" action="/console/connections" {
            (csrf_field(ctx))
            div.field {
                label for="connector" { "Connector" }
                select #connector name="connector" {
                    @for c in &connectors {
                        option value=(c.id) selected[c.id == form.connector] { (c.name) }
                    }
                }
            }
            div.field {
                label for="nickname" { "Connection nickname" }
                input #nickname type="text" name="nickname" value=(form.nickname) maxlength="100" required autofocus;
                p.hint { "A name for people, e.g. “Marketing team”. Useful when you share several connections with your team." }
                @if let Some(e) = field_error("nickname") { p.field-error { (sentence(&e.message)) } }
            }
            fieldset.field {
                legend { "Sign in with" }
                label.choice {
                    input type="radio" name="auth" value="oauth" checked[!token];
                    span { strong { "OAuth" } " — you sign in at the provider and click Allow (recommended)" }
                }
                label.choice {
                    input type="radio" name="auth" value="token" checked[token];
                    span { strong { "Personal access token" } " — paste a token instead" }
                }
            }
            div.field {
                label for="access_token" { "Personal access token " span.muted { "(only with “Personal access token”)" } }
                input #access_token type="password" name="access_token" autocomplete="off" spellcheck="false";
                @for c in connectors.iter() {
                    @if let Some(t) = &c.definition.auth.token {
                        p.hint { strong { (c.name) ": " } (t.description) }
                    }
                }
                @if let Some(e) = field_error("access_token") { p.field-error { (sentence(&e.message)) } }
            }
            div.field {
                label for="service_account_token" { "Service account token " span.muted { "(optional)" } }
                input #service_account_token type="password" name="service_account_token" autocomplete="off" spellcheck="false";
                @for c in connectors.iter().filter(|c| c.definition.auth.service_account.is_some()) {
                    p.hint { strong { (c.name) ": " } (c.definition.auth.service_account.as_ref().map(|s| s.description.as_str()).unwrap_or_default()) }
                }
                p.hint { "Only connectors that have one take it. Stored encrypted; never shown again." }
                @if let Some(e) = field_error("service_account_token") { p.field-error { (sentence(&e.message)) } }
            }
            div.actions {
                button.primary #create type="submit" { "Create" }
                a.button href="/console/connections" { "Cancel" }
            }
        }
    };
    html(
        status,
        render(
            &Page::new("New Connection", Nav::Connections),
            Some(ctx),
            body,
        ),
    )
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `POST /console/connections`: create; an OAuth connection goes straight
/// on to the provider's consent page.
pub(crate) async fn create(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Form(form): Form<NewConnection>,
) -> Response {
    let token = form.auth == "token";
    let access_token = if token {
        match non_empty(&form.access_token) {
            Some(t) => Some(t),
            None => {
                let e = AppError::invalid(
                    "access_token",
                    "paste the personal access token, or choose OAuth",
                );
                return new_page(&console, &ctx, StatusCode::BAD_REQUEST, &form, Some(&e));
            }
        }
    } else {
        None
    };
    let request = CreateConnection {
        connector: form.connector.clone(),
        nickname: form.nickname.clone(),
        service_account_token: non_empty(&form.service_account_token),
        scopes: None,
        access_token,
    };
    match console.app.connections.create(request).await {
        Ok(created) => match created.authorize_url {
            Some(url) => see_other(&url),
            None => {
                let who = created
                    .connection
                    .account
                    .as_ref()
                    .map(|a| format!(" as {}", a.name))
                    .unwrap_or_default();
                console.sessions.set_flash(
                    &ctx,
                    Flash::ok(
                        "Connected",
                        format!("{} is connected{who}.", created.connection.nickname),
                    ),
                );
                see_other(&connection_url(&created.connection.id))
            }
        },
        Err(e) => new_page(
            &console,
            &ctx,
            crate::api::json::status(e.kind),
            &form,
            Some(&e),
        ),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DetailQuery {
    /// Set by the OAuth callback's landing page.
    authorized: Option<String>,
}

/// `GET /console/connections/{id}`.
pub(crate) async fn detail(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let conn = match console.app.connections.get(&id) {
        Ok(c) => c,
        Err(e) => return error_page(&ctx, Nav::Connections, "Connection not found", &e),
    };
    let mut flash = console.sessions.take_flash(&ctx);
    if flash.is_none() && q.authorized.is_some() && conn.status == ConnectionStatus::Connected {
        let who = conn
            .account
            .as_ref()
            .map(|a| format!(" as {}", a.name))
            .unwrap_or_default();
        flash = Some(Flash::ok(
            "Connected",
            format!(
                "{} is connected{who}. Cards and flows can use it now.",
                conn.nickname
            ),
        ));
    }
    detail_page(&console, &ctx, &conn, flash)
}

fn detail_page(
    console: &Console,
    ctx: &SessionCtx,
    conn: &Connection,
    flash: Option<Flash>,
) -> Response {
    let url = connection_url(&conn.id);
    let provider = connector_name(console, &conn.connector);
    let sa_placeholder = if conn.has_service_account_token {
        "Replace the token"
    } else {
        "Paste a token"
    };
    let problem = matches!(
        conn.status,
        ConnectionStatus::NeedsReauth | ConnectionStatus::Error
    );
    let body = html! {
        div.page-head {
            div {
                p.crumbs { a href="/console/connections" { "Connections" } " / " (conn.nickname) }
                h1 #nickname { (conn.nickname) " " (status_badge(conn.status)) }
            }
            form method="post" action={(url) "/test"} {
                (csrf_field(ctx))
                button #test type="submit" { "Test connection" }
            }
        }
        @if let Some(f) = &flash { (banner(f)) }
        @if problem && flash.is_none() {
            @if let Some(m) = &conn.status_message {
                div.banner.warning role="alert" {
                    strong.banner-title { "This connection needs attention" }
                    p { (m) }
                }
            }
        }
        @if conn.status == ConnectionStatus::Pending && flash.is_none() {
            div.banner.warning role="status" {
                strong.banner-title { "Not authorized yet" }
                p { "Click Authorize, sign in at " (provider) " and click Allow." }
            }
        }
        div.columns {
            section.panel {
                h2 { "Details" }
                dl.facts {
                    dt { "Connector" } dd { (provider) }
                    dt { "Sign-in" } dd { (auth_label(conn.auth)) }
                    dt { "Account" }
                    dd #account {
                        @if let Some(a) = &conn.account {
                            (a.name)
                            @if let Some(e) = &a.email { " " span.muted { "(" (e) ")" } }
                        } @else { span.muted { "Not known yet" } }
                    }
                    dt { "Scopes" } dd { (conn.scopes.join(" ")) }
                    dt { "Service account token" }
                    dd #service-account-state {
                        @if conn.has_service_account_token { span.tag.on { "Set" } } @else { span.tag { "Not set" } }
                    }
                    @if let Some(exp) = conn.token_expires_at {
                        dt { "Access token expires" } dd { (when(Some(exp))) }
                    }
                    dt { "Last used" } dd { (when(conn.last_used_at)) }
                    dt { "Created" } dd { (when(Some(conn.created_at))) }
                    dt { "Id" } dd { code { (conn.id) } }
                }
            }
            div.stack {
                @if conn.auth == AuthMethod::OAuth {
                    section.panel {
                        h2 { @if conn.status == ConnectionStatus::Pending { "Authorize" } @else { "Reauthorize" } }
                        p.muted { "Sign in at " (provider) " again and click Allow. Use this when the connection needs re-authorization or should act as someone else." }
                        form method="post" action={(url) "/authorize"} {
                            (csrf_field(ctx))
                            button.primary #reauthorize type="submit" {
                                @if conn.status == ConnectionStatus::Pending { "Authorize" } @else { "Reauthorize" }
                            }
                        }
                    }
                } @else {
                    section.panel {
                        h2 { "Personal access token" }
                        form.inline method="post" action={(url) "/access-token"} {
                            (csrf_field(ctx))
                            input #access_token type="password" name="access_token" placeholder="New personal access token" autocomplete="off" required;
                            button type="submit" { "Replace" }
                        }
                    }
                }
                section.panel {
                    h2 { "Rename" }
                    form.inline method="post" action={(url) "/rename"} {
                        (csrf_field(ctx))
                        input #new-nickname type="text" name="nickname" value=(conn.nickname) maxlength="100" required aria-label="Nickname";
                        button #rename type="submit" { "Rename" }
                    }
                }
                section.panel {
                    h2 { "Service account token" }
                    p.muted { "Lets Read User and Search User return secondary emails. Write-only: it is never shown." }
                    form.inline method="post" action={(url) "/service-account"} {
                        (csrf_field(ctx))
                        input type="hidden" name="action" value="set";
                        input #service_account_token type="password" name="token" placeholder=(sa_placeholder) autocomplete="off" required;
                        button #set-service-account type="submit" { "Save" }
                    }
                    @if conn.has_service_account_token {
                        form method="post" action={(url) "/service-account"} {
                            (csrf_field(ctx))
                            input type="hidden" name="action" value="clear";
                            button.link.danger-text #clear-service-account type="submit" { "Clear the service account token" }
                        }
                    }
                }
                section.panel.danger-zone {
                    h2 { "Delete" }
                    p.muted { "Revokes the connection's tokens at " (provider) " and erases them from this host." }
                    a.button.danger #delete href={(url) "/delete"} { "Delete…" }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        render(
            &Page::new(&conn.nickname, Nav::Connections),
            Some(ctx),
            body,
        ),
    )
}

/// Load a connection for an action, or answer with its error page.
#[allow(clippy::result_large_err)]
fn load(console: &Console, ctx: &SessionCtx, id: &str) -> Result<Connection, Response> {
    console
        .app
        .connections
        .get(id)
        .map_err(|e| error_page(ctx, Nav::Connections, "Connection not found", &e))
}

/// `POST /console/connections/{id}/test`.
pub(crate) async fn test(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let conn = match load(&console, &ctx, &id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let flash = match console.app.connections.test(&conn.id).await {
        Ok(h) => {
            let mut message = if h.ok {
                format!("{} works: {}.", conn.nickname, h.message)
            } else {
                format!("{} does not work: {}", conn.nickname, sentence(&h.message))
            };
            let mut sa_ok = true;
            if let Some(sa) = &h.service_account {
                sa_ok = sa.ok;
                message.push_str(&format!(" Service account token: {}.", sa.message));
            }
            match (h.ok, sa_ok) {
                (true, true) => Flash::ok("Test passed", message),
                (true, false) => Flash::warning("Test passed, with a problem", message),
                (false, _) => Flash {
                    tone: layout::Tone::Error,
                    title: "Test failed".into(),
                    message,
                    code: None,
                },
            }
        }
        Err(e) => Flash::error("Test failed", &e),
    };
    console.sessions.set_flash(&ctx, flash);
    see_other(&connection_url(&conn.id))
}

/// `POST /console/connections/{id}/authorize`: on to the provider.
pub(crate) async fn authorize(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let conn = match load(&console, &ctx, &id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match console.app.connections.authorize(&conn.id).await {
        Ok(url) => see_other(&url),
        Err(e) => {
            console
                .sessions
                .set_flash(&ctx, Flash::error("Could not start the sign-in", &e));
            see_other(&connection_url(&conn.id))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct RenameForm {
    #[serde(default)]
    nickname: String,
}

/// `POST /console/connections/{id}/rename`.
pub(crate) async fn rename(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
    Form(form): Form<RenameForm>,
) -> Response {
    let update = UpdateConnection {
        nickname: Some(form.nickname),
        ..UpdateConnection::default()
    };
    let flash = match console.app.connections.update(&id, update).await {
        Ok(c) => Flash::ok(
            "Renamed",
            format!("The connection is now called {}.", c.nickname),
        ),
        Err(e) => Flash::error("The connection was not renamed", &e),
    };
    console.sessions.set_flash(&ctx, flash);
    see_other(&connection_url(&id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ServiceAccountForm {
    /// `set` or `clear`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    token: String,
}

/// `POST /console/connections/{id}/service-account`: set or clear.
pub(crate) async fn service_account(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
    Form(form): Form<ServiceAccountForm>,
) -> Response {
    let clear = form.action == "clear";
    let value = if clear { None } else { Some(form.token) };
    let update = UpdateConnection {
        service_account_token: Some(value),
        ..UpdateConnection::default()
    };
    let flash = match console.app.connections.update(&id, update).await {
        Ok(_) if clear => Flash::ok(
            "Service account token cleared",
            "The connection has no service account token now.",
        ),
        Ok(_) => Flash::ok(
            "Service account token saved",
            "Test the connection to check that the token works.",
        ),
        Err(e) => Flash::error("The service account token was not changed", &e),
    };
    console.sessions.set_flash(&ctx, flash);
    see_other(&connection_url(&id))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AccessTokenForm {
    #[serde(default)]
    access_token: String,
}

/// `POST /console/connections/{id}/access-token` (token connections).
pub(crate) async fn access_token(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
    Form(form): Form<AccessTokenForm>,
) -> Response {
    let update = UpdateConnection {
        access_token: Some(form.access_token),
        ..UpdateConnection::default()
    };
    let flash = match console.app.connections.update(&id, update).await {
        Ok(c) => Flash::ok(
            "Token replaced",
            format!(
                "{} now uses the new personal access token{}.",
                c.nickname,
                c.account
                    .as_ref()
                    .map(|a| format!(" of {}", a.name))
                    .unwrap_or_default()
            ),
        ),
        Err(e) => Flash::error("The token was not replaced", &e),
    };
    console.sessions.set_flash(&ctx, flash);
    see_other(&connection_url(&id))
}

/// `GET /console/connections/{id}/delete`: the confirmation.
pub(crate) async fn confirm_delete(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let conn = match load(&console, &ctx, &id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let url = connection_url(&conn.id);
    let provider = connector_name(&console, &conn.connector);
    let body = html! {
        section.panel.confirm {
            h1 { "Delete Connection" }
            p { "Delete " strong { (conn.nickname) } "?" }
            @if conn.auth == AuthMethod::OAuth {
                p #consequence { "Its tokens will be revoked at " (provider) " and erased from this host." }
            } @else {
                p #consequence { "Its tokens will be erased from this host. " (provider) " does not let apps revoke a personal access token: revoke it in " (provider) "'s developer console if nothing else uses it." }
            }
            p.muted { "Cards and flows that use this connection will stop working. This cannot be undone." }
            form method="post" action=(url.clone() + "/delete") {
                (csrf_field(&ctx))
                div.actions {
                    button.danger #confirm-delete type="submit" { "Confirm" }
                    a.button href=(url) { "Cancel" }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        render(
            &Page::new("Delete Connection", Nav::Connections),
            Some(&ctx),
            body,
        ),
    )
}

/// `POST /console/connections/{id}/delete`.
pub(crate) async fn delete(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(id): Path<String>,
) -> Response {
    let conn = match load(&console, &ctx, &id) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let provider = connector_name(&console, &conn.connector);
    match console.app.connections.delete(&conn.id).await {
        Ok(d) => {
            let flash = match d.revocation {
                "revoked" => Flash::ok(
                    "Connection deleted",
                    format!(
                        "{} was deleted and its tokens were revoked at {provider}.",
                        conn.nickname
                    ),
                ),
                "failed" => Flash::warning(
                    "Connection deleted, but not revoked",
                    format!(
                        "{} was deleted here, but revoking its tokens at {provider} failed ({}). Remove the app's access in your {provider} account settings.",
                        conn.nickname,
                        d.revocation_message.as_deref().unwrap_or("no reason given")
                    ),
                ),
                _ => Flash::ok(
                    "Connection deleted",
                    format!("{} was deleted and its tokens erased from this host.", conn.nickname),
                ),
            };
            console.sessions.set_flash(&ctx, flash);
            see_other("/console/connections")
        }
        Err(e) => {
            console
                .sessions
                .set_flash(&ctx, Flash::error("The connection was not deleted", &e));
            see_other(&connection_url(&conn.id))
        }
    }
}
