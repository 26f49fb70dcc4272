//! The sandbox against a deliberately hostile card (tests/cards/hostile):
//! no foreign hosts, no stolen headers, no files, no environment, bounded
//! time and memory, panics as clean errors, and the host keeps serving.

use std::sync::Arc;
use std::time::Instant;

use cardhost::capability::{Grant, StaticCredentials};
use cardhost::runtime::{builtin::CARDS_DIR, LoadedCard, RunContext, RunError, RunReport};
use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use crate::common::Host;

/// Run a loaded card with a fixed token against the host's connector.
pub async fn run_with_token(
    host: &Host,
    card: &LoadedCard,
    input: Value,
    token: &str,
) -> RunReport {
    let grant = Grant {
        connector: host.connector("asana"),
        credentials: Arc::new(StaticCredentials::new(Some(token.to_string().into()), None)),
        allow_service_account: card.manifest().uses_service_account,
        deadline: Instant::now() + host.app.runtime.config().timeout,
    };
    let context = RunContext {
        connector: "asana".into(),
        default_workspace: Some(seed::WORKSPACE_GID.into()),
        has_service_account: false,
    };
    host.app
        .runtime
        .run(card, &input, &context, Some(grant))
        .await
}

async fn hostile(host: &Host) -> LoadedCard {
    let bytes =
        std::fs::read(format!("{CARDS_DIR}/hostile_card.wasm")).expect("the hostile card is built");
    host.app
        .runtime
        .load(&bytes)
        .await
        .expect("the hostile card loads")
}

async fn act(host: &Host, card: &LoadedCard, input: Value) -> RunReport {
    run_with_token(host, card, input, seed::PAT).await
}

/// After anything hostile, a normal card run still works.
async fn still_serving(host: &Host, card: &LoadedCard) {
    let report = act(host, card, json!({"action": "echo", "value": 1})).await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    let read_user = host.app.runner.card("asana.read-user").await.unwrap();
    let report = act(host, &read_user, json!({"user": "me"})).await;
    assert_eq!(report.result.unwrap()["gid"], seed::ME_GID);
}

#[tokio::test]
async fn requests_outside_the_allowlist_are_refused() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let card = hostile(&host).await;
    let report = act(&host, &card, json!({"action": "foreign_host"})).await;
    let out = report.result.expect("the card reports what it saw");
    let text = out.to_string();
    assert!(
        text.contains("denied")
            || text.contains("not one of the hosts")
            || text.contains("refused"),
        "{text}"
    );
    assert!(
        report.calls.iter().all(|c| c.status.is_none()),
        "no foreign request was sent: {:?}",
        report.calls
    );
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn card_set_authorization_and_cookie_never_reach_the_provider() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let card = hostile(&host).await;
    fake.clear_requests();
    let report = act(&host, &card, json!({"action": "set_auth"})).await;
    assert!(report.result.is_ok(), "{:?}", report.result);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {}", seed::PAT).as_str())
    );
    assert!(reqs[0].header("cookie").is_none());
    assert!(!format!("{:?}", reqs[0].headers).contains("stolen"));
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn an_infinite_loop_stops_at_the_deadline() {
    let fake = FakeAsana::start().await;
    let host = Host::start_in(
        &fake,
        tempfile::tempdir().unwrap().keep().as_path(),
        &[("CARDHOST_RUN_TIMEOUT_SECS", "1")],
    )
    .await;
    let card = hostile(&host).await;
    let report = act(&host, &card, json!({"action": "loop"})).await;
    assert!(
        matches!(report.result, Err(RunError::Timeout { .. })),
        "{:?}",
        report.result
    );
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn a_sleep_in_wasi_stops_at_the_deadline() {
    let fake = FakeAsana::start().await;
    let host = Host::start_in(
        &fake,
        tempfile::tempdir().unwrap().keep().as_path(),
        &[("CARDHOST_RUN_TIMEOUT_SECS", "1")],
    )
    .await;
    let card = hostile(&host).await;
    // An hour of std::thread::sleep waits in wasi:io/poll, where the epoch
    // deadline cannot reach it.
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(120),
        act(&host, &card, json!({"action": "sleep", "ms": 3_600_000})),
    )
    .await
    .expect("the run ends");
    assert!(
        matches!(report.result, Err(RunError::Timeout { limit_ms: 1000 })),
        "{:?}",
        report.result
    );
    assert_eq!(host.app.runtime.runs_in_progress(), 0, "the slot is back");
    let report = act(&host, &card, json!({"action": "sleep", "ms": 10})).await;
    assert_eq!(report.result.unwrap(), json!({"slept_ms": 10}));
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn a_memory_bomb_is_stopped_by_the_cap() {
    let fake = FakeAsana::start().await;
    let host = Host::start_in(
        &fake,
        tempfile::tempdir().unwrap().keep().as_path(),
        &[("CARDHOST_MEMORY_LIMIT_MB", "32")],
    )
    .await;
    let card = hostile(&host).await;
    let report = act(&host, &card, json!({"action": "memory_bomb"})).await;
    assert!(
        matches!(report.result, Err(RunError::OutOfMemory { .. })),
        "{:?}",
        report.result
    );
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn files_and_environment_are_empty() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let card = hostile(&host).await;
    let files = act(&host, &card, json!({"action": "read_file"}))
        .await
        .result
        .expect("reports errors");
    assert!(
        !files.to_string().contains("root:"),
        "read /etc/passwd: {files}"
    );
    let env = act(&host, &card, json!({"action": "env"}))
        .await
        .result
        .expect("reports the env");
    let text = env.to_string();
    assert!(
        !text.contains("CARDHOST") && !text.contains("ASANA") && !text.contains("PATH"),
        "{text}"
    );
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn a_panic_is_a_clean_error() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let card = hostile(&host).await;
    let report = act(&host, &card, json!({"action": "panic"})).await;
    match &report.result {
        Err(RunError::Trap { message }) => {
            assert!(
                message.contains("the hostile card panics on purpose"),
                "{message}"
            );
            assert!(
                report
                    .logs
                    .iter()
                    .any(|l| l.message.starts_with("panicked")),
                "{:?}",
                report.logs
            );
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn a_card_error_and_an_oversized_output_are_distinct() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let card = hostile(&host).await;
    let report = act(&host, &card, json!({"action": "error"})).await;
    assert!(
        matches!(&report.result, Err(RunError::Card { field: Some(f), .. }) if f == "action"),
        "{:?}",
        report.result
    );
    let report = act(
        &host,
        &card,
        json!({"action": "big_output", "size": 2 * 1024 * 1024}),
    )
    .await;
    assert!(
        matches!(report.result, Err(RunError::OutputTooLarge { .. })),
        "{:?}",
        report.result
    );
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn a_call_flood_stops_at_the_per_run_cap() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[("CARDHOST_MAX_CALLS_PER_RUN", "50")]).await;
    let card = hostile(&host).await;
    fake.clear_requests();
    let report = act(&host, &card, json!({"action": "flood", "count": 200})).await;
    let out = report.result.expect("the card reports what it saw");
    assert_eq!(out["ok"], 50, "{out}");
    assert_eq!(out["refused"], 150, "{out}");
    assert!(
        out["first_error"]
            .as_str()
            .unwrap()
            .contains("CARDHOST_MAX_CALLS_PER_RUN"),
        "{out}"
    );
    assert_eq!(fake.count("GET", "/api/1.0/users/me"), 50);
    assert_eq!(report.calls.len(), 51, "the cap's own record, then nothing");
    still_serving(&host, &card).await;
}

#[tokio::test]
async fn huge_urls_are_refused_and_never_kept_whole() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let card = hostile(&host).await;
    let report = act(&host, &card, json!({"action": "huge_url", "size": 1 << 20})).await;
    let out = report.result.expect("the card reports what it saw");
    assert!(out["message"].as_str().unwrap().contains("8192"), "{out}");
    assert!(report.calls[0].status.is_none(), "nothing was sent");

    let huge = format!("/users/{}", "u".repeat(1 << 20));
    fake.clear_requests();
    let report = act(
        &host,
        &card,
        json!({"action": "flood", "count": 200, "url": huge}),
    )
    .await;
    let out = report.result.expect("the card reports what it saw");
    assert_eq!(out["refused"], 200, "{out}");
    assert!(fake.requests().is_empty());
    let kept: usize = report
        .calls
        .iter()
        .map(|c| c.path.len() + c.error.as_ref().map_or(0, String::len))
        .sum();
    assert!(
        kept < 200 * 1024,
        "the run kept {kept} bytes of call records"
    );
    still_serving(&host, &card).await;
}
