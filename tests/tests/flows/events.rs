//! Event triggers end to end against the fake Asana's webhooks: the host
//! subscribes when a flow is enabled, answers the handshake, checks every
//! delivery's signature, keeps events durably and once, runs the flow with
//! `$.event`, and deletes the webhook when the flow is disabled.

use std::time::{Duration, Instant};

use cardhost_tests::fake_asana::{seed, FakeAsana, WebhookOptions};
use serde_json::{json, Value};

use super::common::Host;
use super::create_flow;

/// A fake Asana that delivers to the host's loopback address.
async fn fake() -> FakeAsana {
    let fake = FakeAsana::start().await;
    fake.set_webhook_options(WebhookOptions::for_tests());
    fake
}

/// When a task of the launch project is completed, read it back.
fn on_completed(connection: &str) -> Value {
    json!({
        "name": "Completed tasks",
        "trigger": {"type": "event", "card": "asana.task-completed", "connection": connection,
                    "input": {"project": seed::PROJECT_GID}},
        "steps": [
            {"id": "task", "card": "asana.read-task", "connection": connection,
             "input": {"task": "$.event.task.gid"}}
        ],
        "output": {"done": "{{$.event.task.name}} is done"}
    })
}

/// A request to the fake's API with the seeded personal access token.
async fn asana(fake: &FakeAsana, method: reqwest::Method, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .request(method, format!("{}{path}", fake.api_base()))
        .bearer_auth(seed::PAT)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// A new task in the launch project; its gid.
async fn new_task(fake: &FakeAsana, name: &str) -> String {
    let body = json!({"data": {"name": name, "projects": [seed::PROJECT_GID]}});
    let created = asana(fake, reqwest::Method::POST, "/tasks", body).await;
    created["data"]["gid"].as_str().unwrap().to_string()
}

async fn complete(fake: &FakeAsana, task: &str) {
    let body = json!({"data": {"completed": true}});
    asana(fake, reqwest::Method::PUT, &format!("/tasks/{task}"), body).await;
}

/// Enable a flow; its webhook's gid at the fake.
async fn enable(host: &Host, fake: &FakeAsana, flow: &str) -> String {
    let (status, body) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let sub = &body["trigger"]["subscription"];
    let gid = sub["provider_id"].as_str().expect("subscribed").to_string();
    let hooks = fake.webhooks();
    let hook = hooks
        .iter()
        .find(|h| h["gid"] == gid)
        .expect("the fake has the webhook");
    assert_eq!(hook["resource"]["gid"], seed::PROJECT_GID);
    assert_eq!(hook["target"], sub["target"]);
    gid
}

async fn runs(host: &Host, flow: &str) -> Vec<Value> {
    let (status, body) = host.get(&format!("/flows/{flow}/runs?limit=100")).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

async fn wait_for_finished_runs(host: &Host, flow: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = runs(host, flow).await;
        if found.iter().filter(|r| r["status"] != "running").count() >= count {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "waiting for {count} runs: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Wait until the fake has delivered `count` times to the webhook.
async fn delivered(fake: &FakeAsana, hook: &str, count: usize) {
    let deliveries = fake
        .wait_for_deliveries(hook, count, Duration::from_secs(20))
        .await;
    let ok = deliveries
        .iter()
        .filter(|d| d.status == cardhost_tests::fake_asana::DeliveryStatus::Delivered)
        .count();
    assert!(ok >= count, "{deliveries:?}");
}

#[tokio::test]
async fn completing_a_task_runs_the_flow_with_that_task() {
    let fake = fake().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, on_completed(&conn)).await;
    let hook = enable(&host, &fake, &flow).await;

    let task = new_task(&fake, "Ship the release").await;
    complete(&fake, &task).await;
    let history = wait_for_finished_runs(&host, &flow, 1).await;
    let run = &history[0];
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["trigger"]["type"], "event");
    assert_eq!(run["trigger"]["card"], "asana.task-completed");
    assert_eq!(run["trigger"]["event"]["task"]["gid"], json!(task), "{run}");
    assert_eq!(
        run["trigger"]["provider_event"]["change"]["field"],
        "completed"
    );
    assert_eq!(run["steps"][0]["output"]["completed"], true, "{run}");
    assert_eq!(run["output"]["done"], "Ship the release is done");

    // Adding a task is not delivered (the webhook's filter is on `completed`);
    // marking the task not done is, and the card passes over it.
    new_task(&fake, "Not done yet").await;
    let body = json!({"data": {"completed": false}});
    asana(&fake, reqwest::Method::PUT, &format!("/tasks/{task}"), body).await;
    delivered(&fake, &hook, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        runs(&host, &flow).await.len(),
        1,
        "only completions start the flow"
    );
    assert_eq!(host.app.triggers.inbox_len(), 0, "every event was taken");
}

#[tokio::test]
async fn a_bad_signature_gets_401_and_nothing_is_stored() {
    let fake = fake().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, on_completed(&conn)).await;
    let hook = enable(&host, &fake, &flow).await;
    let target = fake
        .webhooks()
        .into_iter()
        .find(|h| h["gid"] == hook)
        .unwrap()["target"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"events": [{
        "user": {"gid": seed::ME_GID, "resource_type": "user"},
        "created_at": "2026-11-30T10:00:00.000Z",
        "action": "changed",
        "resource": {"gid": "1200000000000999", "resource_type": "task", "resource_subtype": "default_task"},
        "parent": null,
        "change": {"field": "completed", "action": "changed"}
    }]})
    .to_string();
    let secret = host
        .app
        .store
        .get_trigger(&flow)
        .unwrap()
        .unwrap()
        .subscription
        .unwrap()
        .secret
        .unwrap();
    let good = cardhost::triggers::signature::sign(secret.as_bytes(), body.as_bytes());
    let post = |signature: Option<String>, body: String| {
        let mut r = host
            .client
            .post(&target)
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = signature {
            r = r.header("X-Hook-Signature", s);
        }
        r.send()
    };
    let wrong = cardhost::triggers::signature::sign(b"not the secret", body.as_bytes());
    for (signature, what) in [
        (None, "no signature"),
        (Some(wrong), "another key"),
        (Some("zz".into()), "not hex"),
    ] {
        let r = post(signature, body.clone()).await.unwrap();
        assert_eq!(r.status(), 401, "{what}");
    }
    let tampered = body.replace("completed", "name");
    assert_eq!(
        post(Some(good.clone()), tampered).await.unwrap().status(),
        401,
        "a signature over another body"
    );
    assert_eq!(host.app.triggers.inbox_len(), 0, "nothing stored");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(runs(&host, &flow).await.is_empty());

    // The same body with its signature is taken (the card then finds no such task and passes).
    let r = post(Some(good), body).await.unwrap();
    assert_eq!(r.status(), 200);
    // Heartbeats are answered and start nothing.
    assert!(fake.send_heartbeat(&hook));
    delivered(&fake, &hook, 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(runs(&host, &flow).await.is_empty());
}

#[tokio::test]
async fn a_delivery_repeated_after_a_timeout_runs_once() {
    let fake = fake().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, on_completed(&conn)).await;
    let hook = enable(&host, &fake, &flow).await;
    let task = new_task(&fake, "Once").await;
    complete(&fake, &task).await;
    wait_for_finished_runs(&host, &flow, 1).await;
    let before = fake.deliveries(&hook).len();
    assert!(
        fake.redeliver_last(&hook),
        "the fake sends the same body again"
    );
    delivered(&fake, &hook, before + 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let history = runs(&host, &flow).await;
    assert_eq!(
        history.len(),
        1,
        "the repeat started no second run: {history:?}"
    );
}

#[tokio::test]
async fn events_acknowledged_before_a_stop_are_run_after_the_restart() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    // A host that acknowledges deliveries and never gets to run them.
    let host = Host::start_without_background(&fake, dir.path()).await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, on_completed(&conn)).await;
    let hook = enable(&host, &fake, &flow).await;
    let task = new_task(&fake, "Survive a restart").await;
    complete(&fake, &task).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while host.app.triggers.inbox_len() == 0 {
        assert!(
            Instant::now() < deadline,
            "the delivery was not acknowledged: {:?}",
            fake.deliveries(&hook)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(runs(&host, &flow).await.is_empty(), "acknowledged, not run");
    host.stop().await;

    let host = Host::start_in(&fake, dir.path(), &[]).await;
    let history = wait_for_finished_runs(&host, &flow, 1).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["status"], "succeeded", "{}", history[0]);
    assert_eq!(history[0]["trigger"]["event"]["task"]["gid"], json!(task));
    assert_eq!(host.app.triggers.inbox_len(), 0);
    host.stop().await;
}

#[tokio::test]
async fn disabling_deletes_the_webhook_and_a_dropped_one_is_made_again_at_start() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, on_completed(&conn)).await;
    let first = enable(&host, &fake, &flow).await;

    // Asana drops a webhook after a day of failed deliveries; at the next start the host makes it again.
    assert!(fake.drop_webhook(&first));
    assert!(fake.webhooks().is_empty());
    host.stop().await;
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let second = loop {
        if let Some(h) = fake.webhooks().first() {
            break h["gid"].as_str().unwrap().to_string();
        }
        assert!(Instant::now() < deadline, "the webhook was not made again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_ne!(second, first);
    let task = new_task(&fake, "After the reconcile").await;
    complete(&fake, &task).await;
    wait_for_finished_runs(&host, &flow, 1).await;
    let (_, shown) = host.get(&format!("/flows/{flow}")).await;
    assert_eq!(
        shown["trigger_status"]["subscription"]["provider_id"],
        json!(second)
    );

    let (status, body) = host
        .post(&format!("/flows/{flow}/disable"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("warnings").is_none(), "{body}");
    assert!(
        fake.webhooks().is_empty(),
        "the webhook is deleted at Asana"
    );
    let target = shown["trigger_status"]["subscription"]["target"]
        .as_str()
        .unwrap();
    let r = host
        .client
        .post(target)
        .body("{\"events\":[]}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "the old address is gone");
    host.stop().await;
}

#[tokio::test]
async fn enabling_an_event_flow_needs_an_address_asana_can_reach() {
    let fake = fake().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(
        &fake,
        dir.path(),
        &[("CARDHOST_PUBLIC_URL", "http://cards.example.com")],
    )
    .await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, on_completed(&conn)).await;
    let (status, body) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "public_url_unreachable");
    assert!(fake.webhooks().is_empty());
    host.stop().await;
}

#[tokio::test]
async fn event_triggers_are_checked_at_save() {
    let fake = fake().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let cases = [
        ("/trigger/card", json!("asana.read-task"), "trigger.card"),
        ("/trigger/input", json!({}), "trigger.input.project"),
        (
            "/trigger/input",
            json!({"project": "$.input.project"}),
            "trigger.input.project",
        ),
        ("/trigger/connection", json!("nobody"), "trigger.connection"),
        (
            "/steps/0/input/task",
            json!("$.event.task.gidd"),
            "steps[0].input.task",
        ),
        ("/steps/0/card", json!("asana.new-task"), "steps[0].card"),
    ];
    for (pointer, value, field) in cases {
        let mut def = on_completed(&conn);
        *def.pointer_mut(pointer).unwrap() = value.clone();
        let (status, body) = host.post("/flows", def).await;
        assert_eq!(status, 422, "{pointer} = {value}: {body}");
        assert_eq!(body["error"]["field"], field, "{pointer} = {value}: {body}");
    }
    let mut manual = on_completed(&conn);
    manual.as_object_mut().unwrap().remove("trigger");
    let (status, body) = host.post("/flows", manual).await;
    assert_eq!(status, 422, "$.event without an event trigger: {body}");
    let (_, list) = host.get("/flows").await;
    assert_eq!(list["data"], json!([]));
}
