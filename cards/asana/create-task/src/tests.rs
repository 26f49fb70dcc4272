use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn ctx() -> Context {
    Context::new("asana")
}

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

/// Runs with an HTTP mock that fails the test if called.
fn run_offline(input: Value, ctx: &Context) -> CardError {
    mock_http(|req| {
        panic!(
            "no HTTP call expected before validation, got {} {}",
            req.method.as_str(),
            req.url
        )
    });
    let err = run(input, ctx).unwrap_err();
    clear_mock();
    err
}

fn field(err: &CardError) -> Option<&str> {
    err.field.as_deref()
}

#[test]
fn validates_before_any_call() {
    let c = ctx().with_default_workspace("1");
    let cases = [
        (json!({"name": " "}), "name"),
        (
            json!({"name": "t", "notes": "a", "html_notes": "<body>a</body>"}),
            "html_notes",
        ),
        (
            json!({"name": "t", "due_on": "2024-01-01", "due_at": "2024-01-01T00:00:00Z"}),
            "due_at",
        ),
        (json!({"name": "t", "due_on": "2023-02-29"}), "due_on"),
        (json!({"name": "t", "due_on": "tomorrow"}), "due_on"),
        (json!({"name": "t", "due_at": "2024-01-01 10:00"}), "due_at"),
        (json!({"name": "t", "projects": ["1", ""]}), "projects[1]"),
        (json!({"name": "t", "followers": [""]}), "followers[0]"),
        (
            json!({"name": "t", "custom_fields": {"": "x"}}),
            "custom_fields.",
        ),
        (
            json!({"name": "t", "custom_fields": {"1": true}}),
            "custom_fields.1",
        ),
        (json!({"name": "t", "colour": "red"}), "colour"),
        (json!({"notes": "no name"}), "name"),
        (
            json!({"name": "t", "html_notes": "plain text"}),
            "html_notes",
        ),
        (
            json!({"name": "t", "html_notes": "<body><b>x</body>"}),
            "html_notes",
        ),
        (json!({"name": "t", "html_notes": "<p>x</p>"}), "html_notes"),
        (json!({"name": "t", "start_on": "2024-01-01"}), "start_on"),
        (
            json!({"name": "t", "start_at": "2024-01-01T09:00:00Z", "due_on": "2024-01-02"}),
            "start_at",
        ),
        (
            json!({"name": "t", "start_at": "2024-01-01T09:00:00Z"}),
            "start_at",
        ),
        (
            json!({"name": "t", "due_at": "2024-01-02T09:00:00Z", "start_on": "2024-01-01", "start_at": "2024-01-01T09:00:00Z"}),
            "start_at",
        ),
        (
            json!({"name": "t", "due_on": "2024-01-02", "start_on": "2024-01-32"}),
            "start_on",
        ),
        (
            json!({"name": "t", "due_at": "2024-01-02T09:00:00Z", "start_at": "soon"}),
            "start_at",
        ),
        (
            json!({"name": "t", "resource_subtype": "milestone", "due_on": "2024-01-02", "start_on": "2024-01-01"}),
            "start_on",
        ),
        (
            json!({"name": "t", "resource_subtype": "custom"}),
            "resource_subtype",
        ),
        (json!({"name": "t", "completed": "yes"}), "completed"),
        (
            json!({"name": "t", "memberships": [{"project": "1"}]}),
            "memberships[0].section",
        ),
        (
            json!({"name": "t", "memberships": [{"project": "1", "section": "2"}, {"project": " ", "section": "3"}]}),
            "memberships[1].project",
        ),
        (
            json!({"name": "t", "memberships": [{"project": "1", "section": "2", "x": 1}]}),
            "memberships[0].x",
        ),
        (
            json!({"name": "t", "custom_fields": {"1": {"date": "2024-02-30"}}}),
            "custom_fields.1.date",
        ),
        (
            json!({"name": "t", "custom_fields": {"1": {"date_time": "noon"}}}),
            "custom_fields.1.date_time",
        ),
        (
            json!({"name": "t", "custom_fields": {"1": {"date": "2024-01-01", "date_time": "2024-01-01T00:00:00Z"}}}),
            "custom_fields.1",
        ),
        (
            json!({"name": "t", "custom_fields": {"1": {}}}),
            "custom_fields.1",
        ),
        (
            json!({"name": "t", "custom_fields": {"1": {"day": "2024-01-01"}}}),
            "custom_fields.1",
        ),
    ];
    for (input, expected) in cases {
        let err = run_offline(input.clone(), &c);
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(field(&err), Some(expected), "{input}: {}", err.message);
        if let Some(field) = expected.split(['.', '[']).next() {
            assert!(err.message.contains(field), "{input}: {}", err.message);
        }
    }
}

#[test]
fn dates_go_to_asana_in_utc() {
    let input: Input = serde_json::from_value(json!({
        "name": "t", "due_at": "2024-05-01T17:00:00+02:00", "start_at": "2024-04-30T23:30:00.5-01:00",
        "custom_fields": {"9": {"date_time": "2024-05-01T00:30:00+01:00"}, "8": {"date": "2024-05-02"}}
    }))
    .unwrap();
    let task = validate(&input, Some("1")).unwrap();
    assert_eq!(task.due_at.as_deref(), Some("2024-05-01T15:00:00Z"));
    assert_eq!(task.start_at.as_deref(), Some("2024-05-01T00:30:00.5Z"));
    let custom = serde_json::to_value(task.custom_fields).unwrap();
    assert_eq!(
        custom,
        json!({"8": {"date": "2024-05-02"}, "9": {"date_time": "2024-04-30T23:30:00Z"}})
    );
}

#[test]
fn a_start_date_goes_with_a_due_date() {
    for input in [
        json!({"name": "t", "due_on": "2024-05-02", "start_on": "2024-05-01"}),
        json!({"name": "t", "due_at": "2024-05-02T10:00:00Z", "start_on": "2024-05-01"}),
        json!({"name": "t", "due_at": "2024-05-02T10:00:00Z", "start_at": "2024-05-01T10:00:00Z"}),
        json!({"name": "t", "resource_subtype": "milestone", "due_on": "2024-05-02"}),
    ] {
        let parsed: Input = serde_json::from_value(input.clone()).unwrap();
        assert!(validate(&parsed, Some("1")).is_ok(), "{input}");
    }
}

#[test]
fn needs_a_location() {
    let err = run_offline(json!({"name": "t"}), &ctx());
    assert_eq!(field(&err), Some("workspace"));
    for word in ["workspace", "projects", "parent"] {
        assert!(err.message.contains(word), "{}", err.message);
    }
}

#[test]
fn falls_back_to_the_default_workspace() {
    let input: Input = serde_json::from_value(json!({"name": " Write docs "})).unwrap();
    let task = validate(&input, Some("42")).unwrap();
    assert_eq!(task.workspace, Some("42"));
    assert_eq!(task.name, "Write docs");
    let input: Input = serde_json::from_value(json!({"name": "t", "parent": "7"})).unwrap();
    let task = validate(&input, Some("42")).unwrap();
    assert_eq!((task.workspace, task.parent), (None, Some("7")));
}

/// Answer the card's request with 201 and `task`; the request, once sent.
fn answer_created(task: Value) -> Rc<RefCell<Option<Request>>> {
    let seen = Rc::new(RefCell::new(None));
    let seen2 = seen.clone();
    mock_http(move |req| {
        *seen2.borrow_mut() = Some(req.clone());
        Ok(Response::json_of(201, &task))
    });
    seen
}

#[test]
fn creates_the_task() {
    let seen = answer_created(json!({"data": {
        "gid": "99", "name": "Write docs", "permalink_url": "https://app.asana.com/0/1/99",
        "assignee": {"gid": "5", "name": "Ada", "resource_type": "user"},
        "due_on": "2024-02-29", "due_at": null,
        "projects": [{"gid": "3", "name": "Docs"}],
        "workspace": {"gid": "1", "name": "Acme"}
    }}));
    let out = run(
        json!({
            "name": "Write docs", "notes": "n", "projects": ["3"], "assignee": "me",
            "due_on": "2024-02-29", "tags": ["8"], "custom_fields": {"11": 5, "12": "x", "13": ["a", "b"]}
        }),
        &ctx(),
    )
    .unwrap();
    clear_mock();
    let req = seen.borrow_mut().take().unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "/tasks");
    assert_eq!(req.credential, Credential::Connection);
    assert_eq!(
        req.query,
        vec![("opt_fields".to_string(), OPT_FIELDS.to_string())]
    );
    let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"data": {
            "name": "Write docs", "notes": "n", "projects": ["3"], "assignee": "me",
            "due_on": "2024-02-29", "tags": ["8"], "custom_fields": {"11": 5, "12": "x", "13": ["a", "b"]}
        }})
    );
    assert_eq!(
        out,
        json!({
            "gid": "99", "name": "Write docs", "permalink_url": "https://app.asana.com/0/1/99",
            "assignee": {"gid": "5", "name": "Ada"}, "due_on": "2024-02-29", "due_at": null,
            "projects": [{"gid": "3", "name": "Docs"}], "workspace": {"gid": "1", "name": "Acme"},
            "resource_subtype": null, "notes": null, "completed": null, "start_on": null, "start_at": null,
            "memberships": [], "parent": null, "tags": [], "followers": []
        })
    );
}

#[test]
fn sends_subtype_completion_sections_and_rich_text() {
    let seen = answer_created(json!({"data": {
        "gid": "99", "name": "Ship", "resource_subtype": "approval", "notes": "Read this",
        "completed": true, "permalink_url": "https://app.asana.com/1/1/task/99",
        "assignee": null, "due_on": "2024-05-02", "due_at": null,
        "start_on": "2024-05-01", "start_at": null,
        "projects": [{"gid": "3", "name": "Docs"}],
        "memberships": [{"project": {"gid": "3", "name": "Docs"}, "section": {"gid": "4", "name": "Doing"}}],
        "parent": {"gid": "7", "name": "Launch"},
        "tags": [{"gid": "8", "name": "urgent"}],
        "followers": [{"gid": "5", "name": "Ada"}],
        "workspace": {"gid": "1", "name": "Acme"}
    }}));
    let out = run(
        json!({
            "name": "Ship", "html_notes": "<body>Read <em>this</em></body>",
            "resource_subtype": "approval", "completed": true, "parent": "7",
            "memberships": [{"project": "3", "section": "4"}],
            "due_on": "2024-05-02", "start_on": "2024-05-01"
        }),
        &ctx(),
    )
    .unwrap();
    clear_mock();
    let req = seen.borrow_mut().take().unwrap();
    let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"data": {
            "name": "Ship", "html_notes": "<body>Read <em>this</em></body>",
            "resource_subtype": "approval", "completed": true, "parent": "7",
            "memberships": [{"project": "3", "section": "4"}],
            "due_on": "2024-05-02", "start_on": "2024-05-01"
        }})
    );
    assert_eq!(out["notes"], "Read this");
    assert_eq!(out["completed"], true);
    assert_eq!(out["resource_subtype"], "approval");
    assert_eq!(out["start_on"], "2024-05-01");
    assert_eq!(
        out["memberships"],
        json!([{"project": {"gid": "3", "name": "Docs"}, "section": {"gid": "4", "name": "Doing"}}])
    );
    assert_eq!(out["parent"], json!({"gid": "7", "name": "Launch"}));
    assert_eq!(out["tags"], json!([{"gid": "8", "name": "urgent"}]));
    assert_eq!(out["followers"], json!([{"gid": "5", "name": "Ada"}]));
}

#[test]
fn a_server_error_keeps_asanas_phrase() {
    mock_http(|_| {
        Ok(Response::json_of(
            503,
            &json!({"errors": [{"message": "Server Error", "phrase": "6 sad squid snuggle softly", "help": "see docs"}]}),
        ))
    });
    let err = run(json!({"name": "t", "workspace": "1"}), &ctx()).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Provider);
    assert!(err.message.contains("503"), "{}", err.message);
    assert!(
        err.message.contains("\"6 sad squid snuggle softly\""),
        "{}",
        err.message
    );
}

#[test]
fn asana_errors_become_card_errors() {
    mock_http(|_| {
        Ok(Response::json_of(
            400,
            &json!({"errors": [{"message": "assignee: Not a recognized ID: nobody"}]}),
        ))
    });
    let err = run(
        json!({"name": "t", "workspace": "1", "assignee": "nobody"}),
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert_eq!(field(&err), Some("assignee"));
    mock_http(|_| {
        Err(HttpError::NeedsReauth(
            "authorize the Asana connection again".into(),
        ))
    });
    let err = run(json!({"name": "t", "workspace": "1"}), &ctx()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Http);
    assert_eq!(err.message, "authorize the Asana connection again");
    clear_mock();
}

#[test]
fn manifest_has_schemas() {
    let m = __cardhost_manifest();
    assert_eq!(m.id, "asana.create-task");
    assert_eq!(m.scopes, vec!["tasks:write"]);
    assert!(!m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(input["required"], json!(["name"]));
    assert_eq!(input["properties"]["due_on"]["format"], "date");
    assert!(input["properties"]["notes"]["description"]
        .as_str()
        .unwrap()
        .contains("not both"));
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    for key in [
        "gid",
        "name",
        "notes",
        "completed",
        "permalink_url",
        "assignee",
        "due_on",
        "due_at",
        "projects",
        "memberships",
        "parent",
        "tags",
        "followers",
        "workspace",
    ] {
        assert!(output["properties"].get(key).is_some(), "{key}");
    }
    for field in OPT_FIELDS.split(',') {
        let top = field.split('.').next().unwrap();
        assert!(output["properties"].get(top).is_some(), "{field}");
    }
    assert_eq!(
        input["$defs"]["Subtype"]["enum"],
        json!(["default_task", "milestone", "approval"])
    );
}
