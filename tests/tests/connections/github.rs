//! GitHub connections against the fake GitHub: an OAuth app's web flow with
//! PKCE and no refresh token, fine-grained personal access tokens, and
//! revoking the grant (DELETE with HTTP Basic and a JSON body) on delete.

use cardhost_tests::fake_asana::FakeAsana;
use cardhost_tests::fake_github::{seed, FakeGitHub};
use serde_json::json;

use crate::common::Host;

#[tokio::test]
async fn an_oauth_app_connects_with_pkce_and_works_without_a_refresh_token() {
    let (fake, github) = (FakeAsana::start().await, FakeGitHub::start().await);
    let host = Host::start_with_github(&fake, &github).await;
    let (id, authorize_url) = host.github_oauth_connection("octo").await;

    let url = url::Url::parse(&authorize_url).unwrap();
    let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], seed::CLIENT_ID);
    assert_eq!(query["code_challenge_method"], "S256", "{authorize_url}");
    assert_eq!(query["code_challenge"].len(), 43);
    assert_eq!(
        query["scope"], "read:user repo",
        "what the GitHub cards need"
    );
    let exchange = github
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/login/oauth/access_token")
        .expect("the code was exchanged");
    let form: std::collections::HashMap<String, String> = exchange.form().into_iter().collect();
    assert_eq!(form.get("code_verifier").map(String::len), Some(43));
    assert_eq!(
        form.get("client_id").map(String::as_str),
        Some(seed::CLIENT_ID)
    );

    let (status, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(status, 200, "{conn}");
    assert_eq!(conn["status"], "connected", "{conn}");
    assert_eq!(conn["has_refresh_token"], false, "{conn}");
    assert!(conn["token_expires_at"].is_null(), "{conn}");
    assert_eq!(conn["account"]["id"], seed::OCTOCAT_ID.to_string());
    assert_eq!(conn["account"]["name"], seed::OCTOCAT_NAME);
    assert_eq!(
        conn["scopes"],
        json!(["read:user", "repo"]),
        "comma-separated grant split"
    );

    let (status, run) = host.run("github.read-user", &id, json!({})).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["output"]["login"], seed::OCTOCAT);
    let call = github
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/api/v3/user")
        .unwrap();
    assert_eq!(call.header("x-github-api-version"), Some("2022-11-28"));
    assert!(call
        .header("user-agent")
        .is_some_and(|ua| ua.starts_with("cardhost/")));

    let (status, health) = host
        .post(&format!("/connections/{id}/test"), json!({}))
        .await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["ok"], true, "{health}");
    assert_eq!(github.token_grants("refresh_token"), 0);
}

#[tokio::test]
async fn a_fine_grained_token_connects_and_reaches_only_its_repositories() {
    let (fake, github) = (FakeAsana::start().await, FakeGitHub::start().await);
    let host = Host::start_with_github(&fake, &github).await;
    let id = host
        .github_token_connection("fine", seed::FINE_GRAINED_TOKEN)
        .await;
    let (_, conn) = host.get(&format!("/connections/{id}")).await;
    assert_eq!(conn["auth"], "token");
    assert_eq!(conn["account"]["id"], seed::OCTOCAT_ID.to_string());

    let input = json!({"owner": seed::ORG, "repo": seed::PUBLIC_REPO, "title": "Hello"});
    let (status, run) = host.run("github.create-issue", &id, input).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["output"]["state"], "open");
    assert_eq!(github.issues(seed::ORG, seed::PUBLIC_REPO).len(), 1);

    let input = json!({"owner": seed::ORG, "repo": seed::PRIVATE_REPO, "title": "Hello"});
    let (status, run) = host.run("github.create-issue", &id, input).await;
    assert_eq!(status, 404, "outside the token's repositories: {run}");
    assert_eq!(run["error"]["field"], "repo", "{run}");
    assert!(github.issues(seed::ORG, seed::PRIVATE_REPO).is_empty());

    // A token GitHub does not know is refused before anything is stored.
    let body = json!({"connector": "github", "nickname": "bad", "access_token": "github_pat_nope"});
    let (status, body) = host.post("/connections", body).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "access_token");
    // GitHub has no service account token.
    let body = json!({"connector": "github", "nickname": "sa", "access_token": seed::CLASSIC_TOKEN, "service_account_token": "x"});
    let (status, body) = host.post("/connections", body).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "service_account_token");
}

#[tokio::test]
async fn deleting_an_oauth_connection_revokes_its_grant() {
    let (fake, github) = (FakeAsana::start().await, FakeGitHub::start().await);
    let host = Host::start_with_github(&fake, &github).await;
    let (id, _) = host.github_oauth_connection("octo").await;
    let token = github.issued_tokens().pop().expect("a token was issued");

    let r = host
        .api(reqwest::Method::DELETE, &format!("/connections/{id}"))
        .send()
        .await
        .unwrap();
    let (status, body) = crate::common::status_json(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["revocation"], "revoked", "{body}");
    assert_eq!(github.revocations(), vec![token.clone()]);
    let revoke = github
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("a DELETE was sent");
    assert_eq!(
        revoke.path,
        format!("/api/v3/applications/{}/grant", seed::CLIENT_ID)
    );
    assert!(revoke
        .header("authorization")
        .unwrap()
        .starts_with("Basic "));
    assert_eq!(revoke.json().unwrap(), json!({"access_token": token}));

    // The token no longer works at GitHub.
    let r = reqwest::Client::new()
        .get(format!("{}/user", github.api_base()))
        .header("user-agent", "test")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
