use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn run(input: Value) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), &Context::new("github"))
        .map(|out| serde_json::from_str(&out).unwrap())
}

/// GitHub's answer for a user (more fields than the card reads).
fn octocat() -> Value {
    json!({
        "login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
        "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4",
        "html_url": "https://github.com/octocat", "type": "User", "site_admin": false,
        "name": "The Octocat", "company": "@github", "blog": "https://github.blog",
        "location": "San Francisco", "email": null, "hireable": null, "bio": null,
        "public_repos": 8, "followers": 9, "following": 9,
        "created_at": "2011-01-25T18:44:36Z", "updated_at": "2024-01-22T12:09:35Z"
    })
}

fn header<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Answers `/user` and `/users/octocat` with octocat, and the orgs list with
/// `orgs` organizations served by page; the requests, once sent.
fn serve(orgs: usize) -> Rc<RefCell<Vec<Request>>> {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        assert_eq!(req.method, Method::Get);
        assert_eq!(header(req, "accept"), Some("application/vnd.github+json"));
        assert_eq!(header(req, "authorization"), None);
        let base = "https://api.github.com/users/octocat/orgs";
        let (page, per_page) = match req.url.strip_prefix(base) {
            Some(rest) => {
                let n = |k: &str| {
                    rest.trim_start_matches('?')
                        .split('&')
                        .find_map(|p| p.strip_prefix(k))
                        .map(|v| v.parse::<usize>().unwrap())
                        .unwrap()
                };
                (n("page="), n("per_page="))
            }
            None if req.url == "/users/octocat/orgs" => {
                assert_eq!(req.query.len(), 1);
                (1, req.query[0].1.parse().unwrap())
            }
            None => {
                assert!(matches!(req.url.as_str(), "/user" | "/users/octocat"));
                return Ok(Response::json_of(200, &octocat()));
            }
        };
        let items: Vec<Value> = (0..orgs)
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|i| json!({"login": format!("org{i}"), "id": i, "node_id": "x", "description": if i == 0 { Value::Null } else { json!("d") }}))
            .collect();
        let mut r = Response::json_of(200, &json!(items));
        if page * per_page < orgs {
            let last = orgs.div_ceil(per_page);
            r.headers.push((
                "link".into(),
                format!(
                    "<{base}?per_page={per_page}&page={}>; rel=\"next\", <{base}?per_page={per_page}&page={last}>; rel=\"last\"",
                    page + 1
                ),
            ));
        }
        Ok(r)
    });
    seen
}

fn urls(seen: &Rc<RefCell<Vec<Request>>>) -> Vec<String> {
    seen.borrow().iter().map(|r| r.url.clone()).collect()
}

#[test]
fn reads_the_connections_own_user() {
    for input in [
        json!({}),
        json!({"username": "me"}),
        json!({"username": null}),
    ] {
        let seen = serve(0);
        let out = run(input.clone()).unwrap();
        assert_eq!(urls(&seen), ["/user"], "{input}");
        assert_eq!(
            out,
            json!({
                "login": "octocat", "id": 583231, "name": "The Octocat", "email": null,
                "company": "@github", "location": "San Francisco",
                "html_url": "https://github.com/octocat", "type": "User",
                "created_at": "2011-01-25T18:44:36Z"
            })
        );
    }
    clear_mock();
}

#[test]
fn reads_a_user_by_login() {
    let seen = serve(0);
    let out = run(json!({"username": " octocat "})).unwrap();
    clear_mock();
    assert_eq!(urls(&seen), ["/users/octocat"]);
    assert!(seen.borrow()[0].query.is_empty());
    assert_eq!(out["login"], "octocat");
    assert!(out.get("organizations").is_none());
}

#[test]
fn lists_organizations_up_to_the_cap() {
    let seen = serve(3);
    let out = run(json!({"include_organizations": true})).unwrap();
    assert_eq!(urls(&seen), ["/user", "/users/octocat/orgs"]);
    assert_eq!(seen.borrow()[1].query, [("per_page".into(), "100".into())]);
    assert_eq!(
        out["organizations"],
        json!([{"login": "org0", "id": 0, "description": null},
               {"login": "org1", "id": 1, "description": "d"},
               {"login": "org2", "id": 2, "description": "d"}])
    );
    assert_eq!(out["organizations_truncated"], false);

    let seen = serve(250);
    let out = run(
        json!({"username": "octocat", "include_organizations": true, "max_organizations": 150}),
    )
    .unwrap();
    let base = "https://api.github.com/users/octocat/orgs";
    assert_eq!(
        urls(&seen),
        [
            "/users/octocat".to_string(),
            "/users/octocat/orgs".to_string(),
            format!("{base}?per_page=100&page=2")
        ]
    );
    assert_eq!(out["organizations"].as_array().unwrap().len(), 150);
    assert_eq!(out["organizations"][149]["login"], "org149");
    assert_eq!(out["organizations_truncated"], true);

    let seen = serve(5);
    let out = run(json!({"include_organizations": true, "max_organizations": 2})).unwrap();
    clear_mock();
    assert_eq!(seen.borrow()[1].query, [("per_page".into(), "2".into())]);
    assert_eq!(seen.borrow().len(), 2);
    assert_eq!(out["organizations"].as_array().unwrap().len(), 2);
    assert_eq!(out["organizations_truncated"], true);
}

#[test]
fn refuses_bad_input_before_any_call() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    for (input, field) in [
        (json!({"username": ""}), "username"),
        (json!({"username": "-octocat"}), "username"),
        (json!({"username": "octo.cat"}), "username"),
        (json!({"username": "octo cat"}), "username"),
        (json!({"username": "../orgs/github"}), "username"),
        (json!({"username": "x".repeat(40)}), "username"),
        (json!({"max_organizations": 0}), "max_organizations"),
        (json!({"max_organizations": 1001}), "max_organizations"),
        (json!({"max_organizations": -1}), "max_organizations"),
        (json!({"page_size": 0}), "page_size"),
        (json!({"page_size": 101}), "page_size"),
        (
            json!({"include_organizations": "yes"}),
            "include_organizations",
        ),
        (json!({"user": "octocat"}), "user"),
    ] {
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
fn a_missing_user_is_not_found() {
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/users/users#get-a-user", "status": "404"}),
        ))
    });
    let err = run(json!({"username": "no-such-user"})).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.field.as_deref(), Some("username"));
    assert!(
        err.message.starts_with("GitHub has no user `no-such-user`"),
        "{}",
        err.message
    );
}

#[test]
fn github_errors_become_card_errors() {
    mock_http(|_| {
        Ok(Response::json_of(
            401,
            &json!({"message": "Bad credentials", "status": "401"}),
        ))
    });
    let err = run(json!({})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    mock_http(|_| Err(HttpError::NeedsReauth("connect GitHub again".into())));
    let err = run(json!({})).unwrap_err();
    clear_mock();
    assert_eq!(
        (err.kind, err.message.as_str()),
        (ErrorKind::Http, "connect GitHub again")
    );
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(m.id, "github.read-user");
    assert_eq!(m.scopes, ["read:user"]);
    assert!(!m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    assert_eq!(input["additionalProperties"], false);
    assert!(input.get("required").is_none_or(|r| r == &json!([])));
    assert_eq!(input["properties"]["max_organizations"]["maximum"], 1000);
    assert_eq!(input["properties"]["max_organizations"]["minimum"], 1);
    for key in [
        "login",
        "id",
        "name",
        "email",
        "company",
        "location",
        "html_url",
        "type",
        "created_at",
        "organizations",
        "organizations_truncated",
    ] {
        assert!(
            output["properties"][key]["description"].is_string(),
            "{key}"
        );
    }
    assert!(output["properties"]["email"]["description"]
        .as_str()
        .unwrap()
        .contains("public"));
}
