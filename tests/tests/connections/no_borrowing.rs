//! A connection acts only as the account a person authorized for it: a
//! declined or never-finished OAuth connection refuses runs and tests, even
//! when the host has an app-level personal access token.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::common::Host;

#[tokio::test]
async fn a_declined_connection_never_borrows_the_app_token() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[("ASANA_TOKEN", seed::PAT)]).await;
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "Bob"}),
        )
        .await;
    let id = body["connection"]["id"].as_str().unwrap().to_string();
    let url = body["authorize_url"].as_str().unwrap();
    let callback = host.deny(url).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["status"], "error", "{conn}");
    fake.clear_requests();

    let (status, run) = host
        .run("asana.read-user", "Bob", json!({"user": "me"}))
        .await;
    assert_eq!(status, 409, "{run}");
    assert_eq!(run["error"]["code"], "not_authorized", "{run}");
    assert_eq!(run["error"]["field"], "connection", "{run}");
    assert!(
        run["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Authorize"),
        "{run}"
    );

    let (status, health) = host
        .post(&format!("/connections/{id}/test"), json!({}))
        .await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["ok"], false, "{health}");
    assert!(health["account"].is_null(), "{health}");
    assert!(
        !health["message"].as_str().unwrap().contains("connected as"),
        "{health}"
    );
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert!(conn["account"].is_null(), "{conn}");

    let borrowed = fake.requests().iter().any(|r| {
        r.header("authorization")
            .is_some_and(|a| a.contains(seed::PAT))
    });
    assert!(!borrowed, "the app-level token reached the provider");

    let token = host.token_connection("team", false).await;
    let (status, run) = host
        .run("asana.read-user", &token, json!({"user": "me"}))
        .await;
    assert_eq!(status, 200, "{run}");
}
