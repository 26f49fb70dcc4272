//! The task cards against the fake Asana: read, update, delete, list (by
//! project, section or assignee), My Tasks, search and comments. Each card's
//! success, its validation errors (400 naming the field, nothing sent), a
//! 404 naming the input at fault, a 403 for a missing scope, paging past one
//! page where the card lists, and an offboarding flow that lists a user's
//! open tasks and reassigns the first.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;

/// A gid no object has.
const UNKNOWN_GID: &str = "1200000000009999";

async fn setup() -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    (fake, host, conn)
}

/// Runs `card`, expecting a 404 naming `field`.
async fn not_found(host: &Host, conn: &str, card: &str, input: Value, field: &str) {
    let (status, body) = host.run(card, conn, input.clone()).await;
    assert_eq!(status, 404, "{card} {input} -> {body}");
    assert_eq!(body["error"]["code"], "not_found", "{body}");
    assert_eq!(body["error"]["field"], field, "{card} {input}: {body}");
}

/// The paths (without query) of the requests Asana received, in order.
fn paths(fake: &FakeAsana) -> Vec<String> {
    fake.requests().into_iter().map(|r| r.path).collect()
}

/// The query of the `i`-th request Asana received.
fn query(fake: &FakeAsana, i: usize) -> Vec<(String, String)> {
    fake.requests()[i].query.clone()
}

fn gids(out: &Value) -> Vec<String> {
    out["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["gid"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn read_task() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.read-task",
            &conn,
            json!({"task": seed::OFFBOARD_TASK_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(out["gid"], seed::OFFBOARD_TASK_GID);
    assert_eq!(out["assignee"]["gid"], seed::OFFBOARD_USER_GID);
    assert_eq!(out["assignee"]["name"], seed::OFFBOARD_USER_NAME);
    assert_eq!(out["completed"], false);
    assert_eq!(out["projects"][0]["gid"], seed::ROADMAP_PROJECT_GID);
    assert_eq!(
        out["memberships"][0]["project"]["name"],
        seed::ROADMAP_PROJECT_NAME
    );
    assert!(out["memberships"][0]["section"]["gid"].is_string(), "{out}");
    assert!(out["permalink_url"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert!(
        out["custom_fields"].is_array() && out["tags"].is_array(),
        "{out}"
    );

    // Custom field values, in their compact form, on a task of Launch Plan.
    let (status, body) = host
        .run(
            "asana.create-task",
            &conn,
            json!({"name": "Prioritised", "projects": [seed::PROJECT_GID],
                   "custom_fields": {(seed::CUSTOM_FIELD_GID): seed::PRIORITY_HIGH_GID}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let created = body["output"]["gid"].as_str().unwrap().to_string();
    let (status, body) = host
        .run("asana.read-task", &conn, json!({"task": created}))
        .await;
    assert_eq!(status, 200, "{body}");
    let priority = body["output"]["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["gid"] == seed::CUSTOM_FIELD_GID)
        .cloned()
        .unwrap_or_else(|| panic!("the priority field: {body}"));
    assert_eq!(priority["resource_subtype"], "enum", "{priority}");
    assert!(priority["name"].is_string(), "{priority}");
    assert!(priority["display_value"].is_string(), "{priority}");

    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.read-task",
        &[
            (json!({}), "task"),
            (json!({"task": " "}), "task"),
            (json!({"task": "12/../34"}), "task"),
            (
                json!({"task": seed::OFFBOARD_TASK_GID, "opt_fields": "all"}),
                "opt_fields",
            ),
        ],
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.read-task",
        json!({"task": UNKNOWN_GID}),
        "task",
    )
    .await;
}

#[tokio::test]
async fn update_task_reassigns_and_unassigns() {
    let (fake, host, conn) = setup().await;
    let task = seed::OFFBOARD_TASK_GID;
    let (status, body) = host
        .run(
            "asana.update-task",
            &conn,
            json!({"task": task, "assignee": seed::MANAGER_EMAIL, "due_at": "2027-03-01T11:30:00+02:00",
                   "name": "Design API gateway (handed over)"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(out["gid"], task);
    assert_eq!(out["assignee"]["gid"], seed::MANAGER_GID);
    assert_eq!(out["assignee"]["name"], seed::MANAGER_NAME);
    assert_eq!(out["name"], "Design API gateway (handed over)");
    assert!(out["due_at"]
        .as_str()
        .unwrap()
        .starts_with("2027-03-01T09:30:00"));
    let put = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .unwrap();
    assert_eq!(put.path, format!("/api/1.0/tasks/{task}"));
    assert_eq!(
        put.json().unwrap()["data"],
        json!({"assignee": seed::MANAGER_EMAIL, "due_at": "2027-03-01T09:30:00Z",
               "name": "Design API gateway (handed over)"})
    );
    assert_eq!(
        fake.task(task).unwrap()["assignee"]["gid"],
        seed::MANAGER_GID
    );

    // null unassigns and clears the due date; completion is a field of its own.
    let (status, body) = host
        .run(
            "asana.update-task",
            &conn,
            json!({"task": task, "assignee": null, "due_at": null, "completed": true}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["assignee"], Value::Null);
    assert_eq!(body["output"]["due_at"], Value::Null);
    assert_eq!(body["output"]["completed"], true);
    assert!(body["output"]["completed_at"].is_string(), "{body}");

    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.update-task",
        &[
            (json!({"task": task}), "task"),
            (json!({"assignee": "me"}), "task"),
            (json!({"task": "x y", "completed": true}), "task"),
            (json!({"task": task, "name": "  "}), "name"),
            (json!({"task": task, "assignee": ""}), "assignee"),
            (json!({"task": task, "due_on": "2027-02-30"}), "due_on"),
            (json!({"task": task, "due_at": "tomorrow"}), "due_at"),
            (
                json!({"task": task, "due_on": "2027-02-01", "due_at": "2027-02-01T10:00:00Z"}),
                "due_at",
            ),
            (json!({"task": task, "completed": "yes"}), "completed"),
            (
                json!({"task": task, "projects": [seed::PROJECT_GID]}),
                "projects",
            ),
        ],
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.update-task",
        json!({"task": UNKNOWN_GID, "completed": true}),
        "task",
    )
    .await;
}

#[tokio::test]
async fn delete_task() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.delete-task",
            &conn,
            json!({"task": seed::OFFBOARD_TASK_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"],
        json!({"deleted": true, "task": seed::OFFBOARD_TASK_GID})
    );
    assert_eq!(
        fake.count(
            "DELETE",
            &format!("/api/1.0/tasks/{}", seed::OFFBOARD_TASK_GID)
        ),
        1
    );
    assert!(fake.task(seed::OFFBOARD_TASK_GID).is_none());
    // Gone: reading or deleting it again is a 404 naming `task`.
    not_found(
        &host,
        &conn,
        "asana.read-task",
        json!({"task": seed::OFFBOARD_TASK_GID}),
        "task",
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.delete-task",
        json!({"task": seed::OFFBOARD_TASK_GID}),
        "task",
    )
    .await;
    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.delete-task",
        &[
            (json!({}), "task"),
            (json!({"task": ""}), "task"),
            (json!({"task": "../projects/1"}), "task"),
            (json!({"task": "1", "permanently": true}), "permanently"),
        ],
    )
    .await;
}

#[tokio::test]
async fn list_tasks_by_project_section_and_assignee() {
    let (fake, host, conn) = setup().await;
    // A project's tasks over three pages of three.
    let (status, body) = host
        .run(
            "asana.list-tasks",
            &conn,
            json!({"project": seed::ROADMAP_PROJECT_GID, "page_size": 3}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(out["count"], seed::ROADMAP_TASK_COUNT);
    assert_eq!(out["more"], false);
    assert_eq!(gids(out), fake.project_tasks(seed::ROADMAP_PROJECT_GID));
    let path = format!("/api/1.0/projects/{}/tasks", seed::ROADMAP_PROJECT_GID);
    assert_eq!(paths(&fake), vec![path.clone(), path.clone(), path]);
    assert!(query(&fake, 1).iter().any(|(k, _)| k == "offset"));
    assert!(out["tasks"][0]["name"].is_string(), "{out}");
    assert!(out["tasks"][0].get("permalink_url").is_some(), "{out}");

    // A limit below what there is stops early and says there is more.
    let (status, body) = host
        .run(
            "asana.list-tasks",
            &conn,
            json!({"project": seed::ROADMAP_PROJECT_GID, "limit": 4, "page_size": 3}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["output"]["count"], &body["output"]["more"]),
        (&json!(4), &json!(true))
    );

    // A section's open tasks.
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.list-tasks",
            &conn,
            json!({"section": seed::ROADMAP_DONE_SECTION_GID, "completed_since": "now"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["output"]["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["completed"] == false));
    assert_eq!(
        paths(&fake),
        [format!(
            "/api/1.0/sections/{}/tasks",
            seed::ROADMAP_DONE_SECTION_GID
        )]
    );

    // An assignee's open tasks, in the connection's default workspace.
    fake.clear_requests();
    let (status, body) = host
        .run(
            "asana.list-tasks",
            &conn,
            json!({"assignee": seed::OFFBOARD_USER_EMAIL, "completed_since": "now", "page_size": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let mut open = gids(&body["output"]);
    open.sort();
    assert_eq!(open, seed::OFFBOARD_OPEN_TASK_GIDS);
    assert_eq!(paths(&fake).len(), 3, "five tasks in pages of two");
    let q = query(&fake, 0);
    for pair in [
        ("assignee", seed::OFFBOARD_USER_EMAIL),
        ("workspace", seed::WORKSPACE_GID),
        ("completed_since", "now"),
    ] {
        assert!(
            q.contains(&(pair.0.to_string(), pair.1.to_string())),
            "{q:?}"
        );
    }

    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.list-tasks",
        &[
            (json!({}), "project"),
            (
                json!({"project": seed::ROADMAP_PROJECT_GID, "section": seed::ROADMAP_DONE_SECTION_GID}),
                "section",
            ),
            (json!({"project": seed::ROADMAP_PROJECT_GID, "assignee": "me"}), "assignee"),
            (
                json!({"project": seed::ROADMAP_PROJECT_GID, "workspace": seed::WORKSPACE_GID}),
                "workspace",
            ),
            (
                json!({"project": seed::ROADMAP_PROJECT_GID, "completed_since": "yesterday"}),
                "completed_since",
            ),
            (json!({"assignee": "me", "limit": 0}), "limit"),
            (json!({"assignee": "me", "page_size": 101}), "page_size"),
            (json!({"assignee": "me", "max_pages": 0}), "max_pages"),
            (json!({"section": "a/b"}), "section"),
            (json!({"tag": seed::TAG_GID}), "tag"),
        ],
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.list-tasks",
        json!({"project": UNKNOWN_GID}),
        "project",
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.list-tasks",
        json!({"section": UNKNOWN_GID}),
        "section",
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.list-tasks",
        json!({"assignee": "me", "workspace": UNKNOWN_GID}),
        "workspace",
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.list-tasks",
        json!({"assignee": UNKNOWN_GID}),
        "assignee",
    )
    .await;
}

#[tokio::test]
async fn read_user_tasks_lists_my_tasks() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.read-user-tasks",
            &conn,
            json!({"user": seed::OFFBOARD_USER_EMAIL, "completed_since": "now", "page_size": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert_eq!(out["user_task_list"], seed::OFFBOARD_USER_TASK_LIST_GID);
    assert_eq!(out["user"]["gid"], seed::OFFBOARD_USER_GID);
    let mut open = gids(out);
    open.sort();
    assert_eq!(open, seed::OFFBOARD_OPEN_TASK_GIDS);
    assert_eq!(out["count"], 5);
    assert_eq!(out["more"], false);
    let list = format!(
        "/api/1.0/user_task_lists/{}/tasks",
        seed::OFFBOARD_USER_TASK_LIST_GID
    );
    assert_eq!(
        paths(&fake),
        vec![
            format!(
                "/api/1.0/users/{}/user_task_list",
                seed::OFFBOARD_USER_EMAIL
            ),
            list.clone(),
            list.clone(),
            list
        ]
    );
    assert!(query(&fake, 0).contains(&("workspace".into(), seed::WORKSPACE_GID.into())));

    // Without completed_since, the completed ones too.
    let (status, body) = host
        .run(
            "asana.read-user-tasks",
            &conn,
            json!({"user": seed::OFFBOARD_USER_GID, "workspace": seed::WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["count"], 7);

    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.read-user-tasks",
        &[
            (json!({}), "user"),
            (json!({"user": ""}), "user"),
            (json!({"user": "me/x"}), "user"),
            (json!({"user": "me", "workspace": "1/2"}), "workspace"),
            (
                json!({"user": "me", "completed_since": "soon"}),
                "completed_since",
            ),
            (json!({"user": "me", "limit": 1001}), "limit"),
            (
                json!({"user": "me", "project": seed::PROJECT_GID}),
                "project",
            ),
        ],
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.read-user-tasks",
        json!({"user": UNKNOWN_GID}),
        "user",
    )
    .await;
    // Asana answers an unknown workspace here with a 400 naming it.
    let (status, body) = host
        .run(
            "asana.read-user-tasks",
            &conn,
            json!({"user": "me", "workspace": UNKNOWN_GID}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "workspace", "{body}");
}

#[tokio::test]
async fn search_tasks_in_a_premium_workspace_only() {
    let (fake, host, conn) = setup().await;
    let (status, body) = host
        .run(
            "asana.search-tasks",
            &conn,
            json!({"assignee": seed::OFFBOARD_USER_GID, "completed": false, "sort_by": "created_at",
                   "sort_ascending": true, "limit": 10}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    let mut found = gids(out);
    found.sort();
    assert_eq!(found, seed::OFFBOARD_OPEN_TASK_GIDS);
    assert_eq!(out["count"], 5);
    assert_eq!(out["more"], false);
    assert_eq!(
        paths(&fake),
        [format!(
            "/api/1.0/workspaces/{}/tasks/search",
            seed::WORKSPACE_GID
        )]
    );
    let q = query(&fake, 0);
    for pair in [
        ("assignee.any", seed::OFFBOARD_USER_GID),
        ("completed", "false"),
        ("sort_by", "created_at"),
        ("limit", "10"),
    ] {
        assert!(
            q.contains(&(pair.0.to_string(), pair.1.to_string())),
            "{q:?}"
        );
    }

    // A full page says more may match.
    let (status, body) = host
        .run(
            "asana.search-tasks",
            &conn,
            json!({"project": seed::ROADMAP_PROJECT_GID, "limit": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["output"]["count"], &body["output"]["more"]),
        (&json!(2), &json!(true))
    );

    // A workspace without Premium: Asana's 402 becomes a clear error.
    let (status, body) = host
        .run(
            "asana.search-tasks",
            &conn,
            json!({"text": "garden", "workspace": seed::SECOND_WORKSPACE_GID}),
        )
        .await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "provider_forbidden", "{body}");
    assert_eq!(body["error"]["field"], "workspace", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("needs Asana Premium (or higher) for task search"),
        "{message}"
    );

    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.search-tasks",
        &[
            (json!({"limit": 0}), "limit"),
            (json!({"limit": 101}), "limit"),
            (json!({"sort_by": "name"}), "sort_by"),
            (json!({"assignee": " "}), "assignee"),
            (json!({"project": "launch plan"}), "project"),
            (json!({"workspace": "1/2"}), "workspace"),
            (json!({"offset": "abc"}), "offset"),
        ],
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.search-tasks",
        json!({"workspace": UNKNOWN_GID, "text": "x"}),
        "workspace",
    )
    .await;
}

#[tokio::test]
async fn add_comment_in_plain_and_rich_text() {
    let (fake, host, conn) = setup().await;
    let task = seed::OFFBOARD_TASK_GID;
    let before = fake.stories(task).len();
    let (status, body) = host
        .run(
            "asana.add-comment",
            &conn,
            json!({"task": task, "text": "Handed over to Dorothy"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out = &body["output"];
    assert!(out["gid"].is_string(), "{out}");
    assert_eq!(out["text"], "Handed over to Dorothy");
    assert!(out["created_at"].is_string(), "{out}");
    assert_eq!(out["created_by"]["gid"], seed::ME_GID);
    assert_eq!(out["created_by"]["name"], seed::ME_NAME);

    let html = "<body>Handed over to <strong>Dorothy</strong></body>";
    let (status, body) = host
        .run(
            "asana.add-comment",
            &conn,
            json!({"task": task, "html_text": html}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let post = fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == "POST")
        .unwrap();
    assert_eq!(post.path, format!("/api/1.0/tasks/{task}/stories"));
    assert_eq!(post.json().unwrap()["data"], json!({"html_text": html}));
    assert_eq!(fake.stories(task).len(), before + 2);

    crate::refused_before_any_request(
        &fake,
        &host,
        &conn,
        "asana.add-comment",
        &[
            (json!({"text": "x"}), "task"),
            (json!({"task": task}), "text"),
            (json!({"task": task, "text": ""}), "text"),
            (
                json!({"task": task, "text": "a", "html_text": "<body>b</body>"}),
                "html_text",
            ),
            (
                json!({"task": task, "html_text": "Handed <b>over"}),
                "html_text",
            ),
            (
                json!({"task": task, "html_text": "<p>no body</p>"}),
                "html_text",
            ),
            (
                json!({"task": task, "text": "x", "sticker_name": "heart"}),
                "sticker_name",
            ),
        ],
    )
    .await;
    not_found(
        &host,
        &conn,
        "asana.add-comment",
        json!({"task": UNKNOWN_GID, "text": "x"}),
        "task",
    )
    .await;
}

/// An OAuth connection granted only `scopes`, consent approved at the fake.
async fn scoped_connection(host: &Host, nickname: &str, scopes: &[&str]) -> String {
    let (status, created) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": nickname, "scopes": scopes}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["connection"]["id"].as_str().unwrap().to_string();
    let callback = host
        .approve(created["authorize_url"].as_str().unwrap())
        .await;
    let r = host.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    id
}

#[tokio::test]
async fn each_card_needs_its_scope() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let task = seed::OFFBOARD_TASK_GID;
    let cards = [
        ("asana.read-task", json!({"task": task}), "tasks:read"),
        (
            "asana.update-task",
            json!({"task": task, "completed": true}),
            "tasks:write",
        ),
        ("asana.delete-task", json!({"task": task}), "tasks:delete"),
        (
            "asana.list-tasks",
            json!({"project": seed::ROADMAP_PROJECT_GID}),
            "tasks:read",
        ),
        ("asana.read-user-tasks", json!({"user": "me"}), "tasks:read"),
        ("asana.search-tasks", json!({"text": "API"}), "tasks:read"),
        (
            "asana.add-comment",
            json!({"task": task, "text": "x"}),
            "stories:write",
        ),
    ];
    // Granted only users:read, every task card is refused before any call.
    let readonly = scoped_connection(&host, "users-only", &["users:read"]).await;
    fake.clear_requests();
    for (card, input, scope) in &cards {
        let (status, body) = host.run(card, &readonly, input.clone()).await;
        assert_eq!(status, 403, "{card}: {body}");
        assert_eq!(body["error"]["code"], "missing_scopes", "{card}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(scope), "{card}: {message}");
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());

    // Granted tasks:read, the reading cards run and the others are refused.
    let reader = scoped_connection(&host, "reader", &["users:read", "tasks:read"]).await;
    for (card, input, scope) in &cards {
        let (status, body) = host.run(card, &reader, input.clone()).await;
        let expected = if *scope == "tasks:read" { 200 } else { 403 };
        assert_eq!(status, expected, "{card}: {body}");
    }
    // tasks:write does not imply tasks:delete.
    let writer = scoped_connection(&host, "writer", &["tasks:write"]).await;
    let (status, body) = host
        .run("asana.delete-task", &writer, json!({"task": task}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(fake.task(task).is_some());
}

/// What an offboarding flow does today, one step per task: list the user's
/// open tasks and reassign the first to their manager with a comment.
#[tokio::test]
async fn an_offboarding_flow_reassigns_an_open_task() {
    let (fake, host, _conn) = setup().await;
    let (status, body) = host
        .post(
            "/flows",
            json!({
                "name": "Offboard",
                "steps": [
                    {"id": "open", "card": "asana.read-user-tasks", "connection": "ada",
                     "input": {"user": "$.input.email", "completed_since": "now"}},
                    {"id": "reassign", "card": "asana.update-task", "connection": "ada",
                     "input": {"task": "$.steps.open.output.tasks[0].gid", "assignee": "$.input.manager"}},
                    {"id": "note", "card": "asana.add-comment", "connection": "ada",
                     "input": {"task": "$.steps.reassign.output.gid",
                               "text": "Reassigned while offboarding"}}
                ]
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let flow = body["id"].as_str().unwrap().to_string();
    let (status, run) = host
        .post(
            &format!("/flows/{flow}/runs"),
            json!({"input": {"email": seed::OFFBOARD_USER_EMAIL, "manager": seed::MANAGER_GID}}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    let first = run["steps"][0]["output"]["tasks"][0]["gid"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        first,
        seed::OFFBOARD_TASK_GID,
        "kept in the run record as it is"
    );
    assert_eq!(run["steps"][1]["input"]["task"], first.as_str());
    assert_eq!(run["steps"][1]["output"]["gid"], first.as_str());
    assert_eq!(
        run["steps"][1]["output"]["assignee"]["gid"],
        seed::MANAGER_GID
    );
    assert_eq!(
        fake.open_tasks_of(seed::OFFBOARD_USER_GID).len(),
        seed::OFFBOARD_OPEN_TASK_GIDS.len() - 1
    );
    assert!(
        fake.open_tasks_of(seed::MANAGER_GID).contains(&first),
        "{first} in {:?}",
        fake.open_tasks_of(seed::MANAGER_GID)
    );
    assert!(fake
        .stories(&first)
        .iter()
        .any(|s| s["text"] == "Reassigned while offboarding"));
}
