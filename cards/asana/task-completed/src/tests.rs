use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http, on_event, subscription};

fn ctx() -> Context {
    Context::new("asana")
}

fn changed(task: &str, field: &str) -> Value {
    json!({
        "user": {"gid": "7", "resource_type": "user"},
        "created_at": "2026-11-30T10:00:00.000Z",
        "action": "changed",
        "resource": {"gid": task, "resource_type": "task", "resource_subtype": "default_task"},
        "parent": null,
        "change": {"field": field, "action": "changed"},
    })
}

fn task(completed: bool) -> Value {
    json!({"data": {
        "gid": "42", "resource_type": "task", "name": "Ship", "notes": "",
        "assignee": null, "due_on": null, "due_at": null,
        "completed": completed, "completed_at": if completed { json!("2026-11-30T10:00:00.000Z") } else { Value::Null },
        "projects": [], "memberships": [], "tags": [],
        "permalink_url": "https://app.asana.com/0/3/42", "custom_fields": []
    }})
}

#[test]
fn subscribes_to_completion_changes_of_the_projects_tasks() {
    let sub = subscription::<TaskCompleted>(json!({"project": "3"}), &ctx()).unwrap();
    assert_eq!(
        sub,
        json!({"resource": "3", "filters": [
            {"resource_type": "task", "action": "changed", "fields": ["completed"]}
        ]})
    );
    let e = subscription::<TaskCompleted>(json!({"project": "x"}), &ctx()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("project"));
}

#[test]
fn a_completed_task_is_reported() {
    mock_http(|req| {
        assert_eq!(req.url, "/tasks/42");
        assert_eq!(
            req.query,
            [("opt_fields".to_string(), TASK_FIELDS.to_string())]
        );
        Ok(Response::json_of(200, &task(true)))
    });
    let out =
        on_event::<TaskCompleted>(json!({"project": "3"}), changed("42", "completed"), &ctx())
            .unwrap()
            .expect("reported");
    clear_mock();
    assert_eq!(out["task"]["gid"], "42");
    assert_eq!(out["task"]["completed"], true);
}

#[test]
fn a_task_marked_incomplete_is_not_reported() {
    mock_http(|_| Ok(Response::json_of(200, &task(false))));
    let out =
        on_event::<TaskCompleted>(json!({"project": "3"}), changed("42", "completed"), &ctx())
            .unwrap();
    clear_mock();
    assert_eq!(out, None);
}

#[test]
fn other_changes_and_a_deleted_task_are_not_reported() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for event in [
        changed("42", "name"),
        json!({"user": null, "action": "added", "resource": {"gid": "42", "resource_type": "task"},
               "parent": {"gid": "3", "resource_type": "project"}}),
        json!({"user": null, "action": "changed", "resource": {"gid": "3", "resource_type": "project"},
               "parent": null, "change": {"field": "completed", "action": "changed"}}),
    ] {
        let out =
            on_event::<TaskCompleted>(json!({"project": "3"}), event.clone(), &ctx()).unwrap();
        assert_eq!(out, None, "{event}");
    }
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "Unknown object"}]}),
        ))
    });
    let out =
        on_event::<TaskCompleted>(json!({"project": "3"}), changed("42", "completed"), &ctx())
            .unwrap();
    clear_mock();
    assert_eq!(out, None);
}

#[test]
fn an_event_that_is_not_an_asana_event_is_an_error() {
    let e = on_event::<TaskCompleted>(json!({"project": "3"}), json!({"hello": 1}), &ctx())
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal);
    assert!(e.message.contains("event"), "{}", e.message);
}
