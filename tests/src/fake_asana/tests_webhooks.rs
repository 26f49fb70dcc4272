//! Webhooks over real HTTP: creation and its handshake, listing, deletion,
//! events, signed deliveries, retries, heartbeats and the test controls,
//! against a small receiver on loopback.

use super::seed::*;
use super::tests::{get, gids, granular_token, message, send, walk};
use super::{DeliveryKind, DeliveryStatus, FakeAsana, WebhookOptions};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The properties of `WebhookResponse` (`WebhookCompact` and its own) in
/// Asana's OpenAPI description.
const WEBHOOK_RESPONSE_FIELDS: &[&str] = &[
    "gid",
    "resource_type",
    "active",
    "resource",
    "target",
    "created_at",
    "last_failure_at",
    "last_failure_content",
    "last_success_at",
    "delivery_retry_count",
    "next_attempt_after",
    "failure_deletion_timestamp",
    "filters",
];

/// How the receiver answers a handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Handshake {
    Echo,
    Ignore,
    WrongSecret,
}

/// How the receiver answers the next delivery (200 when none is queued).
#[derive(Debug, Clone, Copy)]
enum Reply {
    Status(u16),
    Hang(Duration),
}

/// A POST the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    hook_secret: Option<String>,
    signature: Option<String>,
    body: Vec<u8>,
    at: Instant,
}

#[derive(Debug)]
struct Behaviour {
    handshake: Handshake,
    replies: VecDeque<Reply>,
    received: Vec<Received>,
}

/// A webhook receiver on loopback recording everything it gets.
struct Receiver {
    base: String,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl Receiver {
    async fn start(handshake: Handshake) -> Receiver {
        let behaviour = Arc::new(Mutex::new(Behaviour {
            handshake,
            replies: VecDeque::new(),
            received: Vec::new(),
        }));
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(behaviour.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, behaviour }
    }

    /// `http://127.0.0.1:PORT/hooks/events/{id}`.
    fn url(&self, id: &str) -> String {
        format!("{}/hooks/events/{id}", self.base)
    }

    fn reply_next(&self, replies: &[Reply]) {
        self.behaviour
            .lock()
            .unwrap()
            .replies
            .extend(replies.iter().copied());
    }

    fn received(&self) -> Vec<Received> {
        self.behaviour.lock().unwrap().received.clone()
    }

    /// What it got that was not a handshake.
    fn deliveries(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.hook_secret.is_none())
            .collect()
    }
}

async fn receive(
    State(behaviour): State<Arc<Mutex<Behaviour>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let hook_secret = header("x-hook-secret");
    let reply = {
        let mut b = behaviour.lock().unwrap();
        b.received.push(Received {
            path: uri.path().to_string(),
            hook_secret: hook_secret.clone(),
            signature: header("x-hook-signature"),
            body: body.to_vec(),
            at: Instant::now(),
        });
        if let Some(secret) = hook_secret {
            return match b.handshake {
                Handshake::Echo => (AxumStatus::OK, [("X-Hook-Secret", secret)]).into_response(),
                Handshake::Ignore => AxumStatus::OK.into_response(),
                Handshake::WrongSecret => {
                    (AxumStatus::OK, [("X-Hook-Secret", "not-the-secret")]).into_response()
                }
            };
        }
        b.replies.pop_front()
    };
    match reply {
        None => AxumStatus::OK.into_response(),
        Some(Reply::Status(s)) => (
            AxumStatus::from_u16(s).unwrap(),
            "Could not complete the request",
        )
            .into_response(),
        Some(Reply::Hang(d)) => {
            tokio::time::sleep(d).await;
            AxumStatus::OK.into_response()
        }
    }
}

/// A fake taking loopback targets, with test timings.
async fn fake_for_tests() -> FakeAsana {
    let fake = FakeAsana::start().await;
    fake.set_webhook_options(WebhookOptions::for_tests());
    fake
}

async fn create_hook(
    fake: &FakeAsana,
    token: &str,
    resource: &str,
    target: &str,
    filters: Option<Value>,
) -> (StatusCode, Value) {
    let mut data = json!({ "resource": resource, "target": target });
    if let Some(filters) = filters {
        data["filters"] = filters;
    }
    send(
        fake,
        "POST",
        token,
        "/webhooks",
        Some(json!({ "data": data })),
    )
    .await
}

/// Creates a webhook that must succeed; its gid and secret.
async fn hook(
    fake: &FakeAsana,
    resource: &str,
    target: &str,
    filters: Option<Value>,
) -> (String, String) {
    let (status, body) = create_hook(fake, PAT, resource, target, filters).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (
        body["data"]["gid"].as_str().unwrap().to_string(),
        body["X-Hook-Secret"].as_str().unwrap().to_string(),
    )
}

/// A task in [`PROJECT_GID`] created through the API.
async fn project_task(fake: &FakeAsana, name: &str) -> String {
    let (status, body) = send(
        fake,
        "POST",
        PAT,
        "/tasks",
        Some(json!({"data": {"name": name, "projects": [PROJECT_GID]}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["data"]["gid"].as_str().unwrap().to_string()
}

async fn put_task(fake: &FakeAsana, gid: &str, data: Value) {
    let (status, body) = send(
        fake,
        "PUT",
        PAT,
        &format!("/tasks/{gid}"),
        Some(json!({ "data": data })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Checks `signature` against `body` with the webhook secret, as a receiver does.
fn verifies(secret: &str, body: &[u8], signature: &str) -> bool {
    let bytes: Option<Vec<u8>> = (0..signature.len())
        .step_by(2)
        .map(|i| {
            signature
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    signature == signature.to_ascii_lowercase()
        && bytes.is_some_and(|b| mac.verify_slice(&b).is_ok())
}

fn events(body: &[u8]) -> Vec<Value> {
    let value: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        value.as_object().unwrap().len(),
        1,
        "a delivery holds only events: {value}"
    );
    value["events"].as_array().unwrap().clone()
}

/// Waits until `done` holds, for up to five seconds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn create_refuses_missing_fields_and_unknown_resources() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let target = receiver.url("1");
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/webhooks",
        Some(json!({"data": {"resource": PROJECT_GID}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message(&body).starts_with("data.target: Missing input"),
        "{body}"
    );
    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/webhooks",
        Some(json!({"data": {"target": target}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        message(&body).starts_with("data.resource: Missing input"),
        "{body}"
    );
    let violations = fake.take_contract_violations();
    assert_eq!(violations.len(), 2, "{violations:?}");

    let (status, body) = create_hook(&fake, PAT, PROJECT_GID, " ", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "target: Missing input");
    let (status, body) = create_hook(&fake, PAT, "", &target, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "resource: Missing input");
    let (status, body) = create_hook(&fake, PAT, "999", &target, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "resource: Not a recognized ID: 999");
    let (status, body) = create_hook(&fake, PAT, SECTION_GID, &target, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("resource: "), "{body}");
    for high in [TEAM_GID, WORKSPACE_GID] {
        let (status, body) = create_hook(&fake, PAT, high, &target, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message(&body).starts_with("filters: "), "{body}");
        let (status, body) = create_hook(
            &fake,
            PAT,
            high,
            &target,
            Some(json!([{"resource_type": "project", "action": "changed", "fields": ["name"]}])),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(message(&body).starts_with("filters[0].fields: "), "{body}");
    }
    let (status, body) = create_hook(
        &fake,
        PAT,
        PROJECT_GID,
        &target,
        Some(json!([{"resource_type": "task", "action": "moved"}])),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).starts_with("filters[0].action: "), "{body}");
    assert!(fake.webhooks().is_empty());
    assert!(receiver.received().is_empty(), "no handshake was attempted");

    let (status, body) = create_hook(
        &fake,
        PAT,
        TEAM_GID,
        &target,
        Some(json!([{"resource_type": "project", "action": "added"}])),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["resource"]["resource_type"], "team");
}

#[tokio::test]
async fn create_refuses_http_and_loopback_targets_unless_allowed() {
    let fake = FakeAsana::start().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (status, body) = create_hook(&fake, PAT, PROJECT_GID, &receiver.url("1"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(message(&body).starts_with("target: "), "{body}");
    let (status, _) = create_hook(&fake, PAT, PROJECT_GID, "https://localhost/hooks", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) =
        create_hook(&fake, PAT, PROJECT_GID, "http://hooks.example.com/x", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("https"), "{body}");
    assert!(receiver.received().is_empty());

    fake.set_webhook_options(WebhookOptions::for_tests());
    let (status, body) = create_hook(&fake, PAT, PROJECT_GID, &receiver.url("1"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn create_fails_when_the_handshake_is_not_echoed() {
    let fake = fake_for_tests().await;
    for behaviour in [Handshake::Ignore, Handshake::WrongSecret] {
        let receiver = Receiver::start(behaviour).await;
        let (status, body) = create_hook(&fake, PAT, PROJECT_GID, &receiver.url("1"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{behaviour:?}: {body}");
        assert!(message(&body).contains("handshake"), "{body}");
        assert_eq!(receiver.received().len(), 1, "the handshake was sent");
    }
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (status, body) = create_hook(
        &fake,
        PAT,
        PROJECT_GID,
        &format!("http://{closed}/hooks"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(message(&body).contains("handshake"), "{body}");
    assert!(fake.webhooks().is_empty(), "nothing half-made");
    let (_, list) = get(&fake, PAT, &format!("/webhooks?workspace={WORKSPACE_GID}")).await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn create_answers_201_with_the_secret_after_the_handshake() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let target = format!("{}?app_state=7", receiver.url("42"));
    let filters = json!([{"resource_type": "task", "action": "changed", "fields": ["completed"]}]);
    let (status, body) = create_hook(&fake, PAT, PROJECT_GID, &target, Some(filters.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let handshake = &received[0];
    assert_eq!(handshake.path, "/hooks/events/42");
    assert!(handshake.body.is_empty(), "the handshake carries no body");
    assert!(handshake.signature.is_none());
    let secret = body["X-Hook-Secret"].as_str().unwrap();
    assert_eq!(handshake.hook_secret.as_deref(), Some(secret));
    assert_eq!(secret.len(), 64);
    assert!(secret
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");

    let data = body["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = WEBHOOK_RESPONSE_FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(data["resource_type"], "webhook");
    assert_eq!(data["active"], true);
    assert_eq!(
        data["resource"],
        json!({"gid": PROJECT_GID, "resource_type": "project", "name": PROJECT_NAME})
    );
    assert_eq!(data["target"], target.as_str());
    assert_eq!(data["filters"], filters);
    assert!(chrono::DateTime::parse_from_rfc3339(data["created_at"].as_str().unwrap()).is_ok());
    for empty in [
        "last_success_at",
        "last_failure_at",
        "last_failure_content",
        "next_attempt_after",
        "failure_deletion_timestamp",
    ] {
        assert_eq!(data[empty], Value::Null, "{empty}");
    }
    assert_eq!(data["delivery_retry_count"], 0);
    let gid = data["gid"].as_str().unwrap();
    assert_eq!(fake.webhook_secret(gid).as_deref(), Some(secret));

    let (status, body) = send(
        &fake,
        "POST",
        PAT,
        "/webhooks?opt_fields=target",
        Some(json!({"data": {"resource": PROJECT_GID, "target": receiver.url("43")}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let gid = body["data"]["gid"].as_str().unwrap();
    assert_eq!(
        body["data"],
        json!({"gid": gid, "resource_type": "webhook", "target": receiver.url("43")})
    );
}

#[tokio::test]
async fn a_completed_task_yields_one_signed_event_matching_the_filter() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gid, secret) = hook(
        &fake,
        PROJECT_GID,
        &receiver.url("1"),
        Some(json!([{"resource_type": "task", "action": "changed", "fields": ["completed"]}])),
    )
    .await;
    let task = project_task(&fake, "Ship it").await;
    put_task(&fake, &task, json!({"completed": true, "name": "Shipped"})).await;

    let deliveries = fake.wait_for_deliveries(&gid, 1, WAIT).await;
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    let delivery = &deliveries[0];
    assert_eq!(delivery.kind, DeliveryKind::Events);
    assert_eq!(delivery.status, DeliveryStatus::Delivered);
    assert_eq!(delivery.attempts, 1);
    let received = receiver.deliveries();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].body, delivery.body,
        "the bytes recorded are the bytes sent"
    );
    let signature = received[0].signature.as_deref().unwrap();
    assert!(verifies(&secret, &received[0].body, signature));
    assert!(!verifies("another secret", &received[0].body, signature));

    let events = events(&received[0].body);
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    let created_at = event["created_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created_at).is_ok());
    assert_eq!(
        *event,
        json!({
            "user": {"gid": ME_GID, "resource_type": "user"},
            "created_at": created_at,
            "action": "changed",
            "resource": {"gid": task, "resource_type": "task", "resource_subtype": "default_task"},
            "parent": null,
            "change": {"field": "completed", "action": "changed"},
        })
    );
    let (_, body) = get(&fake, PAT, &format!("/webhooks/{gid}")).await;
    assert!(body["data"]["last_success_at"].is_string(), "{body}");
}

#[tokio::test]
async fn events_that_no_filter_passes_are_not_sent() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gid, _) = hook(
        &fake,
        PROJECT_GID,
        &receiver.url("1"),
        Some(json!([{"resource_type": "story"}, {"resource_type": "task", "action": "deleted"}])),
    )
    .await;
    let task = project_task(&fake, "Quiet").await;
    put_task(&fake, &task, json!({"completed": true})).await;
    // Deliveries go out in order: once this heartbeat is through, any event
    // queued before it would have been too.
    assert!(fake.send_heartbeat(&gid));
    let deliveries = fake.wait_for_deliveries(&gid, 1, WAIT).await;
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    assert_eq!(deliveries[0].kind, DeliveryKind::Heartbeat);
    assert_eq!(receiver.deliveries().len(), 1);
}

#[tokio::test]
async fn project_webhooks_see_tasks_added_changed_commented_and_deleted() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (project_hook, _) = hook(&fake, PROJECT_GID, &receiver.url("project"), None).await;
    let task = project_task(&fake, "Draft").await;
    let (task_hook, _) = hook(&fake, &task, &receiver.url("task"), None).await;
    let (other_task_hook, _) = hook(&fake, PARENT_TASK_GID, &receiver.url("other"), None).await;
    put_task(
        &fake,
        &task,
        json!({"assignee": GRACE_HOPPER_GID, "due_on": "2030-01-02"}),
    )
    .await;
    let (status, story) = send(
        &fake,
        "POST",
        PAT,
        &format!("/tasks/{task}/stories"),
        Some(json!({"data": {"text": "Looks good"}})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{story}");
    let story = story["data"]["gid"].as_str().unwrap().to_string();
    let (status, _) = send(&fake, "DELETE", PAT, &format!("/tasks/{task}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(fake.send_heartbeat(&project_hook));
    assert!(fake.send_heartbeat(&task_hook));
    assert!(fake.send_heartbeat(&other_task_hook));

    // Deliveries go out in order: once each heartbeat is through, every
    // event queued before it is too.
    let heartbeats = |gid: &str| {
        fake.deliveries(gid)
            .iter()
            .filter(|d| d.kind == DeliveryKind::Heartbeat && d.status == DeliveryStatus::Delivered)
            .count()
    };
    eventually("the heartbeats", || {
        [&project_hook, &task_hook, &other_task_hook]
            .iter()
            .all(|gid| heartbeats(gid) == 1)
    })
    .await;
    let everything = |gid: &str| -> Vec<Value> {
        let deliveries = fake.deliveries(gid);
        assert!(
            deliveries
                .iter()
                .all(|d| d.status == DeliveryStatus::Delivered),
            "{gid}: {deliveries:?}"
        );
        deliveries.iter().flat_map(|d| d.events()).collect()
    };
    let summary = |events: &[Value]| -> Vec<(String, String, String)> {
        events
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_string(),
                    e["resource"]["resource_type"].as_str().unwrap().to_string(),
                    e["change"]["field"]
                        .as_str()
                        .or(e["parent"]["resource_type"].as_str())
                        .unwrap_or("-")
                        .to_string(),
                )
            })
            .collect()
    };
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    let changes = vec![
        s("changed", "task", "due_on"),
        s("changed", "task", "assignee"),
        s("changed", "task", "followers"),
        s("added", "story", "task"),
        s("deleted", "task", "-"),
    ];
    let mut expected = vec![s("added", "task", "project")];
    expected.extend(changes.iter().cloned());
    let project_events = everything(&project_hook);
    assert_eq!(summary(&project_events), expected);
    assert_eq!(
        project_events[0]["parent"],
        json!({"gid": PROJECT_GID, "resource_type": "project"})
    );
    assert_eq!(
        project_events[2]["change"],
        json!({"field": "assignee", "action": "changed", "new_value": {"gid": GRACE_HOPPER_GID, "resource_type": "user"}})
    );
    assert_eq!(
        project_events[3]["change"],
        json!({"field": "followers", "action": "added", "added_value": {"gid": GRACE_HOPPER_GID, "resource_type": "user"}})
    );
    assert_eq!(
        project_events[4]["resource"],
        json!({"gid": story, "resource_type": "story", "resource_subtype": "comment_added"})
    );
    assert_eq!(
        project_events[4]["parent"],
        json!({"gid": task, "resource_type": "task"})
    );
    assert_eq!(project_events[5]["parent"], Value::Null);

    let task_events = everything(&task_hook);
    assert_eq!(summary(&task_events), changes, "the task's own webhook");
    let other = everything(&other_task_hook);
    assert!(other.is_empty(), "another task's webhook: {other:?}");
}

#[tokio::test]
async fn failed_deliveries_are_retried_with_backoff_and_the_same_bytes() {
    let fake = FakeAsana::start().await;
    let base = Duration::from_millis(200);
    let timeout = Duration::from_millis(300);
    fake.set_webhook_options(WebhookOptions {
        retry_base: base,
        delivery_timeout: timeout,
        ..WebhookOptions::for_tests()
    });
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gid, secret) = hook(&fake, PROJECT_GID, &receiver.url("1"), None).await;
    receiver.reply_next(&[Reply::Status(500), Reply::Hang(Duration::from_millis(600))]);
    let task = project_task(&fake, "Flaky").await;

    // While it fails, the webhook says when it retries: the base after the
    // first failure, twice the base after the second.
    let mut failures = Vec::new();
    eventually("two failures", || {
        let hook = fake.webhooks()[0].clone();
        let count = hook["delivery_retry_count"].as_u64().unwrap_or(0) as usize;
        if count > failures.len() {
            failures.push(hook);
        }
        failures.len() == 2
    })
    .await;
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let after_first = &failures[0];
    assert_eq!(after_first["delivery_retry_count"], 1, "{after_first}");
    assert!(
        after_first["last_failure_content"]
            .as_str()
            .unwrap()
            .starts_with("500 Internal Server Error\n\nCould not complete the request"),
        "{after_first}"
    );
    assert!(
        after_first["failure_deletion_timestamp"].is_string(),
        "{after_first}"
    );
    assert_eq!(after_first["last_success_at"], Value::Null);
    for (failure, backoff) in failures.iter().zip([base, 2 * base]) {
        let waits = time(&failure["next_attempt_after"]) - time(&failure["last_failure_at"]);
        assert_eq!(waits.to_std().unwrap(), backoff, "{failure}");
    }
    let after_second = &failures[1];
    assert_eq!(after_second["delivery_retry_count"], 2, "{after_second}");
    assert!(
        after_second["last_failure_content"]
            .as_str()
            .unwrap()
            .starts_with("Timed out"),
        "a slow answer is a failure: {after_second}"
    );

    let deliveries = fake.wait_for_deliveries(&gid, 1, WAIT).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].attempts, 3);
    assert_eq!(deliveries[0].status, DeliveryStatus::Delivered);
    let received = receiver.deliveries();
    assert_eq!(received.len(), 3);
    for r in &received {
        assert_eq!(r.body, received[0].body, "the same bytes every time");
        assert_eq!(r.signature, received[0].signature);
        assert!(verifies(&secret, &r.body, r.signature.as_deref().unwrap()));
    }
    assert_eq!(
        events(&received[0].body)[0]["resource"]["gid"],
        task.as_str()
    );
    assert!(received[1].at - received[0].at >= base);
    assert!(received[2].at - received[1].at >= 2 * base);

    let (_, body) = get(&fake, PAT, &format!("/webhooks/{gid}")).await;
    let data = &body["data"];
    assert_eq!(data["delivery_retry_count"], 0, "{data}");
    assert!(data["last_success_at"].is_string());
    assert_eq!(data["next_attempt_after"], Value::Null);
    assert_eq!(data["failure_deletion_timestamp"], Value::Null);
    assert_eq!(
        data["last_failure_content"], after_second["last_failure_content"],
        "the last failure stays on record"
    );
}

#[tokio::test]
async fn webhooks_failing_for_the_whole_window_are_deleted() {
    let fake = FakeAsana::start().await;
    fake.set_webhook_options(WebhookOptions {
        failure_window: Duration::from_millis(400),
        ..WebhookOptions::for_tests()
    });
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gid, _) = hook(&fake, PROJECT_GID, &receiver.url("1"), None).await;
    receiver.reply_next(&[Reply::Status(503); 50]);
    project_task(&fake, "Doomed").await;
    eventually("the webhook's deletion", || fake.webhooks().is_empty()).await;
    let (status, _) = get(&fake, PAT, &format!("/webhooks/{gid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let deliveries = fake.deliveries(&gid);
    assert_eq!(deliveries.len(), 1);
    assert!(deliveries[0].attempts >= 3, "{deliveries:?}");
    assert_eq!(deliveries[0].status, DeliveryStatus::Abandoned);
    let attempts = receiver.deliveries().len();
    assert_eq!(attempts, deliveries[0].attempts as usize);
    assert!(!fake.send_heartbeat(&gid));
}

#[tokio::test]
async fn deleting_a_webhook_stops_its_deliveries() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gone, _) = hook(&fake, PROJECT_GID, &receiver.url("gone"), None).await;
    let (kept, _) = hook(&fake, PROJECT_GID, &receiver.url("kept"), None).await;
    let (status, body) = send(&fake, "DELETE", PAT, &format!("/webhooks/{gone}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"data": {}}));
    let (status, body) = get(&fake, PAT, &format!("/webhooks/{gone}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), format!("webhook: Unknown object: {gone}"));
    let (status, _) = send(&fake, "DELETE", PAT, &format!("/webhooks/{gone}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    project_task(&fake, "After the delete").await;
    let kept_deliveries = fake.wait_for_deliveries(&kept, 1, WAIT).await;
    assert_eq!(kept_deliveries.len(), 1);
    assert!(fake.deliveries(&gone).is_empty());
    let paths: Vec<String> = receiver.deliveries().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/hooks/events/kept".to_string()]);
}

#[tokio::test]
async fn heartbeats_are_signed_and_empty_on_demand_and_periodically() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gid, secret) = hook(&fake, PROJECT_GID, &receiver.url("1"), None).await;
    assert!(fake.send_heartbeat(&gid));
    let deliveries = fake.wait_for_deliveries(&gid, 1, WAIT).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].kind, DeliveryKind::Heartbeat);
    let received = receiver.deliveries();
    assert_eq!(received[0].body, br#"{"events":[]}"#);
    assert!(verifies(
        &secret,
        &received[0].body,
        received[0].signature.as_deref().unwrap()
    ));
    assert!(!fake.send_heartbeat("999"));

    fake.set_webhook_options(WebhookOptions {
        heartbeat_interval: Duration::from_millis(100),
        ..WebhookOptions::for_tests()
    });
    let (periodic, _) = hook(&fake, PROJECT_GID, &receiver.url("2"), None).await;
    let deliveries = fake.wait_for_deliveries(&periodic, 2, WAIT).await;
    assert!(deliveries.len() >= 2, "{deliveries:?}");
    assert!(deliveries
        .iter()
        .all(|d| d.kind == DeliveryKind::Heartbeat && d.events().is_empty()));
}

#[tokio::test]
async fn webhooks_are_listed_per_app_and_user_and_read_by_gid() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (on_project, _) = hook(&fake, PROJECT_GID, &receiver.url("1"), None).await;
    let (on_task, _) = hook(&fake, PARENT_TASK_GID, &receiver.url("2"), None).await;
    let (on_garden, _) = hook(&fake, SECOND_PROJECT_GID, &receiver.url("3"), None).await;

    let (status, body) = get(&fake, PAT, "/webhooks").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(message(&body), "workspace: Missing input");
    let (status, body) = get(&fake, PAT, &format!("/webhooks?workspace={WORKSPACE_GID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(gids(&body), vec![on_project.clone(), on_task.clone()]);
    assert_eq!(
        body["data"][0].as_object().unwrap().len(),
        WEBHOOK_RESPONSE_FIELDS.len()
    );
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/webhooks?workspace={WORKSPACE_GID}&resource={PARENT_TASK_GID}"),
    )
    .await;
    assert_eq!(gids(&body), vec![on_task.clone()]);
    let (_, body) = get(
        &fake,
        PAT,
        &format!("/webhooks?workspace={SECOND_WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(gids(&body), vec![on_garden.clone()]);
    let (seen, pages) = walk(
        &fake,
        PAT,
        &format!("/webhooks?workspace={WORKSPACE_GID}&limit=1"),
    )
    .await;
    assert_eq!(
        (seen, pages),
        (vec![on_project.clone(), on_task.clone()], 2)
    );

    let (status, body) = get(&fake, PAT, &format!("/webhooks/{on_task}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["resource"]["resource_type"], "task");
    assert_eq!(body["data"]["resource"]["name"], PARENT_TASK_NAME);
    let (status, body) = get(&fake, PAT, "/webhooks/999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(message(&body), "webhook: Unknown object: 999");

    fake.add_personal_access_token("grace-pat", GRACE_HOPPER_GID);
    let (_, body) = get(
        &fake,
        "grace-pat",
        &format!("/webhooks?workspace={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(
        body["data"],
        json!([]),
        "another user's webhooks are not listed"
    );
    let app = granular_token(&fake, "webhooks:read").await;
    let (status, body) = get(&fake, &app, &format!("/webhooks?workspace={WORKSPACE_GID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"],
        json!([]),
        "another app's webhooks are not listed"
    );
    let (status, _) = get(&fake, &app, &format!("/webhooks/{on_project}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the docs do not restrict reading by gid"
    );
}

#[tokio::test]
async fn webhook_routes_check_their_scopes() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gid, _) = hook(&fake, PROJECT_GID, &receiver.url("1"), None).await;
    let reader = granular_token(&fake, "webhooks:read").await;
    let (status, body) = create_hook(&fake, &reader, PROJECT_GID, &receiver.url("2"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("webhooks:write"), "{body}");
    let (status, body) = send(&fake, "DELETE", &reader, &format!("/webhooks/{gid}"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(message(&body).contains("webhooks:delete"), "{body}");

    let writer = granular_token(&fake, "webhooks:write webhooks:read projects:read").await;
    let (status, body) = create_hook(&fake, &writer, PROJECT_GID, &receiver.url("3"), None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mine = body["data"]["gid"].as_str().unwrap().to_string();
    let (_, body) = get(
        &fake,
        &writer,
        &format!("/webhooks?workspace={WORKSPACE_GID}"),
    )
    .await;
    assert_eq!(gids(&body), vec![mine], "the app sees its own webhook");
}

#[tokio::test]
async fn redelivery_pause_and_drop_steer_deliveries() {
    let fake = fake_for_tests().await;
    let receiver = Receiver::start(Handshake::Echo).await;
    let (gid, _) = hook(&fake, PROJECT_GID, &receiver.url("1"), None).await;
    assert!(!fake.redeliver_last(&gid), "nothing delivered yet");
    project_task(&fake, "Once").await;
    fake.wait_for_deliveries(&gid, 1, WAIT).await;
    assert!(fake.redeliver_last(&gid));
    let deliveries = fake.wait_for_deliveries(&gid, 2, WAIT).await;
    assert_eq!(deliveries.len(), 2);
    assert_eq!(deliveries[1].kind, DeliveryKind::Redelivery);
    let received = receiver.deliveries();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body, "byte for byte");
    assert_eq!(received[0].signature, received[1].signature);

    fake.pause_deliveries();
    let task = project_task(&fake, "Held").await;
    put_task(&fake, &task, json!({"completed": true})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        receiver.deliveries().len(),
        2,
        "nothing goes out while paused"
    );
    fake.resume_deliveries();
    let deliveries = fake.wait_for_deliveries(&gid, 3, WAIT).await;
    assert_eq!(deliveries.len(), 3, "what queued up goes out in one batch");
    let actions: Vec<Value> = deliveries[2]
        .events()
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(actions, vec![json!("added"), json!("changed")]);

    assert!(fake.drop_webhook(&gid));
    assert!(!fake.drop_webhook(&gid));
    let (status, _) = get(&fake, PAT, &format!("/webhooks/{gid}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    put_task(&fake, &task, json!({"completed": false})).await;
    assert!(!fake.send_heartbeat(&gid));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(fake.deliveries(&gid).len(), 3);
    assert_eq!(receiver.deliveries().len(), 3);
}
