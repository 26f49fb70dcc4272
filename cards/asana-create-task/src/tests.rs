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
    ];
    for (input, expected) in cases {
        let err = run_offline(input.clone(), &c);
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(field(&err), Some(expected), "{input}: {}", err.message);
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

#[test]
fn creates_the_task() {
    let seen = Rc::new(RefCell::new(None));
    let seen2 = seen.clone();
    mock_http(move |req| {
        *seen2.borrow_mut() = Some(req.clone());
        Ok(Response::json_of(
            201,
            &json!({"data": {
                "gid": "99", "name": "Write docs", "permalink_url": "https://app.asana.com/0/1/99",
                "assignee": {"gid": "5", "name": "Ada", "resource_type": "user"},
                "due_on": "2024-02-29", "due_at": null,
                "projects": [{"gid": "3", "name": "Docs"}],
                "workspace": {"gid": "1", "name": "Acme"}
            }}),
        ))
    });
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
            "projects": [{"gid": "3", "name": "Docs"}], "workspace": {"gid": "1", "name": "Acme"}
        })
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
    assert_eq!(m.scopes, vec!["default"]);
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
        "permalink_url",
        "assignee",
        "due_on",
        "due_at",
        "projects",
        "workspace",
    ] {
        assert!(output["properties"].get(key).is_some(), "{key}");
    }
}
