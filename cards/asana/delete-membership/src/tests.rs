use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

/// Runs with `answer` as the mock; the result and the requests sent.
fn run_with(
    input: Value,
    answer: impl Fn(&Request) -> (u16, Value) + 'static,
) -> (Result<Value, CardError>, Vec<Request>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        let (status, body) = answer(req);
        Ok(Response::json_of(status, &body))
    });
    let out = run(input);
    clear_mock();
    let requests = seen.borrow().clone();
    (out, requests)
}

fn asana(req: &Request) -> (u16, Value) {
    match (req.method.as_str(), req.url.as_str()) {
        ("GET", "/memberships") => (
            200,
            json!({"data": [{"gid": "81", "resource_type": "membership",
                             "parent": {"gid": "31", "resource_type": "project", "name": "Launch"},
                             "member": {"gid": "21", "resource_type": "team", "name": "Eng"}}],
                   "next_page": null}),
        ),
        ("DELETE", "/memberships/81") => (200, json!({"data": {}})),
        (method, url) => panic!("unexpected {method} {url}"),
    }
}

#[test]
fn deletes_by_membership_gid() {
    let (out, requests) = run_with(json!({"membership": " 81 "}), asana);
    assert_eq!(out.unwrap(), json!({"membership": "81"}));
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method.as_str(), "DELETE");
    assert!(requests[0].query.is_empty() && requests[0].body.is_none());
}

#[test]
fn finds_the_membership_of_a_project_and_a_member() {
    let (out, requests) = run_with(json!({"project": "31", "member": "21"}), asana);
    assert_eq!(out.unwrap(), json!({"membership": "81"}));
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].query,
        vec![
            ("parent".to_string(), "31".to_string()),
            ("member".to_string(), "21".to_string()),
            ("limit".to_string(), "1".to_string())
        ]
    );
    assert_eq!(
        (requests[1].method.as_str(), requests[1].url.as_str()),
        ("DELETE", "/memberships/81")
    );
}

#[test]
fn a_member_not_on_the_project_is_not_found_and_nothing_is_deleted() {
    let (out, requests) = run_with(json!({"project": "31", "member": "5"}), |req| {
        assert_eq!(req.method.as_str(), "GET");
        (200, json!({"data": [], "next_page": null}))
    });
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("member"))
    );
    assert_eq!(requests.len(), 1);
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    let cases = [
        (json!({}), "project"),
        (json!({"membership": " "}), "project"),
        (json!({"member": "5"}), "project"),
        (json!({"project": "31"}), "member"),
        (json!({"project": "31", "member": "me"}), "member"),
        (json!({"membership": "81", "project": "31"}), "membership"),
        (json!({"membership": "81", "member": "5"}), "membership"),
        (json!({"membership": "8/1"}), "membership"),
        (json!({"membership": "81", "parent": "31"}), "parent"),
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
    let (out, _) = run_with(json!({"membership": "99"}), |_| {
        (404, json!({"errors": [{"message": "Unknown object: 99"}]}))
    });
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("membership"))
    );
    let (out, requests) = run_with(json!({"project": "9", "member": "5"}), |_| {
        (404, json!({"errors": [{"message": "Unknown object: 9"}]}))
    });
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("project"))
    );
    assert_eq!(requests.len(), 1);
    let (out, _) = run_with(json!({"project": "9", "member": "5"}), |_| {
        (
            400,
            json!({"errors": [{"message": "parent: Not a recognized ID: 9"}]}),
        )
    });
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::InvalidInput, Some("project"))
    );
    let (out, _) = run_with(json!({"membership": "81"}), |_| {
        (
            403,
            json!({"errors": [{"message": "You do not have access to this project."}]}),
        )
    });
    assert_eq!(out.unwrap_err().kind, ErrorKind::Forbidden);
}

#[test]
fn manifest_needs_full_permissions() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.delete-membership", "1.0.0")
    );
    assert_eq!(m.scopes, ["default"]);
}
