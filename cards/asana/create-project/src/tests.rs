use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn ctx() -> Context {
    Context::new("asana").with_default_workspace("11")
}

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

/// Runs with a mock answering `status` and `body`; the result and the requests sent.
fn run_with(input: Value, status: u16, body: Value) -> (Result<Value, CardError>, Vec<Request>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        Ok(Response::json_of(status, &body))
    });
    let out = run(input, &ctx());
    clear_mock();
    let requests = seen.borrow().clone();
    (out, requests)
}

fn created() -> Value {
    json!({"data": {
        "gid": "31", "resource_type": "project", "name": "Launch", "notes": "n", "color": "dark-blue",
        "default_view": "board", "privacy_setting": "private", "archived": false, "completed": false,
        "start_on": "2027-01-04", "due_on": "2027-02-26", "created_at": "2027-01-01T09:00:00.000Z",
        "modified_at": "2027-01-01T09:00:00.000Z",
        "owner": {"gid": "5", "resource_type": "user", "name": "Ada"},
        "team": {"gid": "21", "resource_type": "team", "name": "Eng"},
        "workspace": {"gid": "11", "resource_type": "workspace", "name": "Acme"},
        "members": [{"gid": "5", "resource_type": "user", "name": "Ada"}],
        "current_status_update": null,
        "permalink_url": "https://app.asana.com/1/11/project/31"
    }})
}

#[test]
fn creates_a_project_shared_with_a_team() {
    let (out, requests) = run_with(
        json!({"name": " Launch ", "workspace": "12", "team": "21", "notes": "n", "color": "dark-blue",
               "default_view": "board", "due_on": "2027-02-26", "start_on": "2027-01-04",
               "privacy_setting": "private"}),
        201,
        created(),
    );
    let out = out.unwrap();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(
        (req.method.as_str(), req.url.as_str()),
        ("POST", "/projects")
    );
    assert_eq!(
        req.query,
        vec![("opt_fields".to_string(), PROJECT_FIELDS.to_string())]
    );
    let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"data": {"name": "Launch", "workspace": "12", "team": "21", "notes": "n",
                        "color": "dark-blue", "default_view": "board", "due_on": "2027-02-26",
                        "start_on": "2027-01-04", "privacy_setting": "private"}})
    );
    assert_eq!(out["gid"], "31");
    assert_eq!(out["team"], json!({"gid": "21", "name": "Eng"}));
    assert_eq!(out["workspace"], json!({"gid": "11", "name": "Acme"}));
    assert_eq!(out["owner"], json!({"gid": "5", "name": "Ada"}));
    assert_eq!(out["members"], json!([{"gid": "5", "name": "Ada"}]));
    assert_eq!(
        out["permalink_url"],
        "https://app.asana.com/1/11/project/31"
    );
    assert_eq!(out["current_status_update"], Value::Null);
}

#[test]
fn defaults_to_the_connections_workspace_and_sends_only_what_is_given() {
    let (out, requests) = run_with(json!({"name": "Launch", "team": " "}), 201, created());
    out.unwrap();
    let body: Value = serde_json::from_slice(requests[0].body.as_ref().unwrap()).unwrap();
    assert_eq!(body, json!({"data": {"name": "Launch", "workspace": "11"}}));
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| {
        panic!(
            "no HTTP call expected, got {} {}",
            req.method.as_str(),
            req.url
        )
    });
    let cases = [
        (json!({"name": "  "}), "name"),
        (json!({"notes": "no name"}), "name"),
        (json!({"name": "x", "colour": "red"}), "colour"),
        (json!({"name": "x", "color": "red"}), "color"),
        (json!({"name": "x", "color": "dark_blue"}), "color"),
        (
            json!({"name": "x", "default_view": "gantt"}),
            "default_view",
        ),
        (
            json!({"name": "x", "privacy_setting": "public"}),
            "privacy_setting",
        ),
        (json!({"name": "x", "public": true}), "public"),
        (json!({"name": "x", "due_on": "2027-02-30"}), "due_on"),
        (json!({"name": "x", "due_on": "tomorrow"}), "due_on"),
        (json!({"name": "x", "start_on": "2027-01-01"}), "start_on"),
        (
            json!({"name": "x", "start_on": "2027-03-01", "due_on": "2027-02-01"}),
            "start_on",
        ),
        (
            json!({"name": "x", "start_on": "2027-1-1", "due_on": "2027-02-01"}),
            "start_on",
        ),
    ];
    for (input, field) in cases {
        let err = run(input.clone(), &ctx()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(
            err.field.as_deref(),
            Some(field),
            "{input}: {}",
            err.message
        );
    }
    let err = run(json!({"name": "x"}), &Context::new("asana")).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("workspace"));
    clear_mock();
}

#[test]
fn asanas_errors_name_the_field_it_blames() {
    let (out, _) = run_with(
        json!({"name": "x"}),
        400,
        json!({"errors": [{"message": "team: Missing input"}]}),
    );
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::InvalidInput, Some("team"))
    );
    let (out, _) = run_with(
        json!({"name": "x", "workspace": "99"}),
        404,
        json!({"errors": [{"message": "workspace: Unknown object: 99"}]}),
    );
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("workspace"))
    );
    let (out, _) = run_with(
        json!({"name": "x"}),
        403,
        json!({"errors": [{"message": "You do not have access to this team."}]}),
    );
    assert_eq!(out.unwrap_err().kind, ErrorKind::Forbidden);
    let (out, _) = run_with(
        json!({"name": "x", "default_view": "timeline"}),
        402,
        json!({"errors": [{"message": "Timeline is a premium feature."}]}),
    );
    let err = out.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Provider);
    assert!(err.message.contains("402"), "{}", err.message);
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.create-project", "1.0.0")
    );
    assert_eq!(m.scopes, ["projects:write"]);
    assert!(!m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["name"]));
    let colors = serde_json::to_string(&input).unwrap();
    assert!(colors.contains("light-warm-gray"), "{colors}");
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    for field in ["gid", "permalink_url", "team", "workspace", "members"] {
        assert!(output["properties"][field].is_object(), "{field}");
    }
}
