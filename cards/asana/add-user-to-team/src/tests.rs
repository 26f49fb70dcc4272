use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

/// Answers with `status` and `body`; the requests sent.
fn answer(status: u16, body: Value) -> Rc<RefCell<Vec<Request>>> {
    let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        Ok(Response::json_of(status, &body))
    });
    seen
}

#[test]
fn adds_the_user_and_returns_the_membership() {
    let seen = answer(
        200,
        json!({"data": {"gid": "900", "resource_type": "team_membership",
                        "user": {"gid": "5", "resource_type": "user", "name": "Ada"},
                        "team": {"gid": "7", "resource_type": "team", "name": "Engines"},
                        "is_guest": false, "is_admin": false, "is_limited_access": false}}),
    );
    let out = run(json!({"team": " 7 ", "user": " ada@x.io "})).unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({"gid": "900", "user": {"gid": "5", "name": "Ada"}, "team": {"gid": "7", "name": "Engines"},
               "is_guest": false, "is_admin": false, "is_limited_access": false})
    );
    let seen = seen.borrow();
    let req = &seen[0];
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Post, "/teams/7/addUser")
    );
    assert_eq!(req.credential, Credential::Connection);
    assert_eq!(
        req.query,
        [("opt_fields".to_string(), OPT_FIELDS.to_string())]
    );
    let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, json!({"data": {"user": "ada@x.io"}}));
}

#[test]
fn a_404_names_the_team_or_the_user() {
    answer(
        404,
        json!({"errors": [{"message": "team: Unknown object: 8"}]}),
    );
    let err = run(json!({"team": "8", "user": "me"})).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("team"))
    );
    answer(404, json!({"errors": [{"message": "Not Found"}]}));
    let err = run(json!({"team": "8", "user": "me"})).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("team"))
    );
    answer(
        404,
        json!({"errors": [{"message": "user: Unknown object: 99"}]}),
    );
    let err = run(json!({"team": "8", "user": "99"})).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("user"))
    );
    assert!(err.message.contains("\"99\""), "{}", err.message);
    answer(
        403,
        json!({"errors": [{"message": "You must be a member of the team"}]}),
    );
    let err = run(json!({"team": "8", "user": "99"})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    answer(
        400,
        json!({"errors": [{"message": "user: Not a recognized ID: 98"}]}),
    );
    let err = run(json!({"team": "8", "user": "98"})).unwrap_err();
    clear_mock();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::InvalidInput, Some("user"))
    );
}

#[test]
fn validates_before_any_request() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({"user": "me"}), "team"),
        (json!({"team": "", "user": "me"}), "team"),
        (json!({"team": "../projects", "user": "me"}), "team"),
        (json!({"team": "7"}), "user"),
        (json!({"team": "7", "user": " "}), "user"),
        (json!({"team": "7", "user": "Ada Lovelace"}), "user"),
        (
            json!({"team": "7", "user": "me", "is_admin": true}),
            "is_admin",
        ),
    ] {
        let err = run(input.clone()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
    }
    clear_mock();
}

#[test]
fn manifest_needs_full_permissions() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.add-user-to-team", "1.0.0")
    );
    assert_eq!(m.scopes, ["default"]);
    assert!(m.uses_service_account, "for as_service_account");
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["team", "user"]));
}
