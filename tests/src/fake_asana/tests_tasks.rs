//! Task updates and deletion, task lists, search and stories over real HTTP.

use super::seed::*;
use super::tests::{get, gids, granular_token, message, send, walk};
use super::FakeAsana;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn put_task(fake: &FakeAsana, gid: &str, data: Value) -> (StatusCode, Value) {
    send(
        fake,
        "PUT",
        PAT,
        &format!("/tasks/{gid}"),
        Some(json!({ "data": data })),
    )
    .await
}

#[tokio::test]
async fn updates_change_only_the_given_fields() {
    let fake = FakeAsana::start().await;
    let gid = OFFBOARD_TASK_GID;
    let before = fake.task(gid).unwrap();
    let (status, body) = put_task(
        &fake,
        gid,
        json!({"name": "Design the API gateway", "assignee": GRACE_HOPPER_EMAIL, "due_at": "2024-05-01T10:00:00+02:00"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["name"], "Design the API gateway");
    assert_eq!(
        data["assignee"],
        json!({"gid": GRACE_HOPPER_GID, "resource_type": "user", "name": "Grace Hopper"})
    );
    assert_eq!(data["due_at"], "2024-05-01T08:00:00.000Z");
    assert_eq!(data["due_on"], "2024-05-01");
    assert!(data.get("html_notes").is_none(), "html_notes is opt-in");
    let after = fake.task(gid).unwrap();
    assert_eq!(after["notes"], before["notes"]);
    assert_eq!(after["memberships"], before["memberships"]);
    assert_ne!(after["modified_at"], before["modified_at"]);
    assert!(after["followers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["gid"] == GRACE_HOPPER_GID));

    let (_, body) = put_task(
        &fake,
        gid,
        json!({"completed": true, "html_notes": "<body>Done <em>now</em></body>"}),
    )
    .await;
    assert_eq!(body["data"]["completed"], true);
    assert!(body["data"]["completed_at"].is_string());
    assert_eq!(body["data"]["completed_by"]["gid"], ME_GID);
    assert_eq!(fake.task(gid).unwrap()["notes"], "Done now");
    let (_, body) = put_task(
        &fake,
        gid,
        json!({"completed": false, "due_on": null, "assignee": null}),
    )
    .await;
    assert_eq!(body["data"]["completed_at"], Value::Null);
    assert_eq!(body["data"]["due_at"], Value::Null);
    assert_eq!(body["data"]["assignee"], Value::Null);
    let (_, body) = send(
        &fake,
        "PUT",
        PAT,
        &format!("/tasks/{gid}?opt_fields=name,custom_fields.display_value"),
        Some(json!({"data": {}})),
    )
    .await;
    assert_eq!(
        body["data"],
        json!({"gid": gid, "resource_type": "task", "name": "Design the API gateway", "custom_fields": []})
    );

    let (status, body) = put_task(
        &fake,
        PARENT_TASK_GID,
        json!({"custom_fields": {CUSTOM_FIELD_GID: PRIORITY_HIGH_GID, TEXT_CUSTOM_FIELD_GID: "T-1"}}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fields = body["data"]["custom_fields"].as_array().unwrap();
    assert_eq!(fields[0]["display_value"], "High");
    assert_eq!(fields[1]["text_value"], "T-1");
}

#[tokio::test]
async fn updates_are_refused_like_asana_refuses_them() {
    let fake = FakeAsana::start().await;
    let gid = OFFBOARD_TASK_GID;
    let cases = [
        (
            json!({"notes": "a", "html_notes": "<body>b</body>"}),
            "notes: ",
        ),
        (json!({"due_on": "2024-02-30"}), "due_on: "),
        (
            json!({"due_on": "2024-02-01", "due_at": "2024-02-01T10:00:00Z"}),
            "due_on: ",
        ),
        (json!({"start_on": "2024-02-01"}), "start_on: "),
        (
            json!({"assignee": MARGARET_HAMILTON_GID}),
            "assignee: Not a recognized ID",
        ),
        (json!({"html_notes": "<p>x</p>"}), "html_notes: "),
        (json!({"approval_status": "approved"}), "approval_status: "),
        (
            json!({"memberships": [{"project": PROJECT_GID}]}),
            "memberships: ",
        ),
        (
            json!({"custom_fields": {CUSTOM_FIELD_GID: PRIORITY_HIGH_GID}}),
            "custom_fields: ",
        ),
    ];
    for (data, prefix) in &cases {
        let (status, body) = put_task(&fake, gid, data.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data}: {body}");
        assert!(message(&body).starts_with(prefix), "{data}: {body}");
    }
    assert_eq!(fake.task(gid).unwrap()["name"], "Design API gateway");
    let (status, body) = put_task(&fake, gid, json!({"projects": [PROJECT_GID]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("data.projects: "), "{body}");
    let (status, body) = put_task(&fake, gid, json!({"completed": "yes"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("data.completed: "), "{body}");
    let (status, body) = put_task(&fake, gid, json!({"name": null})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("data.name: "), "{body}");
    assert_eq!(fake.take_contract_violations().len(), 3);

    let (status, body) = put_task(&fake, "999", json!({"name": "x"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "task: Unknown object: 999");
    let reader = granular_token(&fake, "tasks:read").await;
    let (status, body) = send(
        &fake,
        "PUT",
        &reader,
        &format!("/tasks/{gid}"),
        Some(json!({"data": {"name": "x"}})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("tasks:write"));
    let (status, _) = send(
        &fake,
        "PUT",
        "nope",
        &format!("/tasks/{gid}"),
        Some(json!({"data": {}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn deleted_tasks_are_gone_and_need_tasks_delete() {
    let fake = FakeAsana::start().await;
    let writer = granular_token(&fake, "tasks:read tasks:write").await;
    let path = format!("/tasks/{OFFBOARD_TASK_GID}");
    let (status, body) = send(&fake, "DELETE", &writer, &path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("tasks:delete"));
    let (status, body) = send(&fake, "DELETE", PAT, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {}}));
    assert!(fake.task(OFFBOARD_TASK_GID).is_none());
    assert!(fake.stories(OFFBOARD_TASK_GID).is_empty());
    let (status, _) = get(&fake, PAT, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&fake, "DELETE", PAT, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn get_tasks_takes_exactly_one_filter() {
    let fake = FakeAsana::start().await;
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/tasks?assignee={OFFBOARD_USER_EMAIL}&workspace={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut all: Vec<String> = OFFBOARD_OPEN_TASK_GIDS
        .iter()
        .map(|s| s.to_string())
        .collect();
    all.extend(OFFBOARD_COMPLETED_TASK_GIDS.iter().map(|s| s.to_string()));
    all.sort();
    let mut seen = gids(&body);
    seen.sort();
    assert_eq!(seen, all);
    assert_eq!(
        body["data"][0],
        json!({"gid": OFFBOARD_TASK_GID, "resource_type": "task", "name": "Design API gateway", "resource_subtype": "default_task"})
    );
    let (_, body) = get(
        &fake,
        PAT,
        &format!(
            "/tasks?assignee={OFFBOARD_USER_GID}&workspace={WORKSPACE_GID}&completed_since=now"
        ),
    )
    .await;
    assert_eq!(gids(&body), OFFBOARD_OPEN_TASK_GIDS);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/tasks?project={ROADMAP_PROJECT_GID}&completed_since=2024-02-15T00:00:00Z"),
    )
    .await;
    assert_eq!(
        gids(&body).len(),
        ROADMAP_TASK_COUNT - 2,
        "tasks completed before are left out"
    );
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/tasks?section={ROADMAP_DONE_SECTION_GID}&opt_fields=name,completed"),
    )
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    assert_eq!(body["data"][0]["completed"], true);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/tasks?project={ROADMAP_PROJECT_GID}&modified_since=2030-01-01T00:00:00Z"),
    )
    .await;
    assert_eq!(body["data"], json!([]));
    let (seen, pages) = walk(
        &fake,
        PAT,
        &format!("/tasks?project={ROADMAP_PROJECT_GID}&limit=3"),
    )
    .await;
    assert_eq!((seen.len(), pages), (ROADMAP_TASK_COUNT, 3));

    for query in [
        String::new(),
        format!("project={ROADMAP_PROJECT_GID}&section={ROADMAP_TODO_SECTION_GID}"),
        "assignee=me".to_string(),
        format!("workspace={WORKSPACE_GID}"),
        format!("project={ROADMAP_PROJECT_GID}&assignee=me&workspace={WORKSPACE_GID}"),
    ] {
        let (status, body) = get(&fake, PAT, &format!("/tasks?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(
            message(&body),
            "Must specify exactly one of project, tag, section, user task list, or assignee + workspace"
        );
    }
    let (status, body) = get(&fake, PAT, "/tasks?project=999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "project: Unknown object: 999");
    let (status, body) = get(
        &fake,
        PAT,
        &format!("/tasks?project={ROADMAP_PROJECT_GID}&completed_since=yesterday"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("completed_since: "));
    let (status, body) = get(&fake, PAT, &format!("/tasks?tag={TAG_GID}")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "tag is not a parameter of getTasks in the description"
    );
    assert!(message(&body).starts_with("tag: "), "{body}");
    assert_eq!(fake.take_contract_violations().len(), 1);
}

#[tokio::test]
async fn project_section_and_my_tasks_lists_are_paged() {
    let fake = FakeAsana::start().await;
    let (seen, pages) = walk(
        &fake,
        PAT,
        &format!("/projects/{ROADMAP_PROJECT_GID}/tasks?limit=2"),
    )
    .await;
    assert_eq!((seen.len(), pages), (ROADMAP_TASK_COUNT, 4));
    assert_eq!(seen, fake.project_tasks(ROADMAP_PROJECT_GID));
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/projects/{ROADMAP_PROJECT_GID}/tasks?completed_since=now&limit=100"),
    )
    .await;
    assert_eq!(
        body["data"].as_array().unwrap().len(),
        ROADMAP_TASK_COUNT - 2
    );
    assert_eq!(body["next_page"], Value::Null);
    let (status, _) = get(&fake, PAT, "/projects/999/tasks").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, body) = get(
        &fake,
        PAT,
        &format!("/sections/{INCIDENT_OPEN_SECTION_GID}/tasks"),
    )
    .await;
    assert_eq!(gids(&body), ["1200000000000410", "1200000000000411"]);
    let (status, body) = get(&fake, PAT, "/sections/999/tasks").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "section: Unknown object: 999");

    let path = format!("/user_task_lists/{OFFBOARD_USER_TASK_LIST_GID}/tasks");
    let (_, body) = get(&fake, PAT, &path).await;
    assert_eq!(
        body["data"].as_array().unwrap().len(),
        7,
        "complete and incomplete"
    );
    let (seen, pages) = walk(&fake, PAT, &format!("{path}?completed_since=now&limit=2")).await;
    assert_eq!(seen, OFFBOARD_OPEN_TASK_GIDS);
    assert_eq!(pages, 3);
    let (status, _) = get(&fake, PAT, "/user_task_lists/999/tasks").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Reassigning moves the task to the other person's list.
    let (status, _) = put_task(
        &fake,
        OFFBOARD_OPEN_TASK_GIDS[0],
        json!({"assignee": MANAGER_GID}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = get(&fake, PAT, &format!("{path}?completed_since=now")).await;
    assert_eq!(body["data"].as_array().unwrap().len(), 4);
    assert_eq!(fake.open_tasks_of(OFFBOARD_USER_GID).len(), 4);
}

#[tokio::test]
async fn search_is_premium_only_and_filters() {
    let fake = FakeAsana::start().await;
    let path = format!("/workspaces/{WORKSPACE_GID}/tasks/search");
    let (status, body) = get(
        &fake,
        PAT,
        &format!("{path}?assignee.any={OFFBOARD_USER_GID}&completed=false"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut seen = gids(&body);
    seen.sort();
    assert_eq!(seen, OFFBOARD_OPEN_TASK_GIDS);
    assert!(body.get("next_page").is_none(), "search does not page");

    let (_, body) = get(&fake, PAT, &format!("{path}?text=RUNBOOK")).await;
    assert_eq!(gids(&body), ["1200000000000413"]);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("{path}?projects.any={INCIDENT_PROJECT_GID}&sort_by=created_at&sort_ascending=true&limit=2"),
    )
    .await;
    assert_eq!(gids(&body).len(), 2);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("{path}?assignee.any=null&opt_fields=name"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!([{"gid": "1200000000000409", "resource_type": "task", "name": "Deprecate v1 endpoints"}])
    );
    let (_, body) = get(&fake, PAT, &format!("{path}?assignee.any=me")).await;
    assert_eq!(gids(&body), ["1200000000000406", PARENT_TASK_GID]);
    let (_, body) = get(&fake, PAT, &format!("{path}?due_on.before=2024-04-01")).await;
    assert_eq!(gids(&body), [PARENT_TASK_GID]);

    let (status, body) = get(
        &fake,
        PAT,
        &format!("/workspaces/{SECOND_WORKSPACE_GID}/tasks/search?text=x"),
    )
    .await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(message(&body), "Search is only available to premium users.");
    assert!(body["errors"][0]["help"].is_string());
    fake.set_premium(SECOND_WORKSPACE_GID, true);
    let (status, _) = get(
        &fake,
        PAT,
        &format!("/workspaces/{SECOND_WORKSPACE_GID}/tasks/search?text=x"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = get(&fake, PAT, &format!("{path}?sort_by=name")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("sort_by: "));
    let (status, body) = get(&fake, PAT, &format!("{path}?limit=101")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("limit: "));
    let (status, body) = get(&fake, PAT, &format!("{path}?has_attachment=true")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("has_attachment: "));
    let (status, _) = get(&fake, PAT, "/workspaces/999/tasks/search").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get(
        &fake,
        PAT,
        &format!("{path}?custom_fields.{CUSTOM_FIELD_GID}.is_set=true"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(fake.take_contract_violations().len(), 1);
    let stories_only = granular_token(&fake, "stories:read").await;
    let (status, _) = get(&fake, &stories_only, &path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn comments_are_added_and_listed() {
    let fake = FakeAsana::start().await;
    let path = format!("/tasks/{OFFBOARD_TASK_GID}/stories");
    let (status, body) = get(&fake, PAT, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gids(&body), [STORY_GID]);
    assert_eq!(body["data"][0]["resource_subtype"], "comment_added");
    assert_eq!(body["data"][0]["created_by"]["gid"], MANAGER_GID);
    assert!(body["data"][0].get("html_text").is_none(), "compact");

    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &path,
        Some(json!({"data": {"text": "Reassigned: Edsger left <the company>."}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["resource_type"], "story");
    assert_eq!(body["data"]["type"], "comment");
    assert_eq!(
        body["data"]["html_text"],
        "<body>Reassigned: Edsger left &lt;the company&gt;.</body>"
    );
    assert_eq!(body["data"]["created_by"]["gid"], ME_GID);
    assert_eq!(body["data"]["target"]["gid"], OFFBOARD_TASK_GID);
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &format!("{path}?opt_fields=text"),
        Some(json!({"data": {"html_text": "<body>See <strong>this</strong></body>"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        body["data"],
        json!({"gid": body["data"]["gid"], "resource_type": "story", "text": "See this"})
    );
    assert_eq!(fake.stories(OFFBOARD_TASK_GID).len(), 3);
    let (seen, pages) = walk(&fake, PAT, &format!("{path}?limit=2")).await;
    assert_eq!((seen.len(), pages), (3, 2));

    for (data, prefix) in [
        (json!({}), "text: Missing input"),
        (
            json!({"text": "a", "html_text": "<body>a</body>"}),
            "text: ",
        ),
        (json!({"html_text": "<p>x"}), "html_text: "),
        (json!({"text": "  "}), "text: "),
    ] {
        let (status, body) = send(&fake, "POST", PAT, &path, Some(json!({"data": data}))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{data}");
        assert!(message(&body).starts_with(prefix), "{body}");
    }
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        &path,
        Some(json!({"data": {"text": "x", "type": "system"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("data.type: "), "{body}");
    assert_eq!(fake.take_contract_violations().len(), 1);
    let (status, _) = send(
        &fake,
        "POST",
        PAT,
        "/tasks/999/stories",
        Some(json!({"data": {"text": "x"}})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let reader = granular_token(&fake, "stories:read").await;
    let (status, body) = send(
        &fake,
        "POST",
        &reader,
        &path,
        Some(json!({"data": {"text": "x"}})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("stories:write"));
    let (status, _) = get(&fake, &reader, &path).await;
    assert_eq!(status, StatusCode::OK);
}
