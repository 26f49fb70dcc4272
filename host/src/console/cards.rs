//! The Cards pages: the catalogue, and a card's page with its inputs and
//! outputs (from its manifest's JSON Schemas) and a form to run it on a
//! connection.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use super::connections::csrf_field;
use super::layout::{banner, error_page, html, render, sentence, status_badge, Flash, Nav, Page};
use super::schema;
use super::session::SessionCtx;
use super::Console;
use crate::capability::HttpCall;
use crate::cards::CardRun;
use crate::error::AppError;
use crate::runtime::{CardKind, LoadedCard, LogLine};
use crate::store::{Connection, ConnectionStatus};

fn card_url(id: &str) -> String {
    format!("/console/cards/{id}")
}

/// The query of the Cards page: `?q=` filters the catalogue.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    q: String,
}

/// The groups of the catalogue within a connector, in the order shown.
const CATEGORIES: [&str; 5] = ["Users", "Tasks", "Projects", "Teams", "Other"];

/// A card's category, from the words of its id's name (after the dot): the
/// first word that names one decides (`read-user-tasks` is a Users card,
/// `read-project-tasks` a Projects card); none is Other.
pub(crate) fn category(card_id: &str) -> &'static str {
    let name = card_id.split_once('.').map_or(card_id, |(_, n)| n);
    name.split('-')
        .find_map(|word| match word {
            "user" | "users" => Some("Users"),
            "task" | "tasks" | "subtask" | "subtasks" | "comment" | "comments" | "story"
            | "stories" | "issue" | "issues" => Some("Tasks"),
            "project" | "projects" | "section" | "sections" | "membership" | "memberships" => {
                Some("Projects")
            }
            "team" | "teams" => Some("Teams"),
            _ => None,
        })
        .unwrap_or("Other")
}

/// The cards shown: (connector name, connector id) → category's place in
/// [`CATEGORIES`] → cards.
type Groups = BTreeMap<(String, String), BTreeMap<usize, Vec<Arc<LoadedCard>>>>;

/// Whether every word of `filter` is in one of `texts` (ignoring case).
fn matches(filter: &str, texts: &[&str]) -> bool {
    let haystack = texts.join(" ").to_lowercase();
    filter
        .to_lowercase()
        .split_whitespace()
        .all(|word| haystack.contains(word))
}

/// `GET /console/cards[?q=...]`: the catalogue grouped by connector, then by
/// category, filtered on the server (a plain GET form: no script).
pub(crate) async fn list(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Query(query): Query<ListQuery>,
) -> Response {
    let filter = query.q.trim();
    let registry = &console.app.registry;
    let mut groups = Groups::new();
    let mut total = 0;
    for card in console.app.catalogue.all().await {
        total += 1;
        let m = card.manifest();
        let (connector_id, connector_name) = match registry.for_card(&m.id) {
            Some(c) => (c.id.clone(), c.name.clone()),
            None => {
                let id = m.id.split_once('.').map_or("", |(c, _)| c).to_string();
                (id.clone(), id)
            }
        };
        let category = category(&m.id);
        let texts = [
            m.id.as_str(),
            m.name.as_str(),
            m.description.as_str(),
            connector_name.as_str(),
            category,
        ];
        if !matches(filter, &texts) {
            continue;
        }
        let rank = CATEGORIES
            .iter()
            .position(|c| *c == category)
            .unwrap_or(CATEGORIES.len());
        groups
            .entry((connector_name, connector_id))
            .or_default()
            .entry(rank)
            .or_default()
            .push(card);
    }
    let shown: usize = groups.values().flat_map(|g| g.values()).map(Vec::len).sum();
    let unavailable: Vec<_> = console
        .app
        .catalogue
        .list()
        .await
        .into_iter()
        .filter_map(|c| c.unavailable.clone().map(|why| (c, why)))
        .filter(|(c, _)| matches(filter, &[&c.record.id, &c.record.manifest.name]))
        .collect();
    let body = html! {
        div.page-head {
            div {
                h1 { "Cards" }
                p.muted { "Actions a flow can take. Each runs in a WebAssembly sandbox with the connection's access, never its tokens." }
            }
        }
        form.filter #card-filter method="get" action="/console/cards" role="search" {
            label for="q" { "Filter cards" }
            div.filter-row {
                input #q type="search" name="q" value=(filter) placeholder="Name, id, connector or category, e.g. users";
                button #filter type="submit" { "Filter" }
                @if !filter.is_empty() { a.button #clear-filter href="/console/cards" { "Clear" } }
            }
            @if !filter.is_empty() {
                p.hint #filter-count { (shown) " of " (total) " cards match “" (filter) "”." }
            }
        }
        @if groups.is_empty() {
            p.muted #no-cards {
                @if filter.is_empty() { "No cards are installed." }
                @else { "No card matches “" (filter) "”. " a href="/console/cards" { "Show all cards" } "." }
            }
        }
        div #cards {
            @for ((connector_name, connector_id), categories) in &groups {
                section.connector-group data-connector=(connector_id) {
                    h2 { (connector_name) }
                    @for (rank, cards) in categories {
                        @let name = CATEGORIES.get(*rank).copied().unwrap_or("Other");
                        div.category-group data-category=(name.to_lowercase()) {
                            h3 { (name) }
                            div.card-grid {
                                @for card in cards {
                                    @let m = card.manifest();
                                    a.card-tile href=(card_url(&m.id)) data-card=(m.id) {
                                        div.card-name { (m.name) }
                                        div.sub { code { (m.id) } " · v" (m.version) }
                                        p { (m.description) }
                                        div.tags {
                                            @for s in &m.scopes { span.tag { "scope: " (s) } }
                                            @if m.uses_service_account { span.tag { "service account" } }
                                            @if m.kind == CardKind::Event { span.tag { "event: starts flows" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !unavailable.is_empty() {
            h2 { "Unavailable" }
            p.muted { "Installed cards that did not load at start. Upgrade or delete them." }
            div.card-grid #unavailable-cards {
                @for (card, why) in &unavailable {
                    div.card-tile data-card=(card.record.id) data-available="false" {
                        div.card-name { (card.record.manifest.name) }
                        div.sub { code { (card.record.id) } " · v" (card.record.version) }
                        p { "Cannot run: " (why) }
                    }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        render(&Page::new("Cards", Nav::Cards), Some(&ctx), body),
    )
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RunForm {
    #[serde(default)]
    connection: String,
    #[serde(default)]
    input: String,
}

/// `GET /console/cards/{card}`.
pub(crate) async fn detail(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(card): Path<String>,
    Query(form): Query<RunForm>,
) -> Response {
    let card = match console.app.runner.card(&card).await {
        Ok(c) => c,
        Err(e) => return error_page(&ctx, Nav::Cards, "Card not found", &e),
    };
    let input = if form.input.trim().is_empty() {
        serde_json::to_string_pretty(&schema::example_input(&card.manifest().input_schema))
            .unwrap_or_else(|_| "{}".into())
    } else {
        form.input.clone()
    };
    let form = RunForm {
        connection: form.connection,
        input,
    };
    card_page(&console, &ctx, &card, &form, None, StatusCode::OK)
}

/// The outcome shown under the run form.
enum Outcome {
    Ran(CardRun),
    Refused(AppError),
}

/// `POST /console/cards/{card}/run`.
pub(crate) async fn run(
    State(console): State<Console>,
    Extension(ctx): Extension<SessionCtx>,
    Path(card): Path<String>,
    Form(form): Form<RunForm>,
) -> Response {
    let card = match console.app.runner.card(&card).await {
        Ok(c) => c,
        Err(e) => return error_page(&ctx, Nav::Cards, "Card not found", &e),
    };
    let input: Value = match serde_json::from_str(&form.input) {
        Ok(v) => v,
        Err(e) => {
            let e = AppError::invalid(
                "input",
                format!(
                    "the input is not valid JSON (line {}, column {}): write an object such as {{\"user\": \"me\"}}",
                    e.line(),
                    e.column()
                ),
            );
            return card_page(
                &console,
                &ctx,
                &card,
                &form,
                Some(Outcome::Refused(e)),
                StatusCode::BAD_REQUEST,
            );
        }
    };
    if form.connection.trim().is_empty() {
        let e = AppError::invalid(
            "connection",
            "choose a connection to run the card on (create one under Connections first)",
        );
        return card_page(
            &console,
            &ctx,
            &card,
            &form,
            Some(Outcome::Refused(e)),
            StatusCode::BAD_REQUEST,
        );
    }
    let id = card.manifest().id.clone();
    match console.app.runner.run(&id, &form.connection, &input).await {
        Ok(run) => card_page(
            &console,
            &ctx,
            &card,
            &form,
            Some(Outcome::Ran(run)),
            StatusCode::OK,
        ),
        Err(e) => {
            let status = crate::api::json::status(e.kind);
            card_page(
                &console,
                &ctx,
                &card,
                &form,
                Some(Outcome::Refused(e)),
                status,
            )
        }
    }
}

fn card_page(
    console: &Console,
    ctx: &SessionCtx,
    card: &LoadedCard,
    form: &RunForm,
    outcome: Option<Outcome>,
    status: StatusCode,
) -> Response {
    let m = card.manifest();
    let connector = console.app.registry.for_card(&m.id);
    let connections: Vec<Connection> = console
        .app
        .connections
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| connector.as_ref().is_some_and(|k| k.id == c.connector))
        .collect();
    let chosen = if form.connection.is_empty() {
        connections
            .iter()
            .find(|c| c.status == ConnectionStatus::Connected)
            .map(|c| c.id.clone())
            .unwrap_or_default()
    } else {
        form.connection.clone()
    };
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let body = html! {
        div.page-head {
            div {
                p.crumbs { a href="/console/cards" { "Cards" } " / " (m.name) }
                h1 { (m.name) }
                p.muted { (m.description) }
                div.tags {
                    span.tag { code { (m.id) } }
                    span.tag { "v" (m.version) }
                    span.tag { (m.kind.as_str()) " card" }
                    span.tag { "contract " (m.contract) }
                    @for s in &m.scopes { span.tag { "scope: " (s) } }
                    @if m.uses_service_account { span.tag { "uses the service account token when set" } }
                }
            }
        }
        div.columns {
            div.stack {
                section.panel {
                    h2 { "Inputs" }
                    (schema::table(&m.input_schema, "inputs"))
                    details { summary { "Input JSON Schema" } pre { (pretty(&m.input_schema)) } }
                }
                section.panel {
                    h2 { "Outputs" }
                    (schema::table(&m.output_schema, "outputs"))
                    details { summary { "Output JSON Schema" } pre { (pretty(&m.output_schema)) } }
                }
            }
            div.stack {
                @if m.kind == CardKind::Event {
                    section.panel #event-card {
                        h2 { "Trigger" }
                        p.muted {
                            "An event card is not run: it starts flows as a trigger. Its inputs "
                            "say what to watch; its outputs are what a flow it starts receives."
                        }
                    }
                } @else {
                section.panel {
                    h2 { "Run" }
                    @if connections.is_empty() {
                        p.muted {
                            "No connection can run this card yet. "
                            a href="/console/connections/new" { "Create a connection" } " first."
                        }
                    }
                    form.form #run-form method="post" action={(card_url(&m.id)) "/run#result"} {
                        (csrf_field(ctx))
                        div.field {
                            label for="connection" { "Connection" }
                            select #connection name="connection" {
                                @for c in &connections {
                                    option value=(c.id) selected[c.id == chosen] {
                                        (c.nickname)
                                        @if c.status != ConnectionStatus::Connected { " (" (status_word(c.status)) ")" }
                                    }
                                }
                            }
                        }
                        div.field {
                            label for="input" { "Input (JSON)" }
                            textarea #input name="input" rows="7" spellcheck="false" { (form.input) }
                        }
                        div.actions { button.primary #run type="submit" { "Run card" } }
                    }
                }
                }
                @if let Some(outcome) = &outcome { (result(outcome, &connections)) }
            }
        }
    };
    html(
        status,
        render(&Page::new(&m.name, Nav::Cards), Some(ctx), body),
    )
}

fn status_word(status: ConnectionStatus) -> &'static str {
    match status {
        ConnectionStatus::Connected => "healthy",
        ConnectionStatus::NeedsReauth => "needs re-authorization",
        ConnectionStatus::Error => "error",
        ConnectionStatus::Pending => "pending",
    }
}

fn result(outcome: &Outcome, connections: &[Connection]) -> Markup {
    match outcome {
        Outcome::Refused(e) => html! {
            section.panel #result data-outcome="refused" {
                h2 { "Result" }
                (banner(&Flash::error("The card did not run", e)))
                @if let Some(field) = &e.field { p.muted { "Field: " code { (field) } } }
            }
        },
        Outcome::Ran(run) => {
            let conn = connections.iter().find(|c| c.id == run.connection);
            html! {
                section.panel #result data-outcome=(if run.error.is_none() { "ok" } else { "failed" }) {
                    h2 {
                        "Result "
                        @if run.error.is_none() { span.badge.healthy { "Succeeded" } } @else { span.badge.error { "Failed" } }
                    }
                    p.muted {
                        (millis(run.duration_ms))
                        @if let Some(c) = conn { " on " (c.nickname) " " (status_badge(c.status)) }
                    }
                    @if let Some(out) = &run.output {
                        pre #output { (serde_json::to_string_pretty(out).unwrap_or_default()) }
                    }
                    @if let Some(f) = &run.error {
                        div.banner.error role="alert" {
                            strong.banner-title { "The card failed" }
                            p #run-error { (sentence(&f.message)) }
                            p.code {
                                "Error code: " code #error-code { (f.code) }
                                @if let Some(field) = &f.field { " · field " code { (field) } }
                                @if f.retryable { " · retrying may help" }
                            }
                        }
                    }
                    (calls_table(&run.calls))
                    (logs(&run.logs))
                }
            }
        }
    }
}

/// A duration for people: `0.4 ms`, `12 ms`, `1.25 s`.
pub(crate) fn millis(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// The HTTP calls of a run, as a table.
pub(crate) fn calls_table(calls: &[HttpCall]) -> Markup {
    html! {
        @if !calls.is_empty() {
            h3 { "HTTP calls" }
            table.list.compact.calls {
                thead { tr { th { "Method" } th { "Path" } th { "Status" } th { "Time" } } }
                tbody {
                    @for call in calls {
                        tr {
                            td { code { (call.method) } }
                            td { code { (call.path) } }
                            td {
                                @match call.status {
                                    Some(s) => { (s) }
                                    None => { span.muted { "no response" } }
                                }
                                @if call.rate_limited > 0 { " " span.sub { "(" (call.rate_limited) "× rate limited)" } }
                                @if let Some(e) = &call.error { div.sub { (e) } }
                            }
                            td { (millis(call.duration_ms)) }
                        }
                    }
                }
            }
        }
    }
}

/// What a card logged.
pub(crate) fn logs(lines: &[LogLine]) -> Markup {
    html! {
        @if !lines.is_empty() {
            h3 { "Logs" }
            pre.logs {
                @for line in lines {
                    (format!("{:>9}  {:<5}  ", millis(line.at_ms), format!("{:?}", line.level).to_lowercase())) (line.message) "\n"
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_come_from_the_name() {
        for (id, expected) in [
            ("acme.read-user", "Users"),
            ("acme.list-users", "Users"),
            ("acme.add-user-to-team", "Users"),
            ("acme.read-user-tasks", "Users"),
            ("acme.create-task", "Tasks"),
            ("acme.add-comment", "Tasks"),
            ("github.create-issue", "Tasks"),
            ("acme.read-project-tasks", "Projects"),
            ("acme.delete-membership", "Projects"),
            ("acme.search-teams", "Teams"),
            ("acme.custom-api-action", "Other"),
            ("acme.who-am-i", "Other"),
            ("acme.userland", "Other"),
        ] {
            assert_eq!(category(id), expected, "{id}");
        }
    }

    #[test]
    fn every_word_of_the_filter_must_match() {
        let texts = [
            "acme.search-user",
            "Search User",
            "Finds users.",
            "Acme",
            "Users",
        ];
        assert!(matches("", &texts));
        assert!(matches("SEARCH acme", &texts));
        assert!(!matches("search github", &texts));
    }
}
