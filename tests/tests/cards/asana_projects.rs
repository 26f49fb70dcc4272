//! The Asana project cards against the fake Asana: create, read, update and
//! search projects, read a project's tasks page by page, add and remove
//! project members; each validation error before any provider call, the
//! not-found errors naming the input, and the scopes each card needs.

use std::collections::HashMap;

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;

/// Every card of this module, with an input that passes its validation.
fn cards() -> Vec<(&'static str, Value)> {
    vec![
        (
            "asana.create-project",
            json!({"name": "Roadmap", "workspace": seed::WORKSPACE_GID}),
        ),
        ("asana.read-project", json!({"project": seed::PROJECT_GID})),
        (
            "asana.update-project",
            json!({"project": seed::PROJECT_GID, "notes": "x"}),
        ),
        (
            "asana.search-projects",
            json!({"query": "launch", "workspace": seed::WORKSPACE_GID}),
        ),
        (
            "asana.read-project-tasks",
            json!({"project": seed::PROJECT_GID}),
        ),
        (
            "asana.create-membership",
            json!({"project": seed::PROJECT_GID, "member": seed::GRACE_HOPPER_GID}),
        ),
        (
            "asana.delete-membership",
            json!({"project": seed::PROJECT_GID, "member": seed::GRACE_HOPPER_GID}),
        ),
    ]
}

async fn setup() -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    (fake, host, conn)
}

/// An OAuth connection granted only `scopes` (consent approved at the fake).
async fn oauth_with_scopes(host: &Host, scopes: &[&str]) -> String {
    let (status, created) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "scoped", "scopes": scopes}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["authorize_url"].as_str().unwrap();
    let asked: HashMap<_, _> = url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    assert_eq!(asked["scope"], scopes.join(" "));
    let callback = host.approve(url).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    created["connection"]["id"].as_str().unwrap().to_string()
}

/// Runs `card` expecting a 400 naming `field`.
async fn refused(host: &Host, conn: &str, card: &str, input: Value, field: &str) {
    let (status, body) = host.run(card, conn, input.clone()).await;
    assert_eq!(status, 400, "{card} {input} -> {body}");
    assert_eq!(
        body["error"]["code"], "invalid_input",
        "{card} {input}: {body}"
    );
    assert_eq!(
        body["error"]["field"].as_str(),
        Some(field),
        "{card} {input}: {body}"
    );
}

#[tokio::test]
async fn each_card_declares_the_scopes_of_its_operations() {
    let (_fake, host, _) = setup().await;
    let expected: [(&str, &[&str]); 7] = [
        ("asana.create-project", &["projects:write"]),
        ("asana.read-project", &["projects:read", "teams:read"]),
        ("asana.update-project", &["projects:write"]),
        ("asana.search-projects", &["projects:read"]),
        ("asana.read-project-tasks", &["tasks:read"]),
        ("asana.create-membership", &["default"]),
        ("asana.delete-membership", &["default"]),
    ];
    let asana = host.connector("asana");
    for (card, scopes) in expected {
        let (status, body) = host.get(&format!("/cards/{card}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scopes"], json!(scopes), "{card}");
        for scope in scopes {
            assert!(
                asana.known_scopes.iter().any(|known| known == scope),
                "{card}: {scope} is not one of Asana's scopes"
            );
        }
    }
}

#[tokio::test]
async fn a_connection_without_a_cards_scope_is_refused_before_any_call() {
    let (fake, host, _) = setup().await;
    let conn = oauth_with_scopes(&host, &["users:read"]).await;
    fake.clear_requests();
    for (card, input) in cards() {
        let (status, body) = host.run(card, &conn, input).await;
        assert_eq!(status, 403, "{card}: {body}");
        assert_eq!(body["error"]["code"], "missing_scopes", "{card}: {body}");
        assert_eq!(body["error"]["field"], "connection", "{card}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        let (_, card_body) = host.get(&format!("/cards/{card}")).await;
        for scope in card_body["scopes"].as_array().unwrap() {
            assert!(
                message.contains(scope.as_str().unwrap()),
                "{card}: {message}"
            );
        }
        if card.contains("membership") {
            assert!(message.contains("full access"), "{card}: {message}");
        }
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[tokio::test]
async fn validation_errors_name_the_field_and_send_nothing() {
    let (fake, host, conn) = setup().await;
    let ws = seed::WORKSPACE_GID;
    let project = seed::PROJECT_GID;
    let cases = [
        (
            "asana.create-project",
            json!({"name": " ", "workspace": ws}),
            "name",
        ),
        ("asana.create-project", json!({"workspace": ws}), "name"),
        (
            "asana.create-project",
            json!({"name": "x", "color": "red"}),
            "color",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "default_view": "gantt"}),
            "default_view",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "privacy_setting": "secret"}),
            "privacy_setting",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "due_on": "2027-02-30"}),
            "due_on",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "start_on": "2027-02-01"}),
            "start_on",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "start_on": "2027-03-01", "due_on": "2027-02-01"}),
            "start_on",
        ),
        (
            "asana.create-project",
            json!({"name": "x", "public": true}),
            "public",
        ),
        ("asana.read-project", json!({}), "project"),
        (
            "asana.read-project",
            json!({"project": "1/tasks"}),
            "project",
        ),
        (
            "asana.update-project",
            json!({"project": project}),
            "project",
        ),
        ("asana.update-project", json!({"name": "x"}), "project"),
        (
            "asana.update-project",
            json!({"project": project, "name": ""}),
            "name",
        ),
        (
            "asana.update-project",
            json!({"project": project, "color": "teal"}),
            "color",
        ),
        (
            "asana.update-project",
            json!({"project": project, "due_on": "soon"}),
            "due_on",
        ),
        (
            "asana.update-project",
            json!({"project": project, "start_on": "2027-01-01"}),
            "start_on",
        ),
        ("asana.search-projects", json!({"query": ""}), "query"),
        (
            "asana.search-projects",
            json!({"query": "a", "limit": 0}),
            "limit",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "limit": 1001}),
            "limit",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "page_size": 101}),
            "page_size",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "max_pages": 0}),
            "max_pages",
        ),
        (
            "asana.search-projects",
            json!({"query": "a", "team": "a/b"}),
            "team",
        ),
        ("asana.read-project-tasks", json!({}), "project"),
        (
            "asana.read-project-tasks",
            json!({"project": project, "completed_since": "last week"}),
            "completed_since",
        ),
        (
            "asana.read-project-tasks",
            json!({"project": project, "limit": 1001}),
            "limit",
        ),
        (
            "asana.read-project-tasks",
            json!({"project": project, "page_size": 0}),
            "page_size",
        ),
        (
            "asana.read-project-tasks",
            json!({"project": project, "max_pages": 101}),
            "max_pages",
        ),
        (
            "asana.create-membership",
            json!({"project": project}),
            "member",
        ),
        (
            "asana.create-membership",
            json!({"project": "Launch", "member": "1"}),
            "project",
        ),
        (
            "asana.create-membership",
            json!({"project": project, "member": seed::ME_EMAIL}),
            "member",
        ),
        (
            "asana.create-membership",
            json!({"project": project, "member": "1", "access_level": "owner"}),
            "access_level",
        ),
        ("asana.delete-membership", json!({}), "project"),
        (
            "asana.delete-membership",
            json!({"project": project}),
            "member",
        ),
        (
            "asana.delete-membership",
            json!({"membership": "1", "project": project}),
            "membership",
        ),
        (
            "asana.delete-membership",
            json!({"membership": "x"}),
            "membership",
        ),
    ];
    for (card, input, field) in cases {
        refused(&host, &conn, card, input, field).await;
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}
