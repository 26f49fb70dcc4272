use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("asana"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

/// Runs `input` against a mock answering `status` with `body`; the output
/// and the body sent.
fn run_sent(input: Value, status: u16, body: Value) -> (Result<Value, CardError>, Value) {
    let sent = Rc::new(RefCell::new(Value::Null));
    let keep = sent.clone();
    mock_http(move |req| {
        assert_eq!(req.method.as_str(), "POST");
        assert_eq!(req.url, "/tasks/42/stories");
        assert_eq!(
            req.query,
            [(
                "opt_fields".to_string(),
                "created_at,text,created_by.name".to_string()
            )]
        );
        *keep.borrow_mut() = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
        Ok(Response::json_of(status, &body))
    });
    let out = run(input);
    clear_mock();
    let sent = sent.borrow().clone();
    (out, sent)
}

fn story() -> Value {
    json!({"data": {"gid": "900", "resource_type": "story", "created_at": "2027-01-02T03:04:05.000Z",
                    "text": "Handed over to Grace",
                    "created_by": {"gid": "7", "name": "Ada", "resource_type": "user"}}})
}

#[test]
fn posts_plain_text() {
    let (out, sent) = run_sent(
        json!({"task": "42", "text": "Handed over to Grace"}),
        201,
        story(),
    );
    assert_eq!(sent, json!({"data": {"text": "Handed over to Grace"}}));
    assert_eq!(
        out.unwrap(),
        json!({"gid": "900", "created_at": "2027-01-02T03:04:05.000Z", "text": "Handed over to Grace",
               "created_by": {"gid": "7", "name": "Ada"}})
    );
}

#[test]
fn posts_rich_text() {
    let html = "<body>Handed to <strong>Grace</strong></body>";
    let (out, sent) = run_sent(json!({"task": "42", "html_text": html}), 201, story());
    assert_eq!(sent, json!({"data": {"html_text": html}}));
    assert_eq!(out.unwrap()["gid"], "900");
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({"text": "x"}), "task"),
        (json!({"task": "4 2", "text": "x"}), "task"),
        (json!({"task": "42"}), "text"),
        (json!({"task": "42", "text": " "}), "text"),
        (
            json!({"task": "42", "text": "a", "html_text": "<body>b</body>"}),
            "html_text",
        ),
        (json!({"task": "42", "html_text": "plain"}), "html_text"),
        (
            json!({"task": "42", "html_text": "<body><b>x</body>"}),
            "html_text",
        ),
        (json!({"task": "42", "html_text": "<p>x</p>"}), "html_text"),
        (
            json!({"task": "42", "text": "x", "is_pinned": true}),
            "is_pinned",
        ),
    ] {
        let e = run(input.clone()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(e.field.as_deref(), Some(field), "{input}: {}", e.message);
        assert!(e.message.contains(field), "{input}: {}", e.message);
    }
    clear_mock();
}

#[test]
fn asana_errors_map_to_kinds() {
    let err = |status, message: &str| {
        let body = json!({"errors": [{"message": message}]});
        run_sent(json!({"task": "42", "text": "x"}), status, body)
            .0
            .unwrap_err()
    };
    let e = err(404, "task: Unknown object: 42");
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::NotFound, Some("task"))
    );
    assert_eq!(err(403, "Forbidden").kind, ErrorKind::Forbidden);
    let e = err(400, "html_text: XML is invalid");
    assert_eq!(
        (e.kind, e.field.as_deref()),
        (ErrorKind::InvalidInput, Some("html_text"))
    );
}
