use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http, take_logs};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

#[test]
fn refuses_bad_urls_before_any_call() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    for url in [
        "https://example.com/",
        "/../x",
        "/%2e%2e/x",
        "//x",
        "/a\\b",
        "users",
    ] {
        let err = run(json!({"method": "GET", "relative_url": url})).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{url}");
        assert_eq!(err.field.as_deref(), Some("relative_url"), "{url}");
    }
    let err = run(json!({"method": "TRACE", "relative_url": "/x"})).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("method"));
    let err =
        run(json!({"method": "GET", "relative_url": "/x", "headers": {"X-A": "1\r\nX-B: 2"}}))
            .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("headers.X-A"));
    assert!(!err.message.contains("X-B"));
    clear_mock();
}

#[test]
fn sends_the_request_and_returns_any_status() {
    let seen = Rc::new(RefCell::new(None));
    let seen2 = seen.clone();
    mock_http(move |req| {
        *seen2.borrow_mut() = Some(req.clone());
        Ok(Response::new(
            404,
            vec![
                (
                    "Content-Type".into(),
                    "application/json; charset=UTF-8".into(),
                ),
                ("X-Asana-Api".into(), "a".into()),
                ("x-asana-api".into(), "b".into()),
                ("Set-Cookie".into(), "session=1".into()),
            ],
            r#"{"errors":[{"message":"project: Unknown object: 1"}]}"#,
        ))
    });
    let out = run(json!({
        "method": "PUT", "relative_url": "/projects/1",
        "query": {"opt_fields": "name"},
        "headers": {"Asana-Enable": "new_goal_memberships", "Authorization": "Bearer stolen"},
        "body": {"data": {"name": "x"}}
    }))
    .unwrap();
    clear_mock();
    let req = seen.borrow_mut().take().unwrap();
    assert_eq!(req.method, Method::Put);
    assert_eq!(req.url, "/projects/1");
    assert_eq!(req.credential, Credential::Connection);
    assert_eq!(
        req.query,
        vec![("opt_fields".to_string(), "name".to_string())]
    );
    assert!(req
        .headers
        .iter()
        .all(|(n, _)| !n.eq_ignore_ascii_case("authorization")));
    assert!(req
        .headers
        .contains(&("Asana-Enable".into(), "new_goal_memberships".into())));
    assert!(req
        .headers
        .contains(&("content-type".into(), "application/json".into())));
    assert_eq!(req.body.as_deref(), Some(&br#"{"data":{"name":"x"}}"#[..]));
    let logs = take_logs();
    assert!(logs.iter().any(|(_, l)| l.contains("Authorization")));
    assert!(logs.iter().all(|(_, l)| !l.contains("stolen")));
    assert_eq!(
        out,
        json!({
            "status": 404,
            "headers": {"content-type": "application/json; charset=UTF-8", "x-asana-api": "a, b"},
            "body": {"errors": [{"message": "project: Unknown object: 1"}]}
        })
    );
}

#[test]
fn text_bodies_stay_text() {
    mock_http(|_| {
        Ok(Response::new(
            502,
            vec![("content-type".into(), "text/html".into())],
            "<h1>Bad</h1>",
        ))
    });
    let out = run(json!({"method": "GET", "relative_url": "/users/me"})).unwrap();
    assert_eq!(out["body"], "<h1>Bad</h1>");
    mock_http(|_| Ok(Response::new(204, vec![], "")));
    let out =
        run(json!({"method": "DELETE", "relative_url": "/tasks/1", "query": null, "body": null}))
            .unwrap();
    assert_eq!(out["status"], 204);
    assert_eq!(out["body"], "");
    clear_mock();
}

#[test]
fn capability_errors_are_errors() {
    mock_http(|_| Err(HttpError::Timeout));
    let err = run(json!({"method": "GET", "relative_url": "/users/me"})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Http);
    clear_mock();
}

#[test]
fn manifest_schema() {
    let m = __cardhost_manifest();
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["additionalProperties"], false);
    let mut required: Vec<_> = input["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort();
    assert_eq!(required, ["method", "relative_url"]);
    assert!(m.scopes.is_empty(), "{:?}", m.scopes);
    assert!(
        m.description.contains("Full permissions"),
        "{}",
        m.description
    );
}
