//! A flow that crosses connectors: read a user in Asana, then open a GitHub
//! issue that names them, each step on a connection of its own connector.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use cardhost_tests::fake_github::{seed as github_seed, FakeGitHub};
use serde_json::json;

use crate::common::Host;
use crate::create_flow;

#[tokio::test]
async fn an_asana_user_becomes_a_github_issue() {
    let (fake, github) = (FakeAsana::start().await, FakeGitHub::start().await);
    let host = Host::start_with_github(&fake, &github).await;
    let asana = host.token_connection("team", false).await;
    let gh = host
        .github_token_connection("code", github_seed::FINE_GRAINED_TOKEN)
        .await;
    let flow = create_flow(
        &host,
        json!({
            "name": "Onboarding issue",
            "steps": [
                {"id": "person", "card": "asana.read-user", "connection": "team",
                 "input": {"user": "$.input.email"}},
                {"id": "issue", "card": "github.create-issue", "connection": "code",
                 "input": {"owner": github_seed::ORG, "repo": github_seed::PUBLIC_REPO,
                           "title": "$.steps.person.output.name",
                           "body": "$.steps.person.output.email"}}
            ]
        }),
    )
    .await;

    let (status, run) = host
        .post(
            &format!("/flows/{flow}/runs"),
            json!({"input": {"email": seed::GRACE_HOPPER_EMAIL}}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    let steps = run["steps"].as_array().unwrap();
    assert_eq!(steps[0]["connection"], asana.as_str());
    assert_eq!(steps[1]["connection"], gh.as_str());
    let name = steps[0]["output"]["name"].as_str().unwrap().to_string();
    assert_eq!(steps[1]["output"]["title"], name.as_str());

    let issues = github.issues(github_seed::ORG, github_seed::PUBLIC_REPO);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0]["title"], name.as_str());
    assert_eq!(issues[0]["body"], seed::GRACE_HOPPER_EMAIL);
    assert_eq!(
        steps[1]["calls"][0]["path"],
        format!(
            "/api/v3/repos/{}/{}/issues",
            github_seed::ORG,
            github_seed::PUBLIC_REPO
        )
    );

    // A step whose connection belongs to another connector is refused at save.
    let (status, body) = host
        .post(
            "/flows",
            json!({"name": "Wrong", "steps": [
                {"id": "issue", "card": "github.create-issue", "connection": "team",
                 "input": {"owner": "o", "repo": "r", "title": "t"}}
            ]}),
        )
        .await;
    assert!(matches!(status, 400 | 422), "{status} {body}");
    assert!(
        body["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .contains("connection"),
        "{body}"
    );
}
