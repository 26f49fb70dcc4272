use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http, on_event, subscription, take_logs};

fn ctx() -> Context {
    Context::new("asana")
}

fn added(task: &str, parent: Value) -> Value {
    json!({
        "user": {"gid": "7", "resource_type": "user"},
        "created_at": "2026-11-30T10:00:00.000Z",
        "action": "added",
        "resource": {"gid": task, "resource_type": "task", "resource_subtype": "default_task", "name": "Ship"},
        "parent": parent,
    })
}

fn task_json(gid: &str) -> Value {
    json!({"data": {
        "gid": gid, "resource_type": "task", "name": "Ship", "notes": "soon",
        "assignee": {"gid": "7", "resource_type": "user", "name": "Ada"},
        "due_on": "2027-01-02", "due_at": null, "completed": false, "completed_at": null,
        "projects": [{"gid": "3", "resource_type": "project", "name": "Launch"}],
        "memberships": [], "tags": [],
        "permalink_url": "https://app.asana.com/0/3/42", "custom_fields": []
    }})
}

#[test]
fn subscribes_to_tasks_added_to_the_project() {
    let sub = subscription::<NewTask>(json!({"project": " 3 "}), &ctx()).unwrap();
    assert_eq!(
        sub,
        json!({"resource": "3", "filters": [{"resource_type": "task", "action": "added"}]})
    );
}

#[test]
fn a_project_that_is_not_a_gid_is_refused_naming_it() {
    for input in [json!({"project": "launch"}), json!({"project": "  "})] {
        let e = subscription::<NewTask>(input, &ctx()).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::InvalidInput, Some("project"))
        );
    }
    let e = subscription::<NewTask>(json!({}), &ctx()).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("project"));
}

#[test]
fn a_task_added_to_the_project_is_read_in_full() {
    mock_http(|req| {
        assert_eq!(req.method.as_str(), "GET");
        assert_eq!(req.url, "/tasks/42");
        assert_eq!(
            req.query,
            [("opt_fields".to_string(), TASK_FIELDS.to_string())]
        );
        Ok(Response::json_of(200, &task_json("42")))
    });
    let event = added("42", json!({"gid": "3", "resource_type": "project"}));
    let out = on_event::<NewTask>(json!({"project": "3"}), event, &ctx())
        .unwrap()
        .expect("reported");
    clear_mock();
    assert_eq!(out["task"]["gid"], "42");
    assert_eq!(out["task"]["name"], "Ship");
    assert_eq!(out["task"]["assignee"]["name"], "Ada");
    assert_eq!(out["task"]["permalink_url"], "https://app.asana.com/0/3/42");
}

#[test]
fn other_events_are_not_reported_and_fetch_nothing() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    let project = json!({"project": "3"});
    let others = [
        added("42", json!({"gid": "4", "resource_type": "project"})),
        added("42", json!({"gid": "41", "resource_type": "task"})),
        added("42", Value::Null),
        json!({"user": null, "created_at": "2026-11-30T10:00:00Z", "action": "removed",
               "resource": {"gid": "42", "resource_type": "task"},
               "parent": {"gid": "3", "resource_type": "project"}}),
        json!({"user": null, "created_at": "2026-11-30T10:00:00Z", "action": "added",
               "resource": {"gid": "9", "resource_type": "story", "resource_subtype": "comment_added"},
               "parent": {"gid": "42", "resource_type": "task"}}),
        json!({"user": null, "created_at": "2026-11-30T10:00:00Z", "action": "changed",
               "resource": {"gid": "42", "resource_type": "task"}, "parent": null,
               "change": {"field": "name", "action": "changed"}}),
    ];
    for event in others {
        let out = on_event::<NewTask>(project.clone(), event.clone(), &ctx()).unwrap();
        assert_eq!(out, None, "{event}");
    }
    clear_mock();
}

#[test]
fn a_task_deleted_since_is_not_reported_and_is_logged() {
    take_logs();
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "task: Unknown object: 42"}]}),
        ))
    });
    let event = added("42", json!({"gid": "3", "resource_type": "project"}));
    let out = on_event::<NewTask>(json!({"project": "3"}), event, &ctx()).unwrap();
    clear_mock();
    assert_eq!(out, None);
    let logs = take_logs();
    assert!(
        logs.iter()
            .any(|(_, l)| l.contains("/tasks/42") && l.contains("404")),
        "{logs:?}"
    );
}

#[test]
fn a_provider_failure_while_fetching_is_an_error() {
    mock_http(|_| {
        Ok(Response::json_of(
            500,
            &json!({"errors": [{"message": "Server Error", "phrase": "6 sad squid"}]}),
        ))
    });
    let event = added("42", json!({"gid": "3", "resource_type": "project"}));
    let e = on_event::<NewTask>(json!({"project": "3"}), event, &ctx()).unwrap_err();
    clear_mock();
    assert_eq!(e.kind, ErrorKind::Provider);
}

#[test]
fn run_is_refused_and_the_manifest_describes_the_trigger() {
    let m = __cardhost_manifest();
    assert_eq!(m.id, "asana.new-task");
    assert!(m.scopes.contains(&"webhooks:write".to_string()));
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["project"]));
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    assert_eq!(output["required"], json!(["task"]));
    let sub = __cardhost_subscription(r#"{"project":"3"}"#, &ctx()).unwrap();
    assert!(sub.contains(r#""resource":"3""#));
}
