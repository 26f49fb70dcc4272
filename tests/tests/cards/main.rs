//! End-to-end tests of the card runtime: the built-in Asana cards run in
//! wasmtime through the REST API against the fake Asana, and hostile test
//! cards against the sandbox.

#[path = "../common/mod.rs"]
mod common;

mod asana_events;
mod asana_projects;
mod asana_tasks;
mod asana_users;
mod create_task;
mod github;
mod read_user;
mod sandbox;
mod scopes;
mod search_user;

use cardhost_tests::fake_asana::FakeAsana;
use common::Host;
use serde_json::Value;

/// Runs `card` with each input, expecting a 400 naming its field, and no
/// request reaching Asana.
pub async fn refused_before_any_request(
    fake: &FakeAsana,
    host: &Host,
    conn: &str,
    card: &str,
    cases: &[(Value, &str)],
) {
    fake.clear_requests();
    for (input, field) in cases {
        let (status, body) = host.run(card, conn, input.clone()).await;
        assert_eq!(status, 400, "{card} {input} -> {body}");
        assert_eq!(
            body["error"]["field"].as_str(),
            Some(*field),
            "{card} {input}: {body}"
        );
    }
    assert!(
        fake.requests().is_empty(),
        "{card}: nothing reached Asana: {:?}",
        fake.requests()
    );
}
