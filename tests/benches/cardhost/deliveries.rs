//! `deliveries_per_s` and `delivery_ack_p99_ms`: signed Asana deliveries to
//! an enabled event flow's address, sent by 64 concurrent senders. Each is
//! acknowledged only once its events are stored durably (flushed); the
//! inbox worker takes them meanwhile. The events are ones the trigger's card
//! passes over without a request (a story added), so what is measured is
//! the acknowledgement path, with the worker running beside it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardhost_tests::fake_asana::{seed, FakeAsana, WebhookOptions};
use serde_json::json;

use super::{ms, Goals, InProcessHost, Stats, API_KEY, CALLERS};

/// Deliveries measured, after `WARMUP_DELIVERIES`.
const DELIVERIES: usize = 20_000;
const WARMUP_DELIVERIES: usize = 1_000;
const GOAL_DELIVERIES_PER_S: f64 = 2000.0;

pub(super) async fn deliveries(
    fake: &FakeAsana,
    host: &InProcessHost,
    conn: &str,
    goals: &mut Goals,
) {
    fake.set_webhook_options(WebhookOptions::for_tests());
    let api = |path: &str| format!("{}/api/v1{path}", host.base);
    let def = json!({
        "name": "Bench: completed tasks",
        "trigger": {"type": "event", "card": "asana.task-completed", "connection": conn,
                    "input": {"project": seed::PROJECT_GID}},
        "steps": [{"id": "me", "card": "asana.read-user", "connection": conn, "input": {"user": "me"}}]
    });
    let created: serde_json::Value = host
        .client
        .post(api("/flows"))
        .bearer_auth(API_KEY)
        .json(&def)
        .send()
        .await
        .expect("create the flow")
        .json()
        .await
        .unwrap();
    let flow = created["id"].as_str().expect("a flow").to_string();
    let enabled: serde_json::Value = host
        .client
        .post(api(&format!("/flows/{flow}/enable")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .expect("enable")
        .json()
        .await
        .unwrap();
    let target = enabled["trigger"]["subscription"]["target"]
        .as_str()
        .unwrap_or_else(|| panic!("not subscribed: {enabled}"))
        .to_string();
    let secret = host
        .app
        .store
        .get_trigger(&flow)
        .unwrap()
        .and_then(|s| s.subscription)
        .and_then(|s| s.secret)
        .expect("the subscription's secret");
    let bodies: Arc<Vec<(Vec<u8>, String)>> = Arc::new(
        (0..WARMUP_DELIVERIES + DELIVERIES)
            .map(|i| {
                let body = json!({"events": [{
                    "user": {"gid": seed::ME_GID, "resource_type": "user"},
                    "created_at": "2026-11-30T10:00:00.000Z",
                    "action": "added",
                    "resource": {"gid": format!("1300{i:012}"), "resource_type": "story",
                                 "resource_subtype": "comment_added"},
                    "parent": {"gid": "1200000000000999", "resource_type": "task"}
                }]})
                .to_string()
                .into_bytes();
                let signature = cardhost::triggers::signature::sign(secret.as_bytes(), &body);
                (body, signature)
            })
            .collect(),
    );
    let client = reqwest::Client::new();
    let send = |range: std::ops::Range<usize>| {
        let (client, bodies, target) = (client.clone(), bodies.clone(), target.clone());
        async move {
            let next = Arc::new(AtomicUsize::new(range.start));
            let failed = Arc::new(AtomicUsize::new(0));
            let latencies = Arc::new(Mutex::new(Vec::with_capacity(range.len())));
            let t = Instant::now();
            let senders: Vec<_> = (0..CALLERS)
                .map(|_| {
                    let (client, bodies, target) = (client.clone(), bodies.clone(), target.clone());
                    let (next, failed, latencies) =
                        (next.clone(), failed.clone(), latencies.clone());
                    let end = range.end;
                    tokio::spawn(async move {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= end {
                                break;
                            }
                            let (body, signature) = &bodies[i];
                            let sent = Instant::now();
                            let ok = client
                                .post(&target)
                                .header("content-type", "application/json")
                                .header("X-Hook-Signature", signature)
                                .body(body.clone())
                                .send()
                                .await
                                .is_ok_and(|r| r.status().is_success());
                            latencies.lock().unwrap().push(ms(sent.elapsed()));
                            if !ok {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            for s in senders {
                s.await.unwrap();
            }
            let latencies = std::mem::take(&mut *latencies.lock().unwrap());
            (t.elapsed(), failed.load(Ordering::Relaxed), latencies)
        }
    };
    send(0..WARMUP_DELIVERIES).await;
    let (took, failed, latencies) = send(WARMUP_DELIVERIES..WARMUP_DELIVERIES + DELIVERIES).await;
    let rate = DELIVERIES as f64 / took.as_secs_f64();
    let stats = Stats::of(latencies);
    println!(
        "deliveries_per_s: {rate:.0} ({DELIVERIES} signed deliveries, {CALLERS} senders, each stored and flushed before its 200; failed: {failed})"
    );
    println!(
        "delivery_ack_p50_ms: {:.2}, delivery_ack_p99_ms: {:.2}",
        stats.median, stats.p99
    );
    let drained = Instant::now();
    while host.app.triggers.inbox_len() > 0 && drained.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "inbox_drain_s: {:.1} after the last acknowledgement ({} left)",
        drained.elapsed().as_secs_f64(),
        host.app.triggers.inbox_len()
    );
    goals.check(
        format!("deliveries_per_s {rate:.0} >= {GOAL_DELIVERIES_PER_S}"),
        rate >= GOAL_DELIVERIES_PER_S && failed == 0,
    );
}
