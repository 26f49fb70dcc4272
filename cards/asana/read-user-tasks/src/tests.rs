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

/// A mock with the user's task list 77 and two pages of its tasks.
fn my_tasks() -> Seen {
    let seen: Seen = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        assert_eq!(req.method.as_str(), "GET");
        log.borrow_mut().push((req.url.clone(), req.query.clone()));
        let body = match (
            req.url.as_str(),
            req.query.iter().any(|(k, _)| k == "offset"),
        ) {
            ("/user_task_lists/77/tasks", false) => json!({
                "data": [{"gid": "1", "name": "A", "completed": false}],
                "next_page": {"offset": "o2", "path": "/x", "uri": "https://x"}}),
            ("/user_task_lists/77/tasks", true) => {
                json!({"data": [{"gid": "2", "name": "B"}], "next_page": null})
            }
            (_, _) => json!({"data": {"gid": "77", "resource_type": "user_task_list",
                                      "owner": {"gid": "7", "name": "Ada", "resource_type": "user"}}}),
        };
        Ok(Response::json_of(200, &body))
    });
    seen
}

#[test]
fn finds_the_list_then_reads_its_pages() {
    let seen = my_tasks();
    let out = run(json!({"user": "ada@x.io", "completed_since": "now", "page_size": 1})).unwrap();
    clear_mock();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0],
        (
            "/users/ada@x.io/user_task_list".to_string(),
            q(&[("workspace", "1"), ("opt_fields", "owner")])
        )
    );
    assert_eq!(
        seen[1],
        (
            "/user_task_lists/77/tasks".to_string(),
            q(&[
                ("opt_fields", FIELDS),
                ("completed_since", "now"),
                ("limit", "1")
            ])
        )
    );
    assert_eq!(
        seen[2].1,
        q(&[
            ("opt_fields", FIELDS),
            ("completed_since", "now"),
            ("limit", "1"),
            ("offset", "o2")
        ])
    );
    assert_eq!(
        out,
        json!({
            "user": {"gid": "7", "name": "Ada"}, "user_task_list": "77", "count": 2, "more": false,
            "tasks": [
                {"gid": "1", "name": "A", "completed": false, "assignee": null, "due_on": null, "due_at": null, "permalink_url": null},
                {"gid": "2", "name": "B", "completed": null, "assignee": null, "due_on": null, "due_at": null, "permalink_url": null}
            ]
        })
    );
}

#[test]
fn a_given_workspace_and_a_limit() {
    let seen = my_tasks();
    let out = run(json!({"user": "me", "workspace": "9", "limit": 1})).unwrap();
    clear_mock();
    assert_eq!(seen.borrow()[0].1[0], ("workspace".into(), "9".into()));
    assert_eq!(
        seen.borrow()[1].1,
        q(&[("opt_fields", FIELDS), ("limit", "1")])
    );
    assert_eq!(
        (out["count"].clone(), out["more"].clone()),
        (json!(1), json!(true))
    );
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({}), "user"),
        (json!({"user": ""}), "user"),
        (json!({"user": "me/../x"}), "user"),
        (
            json!({"user": "me", "completed_since": "soon"}),
            "completed_since",
        ),
        (json!({"user": "me", "limit": 0}), "limit"),
        (json!({"user": "me", "page_size": 0}), "page_size"),
        (json!({"user": "me", "max_pages": 101}), "max_pages"),
        (json!({"user": "me", "project": "1"}), "project"),
    ] {
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}: {}", e.message);
    }
    let e = run_with(json!({"user": "me"}), &Context::new("asana")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("workspace"));
    clear_mock();
}

#[test]
fn a_404_names_the_user_or_the_workspace() {
    for (message, field) in [
        ("user: Unknown object: 5", "user"),
        ("workspace: Unknown object: 1", "workspace"),
    ] {
        mock_http(move |_| {
            Ok(Response::json_of(
                404,
                &json!({"errors": [{"message": message}]}),
            ))
        });
        let e = run(json!({"user": "5"})).unwrap_err();
        assert_eq!(
            (e.kind, e.field.as_deref()),
            (ErrorKind::NotFound, Some(field))
        );
    }
    mock_http(|_| {
        Ok(Response::json_of(
            403,
            &json!({"errors": [{"message": "Forbidden"}]}),
        ))
    });
    assert_eq!(
        run(json!({"user": "5"})).unwrap_err().kind,
        ErrorKind::Forbidden
    );
    clear_mock();
}
