//! The GitHub cards against the fake GitHub: Read User (with its
//! organizations followed across `Link` pages), Create Issue, and the
//! waits GitHub's rate limits ask for.

use cardhost_tests::fake_asana::FakeAsana;
use cardhost_tests::fake_github::{seed, FakeGitHub};
use serde_json::json;

use crate::common::Host;

async fn host_with_token() -> (FakeAsana, FakeGitHub, Host, String) {
    let (fake, github) = (FakeAsana::start().await, FakeGitHub::start().await);
    let host = Host::start_with_github(&fake, &github).await;
    let conn = host
        .github_token_connection("code", seed::CLASSIC_TOKEN)
        .await;
    (fake, github, host, conn)
}

#[tokio::test]
async fn read_user_follows_link_pages_up_to_its_cap() {
    let (_fake, github, host, conn) = host_with_token().await;
    let input = json!({"username": seed::OCTOCAT, "include_organizations": true, "page_size": 2});
    let (status, run) = host.run("github.read-user", &conn, input).await;
    assert_eq!(status, 200, "{run}");
    let out = &run["output"];
    assert_eq!(out["id"], seed::OCTOCAT_ID);
    let logins: Vec<&str> = out["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["login"].as_str().unwrap())
        .collect();
    assert_eq!(
        logins,
        seed::OCTOCAT_PUBLIC_ORGS,
        "every public organization, in order"
    );
    assert_eq!(out["organizations_truncated"], false);
    let pages = github.count("GET", &format!("/api/v3/users/{}/orgs", seed::OCTOCAT));
    let expected = seed::OCTOCAT_PUBLIC_ORGS.len().div_ceil(2);
    assert_eq!(pages, expected, "one request per page of two");

    let input = json!({"username": seed::OCTOCAT, "include_organizations": true, "page_size": 2, "max_organizations": 3});
    let (_, run) = host.run("github.read-user", &conn, input).await;
    assert_eq!(
        run["output"]["organizations"].as_array().unwrap().len(),
        3,
        "{run}"
    );
    assert_eq!(run["output"]["organizations_truncated"], true);

    let (status, run) = host
        .run(
            "github.read-user",
            &conn,
            json!({"username": "no-such-user-here"}),
        )
        .await;
    assert_eq!(status, 404, "{run}");
    assert_eq!(run["error"]["field"], "username");
}

#[tokio::test]
async fn create_issue_opens_an_issue_and_names_the_field_github_refused() {
    let (_fake, github, host, conn) = host_with_token().await;
    let input = json!({
        "owner": seed::ORG, "repo": seed::PUBLIC_REPO, "title": "Broken link",
        "body": "On the home page.", "assignees": [seed::MONALISA], "labels": ["bug"]
    });
    let (status, run) = host.run("github.create-issue", &conn, input).await;
    assert_eq!(status, 200, "{run}");
    let out = &run["output"];
    assert_eq!(out["title"], "Broken link");
    assert_eq!(out["assignees"], json!([seed::MONALISA]));
    assert_eq!(out["labels"], json!(["bug"]));
    let stored = github.issues(seed::ORG, seed::PUBLIC_REPO);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["number"], out["number"]);

    let input = json!({"owner": seed::ORG, "repo": seed::PUBLIC_REPO, "title": "x", "assignees": [seed::HUBOT]});
    let (status, run) = host.run("github.create-issue", &conn, input).await;
    assert_eq!(status, 400, "{run}");
    assert_eq!(run["error"]["field"], "assignees", "{run}");

    let input = json!({"owner": seed::ORG, "repo": seed::NO_ISSUES_REPO, "title": "x"});
    let (status, run) = host.run("github.create-issue", &conn, input).await;
    assert!(status >= 400, "{run}");
    assert!(
        run["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{run}"
    );

    let (status, run) = host
        .run(
            "github.create-issue",
            &conn,
            json!({"owner": seed::ORG, "repo": "..", "title": "x"}),
        )
        .await;
    assert_eq!(status, 400, "{run}");
    assert_eq!(run["error"]["field"], "repo");
    assert_eq!(
        github.issues(seed::ORG, seed::PUBLIC_REPO).len(),
        1,
        "nothing else was created"
    );
}

#[tokio::test]
async fn rate_limits_are_waited_out_as_github_asks() {
    let (_fake, github, host, conn) = host_with_token().await;

    // A secondary limit: 403 with Retry-After.
    github.inject_secondary_limit("/api/v3/user", 1, 1);
    let (status, run) = host.run("github.read-user", &conn, json!({})).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["calls"][0]["rate_limited"], 1, "{run}");
    assert_eq!(run["calls"][0]["status"], 200);

    // The primary limit: 403 with x-ratelimit-remaining 0 until the reset.
    github.set_primary_limit(1, 1);
    let (status, run) = host.run("github.read-user", &conn, json!({})).await;
    assert_eq!(status, 200, "{run}");
    let (status, run) = host.run("github.read-user", &conn, json!({})).await;
    assert_eq!(status, 200, "waited for the reset: {run}");
    assert!(
        run["calls"][0]["rate_limited"].as_u64().unwrap() >= 1,
        "{run}"
    );
}
