//! End-to-end tests of flows: chaining cards with references, save-time
//! validation, error policies, execution history, restarts.

#[path = "../common/mod.rs"]
mod common;

mod cross_connector;
mod events;
mod history;
mod limits;
mod logic;
mod offboarding;
mod policies;
mod triggers;
mod validation;

use cardhost_tests::fake_asana::seed;
use serde_json::{json, Value};

use common::Host;

/// The flow of issue 4: find a user by email, create a task assigned to
/// them, read the assignee.
pub fn assign_flow(connection: &str) -> Value {
    json!({
        "name": "Assign a task by email",
        "steps": [
            {"id": "find_user", "card": "asana.search-user", "connection": connection,
             "input": {"query": "$.input.email", "workspace": seed::WORKSPACE_GID}},
            {"id": "create", "card": "asana.create-task", "connection": connection,
             "input": {"name": "$.input.task", "workspace": seed::WORKSPACE_GID,
                       "assignee": "$.steps.find_user.output.users[0].gid"}},
            {"id": "assignee", "card": "asana.read-user", "connection": connection,
             "input": {"user": "$.steps.create.output.assignee.gid"}}
        ]
    })
}

/// Create a flow over REST; its id.
pub async fn create_flow(host: &Host, def: Value) -> String {
    let (status, body) = host.post("/flows", def).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}
