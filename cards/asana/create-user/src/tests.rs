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

/// Answers with `status` and `body`; the requests sent.
fn answer(status: u16, body: Value) -> Rc<RefCell<Vec<Request>>> {
    let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
    let log = seen.clone();
    mock_http(move |req| {
        log.borrow_mut().push(req.clone());
        Ok(Response::json_of(status, &body))
    });
    seen
}

fn body(req: &Request) -> Value {
    serde_json::from_slice(req.body.as_deref().unwrap()).unwrap()
}

#[test]
fn creates_the_user_with_scim_and_the_service_account() {
    let seen = answer(
        201,
        json!({"schemas": [asana::SCIM_USER_SCHEMA], "id": "42", "userName": "ada@x.io",
               "name": {"formatted": "Ada Lovelace", "givenName": "Ada", "familyName": "Lovelace"},
               "emails": [{"value": "ada@x.io", "primary": true}], "active": true, "title": "Countess",
               asana::SCIM_ENTERPRISE_SCHEMA: {"department": "Analytical Engines"}}),
    );
    let out = run(
        json!({"email": " ada@x.io ", "given_name": "Ada", "family_name": "Lovelace",
               "title": "Countess", "department": "Analytical Engines"}),
        &ctx(),
    )
    .unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({"id": "42", "email": "ada@x.io", "name": "Ada Lovelace", "title": "Countess",
               "department": "Analytical Engines", "active": true})
    );
    let seen = seen.borrow();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(
        (req.method, req.url.as_str()),
        (Method::Post, "/scim/Users")
    );
    assert_eq!(req.credential, Credential::ServiceAccount);
    assert!(req.query.is_empty());
    assert_eq!(
        body(req),
        json!({"schemas": [asana::SCIM_USER_SCHEMA, asana::SCIM_ENTERPRISE_SCHEMA],
               "userName": "ada@x.io",
               "name": {"formatted": "Ada Lovelace", "givenName": "Ada", "familyName": "Lovelace"},
               "title": "Countess",
               asana::SCIM_ENTERPRISE_SCHEMA: {"department": "Analytical Engines"}})
    );
}

#[test]
fn sends_only_what_was_given() {
    let seen = answer(
        201,
        json!({"id": "43", "userName": "bob@x.io", "active": true}),
    );
    let out = run(json!({"email": "bob@x.io"}), &ctx()).unwrap();
    run(json!({"email": "cy@x.io", "name": "Cy Twombly"}), &ctx()).unwrap();
    clear_mock();
    assert_eq!(
        out,
        json!({"id": "43", "email": "bob@x.io", "name": null, "title": null, "department": null, "active": true})
    );
    let seen = seen.borrow();
    assert_eq!(
        body(&seen[0]),
        json!({"schemas": [asana::SCIM_USER_SCHEMA], "userName": "bob@x.io"})
    );
    assert_eq!(
        body(&seen[1]),
        json!({"schemas": [asana::SCIM_USER_SCHEMA], "userName": "cy@x.io",
               "name": {"formatted": "Cy Twombly"}})
    );
}

#[test]
fn an_existing_user_is_a_clear_conflict() {
    answer(
        409,
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409",
               "scimType": "uniqueness", "detail": "User already exists"}),
    );
    let err = run(json!({"email": "ada@x.io"}), &ctx()).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
    assert_eq!(err.field.as_deref(), Some("email"));
    assert!(err.message.contains("already exists"), "{}", err.message);
    assert!(err.message.contains("ada@x.io"), "{}", err.message);
}

#[test]
fn a_refused_service_account_token_is_named() {
    answer(403, json!({"detail": "Forbidden", "status": "403"}));
    let err = run(json!({"email": "ada@x.io"}), &ctx()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Forbidden);
    assert!(
        err.message.contains("service account token"),
        "{}",
        err.message
    );
    answer(401, json!({"detail": "Not Authorized", "status": "401"}));
    let err = run(json!({"email": "ada@x.io"}), &ctx()).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
}

#[test]
fn validates_before_any_request() {
    mock_http(|req| panic!("no request expected, got {}", req.url));
    let cases = [
        (json!({}), "email"),
        (json!({"email": "ada"}), "email"),
        (json!({"email": "ada@localhost"}), "email"),
        (json!({"email": ""}), "email"),
        (json!({"email": "a@x.io", "name": " "}), "name"),
        (json!({"email": "a@x.io", "given_name": ""}), "given_name"),
        (
            json!({"email": "a@x.io", "family_name": " "}),
            "family_name",
        ),
        (json!({"email": "a@x.io", "title": ""}), "title"),
        (json!({"email": "a@x.io", "department": ""}), "department"),
        (json!({"email": "a@x.io", "manager": "x"}), "manager"),
    ];
    for (input, field) in cases {
        let err = run(input.clone(), &ctx()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput, "{input}");
        assert_eq!(err.field.as_deref(), Some(field), "{input}");
    }
    let err = run(json!({"email": "a@x.io"}), &Context::new("asana")).unwrap_err();
    clear_mock();
    assert_eq!(err.kind, ErrorKind::InvalidInput);
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
        ("asana.create-user", "1.0.0")
    );
    assert!(m.scopes.is_empty());
    assert!(m.uses_service_account);
    let input: Value = serde_json::from_str(&m.input_schema).unwrap();
    assert_eq!(input["required"], json!(["email"]));
    assert_eq!(input["properties"]["email"]["format"], "email");
    let output: Value = serde_json::from_str(&m.output_schema).unwrap();
    for key in ["id", "email", "name", "title", "department", "active"] {
        assert!(
            output["properties"][key]["description"].is_string(),
            "{key}"
        );
    }
}
