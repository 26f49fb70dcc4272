//! Granular scopes: what a new OAuth connection asks for, what it records as
//! granted, and a run refused before any provider call when the connection
//! lacks a scope its card needs.

use std::collections::HashMap;

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;

/// The `scope` parameter of an authorize URL, split.
fn asked_for(authorize_url: &str) -> Vec<String> {
    let url = url::Url::parse(authorize_url).unwrap();
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    let mut scopes: Vec<String> = q["scope"].split(' ').map(str::to_string).collect();
    scopes.sort();
    scopes
}

/// Create an OAuth connection with `body` added, approve it at the fake and
/// land on the callback; the created connection and the scopes it asked for.
async fn connect(host: &Host, nickname: &str, extra: Value) -> (String, Vec<String>) {
    let mut body = json!({"connector": "asana", "nickname": nickname});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, created) = host.post("/connections", body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["connection"]["id"].as_str().unwrap().to_string();
    let url = created["authorize_url"].as_str().unwrap().to_string();
    let callback = host.approve(&url).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    (id, asked_for(&url))
}

#[tokio::test]
async fn a_new_connection_asks_for_what_the_installed_cards_need() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (_, connectors) = host.get("/connectors").await;
    let asana = &connectors["data"][0];
    let mut needed: Vec<String> = asana["cards_need"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    needed.sort();
    for scope in ["users:read", "tasks:write", "workspaces.typeahead:read"] {
        assert!(needed.iter().any(|s| s == scope), "{needed:?}");
    }
    assert!(!needed.iter().any(|s| s == "default"), "{needed:?}");
    assert!(asana["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["description"].is_string()));

    let (id, asked) = connect(&host, "granular", json!({})).await;
    assert_eq!(asked, needed);
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    let mut granted: Vec<String> = serde_json::from_value(conn["scopes"].clone()).unwrap();
    granted.sort();
    assert_eq!(granted, needed, "granted scopes are recorded");
    for (card, input) in [
        ("asana.read-user", json!({"user": "me"})),
        (
            "asana.search-user",
            json!({"query": "Grace", "workspace": seed::WORKSPACE_GID}),
        ),
        (
            "asana.create-task",
            json!({"name": "Granular", "workspace": seed::WORKSPACE_GID}),
        ),
    ] {
        let (status, run) = host.run(card, &id, input).await;
        assert_eq!(status, 200, "{card}: {run}");
    }
}

#[tokio::test]
async fn a_connection_without_a_scope_is_refused_before_any_provider_call() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (id, asked) = connect(&host, "readonly", json!({"scopes": ["users:read"]})).await;
    assert_eq!(asked, vec!["users:read".to_string()]);
    fake.clear_requests();
    let (status, run) = host
        .run(
            "asana.create-task",
            &id,
            json!({"name": "Not allowed", "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 403, "{run}");
    assert_eq!(run["error"]["code"], "missing_scopes", "{run}");
    assert_eq!(run["error"]["field"], "connection", "{run}");
    let message = run["error"]["message"].as_str().unwrap();
    assert!(message.contains("tasks:write"), "{message}");
    assert!(message.contains("Reauthorize"), "{message}");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    let (status, run) = host
        .run("asana.read-user", &id, json!({"user": "me"}))
        .await;
    assert_eq!(status, 200, "{run}");

    let r = host
        .api(reqwest::Method::PATCH, &format!("/connections/{id}"))
        .json(&json!({"scopes": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, again) = host
        .post(&format!("/connections/{id}/authorize"), json!({}))
        .await;
    let url = again["authorize_url"].as_str().unwrap();
    assert!(asked_for(url).iter().any(|s| s == "tasks:write"), "{url}");
}

#[tokio::test]
async fn full_permissions_in_the_org_settings_asks_for_default() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let r = host
        .api(reqwest::Method::PUT, "/settings/asana")
        .json(
            &json!({"client_id": seed::CLIENT_ID, "client_secret": seed::CLIENT_SECRET,
                      "full_permissions": true}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (id, asked) = connect(&host, "full", json!({})).await;
    assert_eq!(asked, vec!["default".to_string()]);
    let (status, run) = host
        .run(
            "asana.create-task",
            &id,
            json!({"name": "Full", "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
}

/// A host whose OAuth app is the fake's granular-scope app.
async fn granular_host(fake: &FakeAsana, dir: &std::path::Path, extra: &[(&str, &str)]) -> Host {
    let mut env = vec![
        ("ASANA_CLIENT_ID", seed::GRANULAR_CLIENT_ID),
        ("ASANA_CLIENT_SECRET", seed::GRANULAR_CLIENT_SECRET),
    ];
    env.extend_from_slice(extra);
    Host::start_in(fake, dir, &env).await
}

#[tokio::test]
async fn a_granular_app_connects_without_default_and_runs_the_cards() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = granular_host(&fake, dir.path(), &[]).await;
    let (id, asked) = connect(&host, "granular", json!({})).await;
    assert!(!asked.iter().any(|s| s == "default"), "{asked:?}");
    for (card, input) in [
        ("asana.read-user", json!({"user": "me"})),
        (
            "asana.search-user",
            json!({"query": "Grace", "workspace": seed::WORKSPACE_GID}),
        ),
        (
            "asana.search-user",
            json!({"query": seed::GRACE_HOPPER_EMAIL, "workspace": seed::WORKSPACE_GID}),
        ),
        (
            "asana.create-task",
            json!({"name": "Granular", "workspace": seed::WORKSPACE_GID}),
        ),
    ] {
        let (status, run) = host.run(card, &id, input).await;
        assert_eq!(status, 200, "{card}: {run}");
    }
    let (status, health) = host
        .post(&format!("/connections/{id}/test"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(health["ok"], true, "{health}");
}

#[tokio::test]
async fn full_permissions_on_a_granular_app_says_to_turn_it_off() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = granular_host(&fake, dir.path(), &[("ASANA_FULL_PERMISSIONS", "true")]).await;
    let (_, created) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "full"}),
        )
        .await;
    let id = created["connection"]["id"].as_str().unwrap().to_string();
    let url = created["authorize_url"].as_str().unwrap();
    assert_eq!(asked_for(url), vec!["default".to_string()]);
    let callback = host.approve(url).await;
    assert!(callback.contains("error=forbidden_scopes"), "{callback}");
    let page = host.client.get(&callback).send().await.unwrap();
    assert_eq!(page.status(), 422);
    let text = page.text().await.unwrap();
    assert!(text.contains("forbidden_scopes"), "{text}");
    assert!(text.contains("full_permissions"), "{text}");
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["status"], "error", "{conn}");
    assert!(
        conn["status_message"]
            .as_str()
            .unwrap()
            .contains("full_permissions"),
        "{conn}"
    );
}

#[tokio::test]
async fn an_unknown_scope_is_refused_before_it_reaches_the_provider() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (status, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "odd", "scopes": ["tasks:fly"]}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "scopes", "{body}");
}

#[test]
fn every_scope_is_in_asana_openapi() {
    let asana = cardhost_tests::contract::contract();
    let connector = crate::common::builtin_connector("asana");
    let descriptions = connector.scope_descriptions();
    let ours: std::collections::BTreeSet<&str> = descriptions.keys().map(String::as_str).collect();
    for name in &ours {
        assert!(
            asana.knows_scope(name),
            "{name} is not a scope of Asana's OpenAPI"
        );
    }
    for name in asana.scopes().keys() {
        assert!(
            ours.contains(name.as_str()),
            "Asana's OpenAPI has the scope {name}; add it to the connector's catalogue"
        );
    }
    for (name, description) in &descriptions {
        assert!(!description.trim().is_empty(), "{name} has no description");
    }
}

#[tokio::test]
async fn every_asana_card_scope_is_one_asana_names() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let asana = cardhost_tests::contract::contract();
    for record in host.app.catalogue.records().await {
        if !record.id.starts_with("asana.") {
            continue;
        }
        for scope in &record.manifest.scopes {
            assert!(
                asana.knows_scope(scope),
                "card {} declares {scope}, which Asana's OpenAPI does not name",
                record.id
            );
        }
    }
}
