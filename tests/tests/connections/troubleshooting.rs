//! The troubleshooting cases of connecting to Asana, each with its own error
//! code and a message that says what to do.

use cardhost_tests::fake_asana::{FakeAsana, OAuthClient};
use serde_json::json;

use crate::common::{status_json, Host};

#[tokio::test]
async fn an_app_registered_without_the_scopes_is_told_what_to_register() {
    let fake = FakeAsana::start().await;
    let registered = "http://127.0.0.1:1/oauth/callback";
    fake.register_client(OAuthClient {
        client_id: "no-scopes-app".into(),
        client_secret: "no-scopes-secret".into(),
        redirect_uris: vec![registered.into()],
        scopes_enabled: false,
    });
    let host = Host::start_in(
        &fake,
        tempfile::tempdir().unwrap().keep().as_path(),
        &[
            ("ASANA_CLIENT_ID", "no-scopes-app"),
            ("ASANA_CLIENT_SECRET", "no-scopes-secret"),
            ("ASANA_REDIRECT_URI", registered),
        ],
    )
    .await;
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "scopeless"}),
        )
        .await;
    let id = body["connection"]["id"].as_str().unwrap().to_string();
    let url = body["authorize_url"].as_str().unwrap();
    let r = host
        .client
        .get(format!("{url}&approve=1"))
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("error=forbidden_scopes"), "{location}");
    let back_to_host = location.replace("http://127.0.0.1:1", &host.base);
    let page = host.client.get(&back_to_host).send().await.unwrap();
    assert_eq!(page.status(), 422);
    let text = page.text().await.unwrap();
    assert!(text.contains("forbidden_scopes"), "{text}");
    assert!(text.contains("register these scopes for the app"), "{text}");
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["status"], "error");
}

#[tokio::test]
async fn a_redirect_uri_changed_during_sign_in_is_a_mismatch() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (_, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "moved"}),
        )
        .await;
    let callback = host.approve(body["authorize_url"].as_str().unwrap()).await;
    let r = host
        .api(reqwest::Method::PUT, "/settings/asana")
        .json(
            &json!({"client_id": cardhost_tests::fake_asana::seed::CLIENT_ID,
                      "client_secret": cardhost_tests::fake_asana::seed::CLIENT_SECRET,
                      "redirect_uri": "https://cardhost.example.com/oauth/callback"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let page = host.client.get(&callback).send().await.unwrap();
    assert_eq!(page.status(), 422);
    let text = page.text().await.unwrap();
    assert!(text.contains("redirect_uri_mismatch"), "{text}");
    assert!(text.contains("register exactly this URI"), "{text}");
}

#[tokio::test]
async fn an_unreachable_provider_is_a_502_that_says_so() {
    let fake = FakeAsana::start().await;
    let host = Host::start_in(
        &fake,
        tempfile::tempdir().unwrap().keep().as_path(),
        &[("ASANA_API_BASE_URL", "http://127.0.0.1:9/api/1.0")],
    )
    .await;
    let r = host
        .api(reqwest::Method::POST, "/connections")
        .json(&json!({"connector": "asana", "nickname": "offline", "access_token": "2/anything"}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "provider_unreachable");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("ASANA_API_BASE_URL"));
    let (_, list) = host.get("/connections").await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn a_token_refresh_the_provider_cannot_answer_leaves_the_connection_connected() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let id = host.oauth_connection("flaky").await;
    fake.expire_access_tokens();
    fake.inject(cardhost_tests::fake_asana::Fault::status(
        "/-/oauth_token",
        503,
        1,
    ));
    let (status, body) = host
        .run("asana.read-user", &id, json!({"user": "me"}))
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["retryable"], true, "{body}");
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(
        conn["status"], "connected",
        "a transient failure is not a reauthorization"
    );
    let (status, body) = host
        .run("asana.read-user", &id, json!({"user": "me"}))
        .await;
    assert_eq!(status, 200, "the next run refreshes: {body}");
}
