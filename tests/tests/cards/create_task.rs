//! Create Task: each of workspace, projects and parent; the default
//! workspace fallback; dates in UTC; subtypes, completion and rich text;
//! each validation error before any HTTP call; Asana's error phrase kept.

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
    assert_eq!(out["notes"], "draft");
    assert_eq!(out["completed"], false);
    assert_eq!(out["tags"][0]["gid"], seed::TAG_GID);
    assert!(out["followers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["gid"] == seed::ALAN_TURING_GID));
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
    assert_eq!(body["output"]["parent"]["gid"], seed::PARENT_TASK_GID);
    assert_eq!(body["output"]["parent"]["name"], seed::PARENT_TASK_NAME);
    assert!(body["output"]["due_at"]
        .as_str()
        .unwrap()
        .starts_with("2027-03-01T09:30:00"));
}

#[tokio::test]
async fn dates_are_sent_in_utc_with_their_start() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "Offset", "workspace": seed::WORKSPACE_GID,
                   "due_at": "2027-03-01T11:30:00+02:00", "start_at": "2027-02-28T23:00:00-01:00"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let data = sent(&fake);
    assert_eq!(data["due_at"], "2027-03-01T09:30:00Z");
    assert_eq!(data["start_at"], "2027-03-01T00:00:00Z");
    assert!(body["output"]["due_at"]
        .as_str()
        .unwrap()
        .starts_with("2027-03-01T09:30:00"));
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "Span", "workspace": seed::WORKSPACE_GID,
                   "due_on": "2027-03-05", "start_on": "2027-03-01"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let data = sent(&fake);
    assert_eq!(
        (&data["due_on"], &data["start_on"]),
        (&json!("2027-03-05"), &json!("2027-03-01"))
    );
    assert_eq!(body["output"]["start_on"], "2027-03-01");
}

#[tokio::test]
async fn a_completed_milestone_with_rich_text() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "Launch", "workspace": seed::WORKSPACE_GID, "resource_subtype": "milestone",
                   "completed": true, "html_notes": "<body>Ship <em>it</em></body>"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let data = sent(&fake);
    assert_eq!(data["resource_subtype"], "milestone");
    assert_eq!(data["completed"], true);
    assert_eq!(data["html_notes"], "<body>Ship <em>it</em></body>");
    let out = &body["output"];
    assert_eq!(out["resource_subtype"], "milestone");
    assert_eq!(out["completed"], true);
    assert_eq!(out["notes"], "Ship it");
    assert_eq!(
        fake.tasks()[0]["html_notes"],
        "<body>Ship <em>it</em></body>"
    );
}

#[tokio::test]
async fn a_server_error_keeps_asanas_phrase() {
    let (fake, host, conn) = setup().await;
    fake.inject(
        cardhost_tests::fake_asana::Fault::status("/api/1.0/tasks", 500, 1).on_method("POST"),
    );
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "x", "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("(500)"), "{message}");
    assert!(
        message.contains("Asana's error phrase \"") && message.contains("Asana support"),
        "the phrase is kept: {message}"
    );
    assert!(fake.tasks().is_empty());
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
    let date_field = format!("custom_fields.{}.date", seed::TEXT_CUSTOM_FIELD_GID);
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
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "html_notes": "Ship <em>it"}),
            "html_notes",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "html_notes": "<p>no body</p>"}),
            "html_notes",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "start_on": "2027-02-01"}),
            "start_on",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "due_on": "2027-02-02", "start_at": "2027-02-01T10:00:00Z"}),
            "start_at",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "resource_subtype": "milestone",
                   "due_on": "2027-02-02", "start_on": "2027-02-01"}),
            "start_on",
        ),
        (
            json!({"name": "x", "workspace": seed::WORKSPACE_GID, "resource_subtype": "section"}),
            "resource_subtype",
        ),
        (
            json!({"name": "x", "projects": [seed::PROJECT_GID], "memberships": [{"project": seed::PROJECT_GID}]}),
            "memberships[0].section",
        ),
        (
            json!({"name": "x", "projects": [seed::PROJECT_GID],
                   "custom_fields": {(seed::TEXT_CUSTOM_FIELD_GID): {"date": "2027-02-30"}}}),
            date_field.as_str(),
        ),
    ];
    for (input, field) in cases {
        let (status, body) = host.run("asana.create-task", &conn, input.clone()).await;
        assert_eq!(status, 400, "{input} -> {body}");
        assert_eq!(
            body["error"]["field"].as_str(),
            Some(field),
            "{input}: expected field {field}, got {body}"
        );
        let top = field.split(['.', '[']).next().unwrap();
        assert!(
            body["error"]["message"].as_str().unwrap().contains(top),
            "{input}: the message names {top}: {body}"
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
