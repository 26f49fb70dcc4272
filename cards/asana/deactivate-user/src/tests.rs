use super::*;
use cardhost_sdk::testing::{clear_mock, mock_http};
use std::cell::RefCell;
use std::rc::Rc;

fn ctx() -> Context {
    Context::new("asana").with_service_account(true)
}

fn run(input: Value, ctx: &Context) -> Result<Value, CardError> {
    __cardhost_run(&input.to_string(), ctx).map(|out| serde_json::from_str(&out).unwrap())
}

/// Asana with user 42 `ada@x.io` (active) and 43 `old@x.io` (deactivated),
/// and user 44 whose email the connection cannot see; the requests sent.
fn mock_asana() -> Rc<RefCell<Vec<Request>>> {
    let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        let scim = |gid: &str, email: &str, active: bool| json!({"id": gid, "userName": email, "name": {"formatted": "Ada"}, "active": active});
        let filter = req.query.first().map(|(_, v)| v.as_str()).unwrap_or("");
        Ok(match (req.method, req.url.as_str()) {
            (Method::Get, "/users/42") => {
                Response::json_of(200, &json!({"data": {"gid": "42", "email": "ada@x.io"}}))
            }
            (Method::Get, "/users/44") => Response::json_of(200, &json!({"data": {"gid": "44"}})),
            (Method::Get, url) if url.starts_with("/users/") => Response::json_of(
                404,
                &json!({"errors": [{"message": "user: Unknown object: 9"}]}),
            ),
            (Method::Get, "/scim/Users") => {
                let resources = match filter {
                    r#"userName eq "ada@x.io""# => vec![scim("42", "ada@x.io", true)],
                    r#"userName eq "old@x.io""# => vec![scim("43", "old@x.io", false)],
                    _ => vec![],
                };
                Response::json_of(200, &json!({"Resources": resources}))
            }
            (Method::Patch, "/scim/Users/42") => {
                Response::json_of(200, &scim("42", "ada@x.io", false))
            }
            _ => panic!("unexpected {} {}", req.method.as_str(), req.url),
        })
    });
    seen
}

#[test]
fn deactivates_by_email_with_scim() {
    let seen = mock_asana();
    let out = run(json!({"email": "ada@x.io"}), &ctx()).unwrap();
    clear_mock();
    assert_eq!(out["id"], "42");
    assert_eq!(out["email"], "ada@x.io");
    assert_eq!(out["active"], false);
    assert_eq!(out["already_deactivated"], false);
    assert!(out["note"].as_str().unwrap().contains("cannot be undone"));
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2);
    assert!(seen
        .iter()
        .all(|r| r.credential == Credential::ServiceAccount));
    assert_eq!(
        (seen[1].method, seen[1].url.as_str()),
        (Method::Patch, "/scim/Users/42")
    );
    let body: Value = serde_json::from_slice(seen[1].body.as_deref().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"schemas": [asana::SCIM_PATCH_SCHEMA],
               "Operations": [{"op": "replace", "path": "active", "value": false}]})
    );
}

#[test]
fn a_gid_is_read_for_its_email_first() {
    let seen = mock_asana();
    let out = run(json!({"gid": " 42 "}), &ctx()).unwrap();
    clear_mock();
    assert_eq!(out["active"], false);
    let seen = seen.borrow();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].url, "/users/42");
    assert_eq!(seen[0].credential, Credential::Connection);
    assert_eq!(
        seen[0].query,
        [("opt_fields".to_string(), "email".to_string())]
    );
    assert_eq!(seen[1].query[0].1, r#"userName eq "ada@x.io""#);
}

#[test]
fn an_inactive_user_is_left_as_is() {
    let seen = mock_asana();
    let out = run(json!({"email": "old@x.io"}), &ctx()).unwrap();
    clear_mock();
    assert_eq!(out["already_deactivated"], true);
    assert_eq!(out["active"], false);
    assert_eq!(seen.borrow().len(), 1, "no PATCH");
}

#[test]
fn an_unknown_user_is_not_found_naming_the_input() {
    mock_asana();
    for (input, field, named) in [
        (json!({"email": "nobody@x.io"}), "email", "nobody@x.io"),
        (json!({"gid": "9"}), "gid", "9"),
    ] {
        let err = run(input.clone(), &ctx()).unwrap_err();
        assert_eq!(
            (err.kind, err.field.as_deref()),
            (ErrorKind::NotFound, Some(field)),
            "{input}"
        );
        assert!(err.message.contains(named), "{}", err.message);
    }
    let err = run(json!({"gid": "44"}), &ctx()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    mock_http(|_| Ok(Response::json_of(401, &json!({"detail": "Not Authorized"}))));
    let err = run(json!({"email": "ada@x.io"}), &ctx()).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert!(
        err.message.contains("service account token"),
        "{}",
        err.message
    );
}

#[test]
fn validates_before_any_request() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    for (input, field) in [
        (json!({}), "email"),
        (json!({"email": "ada"}), "email"),
        (json!({"email": ""}), "email"),
        (json!({"gid": " "}), "gid"),
        (json!({"gid": "1/2"}), "gid"),
        (json!({"gid": "me"}), "gid"),
        (json!({"email": "a@x.io", "gid": "1"}), "gid"),
        (json!({"email": "a@x.io", "active": false}), "active"),
    ] {
        let err = run(input.clone(), &ctx()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
    }
    let err = run(json!({"email": "a@x.io"}), &Context::new("asana")).unwrap_err();
    clear_mock();
    assert_eq!(err.field.as_deref(), Some("connection"));
}

#[test]
fn manifest_says_it_cannot_be_undone() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.deactivate-user", "1.0.0")
    );
    assert_eq!(m.scopes, ["users:read"]);
    assert!(m.uses_service_account);
    assert!(
        m.description.contains("cannot reactivate"),
        "{}",
        m.description
    );
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    for key in [
        "id",
        "email",
        "name",
        "active",
        "already_deactivated",
        "note",
    ] {
        assert!(
            output["properties"][key]["description"].is_string(),
            "{key}: {output}"
        );
    }
    assert!(output["properties"]["note"]["description"]
        .as_str()
        .unwrap()
        .contains("cannot be undone"));
}
