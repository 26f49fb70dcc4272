//! Offboarding as a flow builder would build it from the Asana card set:
//! deactivate the person, hand their open tasks to their manager, take them
//! off their teams. Flows have no loops yet, so the flow reassigns the five
//! open tasks the person has and leaves the three teams they are in, step
//! by step. Asana lets only a team's members change it, so the flow leaves
//! teams with the connection's service account token.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;
use crate::create_flow;

#[tokio::test]
async fn deactivate_reassign_open_tasks_and_leave_teams() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("admin", true).await;
    let teams = fake.user_teams(seed::OFFBOARD_USER_GID);
    assert_eq!(teams.len(), 3, "the seed puts the person in three teams");

    let mut steps = vec![
        json!({"id": "deactivate", "card": "asana.deactivate-user", "connection": "admin",
               "input": {"email": "$.input.email"}}),
        json!({"id": "open", "card": "asana.list-tasks", "connection": "admin",
               "input": {"assignee": "$.input.user", "completed_since": "now"}}),
    ];
    for i in 0..seed::OFFBOARD_OPEN_TASK_GIDS.len() {
        steps.push(json!({
            "id": format!("reassign_{i}"), "card": "asana.update-task", "connection": "admin",
            "input": {"task": format!("$.steps.open.output.tasks[{i}].gid"), "assignee": "$.input.manager"}
        }));
    }
    for i in 0..teams.len() {
        steps.push(json!({
            "id": format!("leave_{i}"), "card": "asana.remove-user-from-team", "connection": "admin",
            "input": {"team": format!("$.input.teams[{i}]"), "user": "$.input.user",
                      "as_service_account": true}
        }));
    }
    let flow = create_flow(&host, json!({"name": "Offboard a person", "steps": steps})).await;

    let (status, run) = host
        .post(
            &format!("/flows/{flow}/runs"),
            json!({"input": {
                "email": seed::OFFBOARD_USER_EMAIL,
                "user": seed::OFFBOARD_USER_GID,
                "manager": seed::MANAGER_GID,
                "teams": teams,
            }}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    let step = |id: &str| -> &Value {
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    assert_eq!(step("deactivate")["output"]["active"], false, "{run}");
    assert_eq!(
        step("open")["output"]["tasks"].as_array().unwrap().len(),
        seed::OFFBOARD_OPEN_TASK_GIDS.len()
    );

    assert_eq!(fake.user_active(seed::OFFBOARD_USER_GID), Some(false));
    assert!(
        fake.open_tasks_of(seed::OFFBOARD_USER_GID).is_empty(),
        "{:?}",
        fake.open_tasks_of(seed::OFFBOARD_USER_GID)
    );
    let managers = fake.open_tasks_of(seed::MANAGER_GID);
    for gid in seed::OFFBOARD_OPEN_TASK_GIDS {
        assert!(managers.iter().any(|g| g == gid), "{gid} in {managers:?}");
    }
    assert!(fake.user_teams(seed::OFFBOARD_USER_GID).is_empty());
    for gid in seed::OFFBOARD_COMPLETED_TASK_GIDS {
        assert!(
            !managers.iter().any(|g| g == gid),
            "completed tasks stay where they are"
        );
    }
}
