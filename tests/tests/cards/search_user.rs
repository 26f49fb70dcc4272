//! Search User: an email is looked up within the workspace asked for; other
//! text goes through the workspace typeahead (compact results), then each
//! match's email is read with `GET /users/{gid}` in one batch; secondary
//! emails come from SCIM's `userName` filter, also in one batch. The
//! workspace falls back to the connection's default.

use cardhost_tests::fake_asana::{seed, FakeAsana, RecordedRequest};
use serde_json::{json, Value};

use crate::common::Host;

async fn setup(service_account: bool) -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", service_account).await;
    fake.clear_requests();
    (fake, host, conn)
}

fn gids(body: &Value) -> Vec<&str> {
    body["output"]["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["gid"].as_str().unwrap())
        .collect()
}

/// The requests to the API (OAuth and the like left out), in order.
fn api_requests(fake: &FakeAsana) -> Vec<RecordedRequest> {
    fake.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/1.0/"))
        .collect()
}

#[tokio::test]
async fn an_email_finds_the_member_of_the_workspace() {
    let (fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": seed::GRACE_KELLY_EMAIL, "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["count"], 1);
    let user = &body["output"]["users"][0];
    assert_eq!(user["gid"], seed::GRACE_KELLY_GID);
    assert_eq!(user["email"], seed::GRACE_KELLY_EMAIL);
    let requests = api_requests(&fake);
    assert_eq!(requests.len(), 1, "one read: {requests:?}");
    assert_eq!(
        requests[0].path,
        format!(
            "/api/1.0/workspaces/{}/users/{}",
            seed::WORKSPACE_GID,
            seed::GRACE_KELLY_EMAIL
        )
    );
    assert_eq!(requests[0].query_param("opt_fields"), Some("name,email"));
}

#[tokio::test]
async fn an_email_in_another_workspace_finds_nobody() {
    let (fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": seed::MARGARET_HAMILTON_EMAIL, "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"], json!({"users": [], "count": 0}));
    assert!(
        api_requests(&fake)
            .iter()
            .all(|r| !r.path.starts_with("/api/1.0/users/")),
        "the user is never read outside the workspace"
    );
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": seed::MARGARET_HAMILTON_EMAIL, "workspace": seed::SECOND_WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(gids(&body), [seed::MARGARET_HAMILTON_GID]);
}

#[tokio::test]
async fn an_unknown_email_is_an_empty_list() {
    let (_fake, host, conn) = setup(false).await;
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
async fn a_name_uses_the_typeahead_then_reads_each_match_once() {
    let (fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run(
            "asana.search-user",
            &conn,
            json!({"query": "Grace", "limit": 5}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let found = gids(&body);
    assert!(
        found.contains(&seed::GRACE_HOPPER_GID) && found.contains(&seed::GRACE_KELLY_GID),
        "{found:?}"
    );
    let users = body["output"]["users"].as_array().unwrap();
    let hopper = users
        .iter()
        .find(|u| u["gid"] == seed::GRACE_HOPPER_GID)
        .unwrap();
    assert_eq!(hopper["email"], seed::GRACE_HOPPER_EMAIL);

    let requests = api_requests(&fake);
    let typeahead = &requests[0];
    assert_eq!(
        typeahead.path,
        format!("/api/1.0/workspaces/{}/typeahead", seed::WORKSPACE_GID),
        "the default workspace's typeahead comes first"
    );
    assert_eq!(typeahead.query_param("resource_type"), Some("user"));
    assert_eq!(typeahead.query_param("query"), Some("Grace"));
    assert_eq!(typeahead.query_param("count"), Some("5"));
    assert_eq!(typeahead.query_param("opt_fields"), Some("name"));

    // One read per match, nothing else: the batch neither repeats nor skips.
    let mut read: Vec<&str> = requests[1..]
        .iter()
        .map(|r| {
            assert_eq!(r.method, "GET");
            assert_eq!(r.query_param("opt_fields"), Some("name,email"));
            r.path.strip_prefix("/api/1.0/users/").expect("a user read")
        })
        .collect();
    read.sort_unstable();
    let mut expected = found.clone();
    expected.sort_unstable();
    assert_eq!(read, expected);
    // The run's history lists the reads in match order.
    let calls: Vec<&str> = body["calls"]
        .as_array()
        .unwrap()
        .iter()
        .skip(1)
        .map(|c| c["path"].as_str().unwrap())
        .collect();
    let in_order: Vec<String> = found
        .iter()
        .map(|g| format!("/api/1.0/users/{g}"))
        .collect();
    assert_eq!(calls, in_order);
}

#[tokio::test]
async fn the_typeahead_never_matches_on_email() {
    let (_fake, host, conn) = setup(false).await;
    let (status, body) = host
        .run("asana.search-user", &conn, json!({"query": "example"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"]["count"], 0,
        "no name holds `example`: {body}"
    );
}

#[tokio::test]
async fn secondary_emails_come_from_scim_with_the_service_account_token() {
    let (fake, host, conn) = setup(true).await;
    let (status, body) = host
        .run("asana.search-user", &conn, json!({"query": "Grace"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let users = body["output"]["users"].as_array().unwrap();
    let hopper = users
        .iter()
        .find(|u| u["gid"] == seed::GRACE_HOPPER_GID)
        .expect("Grace Hopper");
    assert_eq!(
        hopper["secondary_emails"],
        json!([seed::GRACE_HOPPER_SECONDARY_EMAIL])
    );
    let scim: Vec<RecordedRequest> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/1.0/scim/"))
        .collect();
    assert_eq!(scim.len(), users.len(), "one SCIM read per user");
    for request in &scim {
        assert_eq!(request.path, "/api/1.0/scim/Users");
        assert_eq!(request.query.len(), 1, "{:?}", request.query);
        let filter = request.query_param("filter").expect("a filter");
        assert!(
            users
                .iter()
                .any(|u| filter == format!("userName eq \"{}\"", u["email"].as_str().unwrap())),
            "{filter}"
        );
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {}", seed::SERVICE_ACCOUNT_TOKEN).as_str())
        );
    }
}

#[tokio::test]
async fn an_email_with_the_service_account_token_has_secondary_emails() {
    let (_fake, host, conn) = setup(true).await;
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
async fn a_server_error_keeps_asanas_phrase() {
    let (fake, host, conn) = setup(false).await;
    fake.inject(cardhost_tests::fake_asana::Fault::status(
        "/api/1.0/workspaces",
        500,
        1,
    ));
    let (status, body) = host
        .run("asana.search-user", &conn, json!({"query": "Grace"}))
        .await;
    assert_eq!(status, 502, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("500"), "{message}");
    assert!(
        message.contains("Asana's error phrase \""),
        "the phrase is kept: {message}"
    );
}

#[tokio::test]
async fn limit_out_of_range_names_the_field() {
    let (fake, host, conn) = setup(false).await;
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
    assert!(fake.requests().is_empty(), "nothing reached the provider");
}
