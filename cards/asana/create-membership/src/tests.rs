use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

/// Runs with a mock answering `status` and `body`; the result and the requests sent.
fn run_with(input: Value, status: u16, body: Value) -> (Result<Value, CardError>, Vec<Request>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        Ok(Response::json_of(status, &body))
    });
    let out = run(input);
    clear_mock();
    let requests = seen.borrow().clone();
    (out, requests)
}

fn membership(member_type: &str) -> Value {
    json!({"data": {
        "gid": "81", "resource_type": "membership", "resource_subtype": "project_membership",
        "parent": {"gid": "31", "resource_type": "project", "name": "Launch"},
        "member": {"gid": "21", "resource_type": member_type, "name": "Eng"},
        "access_level": "editor"
    }})
}

#[test]
fn adds_a_team_or_a_user() {
    let (out, requests) = run_with(
        json!({"project": "31", "member": " 21 ", "access_level": "editor"}),
        201,
        membership("team"),
    );
    let req = &requests[0];
    assert_eq!(
        (req.method.as_str(), req.url.as_str()),
        ("POST", "/memberships")
    );
    assert!(req.query.is_empty(), "{:?}", req.query);
    let body: Value = serde_json::from_slice(req.body.as_ref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"data": {"parent": "31", "member": "21", "access_level": "editor"}})
    );
    assert_eq!(
        out.unwrap(),
        json!({"gid": "81", "parent": {"gid": "31", "name": "Launch"},
               "member": {"gid": "21", "name": "Eng", "resource_type": "team"},
               "access_level": "editor"})
    );
    let (out, requests) = run_with(
        json!({"project": "31", "member": "5"}),
        201,
        membership("user"),
    );
    let body: Value = serde_json::from_slice(requests[0].body.as_ref().unwrap()).unwrap();
    assert_eq!(body, json!({"data": {"parent": "31", "member": "5"}}));
    assert_eq!(out.unwrap()["member"]["resource_type"], "user");
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    let cases = [
        (json!({"member": "5"}), "project"),
        (json!({"project": "31"}), "member"),
        (json!({"project": "", "member": "5"}), "project"),
        (json!({"project": "Launch", "member": "5"}), "project"),
        (json!({"project": "31", "member": "me"}), "member"),
        (
            json!({"project": "31", "member": "ada@example.com"}),
            "member",
        ),
        (
            json!({"project": "31", "member": "5", "access_level": "owner"}),
            "access_level",
        ),
        (
            json!({"project": "31", "member": "5", "access_level": "viewer"}),
            "access_level",
        ),
        (
            json!({"project": "31", "member": "5", "role": "editor"}),
            "role",
        ),
    ];
    for (input, field) in cases {
        let err = run(input.clone()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(
            err.field.as_deref(),
            Some(field),
            "{input}: {}",
            err.message
        );
    }
    clear_mock();
}

#[test]
fn maps_asanas_refusals() {
    let input = json!({"project": "9", "member": "5"});
    for (status, message, kind, field) in [
        (
            404,
            "Unknown object: 9",
            ErrorKind::NotFound,
            Some("project"),
        ),
        (
            404,
            "parent: Unknown object: 9",
            ErrorKind::NotFound,
            Some("project"),
        ),
        (
            404,
            "member: Unknown object: 5",
            ErrorKind::NotFound,
            Some("member"),
        ),
        (
            400,
            "member: Not a recognized ID: 5",
            ErrorKind::InvalidInput,
            Some("member"),
        ),
        (
            403,
            "You do not have access to this project.",
            ErrorKind::Forbidden,
            None,
        ),
    ] {
        let (out, _) = run_with(
            input.clone(),
            status,
            json!({"errors": [{"message": message}]}),
        );
        let err = out.unwrap_err();
        assert_eq!((err.kind, err.field.as_deref()), (kind, field), "{message}");
    }
}

#[test]
fn manifest_needs_full_permissions() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.create-membership", "1.0.0")
    );
    assert_eq!(m.scopes, ["default"]);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["project", "member"]));
}
