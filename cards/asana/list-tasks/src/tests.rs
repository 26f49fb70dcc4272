use super::*;
use cardhost_sdk::asana::TASK_SUMMARY_FIELDS as FIELDS;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

type Seen = Rc<RefCell<Vec<(String, Vec<(String, String)>)>>>;

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

/// A mock answering two pages (tasks 1, 2 then 3) and keeping each request.
fn two_pages() -> Seen {
    let seen: Seen = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        assert_eq!(req.method.as_str(), "GET");
        log.borrow_mut().push((req.url.clone(), req.query.clone()));
        let second = req.query.iter().any(|(k, _)| k == "offset");
        let body = if second {
            json!({"data": [{"gid": "3", "name": "C", "completed": false, "assignee": null}], "next_page": null})
        } else {
            json!({"data": [{"gid": "1", "name": "A", "completed": false,
                             "assignee": {"gid": "7", "name": "Ada", "resource_type": "user"}},
                            {"gid": "2", "name": "B", "completed": false}],
                   "next_page": {"offset": "next", "path": "/x", "uri": "https://x"}})
        };
        Ok(Response::json_of(200, &body))
    });
    seen
}

#[test]
fn a_projects_tasks_over_two_pages() {
    let seen = two_pages();
    let out = run(json!({"project": "5", "completed_since": "now", "page_size": 2})).unwrap();
    clear_mock();
    assert_eq!(
        seen.borrow()[0],
        (
            "/projects/5/tasks".to_string(),
            q(&[
                ("opt_fields", FIELDS),
                ("completed_since", "now"),
                ("limit", "2")
            ])
        )
    );
    assert_eq!(
        seen.borrow()[1].1,
        q(&[
            ("opt_fields", FIELDS),
            ("completed_since", "now"),
            ("limit", "2"),
            ("offset", "next")
        ])
    );
    assert_eq!(out["count"], 3);
    assert_eq!(out["more"], false);
    assert_eq!(out["tasks"][0]["gid"], "1");
    assert_eq!(
        out["tasks"][0]["assignee"],
        json!({"gid": "7", "name": "Ada"})
    );
    assert_eq!(out["tasks"][2]["gid"], "3");
}

#[test]
fn a_limit_stops_early_and_says_there_is_more() {
    let seen = two_pages();
    let out = run(json!({"section": "6", "limit": 2})).unwrap();
    clear_mock();
    assert_eq!(seen.borrow().len(), 1);
    assert_eq!(
        seen.borrow()[0],
        (
            "/sections/6/tasks".to_string(),
            q(&[("opt_fields", FIELDS), ("limit", "2")])
        )
    );
    assert_eq!(
        (out["count"].clone(), out["more"].clone()),
        (json!(2), json!(true))
    );
    let seen = two_pages();
    let out = run(json!({"project": "5", "page_size": 2, "max_pages": 1})).unwrap();
    clear_mock();
    assert_eq!(seen.borrow().len(), 1);
    assert_eq!(out["more"], true);
}

#[test]
fn an_assignees_tasks_in_the_default_or_given_workspace() {
    let seen = two_pages();
    run(json!({"assignee": "ada@x.io", "completed_since": "2027-01-01T01:00:00+01:00"})).unwrap();
    run(json!({"assignee": "me", "workspace": "9", "limit": 1})).unwrap();
    clear_mock();
    let seen = seen.borrow();
    assert_eq!(
        seen[0],
        (
            "/tasks".to_string(),
            q(&[
                ("opt_fields", FIELDS),
                ("assignee", "ada@x.io"),
                ("workspace", "1"),
                ("completed_since", "2027-01-01T00:00:00Z"),
                ("limit", "100")
            ])
        )
    );
    assert_eq!(
        seen[2].1,
        q(&[
            ("opt_fields", FIELDS),
            ("assignee", "me"),
            ("workspace", "9"),
            ("limit", "1")
        ])
    );
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({}), "project"),
        (json!({"completed_since": "now"}), "project"),
        (json!({"project": "1", "section": "2"}), "section"),
        (json!({"project": "1", "assignee": "me"}), "assignee"),
        (json!({"section": "2", "assignee": "me"}), "assignee"),
        (json!({"project": "1", "workspace": "1"}), "workspace"),
        (json!({"project": " "}), "project"),
        (json!({"section": "a/b"}), "section"),
        (json!({"assignee": "a b"}), "assignee"),
        (json!({"assignee": ""}), "assignee"),
        (
            json!({"project": "1", "completed_since": "yesterday"}),
            "completed_since",
        ),
        (
            json!({"project": "1", "completed_since": "2027-01-01"}),
            "completed_since",
        ),
        (json!({"project": "1", "limit": 0}), "limit"),
        (json!({"project": "1", "limit": 1001}), "limit"),
        (json!({"project": "1", "page_size": 101}), "page_size"),
        (json!({"project": "1", "max_pages": 0}), "max_pages"),
        (json!({"project": "1", "limit": -1}), "limit"),
        (json!({"project": "1", "tag": "2"}), "tag"),
    ] {
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}: {}", e.message);
    }
    let e = run_with(json!({"assignee": "me"}), &Context::new("asana")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("workspace"));
    clear_mock();
}

#[test]
fn a_404_names_the_field_that_pointed_at_it() {
    for (input, message, field) in [
        (
            json!({"project": "5"}),
            "project: Unknown object: 5",
            "project",
        ),
        (
            json!({"section": "6"}),
            "section: Unknown object: 6",
            "section",
        ),
        (
            json!({"assignee": "me", "workspace": "9"}),
            "workspace: Unknown object: 9",
            "workspace",
        ),
        (json!({"assignee": "nobody@x.io"}), "Not Found", "assignee"),
    ] {
        mock_http(move |_| {
            Ok(Response::json_of(
                404,
                &json!({"errors": [{"message": message}]}),
            ))
        });
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}");
    }
    mock_http(|_| {
        Ok(Response::json_of(
            403,
            &json!({"errors": [{"message": "Forbidden"}]}),
        ))
    });
    assert_eq!(
        run(json!({"project": "5"})).unwrap_err().kind,
        ErrorKind::Forbidden
    );
    clear_mock();
}
