use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http, take_logs};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("github"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

/// Runs with an HTTP mock that fails the test if called.
fn run_offline(input: Value) -> CardError {
    mock_http(|req| panic!("no HTTP call expected before validation, got {}", req.url));
    let err = run(input).unwrap_err();
    clear_mock();
    err
}

/// GitHub's 201 answer for an issue with `assignees` and `labels` (more
/// fields than the card reads).
fn created(assignees: &[&str], labels: &[&str]) -> Value {
    json!({
        "id": 1, "node_id": "MDU6SXNzdWUx",
        "url": "https://api.github.com/repos/octocat/Hello-World/issues/1347",
        "repository_url": "https://api.github.com/repos/octocat/Hello-World",
        "html_url": "https://github.com/octocat/Hello-World/issues/1347",
        "number": 1347, "state": "open", "title": "Found a bug", "body": "I'm having a problem with this.",
        "user": {"login": "octocat", "id": 1},
        "labels": labels.iter().map(|l| json!({"id": 208045946, "name": l, "color": "f29513", "default": true})).collect::<Vec<_>>(),
        "assignee": null,
        "assignees": assignees.iter().map(|a| json!({"login": a, "id": 2})).collect::<Vec<_>>(),
        "milestone": null, "locked": false, "comments": 0,
        "created_at": "2011-04-22T13:33:48Z", "updated_at": "2011-04-22T13:33:48Z", "closed_at": null
    })
}

/// Answers with 201 and `issue`; the request, once sent.
fn answer_created(issue: Value) -> Rc<RefCell<Option<Request>>> {
    let seen = Rc::new(RefCell::new(None));
    let log = seen.clone();
    mock_http(move |req| {
        *log.borrow_mut() = Some(req.clone());
        Ok(Response::json_of(201, &issue))
    });
    seen
}

fn answer_error(status: u16, body: Value) {
    mock_http(move |_| Ok(Response::json_of(status, &body)));
}

#[test]
fn creates_the_issue() {
    let seen = answer_created(created(&["octocat"], &["bug"]));
    let out = run(json!({
        "owner": "octocat", "repo": "Hello-World", "title": " Found a bug ",
        "body": "I'm having a problem with this.", "assignees": ["octocat"], "labels": ["bug"]
    }))
    .unwrap();
    clear_mock();
    let req = seen.borrow_mut().take().unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "/repos/octocat/Hello-World/issues");
    assert!(req.query.is_empty());
    assert_eq!(req.credential, Credential::Connection);
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("accept"), Some("application/vnd.github+json"));
    assert_eq!(header("authorization"), None);
    let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"title": "Found a bug", "body": "I'm having a problem with this.",
               "assignees": ["octocat"], "labels": ["bug"]})
    );
    assert_eq!(
        out,
        json!({
            "number": 1347, "id": 1, "node_id": "MDU6SXNzdWUx",
            "html_url": "https://github.com/octocat/Hello-World/issues/1347",
            "url": "https://api.github.com/repos/octocat/Hello-World/issues/1347",
            "state": "open", "title": "Found a bug", "assignees": ["octocat"], "labels": ["bug"],
            "created_at": "2011-04-22T13:33:48Z"
        })
    );
    assert!(take_logs().is_empty());
}

#[test]
fn sends_only_what_is_given() {
    let seen = answer_created(created(&[], &[]));
    let out = run(json!({"owner": "octo-org", "repo": ".github", "title": "t"})).unwrap();
    clear_mock();
    let req = seen.borrow_mut().take().unwrap();
    assert_eq!(req.url, "/repos/octo-org/.github/issues");
    let body: Value = serde_json::from_slice(req.body.as_deref().unwrap()).unwrap();
    assert_eq!(body, json!({"title": "t"}));
    assert_eq!(
        (&out["assignees"], &out["labels"]),
        (&json!([]), &json!([]))
    );
}

#[test]
fn warns_when_github_drops_assignees_or_labels() {
    take_logs();
    answer_created(created(&["Mona"], &[]));
    let out = run(json!({"owner": "o", "repo": "r", "title": "t",
                         "assignees": ["mona", "hubot"], "labels": ["bug"]}))
    .unwrap();
    clear_mock();
    assert_eq!(out["assignees"], json!(["Mona"]));
    let logs = take_logs();
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert!(logs.iter().all(|(level, _)| *level == Level::Warn));
    assert!(logs[0].1.contains("assignees: hubot."), "{}", logs[0].1);
    assert!(logs[0].1.contains("push"), "{}", logs[0].1);
    assert!(logs[1].1.contains("labels: bug."), "{}", logs[1].1);
}

#[test]
fn validates_before_any_call() {
    let ok = |extra: Value| {
        let mut input = json!({"owner": "octocat", "repo": "Hello-World", "title": "t"});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        input
    };
    let eleven: Vec<String> = (0..11).map(|i| format!("user{i}")).collect();
    for (input, field) in [
        (ok(json!({"owner": ""})), "owner"),
        (ok(json!({"owner": "-octocat"})), "owner"),
        (ok(json!({"owner": "octo/cat"})), "owner"),
        (ok(json!({"repo": ""})), "repo"),
        (ok(json!({"repo": "."})), "repo"),
        (ok(json!({"repo": ".."})), "repo"),
        (ok(json!({"repo": "a/b"})), "repo"),
        (ok(json!({"repo": "a b"})), "repo"),
        (ok(json!({"repo": "x".repeat(101)})), "repo"),
        (ok(json!({"title": "  "})), "title"),
        (ok(json!({"assignees": eleven})), "assignees"),
        (
            ok(json!({"assignees": ["mona", "bad login"]})),
            "assignees[1]",
        ),
        (ok(json!({"assignees": ["mona", ""]})), "assignees[1]"),
        (ok(json!({"labels": ["bug", " "]})), "labels[1]"),
        (ok(json!({"milestone": 1})), "milestone"),
        (json!({"owner": "o", "repo": "r"}), "title"),
        (json!({"owner": "o", "title": "t"}), "repo"),
    ] {
        let err = run_offline(input.clone());
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(
            err.field.as_deref(),
            Some(field),
            "{input}: {}",
            err.message
        );
    }
}

#[test]
fn no_length_limit_of_its_own_on_title_or_body() {
    let input: Input = serde_json::from_value(json!({
        "owner": "o", "repo": "r", "title": "t".repeat(300), "body": "b".repeat(70_000)
    }))
    .unwrap();
    let (_, _, issue) = validate(&input).unwrap();
    assert_eq!(
        (issue.title.len(), issue.body.unwrap().len()),
        (300, 70_000)
    );
    let ten: Vec<String> = (0..10).map(|i| format!("user{i}")).collect();
    let input: Input =
        serde_json::from_value(json!({"owner": "o", "repo": "r", "title": "t", "assignees": ten}))
            .unwrap();
    assert_eq!(validate(&input).unwrap().2.assignees.len(), 10);
}

#[test]
fn a_422_names_the_field() {
    let input = json!({"owner": "o", "repo": "r", "title": "t", "assignees": ["nobody"]});
    for (error, field) in [
        (
            json!({"resource": "Issue", "code": "custom", "field": "title",
                   "message": "title is too long (maximum is 256 characters)"}),
            "title",
        ),
        (
            json!({"resource": "Issue", "code": "invalid", "field": "assignees", "value": "nobody"}),
            "assignees",
        ),
        (
            json!({"resource": "Issue", "code": "custom", "field": "body",
                   "message": "body is too long (maximum is 65536 characters)"}),
            "body",
        ),
    ] {
        answer_error(
            422,
            json!({"message": "Validation Failed", "errors": [error],
                   "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue", "status": "422"}),
        );
        let err = run(input.clone()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert_eq!(err.field.as_deref(), Some(field), "{}", err.message);
        assert!(
            err.message.contains("Validation Failed; "),
            "{}",
            err.message
        );
    }
    clear_mock();
}

#[test]
fn a_missing_repository_or_disabled_issues() {
    let input = json!({"owner": "octocat", "repo": "secret", "title": "t"});
    answer_error(404, json!({"message": "Not Found", "status": "404"}));
    let err = run(input.clone()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.field.as_deref(), Some("repo"));
    assert!(
        err.message.starts_with(
            "the repository octocat/secret does not exist, or the connection cannot see it"
        ),
        "{}",
        err.message
    );
    answer_error(
        410,
        json!({"message": "Issues are disabled for this repo", "status": "410"}),
    );
    let err = run(input.clone()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Provider);
    assert!(
        err.message
            .starts_with("issues are disabled for the repository octocat/secret"),
        "{}",
        err.message
    );
    mock_http(|_| {
        let mut r = Response::json_of(
            403,
            &json!({"message": "Resource not accessible by personal access token", "status": "403"}),
        );
        r.headers.push((
            "X-Accepted-GitHub-Permissions".into(),
            "issues=write".into(),
        ));
        Ok(r)
    });
    let err = run(input).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(err.message.contains("`issues=write`"), "{}", err.message);
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(m.id, "github.create-issue");
    assert_eq!(m.scopes, ["repo"]);
    assert!(!m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    assert_eq!(input["additionalProperties"], false);
    assert_eq!(input["required"], json!(["owner", "repo", "title"]));
    assert_eq!(input["properties"]["assignees"]["maxItems"], 10);
    assert_eq!(input["properties"]["title"]["minLength"], 1);
    for key in [
        "number",
        "id",
        "node_id",
        "html_url",
        "url",
        "state",
        "title",
        "assignees",
        "labels",
        "created_at",
    ] {
        assert!(
            output["properties"][key]["description"].is_string(),
            "{key}"
        );
    }
}
