//! End-to-end checks of the fake over real HTTP.

use super::seed::*;
use super::{FakeGitHub, Fault};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::time::Duration;
use url::Url;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-github-verifier";
const USER_AGENT: &str = "cardhost-fake-github-tests";
const CALLBACK: &str = "http://127.0.0.1:43123/oauth/callback";

/// A client that sends a User-Agent and does not follow redirects.
fn http() -> Client {
    Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An API answer.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

/// A request to the API with a bearer token (if any) and a JSON body (if any).
async fn api(
    fake: &FakeGitHub,
    method: Method,
    token: Option<&str>,
    path: &str,
    body: Option<Value>,
) -> Answer {
    let mut request = http().request(method, format!("{}{path}", fake.api_base()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.unwrap()).await
}

async fn get(fake: &FakeGitHub, token: Option<&str>, path: &str) -> Answer {
    api(fake, Method::GET, token, path, None).await
}

async fn create_issue(fake: &FakeGitHub, token: &str, repo: &str, body: Value) -> Answer {
    api(
        fake,
        Method::POST,
        Some(token),
        &format!("/repos/{repo}/issues"),
        Some(body),
    )
    .await
}

/// The authorization URL for the seeded app with PKCE, `state=xyz` and `extra`.
fn authorization(fake: &FakeGitHub, extra: &[(&str, &str)]) -> Url {
    let mut url = Url::parse(&fake.authorize_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("state", "xyz")
        .append_pair("code_challenge", &challenge(VERIFIER))
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url
}

/// Follows the authorization step, expecting a redirect; returns its target.
async fn authorize(fake: &FakeGitHub, extra: &[(&str, &str)]) -> Url {
    let response = http().get(authorization(fake, extra)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A token request with `Accept: application/json`.
async fn token(fake: &FakeGitHub, form: &[(&str, &str)]) -> Value {
    let response = http()
        .post(fake.token_url())
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "GitHub answers 200, errors too"
    );
    response.json().await.unwrap()
}

/// An approved code for `scope` (redirect URI [`CALLBACK`]).
async fn approved_code(fake: &FakeGitHub, scope: &str) -> String {
    let redirect = authorize(
        fake,
        &[
            ("redirect_uri", CALLBACK),
            ("scope", scope),
            ("approve", "1"),
        ],
    )
    .await;
    param(&redirect, "code").unwrap()
}

fn exchange_form<'a>(code: &'a str, verifier: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ]
}

/// The whole web flow: an OAuth token of the signed-in user for `scope`.
async fn oauth_token(fake: &FakeGitHub, scope: &str) -> String {
    let code = approved_code(fake, scope).await;
    let body = token(fake, &exchange_form(&code, VERIFIER)).await;
    body["access_token"].as_str().unwrap().to_string()
}

fn error(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn pkce_web_flow_issues_a_bearer_token_that_never_expires() {
    let fake = FakeGitHub::start().await;
    let redirect = authorize(
        &fake,
        &[
            ("redirect_uri", CALLBACK),
            ("scope", "repo read:user"),
            ("login", "someone-else"),
            ("allow_signup", "false"),
            ("approve", "1"),
        ],
    )
    .await;
    assert_eq!(
        format!(
            "{}://{}{}",
            redirect.scheme(),
            redirect.authority(),
            redirect.path()
        ),
        CALLBACK
    );
    assert_eq!(param(&redirect, "state").as_deref(), Some("xyz"));
    let code = param(&redirect, "code").unwrap();
    assert_eq!(code.len(), 20);

    let body = token(&fake, &exchange_form(&code, VERIFIER)).await;
    let access_token = body["access_token"].as_str().unwrap();
    assert!(access_token.starts_with("gho_"), "{body}");
    assert_eq!(access_token.len(), 40);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["scope"], "repo,read:user");
    assert!(
        body.get("refresh_token").is_none(),
        "OAuth apps get no refresh token"
    );
    assert!(
        body.get("expires_in").is_none(),
        "OAuth apps' tokens do not expire"
    );
    assert_eq!(fake.issued_tokens(), vec![access_token.to_string()]);
    assert_eq!(fake.token_grants("authorization_code"), 1);

    let me = get(&fake, Some(access_token), "/user").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["login"], OCTOCAT);
    assert_eq!(me.header("x-oauth-scopes"), Some("repo, read:user"));
    assert_eq!(me.header("x-accepted-oauth-scopes"), Some("user"));
}

#[tokio::test]
async fn without_accept_json_the_token_endpoint_answers_a_form() {
    let fake = FakeGitHub::start().await;
    let code = approved_code(&fake, "user:email").await;
    let response = http()
        .post(fake.token_url())
        .form(&exchange_form(&code, VERIFIER))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    let form: Vec<(String, String)> =
        url::form_urlencoded::parse(response.text().await.unwrap().as_bytes())
            .into_owned()
            .collect();
    let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["access_token", "token_type", "scope"]);
    assert!(form[0].1.starts_with("gho_"));
    assert_eq!(form[2].1, "user:email");

    // Errors too, and XML when asked for.
    let response = http()
        .post(fake.token_url())
        .form(&exchange_form(&code, VERIFIER))
        .send()
        .await
        .unwrap();
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with("error=bad_verification_code&error_description="));
    let response = http()
        .post(fake.token_url())
        .header("accept", "application/xml")
        .form(&[("client_id", "nope")])
        .send()
        .await
        .unwrap();
    assert!(response
        .text()
        .await
        .unwrap()
        .starts_with("<OAuth><error>incorrect_client_credentials</error>"));
}

#[tokio::test]
async fn authorization_page_is_shown_and_its_buttons_answer() {
    let fake = FakeGitHub::start().await;
    let url = authorization(
        &fake,
        &[("redirect_uri", CALLBACK), ("scope", "repo,read:org")],
    );
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Authorize <strong>Cardhost</strong>"),
        "{page}"
    );
    assert!(page.contains("Signed in as The Octocat (octocat)"));
    assert!(page.contains("<code>repo</code>") && page.contains("<code>read:org</code>"));
    assert!(page.contains(CALLBACK));

    // The page's forms post the request back with `authorize=1` or `0`.
    let mut form: Vec<(String, String)> = authorization(&fake, &[])
        .query_pairs()
        .into_owned()
        .collect();
    form.push(("redirect_uri".into(), CALLBACK.into()));
    form.push(("scope".into(), "repo".into()));
    let mut allow = form.clone();
    allow.push(("authorize".into(), "1".into()));
    let response = http()
        .post(fake.authorize_url())
        .form(&allow)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = param(&location, "code").unwrap();
    assert_eq!(
        token(&fake, &exchange_form(&code, VERIFIER)).await["scope"],
        "repo"
    );

    let mut cancel = form;
    cancel.push(("authorize".into(), "0".into()));
    let response = http()
        .post(fake.authorize_url())
        .form(&cancel)
        .send()
        .await
        .unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn scopes_already_granted_skip_the_page_and_are_the_default() {
    let fake = FakeGitHub::start().await;
    approved_code(&fake, "repo user").await;
    // Asking again for what was granted: straight back with a code.
    let redirect = authorize(
        &fake,
        &[("redirect_uri", CALLBACK), ("scope", "public_repo")],
    )
    .await;
    let code = param(&redirect, "code").unwrap();
    assert_eq!(
        token(&fake, &exchange_form(&code, VERIFIER)).await["scope"],
        "public_repo"
    );
    // No scope: the scopes granted before.
    let redirect = authorize(&fake, &[("redirect_uri", CALLBACK)]).await;
    let code = param(&redirect, "code").unwrap();
    assert_eq!(
        token(&fake, &exchange_form(&code, VERIFIER)).await["scope"],
        "repo,user"
    );
    // More than was granted: the page again.
    let url = authorization(&fake, &[("redirect_uri", CALLBACK), ("scope", "gist")]);
    assert_eq!(
        http().get(url).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn denying_redirects_back_with_access_denied_and_the_state() {
    let fake = FakeGitHub::start().await;
    let redirect = authorize(
        &fake,
        &[
            ("redirect_uri", CALLBACK),
            ("scope", "repo"),
            ("approve", "deny"),
        ],
    )
    .await;
    assert_eq!(param(&redirect, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        param(&redirect, "error_description").as_deref(),
        Some("The user has denied your application access.")
    );
    assert!(param(&redirect, "error_uri")
        .unwrap()
        .ends_with("#access-denied"));
    assert_eq!(param(&redirect, "state").as_deref(), Some("xyz"));
    assert!(param(&redirect, "code").is_none());
}

#[tokio::test]
async fn authorization_never_redirects_to_an_unregistered_uri() {
    let fake = FakeGitHub::start().await;
    let mut url = authorization(&fake, &[("approve", "1")]);
    url.query_pairs_mut()
        .clear()
        .append_pair("client_id", "Ov23liUnknownClient00");
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.headers().get("location").is_none());

    for foreign in [
        "http://evil.example/oauth/callback",
        "http://127.0.0.1:43123/elsewhere",
        "https://127.0.0.1:8080/oauth/callback",
        "not a url",
    ] {
        let url = authorization(&fake, &[("redirect_uri", foreign), ("approve", "1")]);
        let response = http().get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{foreign}");
        assert!(response.headers().get("location").is_none(), "{foreign}");
        let page = response.text().await.unwrap();
        assert!(page.contains("The redirect_uri is not associated with this application."));
    }

    // GitHub's documented rules: any port on a loopback callback, paths
    // below the callback's, and the callback itself when none is given.
    let below = "http://127.0.0.1:5555/oauth/callback/github";
    let redirect = authorize(&fake, &[("redirect_uri", below), ("approve", "1")]).await;
    assert!(redirect.as_str().starts_with(below));
    let redirect = authorize(&fake, &[("approve", "1")]).await;
    assert!(redirect.as_str().starts_with(REDIRECT_URI));
    let code = param(&redirect, "code").unwrap();
    let mut form = exchange_form(&code, VERIFIER);
    form.retain(|(k, _)| *k != "redirect_uri");
    assert!(token(&fake, &form).await["access_token"].is_string());
}

#[tokio::test]
async fn pkce_takes_only_s256_and_well_formed_challenges() {
    let fake = FakeGitHub::start().await;
    let mut url = authorization(&fake, &[]);
    url.query_pairs_mut()
        .clear()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("state", "s1")
        .append_pair("code_challenge", VERIFIER)
        .append_pair("code_challenge_method", "plain")
        .append_pair("approve", "1");
    let response = http().get(url).send().await.unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(param(&location, "state").as_deref(), Some("s1"));

    let mut url = authorization(&fake, &[]);
    url.query_pairs_mut()
        .clear()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("code_challenge", "too-short")
        .append_pair("code_challenge_method", "S256")
        .append_pair("approve", "1");
    let response = http().get(url).send().await.unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("invalid_request")
    );

    // Without PKCE the flow still works (GitHub does not require it).
    let mut url = authorization(&fake, &[]);
    url.query_pairs_mut()
        .clear()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("approve", "1");
    let response = http().get(url).send().await.unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = param(&location, "code").unwrap();
    let body = token(
        &fake,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(body["scope"], "");
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn token_errors_are_200s_naming_githubs_error() {
    let fake = FakeGitHub::start().await;
    let code = approved_code(&fake, "repo").await;

    let mut wrong_secret = exchange_form(&code, VERIFIER);
    wrong_secret[1] = ("client_secret", "0000000000000000000000000000000000000000");
    let body = token(&fake, &wrong_secret).await;
    assert_eq!(
        body,
        json!({
            "error": "incorrect_client_credentials",
            "error_description": "The client_id and/or client_secret passed are incorrect.",
            "error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#incorrect-client-credentials",
        })
    );
    let mut unknown_client = exchange_form(&code, VERIFIER);
    unknown_client[0] = ("client_id", "Ov23liUnknownClient00");
    assert_eq!(
        error(&token(&fake, &unknown_client).await),
        "incorrect_client_credentials"
    );

    let mut other_redirect = exchange_form(&code, VERIFIER);
    other_redirect[3] = ("redirect_uri", "http://127.0.0.1:43124/oauth/callback");
    let body = token(&fake, &other_redirect).await;
    assert_eq!(error(&body), "redirect_uri_mismatch");
    assert_eq!(
        body["error_description"],
        "The redirect_uri MUST match the registered callback URL for this application."
    );

    let body = token(&fake, &exchange_form("0123456789abcdef0123", VERIFIER)).await;
    assert_eq!(error(&body), "bad_verification_code");
    assert_eq!(
        body["error_description"],
        "The code passed is incorrect or expired."
    );

    // None of these used the code up.
    assert!(token(&fake, &exchange_form(&code, VERIFIER)).await["access_token"].is_string());
}

#[tokio::test]
async fn codes_are_single_use_and_expire() {
    let fake = FakeGitHub::start().await;
    let code = approved_code(&fake, "repo").await;
    assert!(token(&fake, &exchange_form(&code, VERIFIER)).await["access_token"].is_string());
    let again = token(&fake, &exchange_form(&code, VERIFIER)).await;
    assert_eq!(error(&again), "bad_verification_code");

    let code = approved_code(&fake, "repo").await;
    fake.expire_codes();
    let expired = token(&fake, &exchange_form(&code, VERIFIER)).await;
    assert_eq!(error(&expired), "bad_verification_code");
}

#[tokio::test]
async fn a_pkce_verifier_that_does_not_match_is_a_bad_verification_code() {
    let fake = FakeGitHub::start().await;
    let code = approved_code(&fake, "repo").await;
    let wrong = token(
        &fake,
        &exchange_form(&code, "another-verifier-of-enough-length-0000000000"),
    )
    .await;
    assert_eq!(error(&wrong), "bad_verification_code");
    let mut missing = exchange_form(&code, VERIFIER);
    missing.retain(|(k, _)| *k != "code_verifier");
    assert_eq!(
        error(&token(&fake, &missing).await),
        "bad_verification_code"
    );
    assert!(token(&fake, &exchange_form(&code, VERIFIER)).await["access_token"].is_string());
}

#[tokio::test]
async fn refresh_and_unknown_grant_types_are_refused() {
    let fake = FakeGitHub::start().await;
    let body = token(
        &fake,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c3",
            ),
        ],
    )
    .await;
    assert_eq!(error(&body), "bad_refresh_token");
    let body = token(
        &fake,
        &[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "client_credentials"),
        ],
    )
    .await;
    assert_eq!(error(&body), "unsupported_grant_type");
    assert!(body["error_uri"].is_string());
    assert_eq!(fake.token_grants("refresh_token"), 1);
    assert_eq!(fake.token_grants("client_credentials"), 1);
    assert_eq!(fake.token_grants("authorization_code"), 0);
}

#[tokio::test]
async fn requested_scopes_are_normalized_and_unknown_ones_dropped() {
    let fake = FakeGitHub::start().await;
    let code = approved_code(&fake, "user,gist user:email bogus:scope").await;
    let body = token(&fake, &exchange_form(&code, VERIFIER)).await;
    assert_eq!(body["scope"], "user,gist");
    let access_token = body["access_token"].as_str().unwrap();
    assert_eq!(
        fake.token_scopes(access_token),
        Some(vec!["user".to_string(), "gist".to_string()])
    );
    let me = get(&fake, Some(access_token), "/user").await;
    assert_eq!(me.header("x-oauth-scopes"), Some("user, gist"));
    // With the `user` scope, /user includes the private fields.
    assert_eq!(me.body["two_factor_authentication"], true);
}

#[tokio::test]
async fn a_request_without_user_agent_is_refused_with_403() {
    let fake = FakeGitHub::start().await;
    let bare = Client::builder().build().unwrap();
    let response = bare
        .get(format!("{}/user", fake.api_base()))
        .bearer_auth(CLASSIC_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().contains_key("x-github-request-id"));
    let text = response.text().await.unwrap();
    assert!(text.contains("Please make sure your request has a User-Agent header"));
    let blank = bare
        .get(format!("{}/user", fake.api_base()))
        .header("user-agent", " ")
        .bearer_auth(CLASSIC_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(blank.status(), StatusCode::FORBIDDEN);
    assert_eq!(fake.count("GET", "/api/v3/user"), 2);
}

#[tokio::test]
async fn api_versions_other_than_githubs_are_refused() {
    let fake = FakeGitHub::start().await;
    let send = |version: Option<&'static str>| {
        let mut request = http()
            .get(format!("{}/user", fake.api_base()))
            .bearer_auth(CLASSIC_TOKEN);
        if let Some(v) = version {
            request = request.header("x-github-api-version", v);
        }
        async move { answer(request.send().await.unwrap()).await }
    };
    let refused = send(Some("v3")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.message(),
        "The version you specified in the \"X-GitHub-Api-Version\" request header, \"v3\", is not a supported version. The following versions are currently supported: \"2022-11-28\", \"2026-03-10\" (most recent)."
    );
    assert_eq!(
        refused.body["documentation_url"],
        "https://docs.github.com/rest/overview/api-versions"
    );
    assert_eq!(refused.body["status"], "400");
    assert_eq!(
        send(Some("2021-01-01")).await.status,
        StatusCode::BAD_REQUEST
    );

    let default = send(None).await;
    assert_eq!(default.status, StatusCode::OK);
    assert_eq!(
        default.header("x-github-api-version-selected"),
        Some("2022-11-28")
    );
    let newest = send(Some("2026-03-10")).await;
    assert_eq!(newest.status, StatusCode::OK);
    assert_eq!(
        newest.header("x-github-api-version-selected"),
        Some("2026-03-10")
    );
}

#[tokio::test]
async fn missing_credentials_are_401_requires_authentication_and_bad_ones_bad_credentials() {
    let fake = FakeGitHub::start().await;
    let none = get(&fake, None, "/user").await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        none.body,
        json!({
            "message": "Requires authentication",
            "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user",
            "status": "401",
        })
    );
    assert_eq!(none.header("x-ratelimit-limit"), Some("60"));

    let unknown = get(
        &fake,
        Some("ghp_000000000000000000000000000000000000"),
        "/user",
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        unknown.body,
        json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
    );
    let garbled = http()
        .get(format!("{}/user", fake.api_base()))
        .header("authorization", "Bearer")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), StatusCode::UNAUTHORIZED);

    // `token <t>` works as well as `Bearer <t>`; a revoked token is 401.
    let token_scheme = http()
        .get(format!("{}/user", fake.api_base()))
        .header("authorization", format!("token {CLASSIC_TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(token_scheme.status(), StatusCode::OK);
    fake.revoke_token(CLASSIC_TOKEN);
    let revoked = get(&fake, Some(CLASSIC_TOKEN), "/user").await;
    assert_eq!(revoked.status, StatusCode::UNAUTHORIZED);
    assert_eq!(revoked.message(), "Bad credentials");
}

#[tokio::test]
async fn the_authenticated_user_comes_with_rate_limit_headers() {
    let fake = FakeGitHub::start().await;
    let me = get(&fake, Some(CLASSIC_TOKEN), "/user").await;
    assert_eq!(me.status, StatusCode::OK);
    let body = &me.body;
    assert_eq!(body["login"], OCTOCAT);
    assert_eq!(body["id"], OCTOCAT_ID);
    assert_eq!(body["node_id"], "MDQ6VXNlcjU4MzIzMQ==");
    assert_eq!(body["name"], OCTOCAT_NAME);
    assert_eq!(body["email"], OCTOCAT_EMAIL);
    assert_eq!(body["type"], "User");
    assert_eq!(body["site_admin"], false);
    assert_eq!(body["html_url"], format!("{}/octocat", fake.base_url()));
    for field in [
        "avatar_url",
        "company",
        "blog",
        "location",
        "bio",
        "public_repos",
        "followers",
        "following",
        "created_at",
        "updated_at",
    ] {
        assert!(!body[field].is_null(), "{field}");
    }
    assert_eq!(body["plan"]["name"], "free", "the classic token has `user`");
    assert_eq!(me.header("x-ratelimit-limit"), Some("5000"));
    assert_eq!(me.header("x-ratelimit-remaining"), Some("4999"));
    assert_eq!(me.header("x-ratelimit-used"), Some("1"));
    assert_eq!(me.header("x-ratelimit-resource"), Some("core"));
    let reset: u64 = me.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = chrono::Utc::now().timestamp() as u64;
    assert!(
        reset > now + 3500 && reset <= now + 3601,
        "{reset} vs {now}"
    );
    let request_id = me.header("x-github-request-id").unwrap();
    assert_eq!(request_id.split(':').count(), 5);
    assert_eq!(me.header("x-oauth-scopes"), Some("repo, read:org, user"));

    // Without `user`, the public profile only.
    let token = oauth_token(&fake, "repo").await;
    let me = get(&fake, Some(&token), "/user").await;
    assert_eq!(me.body["login"], OCTOCAT);
    assert!(me.body.get("plan").is_none());
    assert_eq!(
        me.header("x-ratelimit-remaining"),
        Some("4998"),
        "one budget per user"
    );
}

#[tokio::test]
async fn users_are_found_by_login_whatever_its_case() {
    let fake = FakeGitHub::start().await;
    let octocat = get(&fake, Some(CLASSIC_TOKEN), "/users/OctoCat").await;
    assert_eq!(octocat.status, StatusCode::OK);
    assert_eq!(octocat.body["login"], OCTOCAT);
    assert!(
        octocat.body.get("plan").is_none(),
        "another user's view is public"
    );
    let hubot = get(&fake, None, "/users/hubot").await;
    assert_eq!(
        hubot.status,
        StatusCode::OK,
        "public profiles need no token"
    );
    assert_eq!(hubot.body["id"], HUBOT_ID);
    assert_eq!(hubot.body["name"], Value::Null);
    assert_eq!(hubot.body["email"], Value::Null);
    let org = get(&fake, Some(CLASSIC_TOKEN), "/users/octo-org").await;
    assert_eq!(org.body["type"], "Organization");
    let missing = get(&fake, Some(CLASSIC_TOKEN), "/users/nobody-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(
        missing.body,
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/users/users#get-a-user", "status": "404"})
    );
    let no_route = get(&fake, Some(CLASSIC_TOKEN), "/users/octocat/").await;
    assert_eq!(no_route.status, StatusCode::NOT_FOUND);
    let wrong_method = api(&fake, Method::DELETE, Some(CLASSIC_TOKEN), "/user", None).await;
    assert_eq!(
        wrong_method.status,
        StatusCode::NOT_FOUND,
        "GitHub answers 404, not 405"
    );
}

#[tokio::test]
async fn the_users_organizations_span_three_pages_of_two() {
    let fake = FakeGitHub::start().await;
    let base = format!("{}/user/orgs", fake.api_base());
    let link = |per_page_first: bool, page: usize| {
        if per_page_first {
            format!("<{base}?per_page=2&sort=ignored&page={page}>")
        } else {
            format!("<{base}?sort=ignored&per_page=2&page={page}>")
        }
    };
    let first = get(
        &fake,
        Some(CLASSIC_TOKEN),
        "/user/orgs?per_page=2&sort=ignored",
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    let logins: Vec<&str> = first
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, ["octo-org", "octo-labs"]);
    assert_eq!(
        first.header("link").unwrap(),
        format!(
            "{}; rel=\"next\", {}; rel=\"last\"",
            link(true, 2),
            link(true, 3)
        )
    );
    let org = &first.body[0];
    assert_eq!(org["id"], ORG_ID);
    assert_eq!(org["url"], format!("{}/orgs/octo-org", fake.api_base()));
    assert!(org["node_id"].is_string() && org["avatar_url"].is_string());

    let second = get(
        &fake,
        Some(CLASSIC_TOKEN),
        "/user/orgs?sort=ignored&per_page=2&page=2",
    )
    .await;
    assert_eq!(
        second.header("link").unwrap(),
        format!(
            "{}; rel=\"prev\", {}; rel=\"next\", {}; rel=\"last\", {}; rel=\"first\"",
            link(false, 1),
            link(false, 3),
            link(false, 3),
            link(false, 1)
        )
    );
    let third = get(
        &fake,
        Some(CLASSIC_TOKEN),
        "/user/orgs?per_page=2&sort=ignored&page=3",
    )
    .await;
    let logins: Vec<&str> = third
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["login"].as_str().unwrap())
        .collect();
    assert_eq!(
        logins,
        ["octo-research", OCTOCAT_PRIVATE_ORG],
        "private memberships too"
    );
    assert_eq!(
        third.header("link").unwrap(),
        format!(
            "{}; rel=\"prev\", {}; rel=\"first\"",
            link(true, 2),
            link(true, 1)
        )
    );
    assert_eq!(
        third.header("x-accepted-oauth-scopes"),
        Some("admin:org, read:org, repo, user, write:org")
    );
}

#[tokio::test]
async fn a_users_public_organizations_and_page_sizes_out_of_range() {
    let fake = FakeGitHub::start().await;
    let all = get(&fake, None, "/users/octocat/orgs").await;
    assert_eq!(all.status, StatusCode::OK);
    let logins: Vec<&str> = all
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["login"].as_str().unwrap())
        .collect();
    assert_eq!(logins, OCTOCAT_PUBLIC_ORGS, "no private membership");
    assert!(all.header("link").is_none(), "one page: no Link header");

    let pages = get(
        &fake,
        Some(CLASSIC_TOKEN),
        "/users/OCTOCAT/orgs?per_page=2&page=3",
    )
    .await;
    assert_eq!(pages.body.as_array().unwrap().len(), 1);
    assert!(pages.header("link").unwrap().contains("rel=\"first\""));
    // GitHub clamps: above 100 is 100, 0 or garbage the default 30.
    for query in ["per_page=500", "per_page=0", "per_page=lots&page=zero"] {
        let page = get(&fake, None, &format!("/users/octocat/orgs?{query}")).await;
        assert_eq!(page.body.as_array().unwrap().len(), 5, "{query}");
        assert!(page.header("link").is_none(), "{query}");
    }
    let beyond = get(&fake, None, "/users/octocat/orgs?per_page=2&page=9").await;
    assert_eq!(beyond.body, json!([]));
    assert!(beyond
        .header("link")
        .unwrap()
        .contains("page=8>; rel=\"prev\""));
    let missing = get(&fake, None, "/users/nobody-here/orgs").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn listing_ones_own_organizations_needs_user_or_read_org() {
    let fake = FakeGitHub::start().await;
    fake.add_classic_token(
        "ghp_repoOnly000000000000000000000000000",
        OCTOCAT,
        &["repo"],
    );
    let refused = get(
        &fake,
        Some("ghp_repoOnly000000000000000000000000000"),
        "/user/orgs",
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["status"], "403");
    fake.add_classic_token(
        "ghp_adminOrg000000000000000000000000000",
        OCTOCAT,
        &["admin:org"],
    );
    let admin = get(
        &fake,
        Some("ghp_adminOrg000000000000000000000000000"),
        "/user/orgs",
    )
    .await;
    assert_eq!(
        admin.body.as_array().unwrap().len(),
        6,
        "admin:org includes read:org"
    );
    // Fine-grained tokens get 200 and an empty list, as GitHub documents.
    let fine = get(&fake, Some(FINE_GRAINED_TOKEN), "/user/orgs").await;
    assert_eq!(
        (fine.status, fine.body.clone()),
        (StatusCode::OK, json!([]))
    );
    assert!(fine.header("x-oauth-scopes").is_none());
}

#[tokio::test]
async fn creating_an_issue_answers_201_with_the_issue_and_its_location() {
    let fake = FakeGitHub::start().await;
    let created = create_issue(
        &fake,
        CLASSIC_TOKEN,
        "octo-org/Hello-World",
        json!({
            "title": "Found a bug",
            "body": "I'm having a problem with this.",
            "assignees": ["monalisa", "OCTOCAT"],
            "milestone": 1,
            "labels": ["bug", "needs triage", {"name": "From object", "color": "#00FF00"}, "BUG"],
            "type": "bug",
            "unknown_property": "ignored",
        }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let issue = &created.body;
    let url = format!("{}/repos/octo-org/hello-world/issues/1348", fake.api_base());
    assert_eq!(created.header("location"), Some(url.as_str()));
    assert_eq!(issue["url"], url);
    assert_eq!(issue["number"], 1348);
    assert!(issue["id"].is_u64() && issue["node_id"].is_string());
    assert_eq!(issue["title"], "Found a bug");
    assert_eq!(issue["body"], "I'm having a problem with this.");
    assert_eq!(issue["state"], "open");
    assert_eq!(issue["user"]["login"], OCTOCAT);
    assert_eq!(
        issue["html_url"],
        format!("{}/octo-org/hello-world/issues/1348", fake.base_url())
    );
    assert_eq!(issue["comments"], 0);
    assert_eq!(issue["closed_at"], Value::Null);
    assert!(issue["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(issue["created_at"], issue["updated_at"]);
    assert_eq!(issue["author_association"], "MEMBER");
    let assignees: Vec<&str> = issue["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap())
        .collect();
    assert_eq!(assignees, [MONALISA, OCTOCAT]);
    assert_eq!(issue["assignee"]["login"], MONALISA);
    assert_eq!(issue["milestone"]["number"], 1);
    assert_eq!(issue["milestone"]["title"], "v1.0");
    assert_eq!(issue["type"]["name"], "Bug");
    let labels = issue["labels"].as_array().unwrap();
    let names: Vec<&str> = labels.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["bug", "needs triage", "From object"]);
    assert_eq!(labels[0]["default"], true);
    assert_eq!(labels[0]["color"], "d73a4a");
    assert_eq!(labels[0]["description"], "Something isn't working");
    assert!(labels[0]["id"].is_u64());
    assert_eq!(
        (labels[1]["color"].clone(), labels[1]["default"].clone()),
        (json!("ededed"), json!(false))
    );
    assert_eq!(labels[2]["color"], "00ff00");
    assert_eq!(
        created.header("x-accepted-oauth-scopes"),
        Some("public_repo, repo")
    );

    assert_eq!(fake.issues("octo-org", "hello-world"), vec![issue.clone()]);
    let next = create_issue(
        &fake,
        CLASSIC_TOKEN,
        "octo-org/hello-world",
        json!({"title": 7}),
    )
    .await;
    assert_eq!(next.body["number"], 1349);
    assert_eq!(next.body["title"], "7", "an integer title is taken as text");
    assert_eq!(fake.issues("OCTO-ORG", "hello-world").len(), 2);
}

#[tokio::test]
async fn without_push_access_labels_assignees_milestone_and_type_are_dropped() {
    let fake = FakeGitHub::start().await;
    fake.add_classic_token(
        "ghp_codertocat0000000000000000000000000",
        CODERTOCAT,
        &["public_repo"],
    );
    let created = create_issue(
        &fake,
        "ghp_codertocat0000000000000000000000000",
        "octo-org/hello-world",
        json!({
            "title": "A reader's report",
            "assignees": ["nobody-here"],
            "labels": ["bug", "invented"],
            "milestone": 99,
            "type": "Epic",
        }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["labels"], json!([]));
    assert_eq!(created.body["assignees"], json!([]));
    assert_eq!(created.body["assignee"], Value::Null);
    assert_eq!(created.body["milestone"], Value::Null);
    assert_eq!(created.body["type"], Value::Null);
    assert_eq!(created.body["author_association"], "COLLABORATOR");

    // Anyone can open an issue on a public repository.
    fake.add_classic_token(
        "ghp_hubot00000000000000000000000000000",
        HUBOT,
        &["public_repo"],
    );
    let created = create_issue(
        &fake,
        "ghp_hubot00000000000000000000000000000",
        "octo-org/hello-world",
        json!({"title": "Beep"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["author_association"], "NONE");
}

#[tokio::test]
async fn issue_bodies_that_fail_validation_are_422() {
    let fake = FakeGitHub::start().await;
    let repo = "octo-org/hello-world";
    let missing = create_issue(&fake, CLASSIC_TOKEN, repo, json!({"body": "no title"})).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        missing.message(),
        "Invalid request.\n\n\"title\" wasn't supplied."
    );
    assert_eq!(missing.body["status"], "422");

    let empty = create_issue(&fake, CLASSIC_TOKEN, repo, json!({"title": "  "})).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        empty.body,
        json!({
            "message": "Validation Failed",
            "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}],
            "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
            "status": "422",
        })
    );

    let wrong_type = create_issue(&fake, CLASSIC_TOKEN, repo, json!({"title": ["a"]})).await;
    assert_eq!(wrong_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_type
        .message()
        .starts_with("Invalid request.\n\nFor 'properties/title'"));
    let null_labels = create_issue(
        &fake,
        CLASSIC_TOKEN,
        repo,
        json!({"title": "t", "labels": null}),
    )
    .await;
    assert_eq!(
        null_labels.message(),
        "Invalid request.\n\nFor 'properties/labels', nil is not an array."
    );

    let stranger = create_issue(
        &fake,
        CLASSIC_TOKEN,
        repo,
        json!({"title": "t", "assignees": ["hubot", "monalisa"]}),
    )
    .await;
    assert_eq!(stranger.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        stranger.body["errors"],
        json!([{"resource": "Issue", "field": "assignees", "code": "invalid", "value": "hubot"}])
    );
    let bad_type = create_issue(
        &fake,
        CLASSIC_TOKEN,
        repo,
        json!({"title": "t", "type": "Epic"}),
    )
    .await;
    assert_eq!(
        bad_type.body["errors"],
        json!([{"resource": "Issue", "field": "type", "code": "invalid", "value": "Epic"}])
    );
    let user_repo_type = create_issue(
        &fake,
        CLASSIC_TOKEN,
        "octocat/Spoon-Knife",
        json!({"title": "t", "type": "Bug"}),
    )
    .await;
    assert_eq!(
        user_repo_type.body["errors"][0]["field"], "type",
        "a user's repository has no types"
    );
    let bad_milestone = create_issue(
        &fake,
        CLASSIC_TOKEN,
        repo,
        json!({"title": "t", "milestone": "99"}),
    )
    .await;
    assert_eq!(
        bad_milestone.body["errors"],
        json!([{"resource": "Issue", "field": "milestone", "code": "invalid", "value": "99"}])
    );
    let too_long = create_issue(
        &fake,
        CLASSIC_TOKEN,
        repo,
        json!({"title": "x".repeat(257)}),
    )
    .await;
    assert_eq!(too_long.body["errors"][0]["code"], "custom");
    assert!(fake.issues("octo-org", "hello-world").is_empty());
}

#[tokio::test]
async fn issue_bodies_must_be_json_objects() {
    let fake = FakeGitHub::start().await;
    let url = format!("{}/repos/octo-org/hello-world/issues", fake.api_base());
    let form = answer(
        http()
            .post(&url)
            .bearer_auth(CLASSIC_TOKEN)
            .form(&[("title", "as a form")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(form.status, StatusCode::BAD_REQUEST);
    assert_eq!(form.message(), "Problems parsing JSON");
    let array = create_issue(
        &fake,
        CLASSIC_TOKEN,
        "octo-org/hello-world",
        json!([{"title": "x"}]),
    )
    .await;
    assert_eq!(array.status, StatusCode::BAD_REQUEST);
    assert_eq!(array.message(), "Body should be a JSON object");
    let empty = answer(
        http()
            .post(&url)
            .bearer_auth(CLASSIC_TOKEN)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(empty.message(), "Problems parsing JSON");
}

#[tokio::test]
async fn repositories_out_of_reach_are_404() {
    let fake = FakeGitHub::start().await;
    let title = json!({"title": "t"});
    let unknown = create_issue(&fake, CLASSIC_TOKEN, "octo-org/nothing-here", title.clone()).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.message(), "Not Found");

    fake.add_classic_token("ghp_hubot00000000000000000000000000000", HUBOT, &["repo"]);
    let private = create_issue(
        &fake,
        "ghp_hubot00000000000000000000000000000",
        "octo-org/secret",
        title.clone(),
    )
    .await;
    assert_eq!(private.status, StatusCode::NOT_FOUND, "not a collaborator");

    fake.add_classic_token(
        "ghp_userOnly000000000000000000000000000",
        OCTOCAT,
        &["user"],
    );
    let unscoped = create_issue(
        &fake,
        "ghp_userOnly000000000000000000000000000",
        "octo-org/hello-world",
        title.clone(),
    )
    .await;
    assert_eq!(
        unscoped.status,
        StatusCode::NOT_FOUND,
        "no public_repo scope"
    );
    assert_eq!(
        unscoped.header("x-accepted-oauth-scopes"),
        Some("public_repo, repo")
    );
    assert_eq!(unscoped.header("x-oauth-scopes"), Some("user"));

    fake.add_classic_token(
        "ghp_publicRepo0000000000000000000000000",
        OCTOCAT,
        &["public_repo"],
    );
    let public_only = create_issue(
        &fake,
        "ghp_publicRepo0000000000000000000000000",
        "octo-org/secret",
        title.clone(),
    )
    .await;
    assert_eq!(
        public_only.status,
        StatusCode::NOT_FOUND,
        "public_repo does not reach private ones"
    );
    assert_eq!(public_only.header("x-accepted-oauth-scopes"), Some("repo"));
    let private_ok = create_issue(&fake, CLASSIC_TOKEN, "octo-org/secret", title.clone()).await;
    assert_eq!(private_ok.status, StatusCode::CREATED);

    let anonymous = api(
        &fake,
        Method::POST,
        None,
        "/repos/octo-org/hello-world/issues",
        Some(title),
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.message(), "Requires authentication");
}

#[tokio::test]
async fn a_repository_with_issues_disabled_is_410() {
    let fake = FakeGitHub::start().await;
    let gone = create_issue(
        &fake,
        CLASSIC_TOKEN,
        "octo-org/no-issues",
        json!({"title": "t"}),
    )
    .await;
    assert_eq!(gone.status, StatusCode::GONE);
    assert_eq!(gone.message(), "Issues are disabled for this repo");
    assert_eq!(gone.body["status"], "410");
}

#[tokio::test]
async fn fine_grained_tokens_reach_only_their_repositories_and_permissions() {
    let fake = FakeGitHub::start().await;
    let outside = create_issue(
        &fake,
        FINE_GRAINED_TOKEN,
        "octocat/Spoon-Knife",
        json!({"title": "t"}),
    )
    .await;
    assert_eq!(outside.status, StatusCode::NOT_FOUND);

    let read_only = "github_pat_11AAFAKE00000000000001_ReadOnly00000000000000000000000000000000000000000000000000";
    fake.add_fine_grained_token(read_only, MONALISA, &[("octo-org", "hello-world")], false);
    let refused = create_issue(
        &fake,
        read_only,
        "octo-org/hello-world",
        json!({"title": "t"}),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.message(),
        "Resource not accessible by personal access token"
    );
    assert_eq!(
        refused.header("x-accepted-github-permissions"),
        Some("issues=write")
    );
    assert!(refused.header("x-oauth-scopes").is_none());
    assert!(refused.header("x-accepted-oauth-scopes").is_none());

    let created = create_issue(
        &fake,
        FINE_GRAINED_TOKEN,
        "octo-org/hello-world",
        json!({"title": "t", "labels": ["bug"]}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["labels"][0]["name"], "bug");
    assert!(created.header("x-oauth-scopes").is_none());
    let me = get(&fake, Some(FINE_GRAINED_TOKEN), "/user").await;
    assert_eq!(me.body["login"], OCTOCAT);
}

#[tokio::test]
async fn the_deprecated_assignee_counts_only_under_2022_11_28() {
    let fake = FakeGitHub::start().await;
    let created = create_issue(
        &fake,
        CLASSIC_TOKEN,
        "octo-org/hello-world",
        json!({"title": "t", "assignee": "monalisa"}),
    )
    .await;
    assert_eq!(created.body["assignee"]["login"], MONALISA);
    let invalid = create_issue(
        &fake,
        CLASSIC_TOKEN,
        "octo-org/hello-world",
        json!({"title": "t", "assignee": "hubot"}),
    )
    .await;
    assert_eq!(invalid.body["errors"][0]["field"], "assignee");

    let newest = answer(
        http()
            .post(format!(
                "{}/repos/octo-org/hello-world/issues",
                fake.api_base()
            ))
            .bearer_auth(CLASSIC_TOKEN)
            .header("x-github-api-version", "2026-03-10")
            .json(&json!({"title": "t", "assignee": "hubot"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        newest.status,
        StatusCode::CREATED,
        "2026-03-10 has no `assignee`"
    );
    assert_eq!(newest.body["assignee"], Value::Null);
}

#[tokio::test]
async fn the_primary_rate_limit_refuses_until_its_window_resets() {
    let fake = FakeGitHub::start().await;
    fake.set_primary_limit(2, 1);
    let token = oauth_token(&fake, "repo").await;
    let first = get(&fake, Some(CLASSIC_TOKEN), "/user").await;
    assert_eq!(
        (
            first.header("x-ratelimit-limit"),
            first.header("x-ratelimit-remaining")
        ),
        (Some("2"), Some("1"))
    );
    // Every token of the user spends the same budget.
    let second = get(&fake, Some(&token), "/user").await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.header("x-ratelimit-remaining"), Some("0"));
    let refused = get(&fake, Some(CLASSIC_TOKEN), "/users/hubot").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(refused.header("x-ratelimit-used"), Some("2"));
    assert!(refused
        .message()
        .starts_with("API rate limit exceeded for user ID 583231."));
    assert!(refused
        .message()
        .contains(refused.header("x-github-request-id").unwrap()));
    assert_eq!(
        refused.body["documentation_url"],
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    );
    assert!(refused.header("retry-after").is_none());
    // Another user has their own budget.
    fake.add_classic_token("ghp_monalisa00000000000000000000000000", MONALISA, &[]);
    let other = get(
        &fake,
        Some("ghp_monalisa00000000000000000000000000"),
        "/user",
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);

    let reset: u64 = refused
        .header("x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    // The window (1 s) ends on a whole second: at most two seconds away.
    let wait = Duration::from_secs(reset).saturating_sub(now) + Duration::from_millis(20);
    assert!(wait <= Duration::from_millis(2020), "{wait:?}");
    tokio::time::sleep(wait).await;
    let renewed = get(&fake, Some(CLASSIC_TOKEN), "/user").await;
    assert_eq!(renewed.status, StatusCode::OK);
    assert_eq!(renewed.header("x-ratelimit-used"), Some("1"));
}

#[tokio::test]
async fn an_injected_secondary_limit_answers_with_retry_after() {
    let fake = FakeGitHub::start().await;
    fake.inject_secondary_limit("/api/v3/repos", 2, 7);
    let body = json!({"title": "t"});
    for _ in 0..2 {
        let limited =
            create_issue(&fake, CLASSIC_TOKEN, "octo-org/hello-world", body.clone()).await;
        assert_eq!(limited.status, StatusCode::FORBIDDEN);
        assert_eq!(limited.header("retry-after"), Some("7"));
        assert!(limited
            .message()
            .starts_with("You have exceeded a secondary rate limit."));
        assert_ne!(limited.header("x-ratelimit-remaining"), Some("0"));
    }
    assert_eq!(
        get(&fake, Some(CLASSIC_TOKEN), "/user").await.status,
        StatusCode::OK
    );
    let created = create_issue(&fake, CLASSIC_TOKEN, "octo-org/hello-world", body).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(fake.issues("octo-org", "hello-world").len(), 1);
}

#[tokio::test]
async fn injected_faults_answer_in_githubs_shape() {
    let fake = FakeGitHub::start().await;
    fake.inject(Fault::status("/api/v3/user", 502, 1).on_method("GET"));
    fake.inject(Fault::status("/api/v3/users", 429, 1).retry_after(3));
    fake.inject(Fault::status("/login/oauth/access_token", 503, 1));
    let faulted = get(&fake, Some(CLASSIC_TOKEN), "/user").await;
    assert_eq!(faulted.status, StatusCode::BAD_GATEWAY);
    assert_eq!(faulted.message(), "Bad Gateway");
    assert!(faulted.header("x-ratelimit-remaining").is_some());
    assert_eq!(
        get(&fake, Some(CLASSIC_TOKEN), "/user").await.status,
        StatusCode::OK
    );
    let limited = get(&fake, Some(CLASSIC_TOKEN), "/users/octocat").await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.header("retry-after"), Some("3"));

    let code = approved_code(&fake, "repo").await;
    let response = http()
        .post(fake.token_url())
        .form(&exchange_form(&code, VERIFIER))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(token(&fake, &exchange_form(&code, VERIFIER)).await["access_token"].is_string());
    assert_eq!(fake.token_grants("authorization_code"), 2);
}

/// `DELETE /applications/{client_id}/grant` with Basic credentials and a JSON body.
async fn delete_grant(
    fake: &FakeGitHub,
    path_client: &str,
    basic: Option<(&str, &str)>,
    body: Option<Value>,
) -> Answer {
    let url = fake.revoke_url().replace("{client_id}", path_client);
    let mut request = http().delete(url);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn deleting_the_grant_revokes_every_token_the_app_has_for_the_user() {
    let fake = FakeGitHub::start().await;
    let first = oauth_token(&fake, "repo").await;
    let second = oauth_token(&fake, "read:user").await;
    fake.register_app("Ov23liOtherApp000001", "other-secret", &[CALLBACK]);
    let mut url = authorization(&fake, &[("redirect_uri", CALLBACK), ("approve", "1")]);
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| {
            if k == "client_id" {
                (k, "Ov23liOtherApp000001".to_string())
            } else {
                (k, v)
            }
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    let response = http().get(url).send().await.unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = param(&location, "code").unwrap();
    let mut form = exchange_form(&code, VERIFIER);
    form[0] = ("client_id", "Ov23liOtherApp000001");
    form[1] = ("client_secret", "other-secret");
    let other_app = token(&fake, &form).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let deleted = delete_grant(
        &fake,
        CLIENT_ID,
        Some((CLIENT_ID, CLIENT_SECRET)),
        Some(json!({"access_token": first})),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(deleted.body, json!(""));
    assert!(deleted.header("x-ratelimit-limit").is_some());
    assert_eq!(fake.revocations(), vec![first.clone()]);
    for revoked in [&first, &second] {
        let answer = get(&fake, Some(revoked), "/user").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.message(), "Bad credentials");
    }
    assert_eq!(
        get(&fake, Some(&other_app), "/user").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&fake, Some(CLASSIC_TOKEN), "/user").await.status,
        StatusCode::OK
    );

    // The grant is gone: authorizing again shows the page.
    let url = authorization(&fake, &[("redirect_uri", CALLBACK), ("scope", "repo")]);
    assert_eq!(
        http().get(url).send().await.unwrap().status(),
        StatusCode::OK
    );
    // A revoked token cannot be revoked again.
    let again = delete_grant(
        &fake,
        CLIENT_ID,
        Some((CLIENT_ID, CLIENT_SECRET)),
        Some(json!({"access_token": first})),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn grant_deletion_needs_the_apps_credentials_and_an_access_token() {
    let fake = FakeGitHub::start().await;
    let live = oauth_token(&fake, "repo").await;
    let body = Some(json!({"access_token": live}));
    let anonymous = delete_grant(&fake, CLIENT_ID, None, body.clone()).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.message(), "Requires authentication");
    let wrong_secret =
        delete_grant(&fake, CLIENT_ID, Some((CLIENT_ID, "wrong")), body.clone()).await;
    assert_eq!(wrong_secret.status, StatusCode::NOT_FOUND);
    fake.register_app("Ov23liOtherApp000001", "other-secret", &[CALLBACK]);
    let other_app = delete_grant(
        &fake,
        CLIENT_ID,
        Some(("Ov23liOtherApp000001", "other-secret")),
        body.clone(),
    )
    .await;
    assert_eq!(
        other_app.status,
        StatusCode::NOT_FOUND,
        "the path names another app"
    );
    let not_its_token = delete_grant(
        &fake,
        "Ov23liOtherApp000001",
        Some(("Ov23liOtherApp000001", "other-secret")),
        body.clone(),
    )
    .await;
    assert_eq!(not_its_token.status, StatusCode::NOT_FOUND);
    let bearer = answer(
        http()
            .delete(fake.revoke_url().replace("{client_id}", CLIENT_ID))
            .bearer_auth(&live)
            .json(&json!({"access_token": live}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        bearer.status,
        StatusCode::NOT_FOUND,
        "a user token is not the app's credentials"
    );

    let missing = delete_grant(
        &fake,
        CLIENT_ID,
        Some((CLIENT_ID, CLIENT_SECRET)),
        Some(json!({})),
    )
    .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        missing.message(),
        "Invalid request.\n\n\"access_token\" wasn't supplied."
    );
    let not_json = delete_grant(&fake, CLIENT_ID, Some((CLIENT_ID, CLIENT_SECRET)), None).await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        get(&fake, Some(&live), "/user").await.status,
        StatusCode::OK,
        "still live"
    );
    assert_eq!(
        fake.revocations(),
        vec![live.clone()],
        "only the authenticated app's call"
    );
}

#[tokio::test]
async fn an_app_keeps_ten_tokens_per_user_and_scopes() {
    let fake = FakeGitHub::start().await;
    let mut tokens = Vec::new();
    for _ in 0..11 {
        tokens.push(oauth_token(&fake, "repo").await);
    }
    assert_eq!(
        get(&fake, Some(&tokens[0]), "/user").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&fake, Some(&tokens[1]), "/user").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&fake, Some(&tokens[10]), "/user").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn requests_are_recorded_and_the_signed_in_user_can_change() {
    let fake = FakeGitHub::start().await;
    fake.set_signed_in_user("MonaLisa");
    let token = oauth_token(&fake, "read:org").await;
    let me = get(&fake, Some(&token), "/user").await;
    assert_eq!(me.body["login"], MONALISA);
    let orgs = get(&fake, Some(&token), "/user/orgs").await;
    assert_eq!(
        orgs.body.as_array().unwrap().len(),
        2,
        "a private membership too"
    );

    let recorded = fake.requests();
    let exchange = recorded
        .iter()
        .find(|r| r.path == "/login/oauth/access_token")
        .unwrap();
    assert!(exchange
        .form()
        .iter()
        .any(|(k, v)| k == "code_verifier" && v == VERIFIER));
    let authorize = recorded
        .iter()
        .find(|r| r.path == "/login/oauth/authorize")
        .unwrap();
    assert_eq!(authorize.query_param("scope"), Some("read:org"));
    assert_eq!(
        recorded.last().unwrap().header("user-agent"),
        Some(USER_AGENT)
    );
    assert_eq!(fake.count("GET", "/api/v3/user"), 1);
    assert_eq!(fake.count("get", "/api/v3/user/orgs"), 1);
    fake.clear_requests();
    assert!(fake.requests().is_empty());
    assert_eq!(fake.token_grants("authorization_code"), 1);
}

#[tokio::test]
async fn cardhost_env_points_at_the_fake() {
    let fake = FakeGitHub::start().await;
    let env = fake.cardhost_env();
    let keys: Vec<&str> = env.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "GITHUB_API_BASE_URL",
            "GITHUB_AUTHORIZATION_URL",
            "GITHUB_TOKEN_URL",
            "GITHUB_REVOKE_URL"
        ]
    );
    let base = fake.base_url();
    assert_eq!(env[0].1, format!("{base}/api/v3"));
    assert_eq!(env[1].1, format!("{base}/login/oauth/authorize"));
    assert_eq!(env[2].1, format!("{base}/login/oauth/access_token"));
    assert_eq!(
        env[3].1,
        format!("{base}/api/v3/applications/{{client_id}}/grant")
    );
    assert!(base.starts_with("http://127.0.0.1:"));
}
