use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

#[test]
fn deletes_the_task() {
    mock_http(|req| {
        assert_eq!(req.method.as_str(), "DELETE");
        assert_eq!(req.url, "/tasks/42");
        assert!(req.query.is_empty());
        assert_eq!(req.body, None);
        Ok(Response::json_of(200, &json!({"data": {}})))
    });
    let out = run(json!({"task": " 42 "})).unwrap();
    clear_mock();
    assert_eq!(out, json!({"deleted": true, "task": "42"}));
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({}), "task"),
        (json!({"task": " "}), "task"),
        (json!({"task": "../users/me"}), "task"),
        (json!({"task": "42", "force": true}), "force"),
    ] {
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}: {}", e.message);
    }
    clear_mock();
}

#[test]
fn asana_errors_map_to_kinds() {
    for (status, kind, field) in [
        (404, ErrorKind::NotFound, Some("task")),
        (403, ErrorKind::Forbidden, None),
        (401, ErrorKind::Unauthorized, None),
    ] {
        mock_http(move |_| {
            Ok(Response::json_of(
                status,
                &json!({"errors": [{"message": "no"}]}),
            ))
        });
        let e = run(json!({"task": "42"})).unwrap_err();
        assert_eq!((e.kind, e.field.as_deref()), (kind, field), "{status}");
    }
    clear_mock();
}
