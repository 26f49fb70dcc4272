use super::*;
use cardhost_sdk::asana::TASK_SUMMARY_FIELDS as FIELDS;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run_with(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

fn run(input: Value) -> Result<Value, CardError> {
    run_with(input, &Context::new("asana").with_default_workspace("1"))
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Runs `input` against a mock answering `n` tasks; the output and the
/// request's path and query.
fn search(input: Value, n: usize) -> (Value, String, Vec<(String, String)>) {
    let seen = Rc::new(RefCell::new((String::new(), Vec::new())));
    let log = seen.clone();
    mock_http(move |req| {
        assert_eq!(req.method.as_str(), "GET");
        *log.borrow_mut() = (req.url.clone(), req.query.clone());
        let tasks: Vec<Value> = (0..n)
            .map(|i| json!({"gid": i.to_string(), "name": format!("T{i}"), "completed": false}))
            .collect();
        Ok(Response::json_of(200, &json!({"data": tasks})))
    });
    let out = run(input).unwrap();
    clear_mock();
    let (path, query) = seen.borrow().clone();
    (out, path, query)
}

#[test]
fn sends_each_filter_by_asanas_name() {
    let (out, path, query) = search(
        json!({"text": "launch notes", "assignee": "ada@x.io", "project": "5", "completed": false,
               "sort_by": "created_at", "sort_ascending": true, "limit": 10, "workspace": "9"}),
        2,
    );
    assert_eq!(path, "/workspaces/9/tasks/search");
    assert_eq!(
        query,
        q(&[
            ("opt_fields", FIELDS),
            ("limit", "10"),
            ("text", "launch notes"),
            ("assignee.any", "ada@x.io"),
            ("projects.any", "5"),
            ("completed", "false"),
            ("sort_by", "created_at"),
            ("sort_ascending", "true"),
        ])
    );
    assert_eq!(
        (out["count"].clone(), out["more"].clone()),
        (json!(2), json!(false))
    );
    assert_eq!(out["tasks"][1]["gid"], "1");
}

#[test]
fn the_default_workspace_and_a_full_page() {
    let (out, path, query) = search(json!({"completed": true, "limit": 3}), 3);
    assert_eq!(path, "/workspaces/1/tasks/search");
    assert_eq!(
        query,
        q(&[
            ("opt_fields", FIELDS),
            ("limit", "3"),
            ("completed", "true")
        ])
    );
    assert_eq!(out["more"], true, "a full page may have more behind it");
    let (_, _, query) = search(json!({}), 0);
    assert_eq!(query, q(&[("opt_fields", FIELDS), ("limit", "100")]));
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({"limit": 0}), "limit"),
        (json!({"limit": 101}), "limit"),
        (json!({"sort_by": "name"}), "sort_by"),
        (json!({"assignee": ""}), "assignee"),
        (json!({"assignee": "a b"}), "assignee"),
        (json!({"project": "x/y"}), "project"),
        (json!({"workspace": "1/2"}), "workspace"),
        (json!({"completed": "no"}), "completed"),
        (json!({"tag": "1"}), "tag"),
    ] {
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}: {}", e.message);
    }
    let e = run_with(json!({"text": "x"}), &Context::new("asana")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("workspace"));
    clear_mock();
}

#[test]
fn a_402_says_search_needs_premium() {
    mock_http(|_| {
        Ok(Response::json_of(
            402,
            &json!({"errors": [{"message": "Search is only available to premium users."}]}),
        ))
    });
    let e = run(json!({"text": "x"})).unwrap_err();
    clear_mock();
    assert_eq!(e.kind, ErrorKind::Forbidden);
    assert_eq!(e.field.as_deref(), Some("workspace"));
    assert!(
        e.message.contains("Asana Premium (or higher)"),
        "{}",
        e.message
    );
    assert!(e.message.contains("402"), "{}", e.message);
}

#[test]
fn a_404_names_the_workspace() {
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "workspace: Unknown object: 1"}]}),
        ))
    });
    let e = run(json!({"text": "x"})).unwrap_err();
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::NotFound, Some("workspace"))
    );
    mock_http(|_| {
        Ok(Response::json_of(
            403,
            &json!({"errors": [{"message": "Forbidden"}]}),
        ))
    });
    assert_eq!(run(json!({})).unwrap_err().kind, ErrorKind::Forbidden);
    clear_mock();
}
