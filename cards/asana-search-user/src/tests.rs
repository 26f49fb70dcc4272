use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

#[test]
fn searches_by_name_in_the_default_workspace() {
    mock_http(|req| {
        assert_eq!(req.url, "/workspaces/1/typeahead");
        let q: Vec<(&str, &str)> = req
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            q,
            [
                ("resource_type", "user"),
                ("query", "ada"),
                ("count", "20"),
                ("opt_fields", "name,email")
            ]
        );
        Ok(Response::json_of(
            200,
            &json!({"data": [{"gid": "5", "name": "Ada", "email": "ada@x.io"}, {"gid": "6", "name": "Adam", "email": null}]}),
        ))
    });
    let out = run(
        json!({"query": " ada "}),
        &Context::new("asana").with_default_workspace("1"),
    )
    .unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({"users": [{"gid": "5", "name": "Ada", "email": "ada@x.io"}, {"gid": "6", "name": "Adam", "email": null}], "count": 2})
    );
}

#[test]
fn an_unknown_email_is_an_empty_list() {
    mock_http(|req| {
        assert_eq!(req.url, "/users/nobody@x.io");
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "Not Found"}]}),
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
fn an_email_with_the_service_account_has_secondary_emails() {
    mock_http(|req| match req.url.as_str() {
        "/users/ada@x.io" => Ok(Response::json_of(
            200,
            &json!({"data": {"gid": "5", "name": "Ada", "email": "ada@x.io"}}),
        )),
        "/scim/Users" => Ok(Response::json_of(
            200,
            &json!({"Resources": [{"emails": [{"value": "a@b.io"}]}]}),
        )),
        other => panic!("unexpected {other}"),
    });
    let ctx = Context::new("asana")
        .with_default_workspace("1")
        .with_service_account(true);
    let out = run(json!({"query": "ada@x.io"}), &ctx).unwrap();
    clear_mock();
    assert_eq!(out["users"][0]["secondary_emails"], json!(["a@b.io"]));
}

#[test]
fn validates_input() {
    mock_http(|req| panic!("no HTTP call expected, got {}", req.url));
    let no_ws = Context::new("asana");
    let ws = Context::new("asana").with_default_workspace("1");
    let cases = [
        (json!({"query": "ada"}), &no_ws, "workspace"),
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
    let m = __cardhost_manifest();
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    println!("{}", serde_json::to_string_pretty(&input).unwrap());
    assert_eq!(input["properties"]["limit"]["minimum"], 1);
    assert_eq!(input["properties"]["limit"]["maximum"], 100);
    assert_eq!(input["properties"]["limit"]["default"], 20);
}
