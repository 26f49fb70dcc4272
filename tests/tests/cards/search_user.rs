//! Search User: an email finds the exact user, other text uses the workspace
//! typeahead; the workspace falls back to the connection's default.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::common::Host;

#[tokio::test]
async fn an_email_finds_the_exact_user() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": seed::GRACE_KELLY_EMAIL, "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["count"], 1);
    assert_eq!(body["output"]["users"][0]["gid"], seed::GRACE_KELLY_GID);
    assert_eq!(
        fake.count(
            "GET",
            &format!("/api/1.0/users/{}", seed::GRACE_KELLY_EMAIL)
        ),
        1
    );
    assert!(fake
        .requests()
        .iter()
        .all(|r| !r.path.contains("typeahead")));
}

#[tokio::test]
async fn a_name_uses_the_typeahead_of_the_default_workspace() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": "Grace", "limit": 5}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let gids: Vec<&str> = body["output"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["gid"].as_str().unwrap())
        .collect();
    assert!(
        gids.contains(&seed::GRACE_HOPPER_GID) && gids.contains(&seed::GRACE_KELLY_GID),
        "{gids:?}"
    );
    let typeahead = fake
        .requests()
        .into_iter()
        .find(|r| r.path.contains("typeahead"))
        .expect("typeahead call");
    assert!(
        typeahead.path.contains(seed::WORKSPACE_GID),
        "default workspace used: {}",
        typeahead.path
    );
    assert_eq!(typeahead.query_param("resource_type"), Some("user"));
    assert_eq!(typeahead.query_param("count"), Some("5"));
}

#[tokio::test]
async fn an_unknown_email_is_an_empty_list() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": "nobody@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["count"], 0);
}

#[tokio::test]
async fn secondary_emails_come_with_the_service_account_token() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada-sa", true).await;
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": seed::ALAN_TURING_EMAIL}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"]["users"][0]["secondary_emails"],
        json!([seed::ALAN_TURING_SECONDARY_EMAIL])
    );
}

#[tokio::test]
async fn limit_out_of_range_names_the_field() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    for limit in [0, 101] {
        let (status, body) = host
            .run(
                "asana.search-user",
                &conn,
                json!({"query": "Grace", "limit": limit}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["field"], "limit");
    }
    let (status, body) = host
        .run("asana.search-user", &conn, json!({"query": ""}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "query");
}
