//! Native tests (`cargo test`): the card runs as the host runs it, input and
//! output checked against its schemas, with the sdk's mock answering its HTTP
//! requests instead of Asana.

use super::*;
use cardhost_sdk::testing::{self, clear_mock, mock_http};

/// Runs the card on `input`, Asana answering `status` with `body`.
fn run(input: Value, status: u16, body: Value) -> Result<Value, CardError> {
    mock_http(move |request| {
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.url, WHOAMI_PATH);
        assert_eq!(request.credential, Credential::Connection);
        Ok(Response::json_of(status, &body))
    });
    let result = testing::run::<WhoAmI>(input, &Context::new("asana"));
    clear_mock();
    result
}

/// An answer shaped as the connector's account pointers say.
fn account() -> Value {
    json!({
        "data": {
            "email": "ada@example.com",
            "gid": "1200000000000101",
            "name": "Ada Lovelace"
        }
    })
}

#[test]
fn reads_the_account() {
    let expected = json!({
        "email": "ada@example.com",
        "id": "1200000000000101",
        "name": "Ada Lovelace"
    });
    assert_eq!(run(json!({}), 200, account()).unwrap(), expected);
}

#[test]
fn returns_the_whole_answer_on_request() {
    let out = run(json!({"include_raw": true}), 200, account()).unwrap();
    assert_eq!(out["raw"], account());
}

#[test]
fn refuses_an_input_the_host_refuses() {
    // Checked against the input schema before the card runs, as the host
    // checks it: the error names the field.
    for (input, field) in [
        (json!({"include_raw": "yes"}), "include_raw"),
        (json!({"verbose": true}), "verbose"),
    ] {
        let err = run(input, 200, account()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidInput);
        assert_eq!(err.field.as_deref(), Some(field));
    }
}

#[test]
fn a_refused_credential_is_unauthorized() {
    let err = run(json!({}), 401, json!({})).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
}

#[test]
fn manifest() {
    let m = testing::manifest::<WhoAmI>();
    assert_eq!(m.id, "asana.who-am-i");
    assert_eq!(m.scopes, ["users:read"]);
}
