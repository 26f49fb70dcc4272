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

/// A SCIM directory with one user, 42 `ada@x.io`; the requests sent.
fn mock_scim() -> Rc<RefCell<Vec<Request>>> {
    let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        assert_eq!(req.credential, Credential::ServiceAccount);
        Ok(match (req.method, req.url.as_str()) {
            (Method::Get, "/scim/Users") if req.query[0].1 == r#"userName eq "ada@x.io""# => {
                Response::json_of(
                    200,
                    &json!({"totalResults": 1, "Resources": [{"id": "42", "userName": "ada@x.io"}]}),
                )
            }
            (Method::Get, "/scim/Users") => {
                Response::json_of(200, &json!({"totalResults": 0, "Resources": []}))
            }
            (Method::Patch, "/scim/Users/42") => Response::json_of(
                200,
                &json!({"id": "42", "userName": "ada@x.io", "active": true,
                        "name": {"formatted": "Ada King"}, "title": "Countess",
                        DEPARTMENT.rsplit_once(':').unwrap().0: {"department": "Maths"}}),
            ),
            _ => Response::json_of(
                404,
                &json!({"detail": "Resource not found", "status": "404"}),
            ),
        })
    });
    seen
}

fn body(req: &Request) -> Value {
    serde_json::from_slice(req.body.as_deref().unwrap()).unwrap()
}

#[test]
fn finds_the_user_by_email_then_patches_them() {
    let seen = mock_scim();
    let out = run(
        json!({"email": "ada@x.io", "name": "Ada King", "title": " Countess ", "department": "Maths"}),
        &ctx(),
    )
    .unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({"id": "42", "email": "ada@x.io", "name": "Ada King", "title": "Countess",
               "department": "Maths", "active": true})
    );
    let seen = seen.borrow();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].query,
        [(
            "filter".to_string(),
            r#"userName eq "ada@x.io""#.to_string()
        )]
    );
    assert_eq!(
        (seen[1].method, seen[1].url.as_str()),
        (Method::Patch, "/scim/Users/42")
    );
    assert_eq!(
        body(&seen[1]),
        json!({"schemas": [asana::SCIM_PATCH_SCHEMA], "Operations": [
            {"op": "replace", "path": "name.formatted", "value": "Ada King"},
            {"op": "replace", "path": "title", "value": "Countess"},
            {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Maths"}
        ]})
    );
}

#[test]
fn an_id_is_patched_directly() {
    let seen = mock_scim();
    run(json!({"id": "42", "title": "Countess"}), &ctx()).unwrap();
    clear_mock();
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        body(&seen[0])["Operations"],
        json!([{"op": "replace", "path": "title", "value": "Countess"}])
    );
    assert!(DEPARTMENT.starts_with(asana::SCIM_ENTERPRISE_SCHEMA));
}

#[test]
fn an_unknown_user_is_not_found_naming_the_input() {
    mock_scim();
    let err = run(json!({"email": "nobody@x.io", "title": "x"}), &ctx()).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("email"))
    );
    assert!(err.message.contains("nobody@x.io"), "{}", err.message);
    let err = run(json!({"id": "9", "title": "x"}), &ctx()).unwrap_err();
    assert_eq!(
        (err.kind, err.field.as_deref()),
        (ErrorKind::NotFound, Some("id"))
    );
    assert!(err.message.contains("\"9\""), "{}", err.message);
    mock_http(|_| Ok(Response::json_of(403, &json!({"detail": "Forbidden"}))));
    let err = run(json!({"id": "42", "title": "x"}), &ctx()).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(
        err.message.contains("service account token"),
        "{}",
        err.message
    );
}

#[test]
fn validates_before_any_request() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    let cases = [
        (json!({"title": "x"}), "email"),
        (json!({"email": "ada", "title": "x"}), "email"),
        (json!({"email": " ", "title": "x"}), "email"),
        (json!({"id": "../1", "title": "x"}), "id"),
        (json!({"email": "a@x.io", "id": "1", "title": "x"}), "id"),
        (json!({"email": "a@x.io"}), "name"),
        (json!({"email": "a@x.io", "name": " "}), "name"),
        (json!({"email": "a@x.io", "title": ""}), "title"),
        (json!({"email": "a@x.io", "department": ""}), "department"),
        (
            json!({"email": "a@x.io", "given_name": "Ada"}),
            "given_name",
        ),
        (json!({"email": "a@x.io", "active": true}), "active"),
    ];
    for (input, field) in cases {
        let err = run(input.clone(), &ctx()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(
            err.field.as_deref(),
            Some(field),
            "{input}: {}",
            err.message
        );
    }
    let err = run(json!({"id": "42", "title": "x"}), &Context::new("asana")).unwrap_err();
    clear_mock();
    assert_eq!(err.field.as_deref(), Some("connection"));
    assert!(
        err.message.contains("service account token"),
        "{}",
        err.message
    );
}

#[test]
fn manifest() {
    let m = __cardhost_manifest();
    assert_eq!(
        (m.id.as_str(), m.version.as_str()),
        ("asana.update-user", "1.0.0")
    );
    assert!(m.scopes.is_empty());
    assert!(m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["additionalProperties"], false);
    assert!(input["properties"]["name"]["description"]
        .as_str()
        .unwrap()
        .contains("name.formatted"));
}
