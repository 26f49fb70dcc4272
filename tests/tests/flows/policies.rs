//! Error policies: retry (429 waits do not count), continue, halt, and a
//! card output that breaks its own schema.

use cardhost_tests::fake_asana::{seed, FakeAsana, Fault};
use serde_json::json;

use crate::common::Host;
use crate::create_flow;

fn me_flow(on_error: serde_json::Value) -> serde_json::Value {
    json!({"name": "me", "steps": [
        {"id": "me", "card": "asana.read-user", "connection": "team", "input": {"user": "me"}, "on_error": on_error},
        {"id": "after", "card": "asana.read-user", "connection": "team", "input": {"user": seed::ALAN_TURING_GID}}
    ]})
}

#[tokio::test]
async fn retry_tries_again_until_the_third_succeeds() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(
        &host,
        me_flow(json!({"policy": "retry", "times": 3, "delay_ms": 10})),
    )
    .await;
    fake.clear_requests();
    fake.inject(Fault::status("/api/1.0/users/me", 500, 2));
    let (status, run) = host.post(&format!("/flows/{flow}/runs"), json!({})).await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(
        fake.count("GET", "/api/1.0/users/me"),
        3,
        "two failures, then success"
    );
    assert_eq!(run["steps"][0]["attempts"], 3);
    assert_eq!(run["steps"][0]["calls"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn rate_limit_waits_are_not_retries() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(&host, me_flow(json!({"policy": "retry", "times": 1}))).await;
    fake.inject(Fault::rate_limit("/api/1.0/users/me", 1, 1));
    let (_, run) = host.post(&format!("/flows/{flow}/runs"), json!({})).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["steps"][0]["attempts"], 1);
    assert_eq!(run["steps"][0]["calls"][0]["rate_limited"], 1);
}

#[tokio::test]
async fn continue_keeps_going_with_the_error_as_output() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(&host, me_flow(json!({"policy": "continue"}))).await;
    fake.inject(Fault::status("/api/1.0/users/me", 500, 1));
    let (_, run) = host.post(&format!("/flows/{flow}/runs"), json!({})).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["steps"][0]["status"], "continued");
    assert_eq!(run["steps"][0]["output"]["error"]["code"], "provider_error");
    assert_eq!(run["steps"][1]["status"], "succeeded");
}

#[tokio::test]
async fn halt_stops_the_flow() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(&host, me_flow(json!({"policy": "halt"}))).await;
    fake.inject(Fault::status("/api/1.0/users/me", 500, 1));
    let (_, run) = host.post(&format!("/flows/{flow}/runs"), json!({})).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["steps"].as_array().unwrap().len(), 1);
    assert_eq!(run["error"]["code"], "provider_error");
}

#[tokio::test]
async fn an_output_that_breaks_its_schema_fails_the_run() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let bytes = std::fs::read(format!(
        "{}/hostile_card.wasm",
        cardhost::runtime::builtin::CARDS_DIR
    ))
    .unwrap();
    let card = host.app.runtime.load(&bytes).await.unwrap();
    let report = host
        .app
        .runtime
        .run(
            &card,
            &json!({"action": "bad_output"}),
            &cardhost::runtime::RunContext::default(),
            None,
        )
        .await;
    match report.result {
        Err(cardhost::runtime::RunError::InvalidOutput { message, .. }) => {
            assert!(message.contains("object"), "{message}")
        }
        other => panic!("expected invalid output, got {other:?}"),
    }
}
