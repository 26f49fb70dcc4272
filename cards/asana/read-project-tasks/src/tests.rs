use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn task(gid: &str) -> Value {
    json!({"gid": gid, "resource_type": "task", "name": format!("Task {gid}"),
           "resource_subtype": "default_task", "completed": false, "completed_at": null,
           "assignee": {"gid": "5", "resource_type": "user", "name": "Ada"},
           "due_on": "2027-01-31", "due_at": null,
           "permalink_url": format!("https://app.asana.com/1/11/task/{gid}")})
}

/// A mock serving two pages (tasks 1-2, then 3); the requests are logged.
fn two_pages() -> Rc<RefCell<Vec<Request>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        let body = if req.query.iter().any(|(k, _)| k == "offset") {
            json!({"data": [task("3")], "next_page": null})
        } else {
            json!({"data": [task("1"), task("2")], "next_page": {"offset": "o2", "path": "/x", "uri": "https://x"}})
        };
        Ok(Response::json_of(200, &body))
    });
    seen
}

#[test]
fn reads_every_page_with_the_fields_it_promises() {
    let seen = two_pages();
    let out = run(json!({"project": "31", "completed_since": "now", "page_size": 2})).unwrap();
    clear_mock();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|r| r.method.as_str() == "GET" && r.url == "/projects/31/tasks"));
    let first = [
        ("opt_fields", TASK_FIELDS),
        ("completed_since", "now"),
        ("limit", "2"),
    ];
    assert_eq!(seen[0].query, q(&first));
    let mut second = first.to_vec();
    second.push(("offset", "o2"));
    assert_eq!(seen[1].query, q(&second));
    assert_eq!(out["more"], false);
    assert_eq!(out["tasks"].as_array().unwrap().len(), 3);
    assert_eq!(
        out["tasks"][0],
        json!({"gid": "1", "name": "Task 1", "resource_subtype": "default_task", "completed": false,
               "completed_at": null, "assignee": {"gid": "5", "name": "Ada"}, "due_on": "2027-01-31",
               "due_at": null, "permalink_url": "https://app.asana.com/1/11/task/1"})
    );
}

#[test]
fn stops_at_the_limit_and_the_page_cap() {
    let seen = two_pages();
    let out = run(json!({"project": "31", "limit": 1})).unwrap();
    assert_eq!(
        (out["tasks"].as_array().unwrap().len(), &out["more"]),
        (1, &json!(true))
    );
    assert_eq!(
        seen.borrow()[0].query,
        q(&[("opt_fields", TASK_FIELDS), ("limit", "1")])
    );
    let out = run(
        json!({"project": "31", "max_pages": 1, "completed_since": "2027-01-01T00:00:00+01:00"}),
    )
    .unwrap();
    clear_mock();
    assert_eq!(
        (out["tasks"].as_array().unwrap().len(), &out["more"]),
        (2, &json!(true))
    );
    assert_eq!(seen.borrow().len(), 2);
    assert_eq!(
        seen.borrow()[1].query[1],
        (
            "completed_since".to_string(),
            "2027-01-01T00:00:00+01:00".to_string()
        )
    );
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    let cases = [
        (json!({}), "project"),
        (json!({"project": " "}), "project"),
        (json!({"project": "3?x=1"}), "project"),
        (
            json!({"project": "31", "completed_since": "yesterday"}),
            "completed_since",
        ),
        (
            json!({"project": "31", "completed_since": "2027-01-01"}),
            "completed_since",
        ),
        (
            json!({"project": "31", "completed_since": "2027-13-01T00:00:00Z"}),
            "completed_since",
        ),
        (json!({"project": "31", "limit": 0}), "limit"),
        (json!({"project": "31", "limit": 5000}), "limit"),
        (json!({"project": "31", "page_size": 200}), "page_size"),
        (json!({"project": "31", "max_pages": 0}), "max_pages"),
        (json!({"project": "31", "section": "1"}), "section"),
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
    for (status, kind) in [(404, ErrorKind::NotFound), (403, ErrorKind::Forbidden)] {
        mock_http(move |_| {
            Ok(Response::json_of(
                status,
                &json!({"errors": [{"message": "Unknown object: 9"}]}),
            ))
        });
        let err = run(json!({"project": "9"})).unwrap_err();
        assert_eq!(err.kind, kind);
        if status == 404 {
            assert_eq!(err.field.as_deref(), Some("project"));
        }
    }
    clear_mock();
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.read-project-tasks", "1.0.0")
    );
    assert_eq!(m.scopes, ["tasks:read"]);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["project"]));
    assert_eq!(input["properties"]["page_size"]["default"], 100);
}
