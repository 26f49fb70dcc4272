use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

fn user() -> Value {
    json!({"data": {
        "gid": "5", "name": "Ada", "email": "ada@x.io", "resource_type": "user",
        "photo": {"image_60x60": "https://p/60.png"},
        "workspaces": [{"gid": "1", "name": "Acme", "resource_type": "workspace"}]
    }})
}

#[test]
fn reads_a_user_without_service_account() {
    mock_http(|req| {
        assert_eq!(req.url, "/users/ada@x.io");
        assert_eq!(req.credential, Credential::Connection);
        assert_eq!(
            req.query,
            vec![
                (
                    "opt_fields".to_string(),
                    "name,email,photo,workspaces.name".to_string()
                ),
                ("workspace".to_string(), "1".to_string())
            ]
        );
        Ok(Response::json_of(200, &user()))
    });
    let out = run(
        json!({"user": "ada@x.io", "workspace": "1"}),
        &Context::new("asana"),
    )
    .unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({"gid": "5", "name": "Ada", "email": "ada@x.io",
               "photo": {"image_60x60": "https://p/60.png"},
               "workspaces": [{"gid": "1", "name": "Acme"}]})
    );
}

#[test]
fn adds_secondary_emails_with_the_service_account() {
    mock_http(|req| match req.url.as_str() {
        "/users/me" => Ok(Response::json_of(200, &user())),
        "/scim/Users" => {
            assert_eq!(req.credential, Credential::ServiceAccount);
            assert_eq!(
                req.query,
                vec![(
                    "filter".to_string(),
                    r#"userName eq "ada@x.io""#.to_string()
                )]
            );
            Ok(Response::json_of(
                200,
                &json!({"totalResults": 1, "Resources": [{"userName": "ada@x.io", "emails": [
                    {"value": "ada@x.io", "primary": true}, {"value": "ada@old.io", "primary": false}
                ]}]}),
            ))
        }
        other => panic!("unexpected {other}"),
    });
    let ctx = Context::new("asana").with_service_account(true);
    let out = run(json!({"user": "me"}), &ctx).unwrap();
    assert_eq!(out["secondary_emails"], json!(["ada@old.io"]));
    mock_http(|req| match req.url.as_str() {
        "/users/me" => Ok(Response::json_of(200, &user())),
        _ => Ok(Response::json_of(
            403,
            &json!({"detail": "Forbidden", "status": "403"}),
        )),
    });
    let err = run(json!({"user": "me"}), &ctx).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(
        err.message.contains("service account token"),
        "{}",
        err.message
    );
}

#[test]
fn refuses_bad_users_and_maps_not_found() {
    mock_http(|_| {
        Ok(Response::json_of(
            404,
            &json!({"errors": [{"message": "user: Unknown object: 9"}]}),
        ))
    });
    for bad in [
        json!({"user": ""}),
        json!({"user": "../tasks"}),
        json!({}),
        json!({"user": "me", "x": 1}),
    ] {
        let err = run(bad.clone(), &Context::new("asana")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{bad}");
    }
    let err = run(json!({"user": "9"}), &Context::new("asana")).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert_eq!(err.field.as_deref(), Some("user"));
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.uses_service_account),
        ("asana.read-user", true)
    );
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    println!(
        "{}\n{}",
        serde_json::to_string_pretty(&input).unwrap(),
        serde_json::to_string_pretty(&output).unwrap()
    );
    assert_eq!(input["required"], json!(["user"]));
    assert!(output["properties"]["secondary_emails"]["description"]
        .as_str()
        .unwrap()
        .contains("service account"));
}

#[test]
fn manifest_declares_users_read() {
    let m = __cardhost_manifest();
    assert_eq!(m.scopes, ["users:read"]);
    assert!(m.uses_service_account);
}
