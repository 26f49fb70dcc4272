use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http, on_event, subscription};

fn ctx() -> Context {
    Context::new("asana")
}

fn changed(field: &str) -> Value {
    json!({
        "user": {"gid": "7", "resource_type": "user"},
        "created_at": "2026-11-30T10:00:00.000Z",
        "action": "changed",
        "resource": {"gid": "42", "resource_type": "task", "resource_subtype": "default_task"},
        "parent": null,
        "change": {"field": field, "action": "changed", "new_value": {"gid": "8", "resource_type": "user"}},
    })
}

fn task() -> Value {
    json!({"data": {
        "gid": "42", "resource_type": "task", "name": "Ship", "notes": "",
        "assignee": {"gid": "8", "name": "Grace"}, "due_on": null, "due_at": null,
        "completed": false, "completed_at": null,
        "projects": [], "memberships": [], "tags": [],
        "permalink_url": "https://app.asana.com/0/3/42", "custom_fields": []
    }})
}

#[test]
fn subscribes_to_changes_of_any_field_or_of_the_fields_named() {
    let sub = subscription::<TaskUpdated>(json!({"project": "3"}), &ctx()).unwrap();
    assert_eq!(
        sub,
        json!({"resource": "3", "filters": [{"resource_type": "task", "action": "changed"}]})
    );
    let sub = subscription::<TaskUpdated>(
        json!({"project": "3", "fields": [" assignee", "due_on"]}),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        sub["filters"],
        json!([{"resource_type": "task", "action": "changed", "fields": ["assignee", "due_on"]}])
    );
}

#[test]
fn empty_field_lists_and_names_are_refused_naming_them() {
    for (input, field) in [
        (json!({"project": "3", "fields": []}), "fields"),
        (json!({"project": "3", "fields": ["name", ""]}), "fields[1]"),
        (
            json!({"project": "3", "fields": ["name", "  "]}),
            "fields[1]",
        ),
        (json!({"project": "3", "fields": [5]}), "fields[0]"),
        (json!({"project": "3", "field": ["name"]}), "field"),
    ] {
        let e = subscription::<TaskUpdated>(input.clone(), &ctx()).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::InvalidInput, Some(field)),
            "{input}: {}",
            e.message
        );
    }
}

#[test]
fn a_change_is_reported_with_the_task_and_the_field() {
    mock_http(|req| {
        assert_eq!(req.url, "/tasks/42");
        Ok(Response::json_of(200, &task()))
    });
    let out = on_event::<TaskUpdated>(json!({"project": "3"}), changed("assignee"), &ctx())
        .unwrap()
        .expect("reported");
    assert_eq!(out["changed_field"], "assignee");
    assert_eq!(out["task"]["assignee"]["name"], "Grace");
    let out = on_event::<TaskUpdated>(
        json!({"project": "3", "fields": ["assignee"]}),
        changed("assignee"),
        &ctx(),
    )
    .unwrap();
    clear_mock();
    assert!(out.is_some());
}

#[test]
fn changes_of_other_fields_and_other_events_are_not_reported() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    let input = json!({"project": "3", "fields": ["assignee", "due_on"]});
    for event in [
        changed("name"),
        json!({"user": null, "action": "added", "resource": {"gid": "42", "resource_type": "task"},
               "parent": {"gid": "3", "resource_type": "project"}}),
        json!({"user": null, "action": "deleted", "resource": {"gid": "42", "resource_type": "task"},
               "parent": null}),
    ] {
        let out = on_event::<TaskUpdated>(input.clone(), event.clone(), &ctx()).unwrap();
        assert_eq!(out, None, "{event}");
    }
    clear_mock();
}

#[test]
fn a_task_gone_since_is_not_reported() {
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "Unknown object"}]}),
        ))
    });
    let out = on_event::<TaskUpdated>(json!({"project": "3"}), changed("name"), &ctx()).unwrap();
    clear_mock();
    assert_eq!(out, None);
}
