//! Create Task: each of workspace, projects and parent; the default
//! workspace fallback; each validation error before any HTTP call.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;

async fn setup() -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    (fake, host, conn)
}

fn sent(fake: &FakeAsana) -> Value {
    let req = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/api/1.0/tasks")
        .expect("POST /tasks");
    req.json().expect("JSON body")["data"].clone()
}

#[tokio::test]
async fn in_a_workspace_with_assignee_and_due_date() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "Write launch notes", "notes": "draft", "workspace": seed::WORKSPACE_GID,
                   "assignee": seed::GRACE_HOPPER_GID, "due_on": "2027-02-28",
                   "followers": [seed::ALAN_TURING_GID], "tags": [seed::TAG_GID]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert!(!out["gid"].as_str().unwrap().is_empty());
    assert_eq!(out["name"], "Write launch notes");
    assert_eq!(out["assignee"]["gid"], seed::GRACE_HOPPER_GID);
    assert_eq!(out["due_on"], "2027-02-28");
    assert_eq!(out["workspace"]["gid"], seed::WORKSPACE_GID);
    assert!(out["permalink_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let data = sent(&fake);
    assert_eq!(data["workspace"], seed::WORKSPACE_GID);
    assert_eq!(data["assignee"], seed::GRACE_HOPPER_GID);
    assert_eq!(fake.tasks().len(), 1);
}

#[tokio::test]
async fn in_a_project_and_under_a_parent() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "In project", "projects": [seed::PROJECT_GID]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["projects"][0]["gid"], seed::PROJECT_GID);
    assert_eq!(sent(&fake)["projects"], json!([seed::PROJECT_GID]));
    fake.clear_requests();
    let (status, body) = host
        .run("asana.create-task", &conn, json!({"name": "Subtask", "parent": seed::PARENT_TASK_GID, "due_at": "2027-03-01T09:30:00Z"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sent(&fake)["parent"], seed::PARENT_TASK_GID);
    assert!(body["output"]["due_at"]
        .as_str()
        .unwrap()
        .starts_with("2027-03-01T09:30:00"));
}

#[tokio::test]
async fn falls_back_to_the_default_workspace() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run("asana.create-task", &conn, json!({"name": "Anywhere"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sent(&fake)["workspace"], seed::WORKSPACE_GID);
}

#[tokio::test]
async fn validation_errors_name_the_field_and_send_nothing() {
    let (fake, host, conn) = setup().await;
    let cases = [
        (
            json!({"notes": "no name", "workspace": seed::WORKSPACE_GID}),
            "name",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "due_on": "2027-02-30"}),
            "due_on",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "due_at": "tomorrow"}),
            "due_at",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "due_on": "2027-02-01", "due_at": "2027-02-01T10:00:00Z"}),
            "due_at",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "notes": "a", "html_notes": "<body>b</body>"}),
            "html_notes",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "priority": "high"}),
            "priority",
        ),
    ];
    for (input, field) in cases {
        let (status, body) = host.run("asana.create-task", &conn, input.clone()).await;
        assert_eq!(status, 400, "{input} -> {body}");
        let got = body["error"]["field"].as_str().unwrap_or_default();
        assert!(
            got == field || (field == "due_at" && got == "due_on"),
            "{input}: expected field {field}, got {body}"
        );
    }
    assert!(
        fake.requests().is_empty(),
        "nothing reached the provider: {:?}",
        fake.requests().len()
    );
}

#[tokio::test]
async fn without_any_location_the_error_names_all_three_fields() {
    let fake = FakeAsana::start().await;
    let host = Host::start_in(&fake, tempfile::tempdir().unwrap().keep().as_path(), &[]).await;
    let (status, body) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": "no-ws", "access_token": seed::PAT}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let conn = body["connection"]["id"].as_str().unwrap().to_string();
    host.app
        .store
        .update_connection(&conn, |c, _| {
            c.default_workspace = None;
            Ok(())
        })
        .await
        .unwrap();
    let (status, body) = host
        .run("asana.create-task", &conn, json!({"name": "Nowhere"}))
        .await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    for field in ["workspace", "projects", "parent"] {
        assert!(message.contains(field), "{message}");
    }
}

#[tokio::test]
async fn the_provider_rejecting_an_id_is_reported_with_its_field() {
    let (_fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "assignee": "424242"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "assignee");
}
