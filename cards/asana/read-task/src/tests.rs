use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

fn answer(status: u16, body: Value) {
    mock_http(move |_| Ok(Response::json_of(status, &body)));
}

#[test]
fn reads_the_task_with_its_fields() {
    mock_http(|req| {
        assert_eq!(req.method.as_str(), "GET");
        assert_eq!(req.url, "/tasks/42");
        assert_eq!(
            req.query,
            [("opt_fields".to_string(), TASK_FIELDS.to_string())]
        );
        assert_eq!(req.body, None);
        Ok(Response::json_of(
            200,
            &json!({"data": {
                "gid": "42", "resource_type": "task", "name": "Ship", "notes": "soon",
                "assignee": {"gid": "7", "resource_type": "user", "name": "Ada"},
                "due_on": "2027-01-02", "due_at": null, "completed": false,
                "projects": [{"gid": "3", "resource_type": "project", "name": "Launch"}],
                "memberships": [{"project": {"gid": "3", "name": "Launch"},
                                 "section": {"gid": "4", "name": "Doing"}}],
                "tags": [{"gid": "5", "name": "urgent"}],
                "permalink_url": "https://app.asana.com/0/3/42",
                "custom_fields": [{"gid": "6", "resource_type": "custom_field", "name": "Priority",
                                   "resource_subtype": "enum", "display_value": "High",
                                   "enum_value": {"gid": "61", "name": "High"}}]
            }}),
        ))
    });
    let out = run(json!({"task": " 42 "})).unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({
            "gid": "42", "name": "Ship", "notes": "soon", "assignee": {"gid": "7", "name": "Ada"},
            "due_on": "2027-01-02", "due_at": null, "completed": false, "completed_at": null,
            "projects": [{"gid": "3", "name": "Launch"}],
            "memberships": [{"project": {"gid": "3", "name": "Launch"}, "section": {"gid": "4", "name": "Doing"}}],
            "tags": [{"gid": "5", "name": "urgent"}],
            "permalink_url": "https://app.asana.com/0/3/42",
            "custom_fields": [{"gid": "6", "name": "Priority", "resource_subtype": "enum", "display_value": "High"}]
        })
    );
}

#[test]
fn a_bare_task_has_empty_lists_and_nulls() {
    answer(200, json!({"data": {"gid": "42"}}));
    let out = run(json!({"task": "42"})).unwrap();
    clear_mock();
    assert_eq!(out["assignee"], Value::Null);
    assert_eq!(out["projects"], json!([]));
    assert_eq!(out["custom_fields"], json!([]));
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({}), "task"),
        (json!({"task": ""}), "task"),
        (json!({"task": "1/2"}), "task"),
        (json!({"task": "1", "fields": "all"}), "fields"),
        (json!({"task": 42}), "task"),
    ] {
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}: {}", e.message);
    }
    clear_mock();
}

#[test]
fn asana_errors_map_to_kinds() {
    answer(
        404,
        json!({"errors": [{"message": "task: Unknown object: 9"}]}),
    );
    let e = run(json!({"task": "9"})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_eq!(e.field.as_deref(), Some("task"));
    answer(
        403,
        json!({"errors": [{"message": "You do not have access to this task."}]}),
    );
    let e = run(json!({"task": "9"})).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    clear_mock();
}
