use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A mock serving three pages of two projects; the requests are logged.
fn three_pages() -> Rc<RefCell<Vec<Request>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        let offset = req
            .query
            .iter()
            .find(|(k, _)| k == "offset")
            .map(|(_, v)| v.as_str());
        let p = |gid: &str, name: &str| {
            json!({"gid": gid, "resource_type": "project", "name": name, "archived": false,
                   "permalink_url": format!("https://app.asana.com/1/11/project/{gid}")})
        };
        let (data, next) = match offset {
            None => (
                json!([p("1", "Launch plan"), p("2", "Budget")]),
                json!({"offset": "o2"}),
            ),
            Some("o2") => (
                json!([p("3", "Relaunch"), p("4", "Hiring")]),
                json!({"offset": "o3"}),
            ),
            _ => (
                json!([p("5", "LAUNCH party"), p("6", "Garden")]),
                Value::Null,
            ),
        };
        Ok(Response::json_of(
            200,
            &json!({"data": data, "next_page": next}),
        ))
    });
    seen
}

#[test]
fn lists_a_workspaces_projects_page_by_page_and_keeps_the_matches() {
    let seen = three_pages();
    let ctx = Context::new("asana");
    let out = run(
        json!({"query": " launch ", "workspace": "11", "archived": false, "page_size": 2}),
        &ctx,
    )
    .unwrap();
    clear_mock();
    let gids: Vec<&str> = out["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["gid"].as_str().unwrap())
        .collect();
    assert_eq!(gids, ["1", "3", "5"]);
    assert_eq!(out["more"], false);
    assert_eq!(
        out["projects"][0],
        json!({"gid": "1", "name": "Launch plan", "archived": false,
               "permalink_url": "https://app.asana.com/1/11/project/1"})
    );
    let seen = seen.borrow();
    assert_eq!(seen.len(), 3);
    assert!(seen
        .iter()
        .all(|r| r.method.as_str() == "GET" && r.url == "/projects"));
    let base = [
        ("opt_fields", "name,archived,permalink_url"),
        ("archived", "false"),
        ("workspace", "11"),
        ("limit", "2"),
    ];
    assert_eq!(seen[0].query, q(&base));
    let mut second = base.to_vec();
    second.push(("offset", "o2"));
    assert_eq!(seen[1].query, q(&second));
}

#[test]
fn a_teams_projects_and_the_caps() {
    let seen = three_pages();
    let ctx = Context::new("asana").with_default_workspace("11");
    let out = run(
        json!({"query": "launch", "team": "21", "limit": 2, "page_size": 2}),
        &ctx,
    )
    .unwrap();
    assert_eq!(
        (out["projects"].as_array().unwrap().len(), &out["more"]),
        (2, &json!(true))
    );
    assert_eq!(seen.borrow()[0].url, "/teams/21/projects");
    assert_eq!(
        seen.borrow()[0].query,
        q(&[
            ("opt_fields", "name,archived,permalink_url"),
            ("limit", "2")
        ])
    );
    seen.borrow_mut().clear();
    let out = run(
        json!({"query": "launch", "max_pages": 1, "page_size": 2}),
        &ctx,
    )
    .unwrap();
    clear_mock();
    assert_eq!(
        (out["projects"].as_array().unwrap().len(), &out["more"]),
        (1, &json!(true))
    );
    assert_eq!(seen.borrow().len(), 1);
    assert_eq!(seen.borrow()[0].url, "/projects");
    assert!(seen.borrow()[0]
        .query
        .contains(&("workspace".to_string(), "11".to_string())));
}

#[test]
fn validates_before_any_call() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    let ctx = Context::new("asana").with_default_workspace("11");
    let cases = [
        (json!({"query": " "}), "query"),
        (json!({}), "query"),
        (json!({"query": "a", "limit": 0}), "limit"),
        (json!({"query": "a", "limit": 1001}), "limit"),
        (json!({"query": "a", "limit": -1}), "limit"),
        (json!({"query": "a", "page_size": 0}), "page_size"),
        (json!({"query": "a", "page_size": 101}), "page_size"),
        (json!({"query": "a", "max_pages": 0}), "max_pages"),
        (json!({"query": "a", "max_pages": 101}), "max_pages"),
        (json!({"query": "a", "team": "2/1"}), "team"),
        (json!({"query": "a", "archived": "no"}), "archived"),
        (json!({"query": "a", "count": 5}), "count"),
    ];
    for (input, field) in cases {
        let err = run(input.clone(), &ctx).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(
            err.field.as_deref(),
            Some(field),
            "{input}: {}",
            err.message
        );
    }
    let err = run(json!({"query": "a"}), &Context::new("asana")).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("workspace"));
    clear_mock();
}

#[test]
fn maps_asanas_refusals() {
    let ctx = Context::new("asana");
    for (input, status, kind, field) in [
        (
            json!({"query": "a", "team": "9"}),
            404,
            ErrorKind::NotFound,
            Some("team"),
        ),
        (
            json!({"query": "a", "workspace": "9"}),
            404,
            ErrorKind::NotFound,
            Some("workspace"),
        ),
        (
            json!({"query": "a", "workspace": "9"}),
            403,
            ErrorKind::Forbidden,
            None,
        ),
    ] {
        mock_http(move |_| {
            Ok(Response::json_of(
                status,
                &json!({"errors": [{"message": "Unknown object: 9"}]}),
            ))
        });
        let err = run(input.clone(), &ctx).unwrap_err();
        assert_eq!((err.kind, err.field.as_deref()), (kind, field), "{input}");
    }
    clear_mock();
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.search-projects", "1.0.0")
    );
    assert_eq!(m.scopes, ["projects:read"]);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["query"]));
    assert_eq!(input["properties"]["limit"]["default"], 100);
    assert_eq!(input["properties"]["max_pages"]["maximum"], 100);
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    assert!(output["properties"]["more"]["description"].is_string());
}
