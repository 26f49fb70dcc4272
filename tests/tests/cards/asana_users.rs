//! The user and team cards against the fake Asana: list-users,
//! search-teams, add-user-to-team, remove-user-from-team (REST), and
//! create-user, update-user, deactivate-user (SCIM with the service account
//! token). For each: success, validation errors naming the field before any
//! request, a 404 naming the input, a 403 for a missing scope, and paging
//! past one page for the lists.

use cardhost_tests::fake_asana::{seed, FakeAsana, Fault};
use serde_json::{json, Value};

use crate::common::Host;

/// A fake, a host and a token connection of Ada's (with the service account
/// token when `service_account`); the fake's requests cleared.
async fn setup(service_account: bool) -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", service_account).await;
    fake.clear_requests();
    (fake, host, conn)
}

/// An OAuth connection granted only `scopes`, consent approved at the fake.
async fn scoped_connection(host: &Host, scopes: &[&str]) -> String {
    let (status, created) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "scoped", "scopes": scopes}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let url = created["authorize_url"].as_str().unwrap();
    let callback = host.approve(url).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    created["connection"]["id"].as_str().unwrap().to_string()
}

/// Runs `card` with each input, expecting a 400 naming the field, and no
/// request at the fake.
async fn assert_invalid(
    fake: &FakeAsana,
    host: &Host,
    conn: &str,
    card: &str,
    cases: &[(Value, &str)],
) {
    fake.clear_requests();
    for (input, field) in cases {
        let (status, body) = host.run(card, conn, input.clone()).await;
        assert_eq!(status, 400, "{card} {input} -> {body}");
        assert_eq!(
            body["error"]["field"].as_str(),
            Some(*field),
            "{card} {input} -> {body}"
        );
    }
    assert!(fake.requests().is_empty(), "{card}: {:?}", fake.requests());
}

/// A run refused for the scope it lacks, before any request.
async fn assert_missing_scope(
    fake: &FakeAsana,
    host: &Host,
    card: &str,
    input: Value,
    scope: &str,
) {
    let conn = scoped_connection(host, &["tasks:write"]).await;
    fake.clear_requests();
    let (status, body) = host.run(card, &conn, input).await;
    assert_eq!(status, 403, "{card}: {body}");
    assert_eq!(body["error"]["code"], "missing_scopes", "{card}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(scope), "{card}: {message}");
    assert!(fake.requests().is_empty(), "{card}: {:?}", fake.requests());
}

fn gids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|item| item["gid"].as_str().unwrap())
        .collect()
}

// --- list-users ------------------------------------------------------------

#[tokio::test]
async fn list_users_pages_through_the_default_workspace() {
    let (fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run("asana.list-users", &conn, json!({"page_size": 2}))
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    let users = gids(&out["users"]);
    assert!(users.len() > 2, "{out}");
    assert_eq!(out["count"], users.len());
    assert_eq!(out["more"], false);
    assert!(users.contains(&seed::ME_GID) && users.contains(&seed::GRACE_HOPPER_GID));
    assert!(
        !users.contains(&seed::CHARLES_BABBAGE_GID),
        "deactivated users are not listed"
    );
    let ada = out["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["gid"] == seed::ME_GID)
        .unwrap();
    assert_eq!(ada["email"], seed::ME_EMAIL);
    assert_eq!(ada["name"], seed::ME_NAME);
    let pages: Vec<_> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/1.0/users")
        .collect();
    assert_eq!(pages.len(), users.len().div_ceil(2), "one request a page");
    assert_eq!(pages[0].query_param("workspace"), Some(seed::WORKSPACE_GID));
    assert_eq!(pages[0].query_param("limit"), Some("2"));
    assert!(pages[1].query_param("offset").is_some());
}

#[tokio::test]
async fn list_users_stops_at_the_limit_and_says_there_is_more() {
    let (_fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run(
            "asana.list-users",
            &conn,
            json!({"workspace": seed::WORKSPACE_GID, "limit": 3, "page_size": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["count"], 3);
    assert_eq!(body["output"]["more"], true);
    let (status, body) = host
        .run(
            "asana.list-users",
            &conn,
            json!({"page_size": 1, "max_pages": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["output"]["count"].clone(),
            body["output"]["more"].clone()
        ),
        (json!(2), json!(true))
    );
}

#[tokio::test]
async fn list_users_refuses_bad_input_a_missing_workspace_and_a_missing_scope() {
    let (fake, host, conn) = setup(false).await;
    assert_invalid(
        &fake,
        &host,
        &conn,
        "asana.list-users",
        &[
            (json!({"limit": 0}), "limit"),
            (json!({"limit": 1001}), "limit"),
            (json!({"page_size": 101}), "page_size"),
            (json!({"max_pages": 0}), "max_pages"),
            (json!({"workspace": " "}), "workspace"),
            (json!({"team": "a/b"}), "team"),
            (json!({"role": "admin"}), "role"),
        ],
    )
    .await;
    fake.inject(Fault::status("/api/1.0/users", 404, 1));
    let (status, body) = host
        .run(
            "asana.list-users",
            &conn,
            json!({"workspace": "1299999999999999"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(body["error"]["field"], "workspace");
    assert_missing_scope(&fake, &host, "asana.list-users", json!({}), "users:read").await;
}
