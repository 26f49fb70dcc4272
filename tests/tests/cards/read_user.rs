//! Read User: by "me", gid and email; secondary emails through SCIM with the
//! service account token; a refused token gives a clear 401-based error.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::common::Host;

#[tokio::test]
async fn reads_me_with_the_connection_token_the_card_never_sees() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    let (status, body) = host
        .run("asana.read-user", &conn, json!({"user": "me"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(out["gid"], seed::ME_GID);
    assert_eq!(out["name"], seed::ME_NAME);
    assert_eq!(out["email"], seed::ME_EMAIL);
    assert!(out["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["gid"] == seed::WORKSPACE_GID));
    assert!(out.get("secondary_emails").is_none(), "{out}");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "one call to the provider");
    assert_eq!(reqs[0].path, "/api/1.0/users/me");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {}", seed::PAT).as_str())
    );
    assert_eq!(body["calls"][0]["status"], 200);
    assert_eq!(body["calls"][0]["path"], "/api/1.0/users/me");
    assert!(
        !body.to_string().contains(seed::PAT),
        "the run report leaks the token"
    );
}

#[tokio::test]
async fn reads_by_gid_and_by_email() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    let (status, body) = host
        .run(
            "asana.read-user",
            &conn,
            json!({"user": seed::GRACE_HOPPER_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["email"], seed::GRACE_HOPPER_EMAIL);
    let (status, body) = host
        .run(
            "asana.read-user",
            &conn,
            json!({"user": seed::ALAN_TURING_EMAIL}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["gid"], seed::ALAN_TURING_GID);
}

#[tokio::test]
async fn service_account_token_adds_secondary_emails_via_scim() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada-sa", true).await;
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.read-user",
            &conn,
            json!({"user": seed::GRACE_HOPPER_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"]["secondary_emails"],
        json!([seed::GRACE_HOPPER_SECONDARY_EMAIL])
    );
    let scim = fake
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/api/1.0/scim/Users"))
        .expect("a SCIM call");
    assert_eq!(
        scim.header("authorization"),
        Some(format!("Bearer {}", seed::SERVICE_ACCOUNT_TOKEN).as_str()),
        "SCIM is called with the service account token"
    );
}

#[tokio::test]
async fn unknown_user_and_bad_input_are_clear_errors() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    let (status, body) = host
        .run("asana.read-user", &conn, json!({"user": "999999"}))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    fake.clear_requests();
    let (status, body) = host.run("asana.read-user", &conn, json!({})).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "user");
    let (status, body) = host
        .run(
            "asana.read-user",
            &conn,
            json!({"user": "me", "color": "red"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "color");
    assert!(
        fake.requests().is_empty(),
        "invalid input never reaches the provider"
    );
}

#[tokio::test]
async fn an_invalid_token_gives_a_clear_unauthorized_error() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let card = host.app.runner.card("asana.read-user").await.unwrap();
    let report =
        crate::sandbox::run_with_token(&host, &card, json!({"user": "me"}), "2/not-a-real-token")
            .await;
    match report.result {
        Err(cardhost::runtime::RunError::Card { kind, message, .. }) => {
            assert_eq!(
                kind,
                cardhost::runtime::CardErrorKind::Unauthorized,
                "{message}"
            );
        }
        other => panic!("expected an unauthorized card error, got {other:?}"),
    }
    assert_eq!(report.calls[0].status, Some(401));
}

#[tokio::test]
async fn waits_out_a_429_then_succeeds() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    fake.inject(cardhost_tests::fake_asana::Fault::rate_limit(
        "/api/1.0/users/me",
        1,
        1,
    ));
    let (status, body) = host
        .run("asana.read-user", &conn, json!({"user": "me"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        fake.count("GET", "/api/1.0/users/me"),
        2,
        "one 429, one success"
    );
    assert_eq!(body["calls"][0]["rate_limited"], 1);
}
