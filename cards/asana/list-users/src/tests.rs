use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

fn pairs(req: &Request) -> Vec<(&str, &str)> {
    req.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Answers `GET /users` with three pages of two users; the requests sent.
fn mock_directory() -> Rc<RefCell<Vec<Request>>> {
    let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        assert_eq!((req.method, req.url.as_str()), (Method::Get, "/users"));
        let offset = req.query.iter().find(|(k, _)| k == "offset");
        let (first, next) = match offset.map(|(_, v)| v.as_str()) {
            None => (1, json!({"offset": "p2", "path": "/users?offset=p2"})),
            Some("p2") => (3, json!({"offset": "p3"})),
            _ => (5, Value::Null),
        };
        let users: Vec<Value> = (first..first + 2)
            .map(|n| json!({"gid": n.to_string(), "resource_type": "user", "name": format!("U{n}"), "email": format!("u{n}@x.io")}))
            .collect();
        Ok(Response::json_of(
            200,
            &json!({"data": users, "next_page": next}),
        ))
    });
    seen
}

#[test]
fn lists_the_default_workspace_page_by_page() {
    let seen = mock_directory();
    let out = run(
        json!({"page_size": 2}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap();
    clear_mock();
    assert_eq!(out["count"], 6);
    assert_eq!(out["more"], false);
    assert_eq!(
        out["users"][0],
        json!({"gid": "1", "name": "U1", "email": "u1@x.io"})
    );
    let seen = seen.borrow();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        pairs(&seen[0]),
        [
            ("opt_fields", "name,email"),
            ("workspace", "1"),
            ("limit", "2")
        ]
    );
    assert_eq!(
        pairs(&seen[1]),
        [
            ("opt_fields", "name,email"),
            ("workspace", "1"),
            ("limit", "2"),
            ("offset", "p2")
        ]
    );
    assert_eq!(seen[0].credential, Credential::Connection);
}

#[test]
fn stops_at_the_limit_or_the_page_cap_and_says_there_is_more() {
    let seen = mock_directory();
    let ctx = Context::new("asana").with_default_workspace("1");
    let out = run(json!({"limit": 3, "page_size": 2}), &ctx).unwrap();
    assert_eq!(
        (out["count"].clone(), out["more"].clone()),
        (json!(3), json!(true))
    );
    assert_eq!(pairs(&seen.borrow()[1])[2], ("limit", "1"));
    let out = run(json!({"page_size": 2, "max_pages": 1}), &ctx).unwrap();
    clear_mock();
    assert_eq!(
        (out["count"].clone(), out["more"].clone()),
        (json!(2), json!(true))
    );
}

#[test]
fn a_team_lists_its_members_and_an_explicit_workspace_goes_along() {
    let seen = mock_directory();
    let ctx = Context::new("asana").with_default_workspace("1");
    run(json!({"team": " 77 ", "max_pages": 1}), &ctx).unwrap();
    run(
        json!({"team": "77", "workspace": "9", "max_pages": 1}),
        &ctx,
    )
    .unwrap();
    clear_mock();
    let seen = seen.borrow();
    assert_eq!(
        pairs(&seen[0]),
        [
            ("opt_fields", "name,email"),
            ("team", "77"),
            ("limit", "100")
        ]
    );
    assert_eq!(
        pairs(&seen[1]),
        [
            ("opt_fields", "name,email"),
            ("workspace", "9"),
            ("team", "77"),
            ("limit", "100")
        ]
    );
}

#[test]
fn validates_before_any_request() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    let ws = Context::new("asana").with_default_workspace("1");
    let cases = [
        (json!({}), Context::new("asana"), "workspace"),
        (json!({"workspace": "1/2"}), ws.clone(), "workspace"),
        (json!({"team": ""}), ws.clone(), "team"),
        (json!({"team": "a b"}), ws.clone(), "team"),
        (json!({"limit": 0}), ws.clone(), "limit"),
        (json!({"limit": 1001}), ws.clone(), "limit"),
        (json!({"page_size": 101}), ws.clone(), "page_size"),
        (json!({"max_pages": 0}), ws.clone(), "max_pages"),
        (json!({"limit": -1}), ws.clone(), "limit"),
        (json!({"colour": "red"}), ws.clone(), "colour"),
    ];
    for (input, ctx, field) in cases {
        let err = run(input.clone(), &ctx).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
    }
    clear_mock();
}

#[test]
fn a_404_names_the_workspace_or_the_team() {
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "Unknown object: 9"}]}),
        ))
    });
    let ctx = Context::new("asana");
    let err = run(json!({"workspace": "9"}), &ctx).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("workspace"))
    );
    assert!(err.message.contains("\"9\""), "{}", err.message);
    let err = run(json!({"team": "9"}), &ctx).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("team"))
    );
    mock_http(|_| {
        Ok(Response::json_of(
            403,
            &json!({"errors": [{"message": "Forbidden"}]}),
        ))
    });
    let err = run(json!({"workspace": "9"}), &ctx).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Forbidden);
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.list-users", "1.0.0")
    );
    assert_eq!(m.scopes, ["users:read"]);
    assert!(!m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(input["properties"]["limit"]["maximum"], 1000);
    assert_eq!(input["properties"]["page_size"]["default"], 100);
    assert_eq!(input["properties"]["max_pages"]["default"], 10);
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    for key in ["users", "count", "more"] {
        assert!(
            output["properties"][key]["description"].is_string(),
            "{key}"
        );
    }
}
