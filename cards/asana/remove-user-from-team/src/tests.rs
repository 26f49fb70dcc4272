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
fn removes_the_user() {
    let seen = answer(200, json!({"data": {}}));
    let out = run(json!({"team": "7", "user": " 5 "})).unwrap();
    clear_mock();
    assert_eq!(out, json!({"team": "7", "user": "5", "removed": true}));
    let seen = seen.borrow();
    let req = &seen[0];
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Post, "/teams/7/removeUser")
    );
    assert_eq!(req.credential, Credential::Connection);
    assert!(req.query.is_empty());
    let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, json!({"data": {"user": "5"}}));
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
    assert!(err.message.contains("\"8\""), "{}", err.message);
    answer(
        404,
        json!({"errors": [{"message": "user: Unknown object: nobody@x.io"}]}),
    );
    let err = run(json!({"team": "8", "user": "nobody@x.io"})).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("user"))
    );
    answer(403, json!({"errors": [{"message": "Forbidden"}]}));
    let err = run(json!({"team": "8", "user": "me"})).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Forbidden);
}

#[test]
fn validates_before_any_request() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({"user": "me"}), "team"),
        (json!({"team": " ", "user": "me"}), "team"),
        (json!({"team": "7?x=1", "user": "me"}), "team"),
        (json!({"team": "7"}), "user"),
        (json!({"team": "7", "user": ""}), "user"),
        (json!({"team": "7", "user": "ada@"}), "user"),
        (json!({"team": "7", "user": "me", "why": "x"}), "why"),
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
        ("asana.remove-user-from-team", "1.0.0")
    );
    assert_eq!(m.scopes, ["default"]);
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    assert_eq!(output["required"], json!(["team", "user", "removed"]));
}

#[test]
fn acts_with_the_service_account_token_when_asked() {
    let seen = answer(200, json!({"data": {}}));
    let ctx = Context::new("asana").with_service_account(true);
    let input = json!({"team": "7", "user": "5", "as_service_account": true});
    __cardhost_run(&input.to_string(), &ctx).unwrap();
    clear_mock();
    assert_eq!(seen.borrow()[0].credential, Credential::ServiceAccount);

    mock_http(|req| panic!("no request expected, got {}", req.url));
    let err = run(json!({"team": "7", "user": "5", "as_service_account": true})).unwrap_err();
    clear_mock();
    assert_eq!(err.field.as_deref(), Some("as_service_account"));
}
