//! End-to-end checks of the fake over real HTTP.

use super::seed::*;
use super::{AppPermissions, FakeAsana, Fault, OAuthClient, RateLimits};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use url::Url;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-fake-verifier";

pub(super) fn http() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(super) async fn get(
    fake: &FakeAsana,
    token: &str,
    path_and_query: &str,
) -> (StatusCode, Value) {
    let response = http()
        .get(format!("{}{path_and_query}", fake.api_base()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create_task(fake: &FakeAsana, query: &str, data: Value) -> (StatusCode, Value) {
    let response = http()
        .post(format!("{}/tasks{query}", fake.api_base()))
        .bearer_auth(PAT)
        .json(&json!({ "data": data }))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Sends `method` to `path_and_query` (under the API base) with a JSON
/// body, if any; the status and the body parsed (null when empty).
pub(super) async fn send(
    fake: &FakeAsana,
    method: &str,
    token: &str,
    path_and_query: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = http()
        .request(method, format!("{}{path_and_query}", fake.api_base()))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The gids of a list answer's `data`.
pub(super) fn gids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["gid"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Follows `next_page` from `path_and_query` (which must carry a `limit`)
/// to the end; every gid seen, and how many pages there were.
pub(super) async fn walk(
    fake: &FakeAsana,
    token: &str,
    path_and_query: &str,
) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut url = format!("{}{path_and_query}", fake.api_base());
    loop {
        let response = http().get(&url).bearer_auth(token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let body: Value = response.json().await.unwrap();
        pages += 1;
        seen.extend(gids(&body));
        match &body["next_page"] {
            Value::Null => break,
            next => url = next["uri"].as_str().unwrap().to_string(),
        }
        assert!(pages < 100, "next_page never ends");
    }
    (seen, pages)
}

pub(super) fn message(body: &Value) -> &str {
    body["errors"][0]["message"].as_str().unwrap_or_default()
}

/// Runs the authorization step with `approve=1` and returns the redirect.
async fn authorize(fake: &FakeAsana, redirect_uri: &str, extra: &[(&str, &str)]) -> Url {
    let mut url = Url::parse(&fake.authorize_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("state", "xyz")
        .append_pair("code_challenge", &challenge(VERIFIER))
        .append_pair("code_challenge_method", "S256")
        .append_pair("scope", "default");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

pub(super) async fn token(fake: &FakeAsana, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = http()
        .post(fake.token_url())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn code_grant(fake: &FakeAsana) -> Value {
    let redirect = authorize(fake, REDIRECT_URI, &[("approve", "1")]).await;
    let code = param(&redirect, "code").unwrap();
    let (status, body) = token(
        fake,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("redirect_uri", REDIRECT_URI),
            ("code", &code),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn user_is_compact_without_opt_fields_and_selected_with_them() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(&fake, PAT, "/users/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"data": {"gid": ME_GID, "resource_type": "user", "name": ME_NAME}})
    );

    let (_, body) = get(
        &fake,
        PAT,
        "/users/me?opt_fields=email,name,photo.image_128x128,workspaces.name",
    )
    .await;
    let data = &body["data"];
    assert_eq!(data["email"], ME_EMAIL);
    assert_eq!(data["gid"], ME_GID);
    assert!(data["photo"]["image_128x128"]
        .as_str()
        .unwrap()
        .ends_with(".png"));
    assert!(data["photo"].get("image_21x21").is_none());
    assert_eq!(data["workspaces"].as_array().unwrap().len(), 2);
    assert_eq!(data["workspaces"][0]["name"], WORKSPACE_NAME);

    let (_, body) = get(
        &fake,
        PAT,
        &format!("/users/{GRACE_KELLY_GID}?opt_fields=photo"),
    )
    .await;
    assert_eq!(body["data"]["photo"], Value::Null);

    let recorded = fake.requests();
    assert_eq!(fake.count("GET", "/api/1.0/users/me"), 2);
    assert_eq!(
        recorded[0].header("authorization"),
        Some(format!("Bearer {PAT}").as_str())
    );
}

#[tokio::test]
async fn users_are_found_by_email_and_unknown_ones_are_404() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(
        &fake,
        PAT,
        "/users/GRACE.HOPPER@example.com?opt_fields=email",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["gid"], GRACE_HOPPER_GID);
    assert_eq!(body["data"]["email"], GRACE_HOPPER_EMAIL);

    let (status, body) = get(&fake, PAT, "/users/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "user: Unknown object: 999");
    assert!(body["errors"][0]["help"]
        .as_str()
        .unwrap()
        .contains("developers.asana.com"));

    let (status, body) = get(&fake, "not-a-token", "/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(message(&body), "Not Authorized");
    let response = http()
        .get(format!("{}/users/me", fake.api_base()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let (status, body) = get(&fake, PAT, "/no/such/route").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "No matching route for request");
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].operation_id, None);
    assert_eq!(violations[0].field, "path");
}

#[tokio::test]
async fn typeahead_ranks_prefixes_and_validates_input() {
    let fake = FakeAsana::start().await;
    let path = format!("/workspaces/{WORKSPACE_GID}/typeahead");
    let (status, body) = get(
        &fake,
        PAT,
        &format!("{path}?resource_type=user&query=grace"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Grace Hopper", "Grace Kelly"]);
    assert_eq!(
        body["data"][0],
        json!({"gid": GRACE_HOPPER_GID, "resource_type": "user", "name": "Grace Hopper"})
    );

    let (_, body) = get(
        &fake,
        PAT,
        &format!("{path}?resource_type=user&query=kel&opt_fields=email,name"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{"gid": GRACE_KELLY_GID, "resource_type": "user", "name": "Grace Kelly"}]),
        "typeahead results are compact: never an email"
    );
    let (_, body) = get(
        &fake,
        PAT,
        &format!("{path}?resource_type=user&query=grace.kelly@example"),
    )
    .await;
    assert_eq!(body["data"], json!([]), "typeahead never matches on email");

    let (_, body) = get(
        &fake,
        PAT,
        &format!("{path}?resource_type=user&query=&count=2"),
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);

    let (status, body) = get(&fake, PAT, &format!("{path}?query=grace")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "resource_type: Missing input");

    let (status, body) = get(&fake, PAT, &format!("{path}?resource_type=user&count=101")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("count: "));

    let (status, body) = get(&fake, PAT, "/workspaces/42/typeahead?resource_type=user").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "workspace: Unknown object: 42");
}

#[tokio::test]
async fn pagination_walks_next_page_uris_to_the_end() {
    let fake = FakeAsana::start().await;
    let (_, all) = get(&fake, PAT, &format!("/users?workspace={WORKSPACE_GID}")).await;
    assert!(all.get("next_page").is_none());
    let all = all["data"].as_array().unwrap().clone();
    assert_eq!(all.len(), WORKSPACE_USER_COUNT);

    let mut seen = Vec::new();
    let mut url = format!(
        "{}/users?workspace={WORKSPACE_GID}&limit=2&opt_fields=email",
        fake.api_base()
    );
    loop {
        let body: Value = http()
            .get(&url)
            .bearer_auth(PAT)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for user in body["data"].as_array().unwrap() {
            assert!(user["email"].is_string());
            seen.push(user["gid"].clone());
        }
        match &body["next_page"] {
            Value::Null => break,
            next => {
                assert!(next["path"].as_str().unwrap().starts_with("/users?"));
                assert!(next["offset"].is_string());
                url = next["uri"].as_str().unwrap().to_string();
                assert!(url.starts_with(&fake.api_base()));
            }
        }
    }
    let expected: Vec<Value> = all.iter().map(|u| u["gid"].clone()).collect();
    assert_eq!(seen, expected);

    let (status, body) = get(&fake, PAT, "/users?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("limit: "));
    let (status, body) = get(&fake, PAT, "/users?limit=2&offset=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("offset: "));

    let (_, body) = get(&fake, PAT, "/workspaces?limit=1").await;
    assert_eq!(
        body["data"][0],
        json!({"gid": WORKSPACE_GID, "resource_type": "workspace", "name": WORKSPACE_NAME})
    );
    assert!(body["next_page"]["uri"].is_string());
}

#[tokio::test]
async fn task_creation_validates_like_asana() {
    let fake = FakeAsana::start().await;
    let cases = [
        (json!({"name": "x"}), "You should specify one of workspace, parent, projects"),
        (
            json!({"workspace": WORKSPACE_GID, "due_on": "2024-05-01", "due_at": "2024-05-01T10:00:00Z"}),
            "due_on: Cannot be used together with due_at. You may only provide one of due_on or due_at.",
        ),
        (json!({"workspace": WORKSPACE_GID, "due_on": "2024-13-01"}), "due_on: Not a valid date"),
        (json!({"workspace": WORKSPACE_GID, "due_at": "tomorrow"}), "due_at: Not a valid date-time"),
        (json!({"workspace": WORKSPACE_GID, "assignee": "123"}), "assignee: Not a recognized ID: 123"),
        (json!({"projects": ["555"]}), "projects: Not a recognized ID: 555"),
        (json!({"parent": "556"}), "parent: Not a recognized ID: 556"),
        (json!({"workspace": WORKSPACE_GID, "tags": ["557"]}), "tags: Not a recognized ID: 557"),
        (json!({"workspace": "558"}), "workspace: Not a recognized ID: 558"),
    ];
    for (data, expected) in cases {
        let (status, body) = create_task(&fake, "", data.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data}");
        assert_eq!(message(&body), expected, "{data}");
    }
    let (status, body) = create_task(
        &fake,
        "",
        json!({"workspace": WORKSPACE_GID, "html_notes": "plain"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("html_notes: "));
    let (status, body) = create_task(
        &fake,
        "",
        json!({"workspace": WORKSPACE_GID, "notes": "a", "html_notes": "<body>a</body>"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("one of notes or html_notes"));
    let (status, body) = create_task(
        &fake,
        "",
        json!({"projects": [PROJECT_GID], "custom_fields": {CUSTOM_FIELD_GID: "1"}}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "custom_fields: Not a recognized ID: 1");

    let response = http()
        .post(format!("{}/tasks", fake.api_base()))
        .bearer_auth(PAT)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(fake.tasks().is_empty());
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0].field, "body");
    assert_eq!(violations[0].operation_id.as_deref(), Some("createTask"));
}

#[tokio::test]
async fn tasks_are_created_with_derived_workspace_and_read_back() {
    let fake = FakeAsana::start().await;
    let (status, body) = create_task(
        &fake,
        "",
        json!({
            "name": "Write launch post",
            "notes": "Draft & review",
            "projects": [PROJECT_GID],
            "assignee": GRACE_HOPPER_EMAIL,
            "due_at": "2024-05-01T10:00:00+02:00",
            "tags": [TAG_GID],
            "custom_fields": {CUSTOM_FIELD_GID: PRIORITY_HIGH_GID, TEXT_CUSTOM_FIELD_GID: "T-42"},
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let task = &body["data"];
    let gid = task["gid"].as_str().unwrap();
    assert!(gid.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(task["resource_type"], "task");
    assert_eq!(
        task["workspace"],
        json!({"gid": WORKSPACE_GID, "resource_type": "workspace", "name": WORKSPACE_NAME})
    );
    assert_eq!(task["assignee"]["gid"], GRACE_HOPPER_GID);
    assert_eq!(task["due_at"], "2024-05-01T08:00:00.000Z");
    assert_eq!(task["due_on"], "2024-05-01");
    assert_eq!(task["completed"], false);
    assert_eq!(task["parent"], Value::Null);
    assert_eq!(task["projects"][0]["name"], PROJECT_NAME);
    assert_eq!(task["tags"][0]["gid"], TAG_GID);
    assert!(task.get("html_notes").is_none());
    assert_eq!(
        task["permalink_url"],
        format!("https://app.asana.com/1/{WORKSPACE_GID}/task/{gid}")
    );
    let priority = task["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["gid"] == CUSTOM_FIELD_GID)
        .unwrap();
    assert_eq!(priority["enum_value"]["name"], "High");
    assert_eq!(priority["display_value"], "High");

    let stored = fake.tasks();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["html_notes"], "<body>Draft &amp; review</body>");

    let (status, body) = get(
        &fake,
        PAT,
        &format!("/tasks/{gid}?opt_fields=name,assignee.email"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["name"], "Write launch post");
    assert_eq!(body["data"]["assignee"]["email"], GRACE_HOPPER_EMAIL);
    assert!(body["data"].get("notes").is_none());

    let (status, body) = create_task(
        &fake,
        "?opt_fields=parent.name,workspace",
        json!({"parent": PARENT_TASK_GID, "name": "Sub"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["data"]["parent"]["name"], PARENT_TASK_NAME);
    assert_eq!(body["data"]["workspace"]["gid"], WORKSPACE_GID);

    let (status, body) = get(&fake, PAT, "/tasks/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "task: Unknown object: 999");
}

#[tokio::test]
async fn pkce_code_grant_issues_tokens_that_work() {
    let fake = FakeAsana::start().await;
    let grant = code_grant(&fake).await;
    assert_eq!(grant["token_type"], "bearer");
    assert_eq!(grant["expires_in"], 3600);
    assert_eq!(grant["data"]["gid"], ME_GID);
    assert_eq!(grant["data"]["id"], json!(ME_GID.parse::<u64>().unwrap()));
    assert_eq!(grant["data"]["email"], ME_EMAIL);
    assert_eq!(
        fake.refresh_tokens(),
        [grant["refresh_token"].as_str().unwrap()]
    );
    let access = grant["access_token"].as_str().unwrap();
    let (status, body) = get(&fake, access, "/users/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["gid"], ME_GID);
    assert_eq!(fake.token_grants("authorization_code"), 1);

    // A token younger than the age asked for is spared; then every one expires.
    fake.expire_access_tokens_older_than(std::time::Duration::from_secs(3600));
    let (status, _) = get(&fake, access, "/users/me").await;
    assert_eq!(status, StatusCode::OK);
    fake.expire_access_tokens();
    let (status, _) = get(&fake, access, "/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn pkce_and_redirect_mismatches_and_code_reuse_are_invalid_grant() {
    let fake = FakeAsana::start().await;
    let redirect = authorize(
        &fake,
        "http://127.0.0.1:4567/oauth/callback",
        &[("approve", "1")],
    )
    .await;
    assert_eq!(param(&redirect, "state").as_deref(), Some("xyz"));
    assert_eq!(redirect.port(), Some(4567));
    let code = param(&redirect, "code").unwrap();
    let base = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("code", code.as_str()),
    ];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form: Vec<(&str, &str)> = base.to_vec();
        form.extend_from_slice(extra);
        form
    };

    let (status, body) = token(
        &fake,
        &with(&[
            ("redirect_uri", "http://127.0.0.1:4567/oauth/callback"),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier",
            ),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("code verifier failed"));

    let (status, body) = token(
        &fake,
        &with(&[("redirect_uri", REDIRECT_URI), ("code_verifier", VERIFIER)]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("redirect_uri"));

    let good = with(&[
        ("redirect_uri", "http://127.0.0.1:4567/oauth/callback"),
        ("code_verifier", VERIFIER),
    ]);
    let (status, _) = token(&fake, &good).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = token(&fake, &good).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");

    let (status, body) = token(
        &fake,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", "nope"),
            ("code", "x"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(fake.token_grants("authorization_code"), 5);
}

#[tokio::test]
async fn refresh_with_form_credentials_then_revoke_makes_refresh_invalid_grant() {
    let fake = FakeAsana::start().await;
    fake.set_access_token_ttl(120);
    let grant = code_grant(&fake).await;
    assert_eq!(grant["expires_in"], 120);
    assert!(
        grant.get("scope").is_none(),
        "Asana documents no scope field"
    );
    let refresh = grant["refresh_token"].as_str().unwrap().to_string();
    let response = http()
        .post(fake.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed: Value = response.json().await.unwrap();
    assert!(refreshed.get("refresh_token").is_none());
    assert_eq!(refreshed["data"]["gid"], ME_GID);
    let access = refreshed["access_token"].as_str().unwrap().to_string();
    assert_ne!(access, grant["access_token"].as_str().unwrap());
    assert_eq!(fake.token_grants("refresh_token"), 1);

    let response = http()
        .post(fake.revoke_url())
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", "wrong"),
            ("token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = http()
        .post(fake.revoke_url())
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("token", refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(fake.revocations(), vec![refresh.clone()]);

    let (status, body) = token(
        &fake,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    let (status, _) = get(&fake, &access, "/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn revoking_a_refresh_token_from_the_test_side_works_like_the_user_revoking() {
    let fake = FakeAsana::start().await;
    let grant = code_grant(&fake).await;
    let refresh = fake.refresh_tokens()[0].clone();
    fake.revoke_refresh_token(&refresh);
    let (status, _) = get(&fake, grant["access_token"].as_str().unwrap(), "/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = token(
        &fake,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(fake.revocations().is_empty());
}

#[tokio::test]
async fn authorize_shows_consent_and_refuses_what_asana_refuses() {
    let fake = FakeAsana::start().await;
    let mut url = Url::parse(&fake.authorize_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("response_type", "code")
        .append_pair("state", "s<1>");
    let response = http().get(url.clone()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"allow\"") && page.contains("id=\"deny\""));
    assert!(page.contains("action=\"/-/oauth_authorize\""));
    assert!(page.contains("value=\"s&lt;1&gt;\""));
    assert!(!page.contains("<script"));

    let response = http()
        .post(fake.authorize_url())
        .form(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("state", "s1"),
            ("decision", "deny"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&location, "state").as_deref(), Some("s1"));

    let bad_redirect = http()
        .get(format!(
            "{}?client_id={CLIENT_ID}&redirect_uri=https://evil.example/cb&response_type=code",
            fake.authorize_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_redirect.status(), StatusCode::BAD_REQUEST);
    assert!(bad_redirect
        .text()
        .await
        .unwrap()
        .contains("does not match"));
    let unknown = http()
        .get(format!(
            "{}?client_id=1&redirect_uri={REDIRECT_URI}",
            fake.authorize_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    let response = http()
        .get(format!(
            "{}?client_id={CLIENT_ID}&redirect_uri={REDIRECT_URI}&response_type=token&state=q",
            fake.authorize_url()
        ))
        .send()
        .await
        .unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("unsupported_response_type")
    );

    fake.register_client(OAuthClient {
        client_id: "42".into(),
        client_secret: "s".into(),
        redirect_uris: vec!["http://localhost:9999/cb".into()],
        scopes_enabled: false,
    });
    let response = http()
        .get(format!("{}?client_id=42&redirect_uri=http://localhost:9999/cb&response_type=code&scope=default", fake.authorize_url()))
        .send()
        .await
        .unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        param(&location, "error").as_deref(),
        Some("forbidden_scopes"),
        "an app registered without Full permissions may not ask for default"
    );
    assert!(param(&location, "error_description").is_some());
    let response = http()
        .get(format!(
            "{}?client_id=42&redirect_uri=http://localhost:9998/oauth/callback&response_type=code",
            fake.authorize_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "only the default client accepts any loopback port"
    );
}

#[tokio::test]
async fn injected_faults_answer_first_and_are_recorded() {
    let fake = FakeAsana::start().await;
    fake.inject(Fault::rate_limit("/api/1.0/users", 1, 7));
    let response = http()
        .get(format!("{}/users/me", fake.api_base()))
        .bearer_auth(PAT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(message(&body), super::errors::RATE_LIMIT_MESSAGE);
    let (status, _) = get(&fake, PAT, "/users/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fake.count("GET", "/api/1.0/users/me"), 2);

    fake.inject(Fault::status("/api/1.0/tasks", 503, 1).on_method("post"));
    let (status, _) = get(&fake, PAT, &format!("/tasks/{PARENT_TASK_GID}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = create_task(&fake, "", json!({"workspace": WORKSPACE_GID})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body["errors"][0]["phrase"].is_string());

    fake.clear_requests();
    assert!(fake.requests().is_empty());

    fake.set_delay(std::time::Duration::from_millis(60));
    let started = std::time::Instant::now();
    let (status, _) = get(&fake, PAT, "/users/me").await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= std::time::Duration::from_millis(60));
}

#[tokio::test]
async fn scim_is_for_the_service_account_only() {
    let fake = FakeAsana::start().await;
    let url = format!("{}/scim/Users", fake.api_base());
    let response = http()
        .get(&url)
        .query(&[("filter", format!("userName eq \"{GRACE_HOPPER_EMAIL}\""))])
        .bearer_auth(PAT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(body["status"], "403");
    assert!(body["detail"].is_string());

    let response = http()
        .get(&url)
        .query(&[("filter", format!("userName eq \"{GRACE_HOPPER_EMAIL}\""))])
        .bearer_auth(SERVICE_ACCOUNT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["totalResults"], 1);
    let user = &body["Resources"][0];
    assert_eq!(user["id"], GRACE_HOPPER_GID);
    assert_eq!(user["userName"], GRACE_HOPPER_EMAIL);
    assert_eq!(user["name"]["formatted"], "Grace Hopper");
    assert_eq!(user["active"], true);
    assert_eq!(
        user["emails"],
        json!([
            {"value": GRACE_HOPPER_EMAIL, "primary": true, "type": "work"},
            {"value": GRACE_HOPPER_SECONDARY_EMAIL, "primary": false, "type": "other"},
        ])
    );

    fake.add_service_account_token("sa-2");
    let response = http()
        .get(format!("{url}/{CHARLES_BABBAGE_GID}"))
        .bearer_auth("sa-2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["active"], false);

    let response = http()
        .get(format!("{url}/999"))
        .bearer_auth("sa-2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "401");
}

#[tokio::test]
async fn added_tokens_act_as_their_user() {
    let fake = FakeAsana::start().await;
    fake.add_personal_access_token("margaret-pat", MARGARET_HAMILTON_GID);
    let (status, body) = get(&fake, "margaret-pat", "/users/me?opt_fields=workspaces").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["workspaces"].as_array().unwrap().len(), 1);
    let (status, _) = get(&fake, "margaret-pat", &format!("/users/{GRACE_KELLY_GID}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(
        &fake,
        "margaret-pat",
        &format!("/workspaces/{WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = get(
        &fake,
        "margaret-pat",
        &format!("/workspaces/{SECOND_WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["is_organization"], false);
}

/// The redirect of an approved authorization of `client_id` asking for
/// `scope` (no `scope` parameter when `None`).
async fn authorize_as(fake: &FakeAsana, client_id: &str, scope: Option<&str>) -> Url {
    let mut url = Url::parse(&fake.authorize_url()).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("response_type", "code")
        .append_pair("state", "st")
        .append_pair("approve", "1");
    if let Some(scope) = scope {
        url.query_pairs_mut().append_pair("scope", scope);
    }
    let response = http().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// An access token of the app `client_id` authorized with `scope` (none:
/// the `scope` parameter left out).
pub(super) async fn app_token(
    fake: &FakeAsana,
    client_id: &str,
    secret: &str,
    scope: Option<&str>,
) -> String {
    let redirect = authorize_as(fake, client_id, scope).await;
    let code = param(&redirect, "code").unwrap_or_else(|| panic!("{redirect}"));
    let (status, body) = token(
        fake,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("redirect_uri", REDIRECT_URI),
            ("code", &code),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.get("scope").is_none(),
        "Asana documents no scope field"
    );
    body["access_token"].as_str().unwrap().to_string()
}

/// An access token of the granular app, granted `scope`.
pub(super) async fn granular_token(fake: &FakeAsana, scope: &str) -> String {
    app_token(
        fake,
        GRANULAR_CLIENT_ID,
        GRANULAR_CLIENT_SECRET,
        Some(scope),
    )
    .await
}

#[tokio::test]
async fn client_credentials_in_a_basic_header_are_invalid_client() {
    let fake = FakeAsana::start().await;
    let grant = code_grant(&fake).await;
    let refresh = grant["refresh_token"].as_str().unwrap();
    for url in [fake.token_url(), fake.revoke_url()] {
        let response = http()
            .post(&url)
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("token", refresh),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{url}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{url}");
        assert!(body["error_description"].is_string());
    }
    let (status, body) = token(
        &fake,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "credentials are required");
    assert_eq!(body["error"], "invalid_client");
    assert!(fake.revocations().is_empty());
    let (status, _) = token(
        &fake,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the refresh token still works");
}

#[tokio::test]
async fn revoke_takes_refresh_tokens_only() {
    let fake = FakeAsana::start().await;
    let grant = code_grant(&fake).await;
    let access = grant["access_token"].as_str().unwrap();
    let refresh = grant["refresh_token"].as_str().unwrap();
    let revoke = |token: String| {
        let fake_url = fake.revoke_url();
        async move {
            http()
                .post(fake_url)
                .form(&[
                    ("client_id", CLIENT_ID),
                    ("client_secret", CLIENT_SECRET),
                    ("token", token.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(revoke(access.to_string()).await, StatusCode::BAD_REQUEST);
    assert_eq!(revoke(PAT.to_string()).await, StatusCode::BAD_REQUEST);
    let (status, _) = get(&fake, access, "/users/me").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a refused revocation revokes nothing"
    );
    assert_eq!(revoke("1/unknown".to_string()).await, StatusCode::OK);
    assert_eq!(revoke(refresh.to_string()).await, StatusCode::OK);
    let (status, _) = get(&fake, access, "/users/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn granular_apps_get_only_registered_scopes() {
    let fake = FakeAsana::start().await;
    let cases = [
        (
            Some("default"),
            "forbidden_scopes",
            "Your app is not allowed to request user authorization for default identity scopes",
        ),
        (None, "forbidden_scopes", "default identity scopes"),
        (
            Some("users:read attachments:read"),
            "forbidden_scopes",
            "'attachments:read'",
        ),
        (
            Some("users:read workspace.typeahead:read"),
            "invalid_scope",
            "workspace.typeahead:read",
        ),
        (Some("frobnicate"), "invalid_scope", "frobnicate"),
    ];
    for (scope, error, description) in cases {
        let redirect = authorize_as(&fake, GRANULAR_CLIENT_ID, scope).await;
        assert_eq!(
            param(&redirect, "error").as_deref(),
            Some(error),
            "{scope:?}"
        );
        let text = param(&redirect, "error_description").unwrap();
        assert!(text.contains(description), "{scope:?}: {text}");
        assert_eq!(param(&redirect, "state").as_deref(), Some("st"));
        assert!(param(&redirect, "code").is_none());
    }
    let redirect = authorize_as(&fake, CLIENT_ID, Some("frobnicate")).await;
    assert_eq!(param(&redirect, "error").as_deref(), Some("invalid_scope"));

    let page = http()
        .get(format!(
            "{}?client_id={GRANULAR_CLIENT_ID}&redirect_uri={REDIRECT_URI}&response_type=code&state=s&scope=users:read%20tasks:write",
            fake.authorize_url()
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<code>users:read</code> View access to users"),
        "{page}"
    );
    assert!(page.contains(GRANULAR_CLIENT_NAME));

    fake.register_app(
        OAuthClient::new("7", "seven", &["http://localhost:7/cb"]),
        AppPermissions::scopes(&["tasks:read"]),
    );
    let response = http()
        .get(format!(
            "{}?client_id=7&redirect_uri=http://localhost:7/cb&response_type=code&scope=tasks:read&approve=1",
            fake.authorize_url()
        ))
        .send()
        .await
        .unwrap();
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert!(param(&location, "code").is_some(), "{location}");
}

#[tokio::test]
async fn every_route_checks_the_scopes_of_the_token() {
    let fake = FakeAsana::start().await;
    let users_only = granular_token(&fake, "users:read").await;
    let (status, body) = get(&fake, &users_only, "/users/me").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = get(
        &fake,
        &users_only,
        &format!("/workspaces/{WORKSPACE_GID}/typeahead?resource_type=user&query=gr"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        message(&body).contains("workspaces.typeahead:read"),
        "{body}"
    );
    assert!(body["errors"][0]["help"].is_string());
    let (status, _) = get(&fake, &users_only, "/workspaces").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let response = http()
        .post(format!("{}/tasks", fake.api_base()))
        .bearer_auth(&users_only)
        .json(&json!({"data": {"workspace": WORKSPACE_GID, "name": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: Value = response.json().await.unwrap();
    assert!(message(&body).contains("tasks:write"), "{body}");
    assert!(fake.tasks().is_empty());

    let writer = granular_token(&fake, "tasks:write workspaces.typeahead:read").await;
    let response = http()
        .post(format!("{}/tasks", fake.api_base()))
        .bearer_auth(&writer)
        .json(&json!({"data": {"workspace": WORKSPACE_GID, "name": "x"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let (status, _) = get(&fake, &writer, &format!("/tasks/{PARENT_TASK_GID}")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "tasks:write does not imply tasks:read"
    );
    let (status, _) = get(&fake, &writer, "/users/me").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let refresh = fake.refresh_tokens()[1].clone();
    let (status, body) = token(
        &fake,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", GRANULAR_CLIENT_ID),
            ("client_secret", GRANULAR_CLIENT_SECRET),
            ("refresh_token", &refresh),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let refreshed = body["access_token"].as_str().unwrap();
    let (status, _) = get(&fake, refreshed, "/users/me").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a refreshed token keeps the grant's scopes"
    );

    let full = granular_token_of_full_app(&fake).await;
    let (status, _) = get(&fake, &full, "/workspaces").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "no scope is default for a Full-permissions app"
    );
    let (status, _) = get(&fake, SERVICE_ACCOUNT_TOKEN, "/workspaces").await;
    assert_eq!(status, StatusCode::OK);
}

/// An access token of the Full-permissions app authorized without `scope`.
async fn granular_token_of_full_app(fake: &FakeAsana) -> String {
    app_token(fake, CLIENT_ID, CLIENT_SECRET, None).await
}

#[tokio::test]
async fn scim_takes_only_the_user_name_filter_and_ignores_paging() {
    let fake = FakeAsana::start().await;
    let url = format!("{}/scim/Users", fake.api_base());
    let list = |query: Vec<(&'static str, String)>| {
        let url = url.clone();
        async move {
            let response = http()
                .get(&url)
                .query(&query)
                .bearer_auth(SERVICE_ACCOUNT_TOKEN)
                .send()
                .await
                .unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    for filter in [
        format!("emails.value eq \"{GRACE_HOPPER_SECONDARY_EMAIL}\""),
        "userName sw \"grace\"".to_string(),
        "name.familyName eq \"Hopper\"".to_string(),
    ] {
        let (status, body) = list(vec![("filter", filter.clone())]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{filter}");
        assert_eq!(body["scimType"], "invalidFilter");
        assert_eq!(body["status"], "400");
        assert_eq!(body["schemas"][0], super::errors::SCIM_ERROR_SCHEMA);
    }
    let (status, all) = list(vec![]).await;
    assert_eq!(status, StatusCode::OK);
    let total = all["totalResults"].as_u64().unwrap();
    assert!(total > 2);
    let (_, paged) = list(vec![("count", "1".into()), ("startIndex", "2".into())]).await;
    assert_eq!(
        paged["Resources"], all["Resources"],
        "count and startIndex are ignored"
    );
    assert_eq!(paged["totalResults"], total);
    let (_, one) = list(vec![(
        "filter",
        format!("userName eq \"{ALAN_TURING_EMAIL}\""),
    )])
    .await;
    assert_eq!(one["totalResults"], 1);
    assert_eq!(one["Resources"][0]["id"], ALAN_TURING_GID);
}

#[tokio::test]
async fn workspace_user_lookup_finds_members_of_that_workspace_only() {
    let fake = FakeAsana::start().await;
    for id in ["me", ME_EMAIL, ME_GID] {
        let (status, body) = get(
            &fake,
            PAT,
            &format!("/workspaces/{WORKSPACE_GID}/users/{id}?opt_fields=email,name"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{id}");
        assert_eq!(body["data"]["email"], ME_EMAIL);
    }
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{WORKSPACE_GID}/users/{MARGARET_HAMILTON_EMAIL}"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Margaret is not in Acme Corp"
    );
    assert!(message(&body).starts_with("user: Unknown object"));
    let (status, _) = get(&fake, PAT, &format!("/users/{MARGARET_HAMILTON_EMAIL}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "but Ada shares another workspace with her"
    );
    let (status, _) = get(
        &fake,
        PAT,
        &format!("/workspaces/{SECOND_WORKSPACE_GID}/users/{MARGARET_HAMILTON_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&fake, PAT, &format!("/users/{HEDY_LAMARR_EMAIL}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "Hedy shares no workspace with Ada"
    );
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{THIRD_WORKSPACE_GID}/users/{HEDY_LAMARR_EMAIL}"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(message(&body).starts_with("workspace: Unknown object"));
}

#[tokio::test]
async fn tasks_take_subtypes_memberships_start_dates_and_date_fields() {
    let fake = FakeAsana::start().await;
    let (status, body) = create_task(
        &fake,
        "",
        json!({
            "name": "Ship it",
            "resource_subtype": "milestone",
            "completed": true,
            "html_notes": "<body>Ship <strong>it</strong> &amp; celebrate</body>",
            "memberships": [{"project": PROJECT_GID, "section": SECOND_SECTION_GID}],
            "due_on": "2024-06-01",
            "custom_fields": {
                DATE_CUSTOM_FIELD_GID: {"date_time": "2024-06-01T09:00:00+02:00"},
                NUMBER_CUSTOM_FIELD_GID: 2.5,
            },
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let task = &body["data"];
    assert_eq!(task["resource_subtype"], "milestone");
    assert_eq!(task["completed"], true);
    assert!(task["completed_at"].is_string());
    assert_eq!(task["workspace"]["gid"], WORKSPACE_GID);
    assert_eq!(task["projects"][0]["gid"], PROJECT_GID);
    assert_eq!(task["memberships"][0]["project"]["gid"], PROJECT_GID);
    assert_eq!(
        task["memberships"][0]["section"],
        json!({"gid": SECOND_SECTION_GID, "resource_type": "section", "name": "In progress"})
    );
    assert_eq!(task["notes"], "Ship it & celebrate");
    let date = task["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["gid"] == DATE_CUSTOM_FIELD_GID)
        .unwrap();
    assert_eq!(
        date["date_value"],
        json!({"date": "2024-06-01", "date_time": "2024-06-01T07:00:00.000Z"})
    );

    let (status, body) = create_task(
        &fake,
        "",
        json!({
            "projects": [PROJECT_GID],
            "resource_subtype": "approval",
            "start_at": "2024-06-01T08:00:00Z",
            "due_at": "2024-06-02T17:00:00+01:00",
            "custom_fields": {DATE_CUSTOM_FIELD_GID: {"date": "2024-06-03"}},
        }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let task = &body["data"];
    assert_eq!(task["approval_status"], "pending");
    assert_eq!(task["completed"], false);
    assert_eq!(task["start_at"], "2024-06-01T08:00:00.000Z");
    assert_eq!(task["start_on"], "2024-06-01");
    assert_eq!(task["due_at"], "2024-06-02T16:00:00.000Z");
    assert_eq!(task["memberships"][0]["section"]["gid"], SECTION_GID);

    let refusals = [
        (
            json!({"workspace": WORKSPACE_GID, "start_on": "2024-06-01"}),
            "start_on: ",
        ),
        (
            json!({"workspace": WORKSPACE_GID, "start_at": "2024-06-01T08:00:00Z", "due_on": "2024-06-02"}),
            "start_at: ",
        ),
        (
            json!({"workspace": WORKSPACE_GID, "resource_subtype": "milestone", "start_on": "2024-06-01", "due_on": "2024-06-02"}),
            "start_on: ",
        ),
        (
            json!({"workspace": WORKSPACE_GID, "html_notes": "<body>unclosed <em>tag</body>"}),
            "html_notes: ",
        ),
        (
            json!({"workspace": WORKSPACE_GID, "html_notes": "<p>no body</p>"}),
            "html_notes: ",
        ),
        (
            json!({"workspace": WORKSPACE_GID, "html_notes": "<body>a</body><body>b</body>"}),
            "html_notes: ",
        ),
        (
            json!({"memberships": [{"project": PROJECT_GID, "section": SECOND_PROJECT_SECTION_GID}]}),
            "memberships: ",
        ),
        (
            json!({"memberships": [{"project": "555"}]}),
            "memberships: ",
        ),
        (
            json!({"memberships": [{"section": SECTION_GID}]}),
            "memberships: ",
        ),
        (
            json!({"projects": [PROJECT_GID], "custom_fields": {DATE_CUSTOM_FIELD_GID: {"date": "June"}}}),
            "custom_fields: ",
        ),
        (
            json!({"projects": [PROJECT_GID], "custom_fields": {TEXT_CUSTOM_FIELD_GID: {"date": "2024-06-01"}}}),
            "custom_fields: ",
        ),
    ];
    for (data, prefix) in refusals {
        let (status, body) = create_task(&fake, "", data.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data}: {body}");
        assert!(message(&body).starts_with(prefix), "{data}: {body}");
    }
    assert_eq!(fake.tasks().len(), 2);
    assert!(fake.contract_violations().is_empty());
}

#[tokio::test]
async fn bodies_with_fields_asana_does_not_take_are_refused_and_recorded() {
    let fake = FakeAsana::start().await;
    let cases = [
        (
            json!({"data": {"workspace": WORKSPACE_GID, "colour": "red"}}),
            "data.colour",
        ),
        (
            json!({"data": {"workspace": WORKSPACE_GID, "gid": "1"}}),
            "data.gid",
        ),
        (
            json!({"data": {"workspace": WORKSPACE_GID, "completed": "yes"}}),
            "data.completed",
        ),
        (
            json!({"data": {"workspace": WORKSPACE_GID, "resource_subtype": "bug"}}),
            "data.resource_subtype",
        ),
        (
            json!({"data": {"workspace": WORKSPACE_GID, "memberships": [{"project": PROJECT_GID, "position": 1}]}}),
            "data.memberships[0].position",
        ),
        (
            json!({"data": {"workspace": WORKSPACE_GID}, "extra": true}),
            "extra",
        ),
    ];
    for (body, field) in &cases {
        let response = http()
            .post(format!("{}/tasks", fake.api_base()))
            .bearer_auth(PAT)
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let answer: Value = response.json().await.unwrap();
        let text = message(&answer);
        assert!(text.starts_with(&format!("{field}: ")), "{text}");
        assert!(text.contains("createTask"), "{text}");
        assert!(answer["errors"][0]["help"].is_string());
    }
    assert!(fake.tasks().is_empty());
    let violations = fake.take_contract_violations();
    let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
    assert_eq!(fields, cases.iter().map(|(_, f)| *f).collect::<Vec<_>>());
    assert!(violations
        .iter()
        .all(|v| v.operation_id.as_deref() == Some("createTask")
            && v.method == "POST"
            && v.path == "/api/1.0/tasks"));

    let (status, body) = create_task(
        &fake,
        "?opt_fields=name",
        json!({"workspace": WORKSPACE_GID, "name": "ok", "custom_fields": {}, "due_at": null}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(fake.contract_violations().is_empty());
}

#[tokio::test]
async fn undeclared_query_parameters_are_caught_naming_operation_and_field() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(&fake, PAT, "/users/me?opt_fields=name&limit=5").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("limit: "), "{body}");
    assert!(message(&body).contains("getUser"), "{body}");
    let (status, _) = get(
        &fake,
        PAT,
        &format!("/workspaces/{WORKSPACE_GID}/typeahead?resource_type=user&query=a&limit=3"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = get(
        &fake,
        PAT,
        &format!("/users/me?workspace={WORKSPACE_GID}&opt_pretty"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "path-level parameters count");

    let violations = fake.contract_violations();
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert_eq!(violations[0].operation_id.as_deref(), Some("getUser"));
    assert_eq!(violations[0].field, "limit");
    assert_eq!(
        violations[1].operation_id.as_deref(),
        Some("typeaheadForWorkspace")
    );
    assert_eq!(violations[1].field, "limit");
    assert_eq!(
        fake.validated_operations().into_iter().collect::<Vec<_>>(),
        ["getUser", "typeaheadForWorkspace"]
    );
    assert!(crate::contract::validated_operations().contains("typeaheadForWorkspace"));

    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(fake)));
    let panic = dropped.expect_err("dropping a fake with violations fails the test");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("2 request(s)"), "{text}");
    assert!(
        text.contains("GET /api/1.0/users/me (getUser): limit: "),
        "{text}"
    );
    assert!(text.contains("(typeaheadForWorkspace): limit: "), "{text}");
}

#[tokio::test]
async fn rate_limits_are_off_by_default_and_per_token_when_on() {
    let fake = FakeAsana::start().await;
    for _ in 0..5 {
        let (status, _) = get(&fake, PAT, "/users/me").await;
        assert_eq!(status, StatusCode::OK);
    }
    fake.set_rate_limits(RateLimits {
        per_minute: Some(3),
        ..RateLimits::OFF
    });
    for _ in 0..3 {
        let (status, _) = get(&fake, PAT, "/users/me").await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = http()
        .get(format!("{}/users/me", fake.api_base()))
        .bearer_auth(PAT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(message(&body), super::errors::RATE_LIMIT_MESSAGE);
    let (status, _) = get(&fake, SERVICE_ACCOUNT_TOKEN, "/users/me").await;
    assert_eq!(status, StatusCode::OK, "another token has its own quota");

    fake.set_rate_limits(RateLimits {
        concurrent_reads: Some(1),
        concurrent_writes: Some(1),
        ..RateLimits::OFF
    });
    fake.set_delay(std::time::Duration::from_secs(2));
    let url = format!("{}/users/me", fake.api_base());
    let before = fake.count("GET", "/api/1.0/users/me");
    let first = tokio::spawn(async move {
        http()
            .get(url)
            .bearer_auth(PAT)
            .send()
            .await
            .unwrap()
            .status()
    });
    // Once recorded, the first read holds its slot for the whole delay.
    while fake.count("GET", "/api/1.0/users/me") == before {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let second = http()
        .get(format!("{}/users/{GRACE_HOPPER_GID}", fake.api_base()))
        .bearer_auth(PAT)
        .send()
        .await
        .unwrap();
    assert_eq!(
        second.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one read at a time"
    );
    assert!(second.headers().contains_key("retry-after"));
    let (status, body) = create_task(&fake, "", json!({"workspace": WORKSPACE_GID})).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "writes have their own pool: {body}"
    );
    assert_eq!(first.await.unwrap(), StatusCode::OK);
}
