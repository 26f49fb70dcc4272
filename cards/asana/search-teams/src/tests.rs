use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn ctx() -> Context {
    Context::new("asana").with_default_workspace("1")
}

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

/// Teams in pages of two: Engineering, Design | Platform Engineering,
/// Sales | engineering-ops. The requests sent.
fn mock_teams() -> Rc<RefCell<Vec<Request>>> {
    let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        let team =
            |gid: &str, name: &str| json!({"gid": gid, "resource_type": "team", "name": name});
        let offset = req.query.iter().find(|(k, _)| k == "offset");
        let (data, next) = match offset.map(|(_, v)| v.as_str()) {
            None => (
                json!([team("10", "Engineering"), team("11", "Design")]),
                json!({"offset": "o2"}),
            ),
            Some("o2") => (
                json!([team("12", "Platform ENGINEERING"), team("13", "Sales")]),
                json!({"offset": "o3"}),
            ),
            _ => (json!([team("14", "engineering-ops")]), Value::Null),
        };
        Ok(Response::json_of(
            200,
            &json!({"data": data, "next_page": next}),
        ))
    });
    seen
}

fn gids(out: &Value) -> Vec<&str> {
    out["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["gid"].as_str().unwrap())
        .collect()
}

#[test]
fn finds_names_containing_the_query_in_any_case_across_pages() {
    let seen = mock_teams();
    let out = run(json!({"query": " Engineer ", "page_size": 2}), &ctx()).unwrap();
    clear_mock();
    assert_eq!(gids(&out), ["10", "12", "14"]);
    assert_eq!(
        (out["count"].clone(), out["more"].clone()),
        (json!(3), json!(false))
    );
    assert_eq!(
        out["teams"][0],
        json!({"gid": "10", "name": "Engineering", "permalink_url": null})
    );
    let seen = seen.borrow();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        (seen[0].method, seen[0].url.as_str()),
        (Method::Get, "/workspaces/1/teams")
    );
    let q = |r: &Request| {
        r.query
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    assert_eq!(q(&seen[0]), ["opt_fields=name,permalink_url", "limit=2"]);
    assert_eq!(
        q(&seen[1]),
        ["opt_fields=name,permalink_url", "limit=2", "offset=o2"]
    );
}

#[test]
fn stops_at_the_limit_or_the_page_cap() {
    let seen = mock_teams();
    let out = run(
        json!({"query": "engineering", "page_size": 2, "limit": 2, "workspace": "9"}),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        (gids(&out), out["more"].clone()),
        (vec!["10", "12"], json!(true))
    );
    assert_eq!(seen.borrow()[0].url, "/workspaces/9/teams");
    let out = run(
        json!({"query": "engineering", "page_size": 2, "max_pages": 1}),
        &ctx(),
    )
    .unwrap();
    clear_mock();
    assert_eq!((gids(&out), out["more"].clone()), (vec!["10"], json!(true)));
}

#[test]
fn no_match_is_an_empty_list() {
    mock_teams();
    let out = run(json!({"query": "finance"}), &ctx()).unwrap();
    clear_mock();
    assert_eq!(out, json!({"teams": [], "count": 0, "more": false}));
}

#[test]
fn a_404_names_the_workspace() {
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "workspace: Unknown object: 9"}]}),
        ))
    });
    let err = run(json!({"query": "x", "workspace": "9"}), &ctx()).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("workspace"))
    );
    mock_http(|_| {
        Ok(Response::json_of(
            403,
            &json!({"errors": [{"message": "Forbidden"}]}),
        ))
    });
    let err = run(json!({"query": "x"}), &ctx()).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Forbidden);
}

#[test]
fn validates_before_any_request() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, ctx, field) in [
        (json!({}), ctx(), "query"),
        (json!({"query": "  "}), ctx(), "query"),
        (json!({"query": "x"}), Context::new("asana"), "workspace"),
        (
            json!({"query": "x", "workspace": "1/2"}),
            ctx(),
            "workspace",
        ),
        (json!({"query": "x", "limit": 0}), ctx(), "limit"),
        (json!({"query": "x", "page_size": 0}), ctx(), "page_size"),
        (json!({"query": "x", "max_pages": 101}), ctx(), "max_pages"),
        (json!({"query": "x", "count": 5}), ctx(), "count"),
    ] {
        let err = run(input.clone(), &ctx).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
    }
    clear_mock();
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.search-teams", "1.0.0")
    );
    assert_eq!(m.scopes, ["teams:read"]);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["query"]));
    assert_eq!(input["properties"]["max_pages"]["maximum"], 100);
}
