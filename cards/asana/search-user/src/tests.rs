use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http, take_batches};

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

fn pairs(req: &Request) -> Vec<(&str, &str)> {
    req.query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Answers the typeahead with `matches` and `GET /users/{gid}` with a user
/// whose email is `<gid>@x.io` (404 for gid `gone`).
fn mock_directory(matches: Value) {
    mock_http(move |req| match req.url.as_str() {
        "/workspaces/1/typeahead" => Ok(Response::json_of(200, &json!({ "data": matches }))),
        "/users/gone" => Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "user: Unknown object: gone"}]}),
        )),
        url => {
            let gid = url.strip_prefix("/users/").expect("a user read");
            assert_eq!(pairs(req), [("opt_fields", "name,email")]);
            Ok(Response::json_of(
                200,
                &json!({"data": {"gid": gid, "name": format!("User {gid}"), "email": format!("{gid}@x.io")}}),
            ))
        }
    });
}

#[test]
fn a_name_uses_the_typeahead_then_reads_the_emails_at_once() {
    mock_directory(json!([
        {"gid": "5", "resource_type": "user", "name": "Ada"},
        {"gid": "6", "resource_type": "user", "name": "Adam"}
    ]));
    let out = run(
        json!({"query": " ada "}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap();
    let batches = take_batches();
    clear_mock();
    assert_eq!(
        out,
        json!({"users": [
            {"gid": "5", "name": "User 5", "email": "5@x.io"},
            {"gid": "6", "name": "User 6", "email": "6@x.io"}
        ], "count": 2})
    );
    assert_eq!(batches.len(), 1, "the reads go out as one batch");
    let urls: Vec<&str> = batches[0].iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, ["/users/5", "/users/6"]);
}

#[test]
fn the_typeahead_is_asked_for_compact_users() {
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        Ok(Response::json_of(200, &json!({"data": []})))
    });
    let out = run(
        json!({"query": "Grace Hopper", "workspace": "7", "limit": 5}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap();
    let batches = take_batches();
    clear_mock();
    assert_eq!(out, json!({"users": [], "count": 0}));
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].url, "/workspaces/7/typeahead");
    assert_eq!(
        pairs(&seen[0]),
        [
            ("resource_type", "user"),
            ("query", "Grace Hopper"),
            ("count", "5"),
            ("opt_fields", "name")
        ]
    );
    assert!(batches.is_empty(), "no match, no reads");
}

#[test]
fn a_match_asana_no_longer_finds_is_left_out() {
    mock_directory(json!([{"gid": "gone", "name": "Ghost"}, {"gid": "6", "name": "Adam"}]));
    let out = run(
        json!({"query": "a"}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap();
    clear_mock();
    assert_eq!(out["count"], 1);
    assert_eq!(out["users"][0]["gid"], "6");
}

#[test]
fn a_failed_read_fails_the_run() {
    mock_http(|req| match req.url.as_str() {
        "/workspaces/1/typeahead" => Ok(Response::json_of(
            200,
            &json!({"data": [{"gid": "5", "name": "Ada"}]}),
        )),
        _ => Ok(Response::json_of(
            403,
            &json!({"errors": [{"message": "Forbidden"}]}),
        )),
    });
    let err = run(
        json!({"query": "ada"}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Forbidden);
}

#[test]
fn an_email_is_looked_up_in_the_workspace_asked_for() {
    mock_http(|req| {
        assert_eq!(req.url, "/workspaces/7/users/ada@x.io");
        assert_eq!(pairs(req), [("opt_fields", "name,email")]);
        Ok(Response::json_of(
            200,
            &json!({"data": {"gid": "5", "name": "Ada", "email": "ada@x.io"}}),
        ))
    });
    let out = run(
        json!({"query": "ada@x.io", "workspace": "7"}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({"users": [{"gid": "5", "name": "Ada", "email": "ada@x.io"}], "count": 1})
    );
}

#[test]
fn an_email_asana_does_not_find_in_the_workspace_is_nobody() {
    mock_http(|req| {
        assert_eq!(req.url, "/workspaces/1/users/nobody@x.io");
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "user: Unknown object: nobody@x.io"}]}),
        ))
    });
    let out = run(
        json!({"query": "nobody@x.io", "workspace": "1"}),
        &Context::new("asana"),
    )
    .unwrap();
    clear_mock();
    assert_eq!(out, json!({"users": [], "count": 0}));
}

#[test]
fn secondary_emails_are_read_with_scim_at_once() {
    mock_http(|req| match req.url.as_str() {
        "/workspaces/1/typeahead" => Ok(Response::json_of(
            200,
            &json!({"data": [{"gid": "5", "name": "Ada"}, {"gid": "6", "name": "Alan"}]}),
        )),
        "/scim/Users" => {
            assert_eq!(req.credential, Credential::ServiceAccount);
            let (_, filter) = &req.query[0];
            let email = filter
                .strip_prefix("userName eq \"")
                .and_then(|f| f.strip_suffix('"'))
                .expect("only the userName filter");
            Ok(Response::json_of(
                200,
                &json!({"Resources": [{"userName": email, "emails": [
                    {"value": email, "primary": true},
                    {"value": format!("old.{email}")}
                ]}]}),
            ))
        }
        url => {
            assert_eq!(req.credential, Credential::Connection);
            let gid = url.strip_prefix("/users/").unwrap();
            Ok(Response::json_of(
                200,
                &json!({"data": {"gid": gid, "name": "n", "email": format!("{gid}@x.io")}}),
            ))
        }
    });
    let ctx = Context::new("asana")
        .with_default_workspace("1")
        .with_service_account(true);
    let out = run(json!({"query": "a"}), &ctx).unwrap();
    let batches = take_batches();
    clear_mock();
    assert_eq!(out["users"][0]["secondary_emails"], json!(["old.5@x.io"]));
    assert_eq!(out["users"][1]["secondary_emails"], json!(["old.6@x.io"]));
    assert_eq!(batches.len(), 2, "user reads, then SCIM reads");
    let filters: Vec<&str> = batches[1]
        .iter()
        .map(|r| {
            assert_eq!(r.query.len(), 1, "SCIM takes the filter alone");
            r.query[0].1.as_str()
        })
        .collect();
    assert_eq!(
        filters,
        [r#"userName eq "5@x.io""#, r#"userName eq "6@x.io""#]
    );
}

#[test]
fn a_scim_refusal_names_the_service_account_token() {
    mock_http(|req| match req.url.as_str() {
        "/workspaces/1/users/ada@x.io" => Ok(Response::json_of(
            200,
            &json!({"data": {"gid": "5", "name": "Ada", "email": "ada@x.io"}}),
        )),
        _ => Ok(Response::json_of(401, &json!({"detail": "bad token"}))),
    });
    let ctx = Context::new("asana")
        .with_default_workspace("1")
        .with_service_account(true);
    let err = run(json!({"query": "ada@x.io"}), &ctx).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert!(
        err.message.contains("service account token"),
        "{}",
        err.message
    );
}

#[test]
fn a_server_error_keeps_asanas_phrase() {
    mock_http(|_| {
        Ok(Response::json_of(
            500,
            &json!({"errors": [{"message": "Server Error", "phrase": "6 sad squid snuggle softly"}]}),
        ))
    });
    let err = run(
        json!({"query": "ada"}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Provider);
    assert!(
        err.message.contains("6 sad squid snuggle softly"),
        "{}",
        err.message
    );
}

#[test]
fn validates_input() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    let no_ws = Context::new("asana");
    let ws = Context::new("asana").with_default_workspace("1");
    let cases = [
        (json!({"query": "ada"}), &no_ws, "workspace"),
        (
            json!({"query": "ada", "workspace": "1/2"}),
            &ws,
            "workspace",
        ),
        (json!({"query": " "}), &ws, "query"),
        (json!({"query": "ada", "limit": 0}), &ws, "limit"),
        (json!({"query": "ada", "limit": 101}), &ws, "limit"),
        (json!({"query": "ada", "limit": -1}), &ws, "limit"),
    ];
    for (input, ctx, field) in cases {
        let err = run(input.clone(), ctx).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
    }
    clear_mock();
}

#[test]
fn manifest_declares_granular_scopes() {
    let m = __cardhost_manifest();
    assert_eq!(m.scopes, ["users:read", "workspaces.typeahead:read"]);
    assert!(m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["properties"]["limit"]["minimum"], 1);
    assert_eq!(input["properties"]["limit"]["maximum"], 100);
    assert_eq!(input["properties"]["limit"]["default"], 20);
}
