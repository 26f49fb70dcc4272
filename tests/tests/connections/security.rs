//! State and PKCE, the API key, secrets at rest and in responses, the master key.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::common::{assert_no_secret_in, Host, API_KEY};

#[tokio::test]
async fn replayed_or_foreign_state_is_refused() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "x"}),
        )
        .await;
    let callback = host.approve(body["authorize_url"].as_str().unwrap()).await;
    assert_eq!(
        host.client.get(&callback).send().await.unwrap().status(),
        200
    );
    let replay = host.client.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    assert!(replay.text().await.unwrap().contains("invalid_state"));
    let foreign = host
        .client
        .get(format!(
            "{}/oauth/callback?code=abc&state=not-ours",
            host.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 400);
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused_by_the_provider_and_reported() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "pkce"}),
        )
        .await;
    let id = body["connection"]["id"].as_str().unwrap().to_string();
    let url = body["authorize_url"].as_str().unwrap().to_string();
    // Tamper with the challenge at the provider: the host's verifier no longer matches.
    let tampered = url::Url::parse(&url).unwrap();
    let pairs: Vec<(String, String)> = tampered
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "code_challenge" {
                (k, "A".repeat(43))
            } else {
                (k, v)
            }
        })
        .collect();
    let mut forged = tampered.clone();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let callback = host.approve(forged.as_str()).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_ne!(conn["status"], "connected");
    assert!(
        conn["status_message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("verifier"),
        "{conn}"
    );
}

#[tokio::test]
async fn a_denied_consent_is_reported() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "deny"}),
        )
        .await;
    let url = body["authorize_url"].as_str().unwrap();
    let callback = host.deny(url).await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("consent_denied"));
}

#[tokio::test]
async fn the_api_needs_the_key() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let url = format!("{}/api/v1/connections", host.base);
    let r = host.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = host
        .client
        .get(&url)
        .bearer_auth("wrong-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    let r = host
        .client
        .get(&url)
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = host
        .client
        .get(format!("{}/healthz", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn no_secret_in_the_data_dir_or_the_api() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let oauth = host.oauth_connection("oauth").await;
    host.token_connection("token", true).await;
    let refresh = fake.refresh_tokens().last().unwrap().clone();
    let (_, list) = host.get("/connections").await;
    let (_, one) = host.get(&format!("/connections/{oauth}")).await;
    let secrets = [
        seed::PAT,
        seed::SERVICE_ACCOUNT_TOKEN,
        seed::CLIENT_SECRET,
        refresh.as_str(),
    ];
    for s in secrets {
        assert!(!list.to_string().contains(s) && !one.to_string().contains(s));
    }
    host.app.store.flush().await.unwrap();
    let dir = host.data_dir.clone();
    let _tmp = host.stop().await;
    assert_no_secret_in(&dir, &secrets);
}

#[tokio::test]
async fn a_wrong_master_key_fails_at_start() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    host.token_connection("token", false).await;
    host.stop().await;
    let mut settings_env: std::collections::HashMap<String, String> =
        crate::common::fake_env(&fake).into_iter().collect();
    settings_env.insert("CARDHOST_DATA_DIR".into(), dir.path().display().to_string());
    settings_env.insert("CARDHOST_MASTER_KEY".into(), "bb".repeat(32));
    let settings =
        cardhost::config::Settings::from_lookup(move |k| settings_env.get(k).cloned()).unwrap();
    let err = cardhost::app::App::start(settings)
        .await
        .err()
        .expect("a wrong key is refused");
    assert!(err.to_string().contains("master key"), "{err}");
}
