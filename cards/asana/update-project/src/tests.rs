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

fn updated() -> Value {
    json!({"data": {
        "gid": "31", "resource_type": "project", "name": "Relaunch", "color": "light-green",
        "archived": true, "due_on": "2027-03-31", "start_on": "2027-03-01",
        "owner": {"gid": "6", "resource_type": "user", "name": "Grace"},
        "team": {"gid": "21", "resource_type": "team", "name": "Eng"},
        "workspace": {"gid": "11", "resource_type": "workspace", "name": "Acme"},
        "members": [], "permalink_url": "https://app.asana.com/1/11/project/31"
    }})
}

fn body(req: &Request) -> Value {
    serde_json::from_slice(req.body.as_ref().unwrap()).unwrap()
}

#[test]
fn sends_only_the_fields_given() {
    let (out, requests) = run_with(
        json!({"project": "31", "name": " Relaunch ", "color": "light-green", "archived": true,
               "due_on": "2027-03-31", "start_on": "2027-03-01", "owner": "6", "notes": ""}),
        200,
        updated(),
    );
    let out = out.unwrap();
    assert_eq!(requests.len(), 1);
    let req = &requests[0];
    assert_eq!(
        (req.method.as_str(), req.url.as_str()),
        ("PUT", "/projects/31")
    );
    assert_eq!(
        req.query,
        vec![("opt_fields".to_string(), PROJECT_FIELDS.to_string())]
    );
    assert_eq!(
        body(req),
        json!({"data": {"name": "Relaunch", "notes": "", "color": "light-green", "archived": true,
                        "due_on": "2027-03-31", "start_on": "2027-03-01", "owner": "6"}})
    );
    assert_eq!(out["name"], "Relaunch");
    assert_eq!(out["owner"], json!({"gid": "6", "name": "Grace"}));
    assert_eq!(out["archived"], true);
    let (_, requests) = run_with(json!({"project": "31", "archived": false}), 200, updated());
    assert_eq!(body(&requests[0]), json!({"data": {"archived": false}}));
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
        (json!({"project": "31"}), "project"),
        (json!({"project": "31", "name": null}), "project"),
        (json!({"name": "x"}), "project"),
        (json!({"project": "", "name": "x"}), "project"),
        (json!({"project": "3/1", "name": "x"}), "project"),
        (json!({"project": "31", "name": " "}), "name"),
        (json!({"project": "31", "owner": ""}), "owner"),
        (json!({"project": "31", "color": "blue"}), "color"),
        (json!({"project": "31", "archived": "yes"}), "archived"),
        (json!({"project": "31", "due_on": "31/03/2027"}), "due_on"),
        (
            json!({"project": "31", "start_on": "2027-03-01"}),
            "start_on",
        ),
        (
            json!({"project": "31", "start_on": "2027-03-31", "due_on": "2027-03-31"}),
            "start_on",
        ),
        (json!({"project": "31", "team": "21"}), "team"),
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
    let (out, _) = run_with(
        json!({"project": "9", "name": "x"}),
        404,
        json!({"errors": [{"message": "Unknown object: 9"}]}),
    );
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("project"))
    );
    let (out, _) = run_with(
        json!({"project": "31", "owner": "77"}),
        400,
        json!({"errors": [{"message": "owner: Not a recognized ID: 77"}]}),
    );
    let err = out.unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::InvalidInput, Some("owner"))
    );
    let (out, _) = run_with(
        json!({"project": "31", "archived": true}),
        403,
        json!({"errors": [{"message": "You do not have access to this project."}]}),
    );
    assert_eq!(out.unwrap_err().kind, ErrorKind::Forbidden);
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.update-project", "1.0.0")
    );
    assert_eq!(m.scopes, ["projects:write"]);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["project"]));
}
