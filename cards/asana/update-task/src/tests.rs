use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

/// Runs `input` against a mock answering `status` with `body`; the output
/// and the `data` sent.
fn run_sent(input: Value, status: u16, body: Value) -> (Result<Value, CardError>, Value) {
    let sent = Rc::new(RefCell::new(Value::Null));
    let keep = sent.clone();
    mock_http(move |req| {
        assert_eq!(req.method.as_str(), "PUT");
        assert_eq!(req.url, "/tasks/42");
        assert_eq!(
            req.query,
            [("opt_fields".to_string(), TASK_FIELDS.to_string())]
        );
        let json: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
        *keep.borrow_mut() = json["data"].clone();
        Ok(Response::json_of(status, &body))
    });
    let out = run(input);
    clear_mock();
    let data = sent.borrow().clone();
    (out, data)
}

fn updated() -> Value {
    json!({"data": {"gid": "42", "name": "Ship", "notes": "", "completed": true,
                    "completed_at": "2027-01-02T10:00:00.000Z",
                    "assignee": {"gid": "7", "name": "Grace", "resource_type": "user"},
                    "due_on": null, "due_at": "2027-01-02T09:00:00.000Z",
                    "permalink_url": "https://app.asana.com/0/0/42"}})
}

#[test]
fn sends_only_what_changes_and_returns_the_task() {
    let (out, data) = run_sent(
        json!({"task": "42", "assignee": "grace@x.io", "completed": true,
               "due_at": "2027-01-02T10:00:00+01:00", "name": " Ship "}),
        200,
        updated(),
    );
    assert_eq!(
        data,
        json!({"assignee": "grace@x.io", "completed": true, "due_at": "2027-01-02T09:00:00Z", "name": "Ship"})
    );
    let out = out.unwrap();
    assert_eq!(out["assignee"], json!({"gid": "7", "name": "Grace"}));
    assert_eq!(out["completed_at"], "2027-01-02T10:00:00.000Z");
    assert_eq!(out["due_on"], Value::Null);
}

#[test]
fn null_unassigns_and_clears_the_due_date() {
    let (out, data) = run_sent(
        json!({"task": "42", "assignee": null, "due_on": null}),
        200,
        updated(),
    );
    out.unwrap();
    assert_eq!(data, json!({"assignee": null, "due_on": null}));
    let (_, data) = run_sent(
        json!({"task": "42", "due_on": "2027-02-28", "notes": ""}),
        200,
        updated(),
    );
    assert_eq!(data, json!({"due_on": "2027-02-28", "notes": ""}));
    let (_, data) = run_sent(json!({"task": "42", "completed": false}), 200, updated());
    assert_eq!(data, json!({"completed": false}));
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({"task": "42"}), "task"),
        (json!({"name": "x"}), "task"),
        (json!({"task": "4/2", "name": "x"}), "task"),
        (json!({"task": "42", "name": " "}), "name"),
        (json!({"task": "42", "assignee": ""}), "assignee"),
        (json!({"task": "42", "assignee": 7}), "assignee"),
        (json!({"task": "42", "due_on": "2027-02-30"}), "due_on"),
        (json!({"task": "42", "due_on": "tomorrow"}), "due_on"),
        (
            json!({"task": "42", "due_at": "2027-02-01 10:00"}),
            "due_at",
        ),
        (
            json!({"task": "42", "due_on": "2027-02-01", "due_at": "2027-02-01T10:00:00Z"}),
            "due_at",
        ),
        (
            json!({"task": "42", "due_on": null, "due_at": null}),
            "due_at",
        ),
        (json!({"task": "42", "completed": "yes"}), "completed"),
        (json!({"task": "42", "projects": ["1"]}), "projects"),
    ] {
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}: {}", e.message);
        assert!(e.message.contains(field), "{input}: {}", e.message);
    }
    clear_mock();
}

#[test]
fn asana_errors_map_to_kinds() {
    let (out, _) = run_sent(
        json!({"task": "42", "completed": true}),
        404,
        json!({"errors": [{"message": "task: Unknown object: 42"}]}),
    );
    let e = out.unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::NotFound, Some("task"))
    );
    let (out, _) = run_sent(
        json!({"task": "42", "assignee": "nobody@x.io"}),
        400,
        json!({"errors": [{"message": "assignee: Not a user in Organization: nobody@x.io"}]}),
    );
    let e = out.unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::InvalidInput, Some("assignee"))
    );
    let (out, _) = run_sent(
        json!({"task": "42", "completed": true}),
        403,
        json!({"errors": [{"message": "You do not have access to this task."}]}),
    );
    assert_eq!(out.unwrap_err().kind, ErrorKind::Forbidden);
}
