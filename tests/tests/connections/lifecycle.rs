//! The whole life of an OAuth connection, and token connections.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use futures::future::join_all;
use serde_json::json;

use crate::common::Host;

#[tokio::test]
async fn oauth_connect_run_refresh_storm_reauth_and_delete() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;

    // Create: pending, with an authorize URL carrying state and PKCE S256.
    let (status, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "Team Asana"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["connection"]["status"], "pending");
    let id = body["connection"]["id"].as_str().unwrap().to_string();
    let url = url::Url::parse(body["authorize_url"].as_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["redirect_uri"], format!("{}/oauth/callback", host.base));
    assert!(q["state"].len() >= 16);

    // Approve at the fake, land on the callback: connected, with the account.
    let callback = host.approve(url.as_str()).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["status"], "connected", "{conn}");
    assert_eq!(conn["account"]["id"], seed::ME_GID);
    assert_eq!(conn["account"]["email"], seed::ME_EMAIL);
    assert_eq!(conn["has_refresh_token"], true);
    assert!(conn["token_expires_at"].is_string());

    // All three cards run on it.
    let (s, b) = host
        .run("asana.read-user", &id, json!({"user": "me"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = host
        .run("asana.search-user", &id, json!({"query": "Grace"}))
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = host
        .run(
            "asana.create-task",
            &id,
            json!({"name": "From OAuth", "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(s, 200, "{b}");

    // Expire the token and run 50 cards at once: exactly one refresh.
    fake.expire_access_tokens();
    let refreshes_before = fake.token_grants("refresh_token");
    let runs = (0..50).map(|_| host.run("asana.read-user", &id, json!({"user": "me"})));
    for (status, body) in join_all(runs).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        fake.token_grants("refresh_token") - refreshes_before,
        1,
        "single-flight refresh"
    );

    // Revoke the refresh token at the provider: the next run needs reauth.
    let refresh = fake.refresh_tokens().last().unwrap().clone();
    fake.revoke_refresh_token(&refresh);
    let (status, body) = host
        .run("asana.read-user", &id, json!({"user": "me"}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "needs_reauth");
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["status"], "needs_reauth");
    assert!(conn["status_message"]
        .as_str()
        .unwrap()
        .contains("Reauthorize"));

    // Reauthorize: connected again.
    let (status, body) = host
        .post(&format!("/connections/{id}/authorize"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let callback = host.approve(body["authorize_url"].as_str().unwrap()).await;
    assert_eq!(
        host.client.get(&callback).send().await.unwrap().status(),
        200
    );
    let (s, b) = host
        .run("asana.read-user", &id, json!({"user": "me"}))
        .await;
    assert_eq!(s, 200, "{b}");

    // Delete: the fake saw the revoke; the record and its secrets are gone.
    let live_refresh = fake.refresh_tokens().last().unwrap().clone();
    let r = host
        .api(reqwest::Method::DELETE, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deleted: serde_json::Value = r.json().await.unwrap();
    assert_eq!(deleted["revocation"], "revoked", "{deleted}");
    assert!(fake.revocations().contains(&live_refresh));
    let (status, _) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(status, 404);
    assert!(host.app.store.get_secrets(&id).unwrap().is_none());
}

#[tokio::test]
async fn token_connections_test_rename_and_service_account() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let id = host.token_connection("pat", false).await;
    let (status, body) = host
        .post(&format!("/connections/{id}/test"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["account"]["name"], seed::ME_NAME);

    let r = host
        .api(reqwest::Method::PATCH, &format!("/connections/{id}"))
        .json(&json!({"nickname": "Renamed", "service_account_token": seed::SERVICE_ACCOUNT_TOKEN}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let conn: serde_json::Value = r.json().await.unwrap();
    assert_eq!(conn["nickname"], "Renamed");
    assert_eq!(conn["has_service_account_token"], true);
    let (_, body) = host
        .run(
            "asana.read-user",
            "Renamed",
            json!({"user": seed::GRACE_HOPPER_GID}),
        )
        .await;
    assert_eq!(
        body["output"]["secondary_emails"],
        json!([seed::GRACE_HOPPER_SECONDARY_EMAIL]),
        "{body}"
    );
    let (_, health) = host
        .post(&format!("/connections/{id}/test"), json!({}))
        .await;
    assert_eq!(health["service_account"]["ok"], true, "{health}");

    let r = host
        .api(reqwest::Method::PATCH, &format!("/connections/{id}"))
        .json(&json!({"service_account_token": null}))
        .send()
        .await
        .unwrap();
    let conn: serde_json::Value = r.json().await.unwrap();
    assert_eq!(conn["has_service_account_token"], false);
    let r = host
        .api(reqwest::Method::DELETE, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    let deleted: serde_json::Value = r.json().await.unwrap();
    assert_eq!(deleted["revocation"], "not_applicable");
}

#[tokio::test]
async fn connections_survive_a_restart() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    let oauth = host.oauth_connection("oauth").await;
    let token = host.token_connection("token", true).await;
    host.stop().await;
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    for id in [&oauth, &token] {
        let (s, b) = host.run("asana.read-user", id, json!({"user": "me"})).await;
        assert_eq!(s, 200, "{b}");
    }
    let (_, list) = host.get("/connections").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn org_settings_are_verified_before_they_are_saved() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let r = host
        .api(reqwest::Method::PUT, "/settings/asana")
        .json(&json!({"client_id": seed::CLIENT_ID, "client_secret": "wrong"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_client");
    let r = host
        .api(reqwest::Method::PUT, "/settings/asana")
        .json(&json!({"client_id": seed::CLIENT_ID, "client_secret": seed::CLIENT_SECRET, "personal_access_token": seed::PAT}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["client_verified"], true);
    assert_eq!(body["connect_needed"], true);
    assert_eq!(body["settings"]["has_client_secret"], true);
    assert!(
        !body.to_string().contains(seed::CLIENT_SECRET) && !body.to_string().contains(seed::PAT)
    );
}
