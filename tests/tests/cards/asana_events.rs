//! The Asana event cards (contract 0.2.0, world `event-card-world`) against
//! the fake Asana through the HTTP capability: how the catalogue lists them,
//! that they are not run, the subscription each asks for, and provider
//! events (shaped as Asana's `EventResponse`) turned into flow input,
//! fetching the task or comment they name. Action cards of 0.2.0 keep
//! running beside them.

use cardhost::error::Kind;
use cardhost::runtime::{CardErrorKind, RunContext, RunError};
use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;

const EVENT_CARDS: [&str; 4] = [
    "asana.new-task",
    "asana.task-completed",
    "asana.task-updated",
    "asana.new-comment",
];

async fn setup() -> (FakeAsana, Host, String) {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("ada", false).await;
    fake.clear_requests();
    (fake, host, conn)
}

/// A task created in [`seed::PROJECT_GID`] through the create-task card; its gid.
async fn new_task(host: &Host, conn: &str, name: &str) -> String {
    let (status, body) = host
        .run(
            "asana.create-task",
            conn,
            json!({"name": name, "projects": [seed::PROJECT_GID]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["output"]["gid"].as_str().unwrap().to_string()
}

/// An Asana event (`EventResponse`) by Ada.
fn event(action: &str, resource: Value, parent: Value, change: Option<Value>) -> Value {
    let mut event = json!({
        "user": {"gid": seed::ME_GID, "resource_type": "user"},
        "created_at": "2026-11-30T10:00:00.000Z",
        "action": action,
        "resource": resource,
        "parent": parent,
    });
    if let Some(change) = change {
        event["change"] = change;
    }
    event
}

fn task_ref(gid: &str) -> Value {
    json!({"gid": gid, "resource_type": "task", "resource_subtype": "default_task"})
}

fn project_ref(gid: &str) -> Value {
    json!({"gid": gid, "resource_type": "project"})
}

fn changed(task: &str, field: &str) -> Value {
    event(
        "changed",
        task_ref(task),
        Value::Null,
        Some(json!({"field": field, "action": "changed"})),
    )
}

/// The paths of the requests Asana received, in order.
fn paths(fake: &FakeAsana) -> Vec<String> {
    fake.requests().into_iter().map(|r| r.path).collect()
}

#[tokio::test]
async fn event_cards_are_listed_as_such_beside_action_cards_of_both_contracts() {
    let (_fake, host, _conn) = setup().await;
    let (status, body) = host.get("/cards").await;
    assert_eq!(status, 200, "{body}");
    let cards = body["data"].as_array().unwrap();
    let card = |id: &str| {
        cards
            .iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} is listed"))
    };
    for id in EVENT_CARDS {
        assert_eq!(card(id)["kind"], "event", "{id}");
        assert_eq!(card(id)["contract"], "0.2.0", "{id}");
        let scopes = card(id)["scopes"].as_array().unwrap();
        assert!(
            scopes.contains(&json!("webhooks:write")),
            "{id}: {scopes:?}"
        );
    }
    assert_eq!(card("asana.read-task")["kind"], "action");
    assert_eq!(card("asana.read-task")["contract"], "0.2.0");
    let (status, one) = host.get("/cards/asana.task-updated").await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(
        (&one["kind"], &one["contract"]),
        (&json!("event"), &json!("0.2.0"))
    );
    assert_eq!(one["input_schema"]["required"], json!(["project"]));
}

#[tokio::test]
async fn an_event_card_is_not_run_and_an_action_card_takes_no_events() {
    let (fake, host, conn) = setup().await;
    for id in EVENT_CARDS {
        let (status, body) = host
            .run(id, &conn, json!({"project": seed::PROJECT_GID}))
            .await;
        assert_eq!(status, 422, "{id}: {body}");
        assert_eq!(body["error"]["code"], "event_card", "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("trigger"), "{message}");
    }
    let runner = &host.app.runner;
    let input = json!({"task": seed::OFFBOARD_TASK_GID});
    let e = runner
        .subscription("asana.read-task", &conn, &input)
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.code.as_str()),
        (Kind::Unprocessable, "not_an_event_card")
    );
    let e = runner
        .on_event("asana.read-task", &conn, &input, &changed("1", "name"))
        .await
        .unwrap_err();
    assert_eq!(e.code, "not_an_event_card");
    let e = runner
        .subscription("asana.no-such-card", &conn, &input)
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (Kind::NotFound, "unknown_card"));
    let e = runner
        .subscription(
            "asana.new-task",
            "nobody",
            &json!({"project": seed::PROJECT_GID}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("connection"), "{e:?}");
    assert!(fake.requests().is_empty(), "{:?}", paths(&fake));
    // An action card of contract 0.2.0 runs as before.
    let (status, body) = host.run("asana.read-task", &conn, input).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn each_card_asks_for_its_subscription_and_bad_input_names_the_field() {
    let (fake, host, conn) = setup().await;
    let runner = &host.app.runner;
    let project = json!({"project": seed::PROJECT_GID});
    let filters = |id: &str, input: Value| {
        let runner = runner.clone();
        let (id, conn) = (id.to_string(), conn.clone());
        async move {
            let sub = runner.subscription(&id, &conn, &input).await.unwrap();
            assert_eq!(sub["resource"], seed::PROJECT_GID, "{id}: {sub}");
            sub["filters"].clone()
        }
    };
    assert_eq!(
        filters("asana.new-task", project.clone()).await,
        json!([{"resource_type": "task", "action": "added"}])
    );
    assert_eq!(
        filters("asana.task-completed", project.clone()).await,
        json!([{"resource_type": "task", "action": "changed", "fields": ["completed"]}])
    );
    assert_eq!(
        filters("asana.task-updated", project.clone()).await,
        json!([{"resource_type": "task", "action": "changed"}])
    );
    assert_eq!(
        filters(
            "asana.task-updated",
            json!({"project": seed::PROJECT_GID, "fields": ["due_on", "assignee"]})
        )
        .await,
        json!([{"resource_type": "task", "action": "changed", "fields": ["due_on", "assignee"]}])
    );
    assert_eq!(
        filters("asana.new-comment", project.clone()).await,
        json!([{"resource_type": "story", "resource_subtype": "comment_added", "action": "added"}])
    );
    for (id, input, field) in [
        ("asana.new-task", json!({}), "project"),
        ("asana.new-task", json!({"project": "roadmap"}), "project"),
        (
            "asana.new-task",
            json!({"project": "1", "extra": 1}),
            "extra",
        ),
        (
            "asana.task-updated",
            json!({"project": "1", "fields": []}),
            "fields",
        ),
        (
            "asana.task-updated",
            json!({"project": "1", "fields": ["name", ""]}),
            "fields[1]",
        ),
    ] {
        let e = runner.subscription(id, &conn, &input).await.unwrap_err();
        assert_eq!(
            (e.kind, e.code.as_str(), e.field.as_deref()),
            (Kind::BadRequest, "invalid_input", Some(field)),
            "{id} {input}: {e:?}"
        );
    }
    assert!(fake.requests().is_empty(), "{:?}", paths(&fake));
}

#[tokio::test]
async fn new_task_reports_a_task_added_to_the_project_and_nothing_else() {
    let (fake, host, conn) = setup().await;
    let runner = &host.app.runner;
    let task = new_task(&host, &conn, "Plan the offsite").await;
    let input = json!({"project": seed::PROJECT_GID});
    fake.clear_requests();
    let added = event(
        "added",
        task_ref(&task),
        project_ref(seed::PROJECT_GID),
        None,
    );
    let run = runner
        .on_event("asana.new-task", &conn, &input, &added)
        .await
        .unwrap();
    assert!(run.error.is_none(), "{:?}", run.error);
    let out = run.output.expect("reported");
    assert_eq!(out["task"]["gid"], task.as_str());
    assert_eq!(out["task"]["name"], "Plan the offsite");
    assert_eq!(out["task"]["completed"], false);
    assert_eq!(out["task"]["projects"][0]["gid"], seed::PROJECT_GID);
    assert_eq!(paths(&fake), [format!("/api/1.0/tasks/{task}")]);
    assert_eq!(run.calls.len(), 1, "the call is recorded: {:?}", run.calls);
    assert_eq!(run.calls[0].status, Some(200));
    fake.clear_requests();
    for other in [
        event(
            "added",
            task_ref(&task),
            project_ref(seed::SECOND_PROJECT_GID),
            None,
        ),
        event(
            "removed",
            task_ref(&task),
            project_ref(seed::PROJECT_GID),
            None,
        ),
        changed(&task, "name"),
    ] {
        let run = runner
            .on_event("asana.new-task", &conn, &input, &other)
            .await
            .unwrap();
        assert_eq!((run.output, run.error.is_none()), (None, true), "{other}");
    }
    assert!(fake.requests().is_empty(), "{:?}", paths(&fake));
}

#[tokio::test]
async fn task_completed_reports_completion_only() {
    let (_fake, host, conn) = setup().await;
    let runner = &host.app.runner;
    let task = new_task(&host, &conn, "Close the books").await;
    let input = json!({"project": seed::PROJECT_GID});
    let complete = |done: bool| {
        let (host, conn, task) = (&host, &conn, &task);
        async move {
            let (status, body) = host
                .run(
                    "asana.update-task",
                    conn,
                    json!({"task": task, "completed": done}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    };
    complete(true).await;
    let run = runner
        .on_event(
            "asana.task-completed",
            &conn,
            &input,
            &changed(&task, "completed"),
        )
        .await
        .unwrap();
    let out = run.output.expect("reported");
    assert_eq!(out["task"]["gid"], task.as_str());
    assert_eq!(out["task"]["completed"], true);
    complete(false).await;
    let run = runner
        .on_event(
            "asana.task-completed",
            &conn,
            &input,
            &changed(&task, "completed"),
        )
        .await
        .unwrap();
    assert_eq!((run.output, run.error.is_none()), (None, true));
}

#[tokio::test]
async fn task_updated_reports_the_field_that_changed_when_it_is_watched() {
    let (fake, host, conn) = setup().await;
    let runner = &host.app.runner;
    let task = new_task(&host, &conn, "Renew the lease").await;
    let only_due = json!({"project": seed::PROJECT_GID, "fields": ["due_on"]});
    let run = runner
        .on_event(
            "asana.task-updated",
            &conn,
            &only_due,
            &changed(&task, "due_on"),
        )
        .await
        .unwrap();
    let out = run.output.expect("reported");
    assert_eq!(out["changed_field"], "due_on");
    assert_eq!(out["task"]["name"], "Renew the lease");
    fake.clear_requests();
    let run = runner
        .on_event(
            "asana.task-updated",
            &conn,
            &only_due,
            &changed(&task, "name"),
        )
        .await
        .unwrap();
    assert_eq!(run.output, None);
    assert!(fake.requests().is_empty(), "{:?}", paths(&fake));
    let any = json!({"project": seed::PROJECT_GID});
    let run = runner
        .on_event("asana.task-updated", &conn, &any, &changed(&task, "name"))
        .await
        .unwrap();
    assert_eq!(run.output.expect("reported")["changed_field"], "name");
}

#[tokio::test]
async fn new_comment_reports_the_comment_and_its_task() {
    let (_fake, host, conn) = setup().await;
    let runner = &host.app.runner;
    let task = new_task(&host, &conn, "Review the draft").await;
    let (status, body) = host
        .run(
            "asana.add-comment",
            &conn,
            json!({"task": task, "text": "Looks good to me"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let story = body["output"]["gid"].as_str().unwrap().to_string();
    let added = event(
        "added",
        json!({"gid": story, "resource_type": "story", "resource_subtype": "comment_added"}),
        json!({"gid": task, "resource_type": "task"}),
        None,
    );
    let run = runner
        .on_event(
            "asana.new-comment",
            &conn,
            &json!({"project": seed::PROJECT_GID}),
            &added,
        )
        .await
        .unwrap();
    assert!(run.error.is_none(), "{:?}", run.error);
    let out = run.output.expect("reported");
    assert_eq!(out["comment"]["gid"], story.as_str());
    assert_eq!(out["comment"]["text"], "Looks good to me");
    assert_eq!(out["comment"]["created_by"]["gid"], seed::ME_GID);
    assert_eq!(out["comment"]["created_by"]["name"], seed::ME_NAME);
    assert!(out["comment"]["created_at"].is_string(), "{out}");
    assert_eq!(
        out["task"],
        json!({"gid": task, "name": "Review the draft"})
    );
}

#[tokio::test]
async fn an_event_about_a_deleted_task_is_not_reported_and_is_logged() {
    let (_fake, host, conn) = setup().await;
    let runner = &host.app.runner;
    let task = new_task(&host, &conn, "Short-lived").await;
    let (status, body) = host
        .run("asana.delete-task", &conn, json!({"task": task}))
        .await;
    assert_eq!(status, 200, "{body}");
    let added = event(
        "added",
        task_ref(&task),
        project_ref(seed::PROJECT_GID),
        None,
    );
    let run = runner
        .on_event(
            "asana.new-task",
            &conn,
            &json!({"project": seed::PROJECT_GID}),
            &added,
        )
        .await
        .unwrap();
    assert_eq!(
        (run.output, run.error.is_none()),
        (None, true),
        "{:?}",
        run.error
    );
    assert_eq!(run.calls[0].status, Some(404));
    assert!(
        run.logs.iter().any(|l| l.message.contains("404")),
        "{:?}",
        run.logs
    );
}

#[tokio::test]
async fn a_failing_event_is_a_run_error_and_bad_input_is_refused_before_any_request() {
    let (fake, host, conn) = setup().await;
    let runner = &host.app.runner;
    let run = runner
        .on_event(
            "asana.new-task",
            &conn,
            &json!({"project": "x"}),
            &changed("1", "name"),
        )
        .await
        .unwrap();
    let failure = run.error.expect("refused");
    assert_eq!(
        (failure.code.as_str(), failure.field.as_deref()),
        ("invalid_input", Some("project"))
    );
    let run = runner
        .on_event(
            "asana.new-task",
            &conn,
            &json!({"project": "1"}),
            &json!({"not": "an event"}),
        )
        .await
        .unwrap();
    assert_eq!(run.output, None);
    assert_eq!(run.error.expect("refused").code, "card_error");
    assert!(fake.requests().is_empty(), "{:?}", paths(&fake));
}

#[tokio::test]
async fn an_event_cards_own_run_export_refuses_and_the_runtime_keeps_kinds_apart() {
    let (_fake, host, _conn) = setup().await;
    let runtime = &host.app.runtime;
    let context = RunContext {
        connector: "asana".into(),
        ..RunContext::default()
    };
    let input = json!({"project": seed::PROJECT_GID});
    // Past the runner's refusal, the card itself answers invalid-input.
    let event_card = host.app.runner.card("asana.new-task").await.unwrap();
    let report = runtime.run(&event_card, &input, &context, None).await;
    match report.result {
        Err(RunError::Card {
            kind: CardErrorKind::InvalidInput,
            message,
            ..
        }) => assert!(message.contains("event card"), "{message}"),
        other => panic!("{other:?}"),
    }
    // Without a connection the subscription needs none; an action card has none.
    let report = runtime
        .subscription(&event_card, &input, &context, None)
        .await;
    assert_eq!(report.result.unwrap()["resource"], seed::PROJECT_GID);
    let action_card = host.app.runner.card("asana.read-task").await.unwrap();
    let report = runtime
        .subscription(&action_card, &json!({"task": "1"}), &context, None)
        .await;
    assert_eq!(report.result.unwrap_err().code(), "host_error");
}
