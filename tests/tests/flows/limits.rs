//! Hardening of flows: values too deep or too large are refused before a
//! step runs or anything is stored; a definition cannot amplify its input
//! through repeated references; one damaged record never stops listing,
//! deleting or starting; and history text is redacted like values are.

use std::path::Path;
use std::time::{Duration, Instant};

use cardhost_tests::fake_asana::FakeAsana;
use serde_json::{json, Value};

use crate::common::Host;
use crate::create_flow;

/// `{"a": {"a": … inner …}}`, `levels` objects deep.
fn nest(levels: usize, inner: Value) -> Value {
    (0..levels).fold(inner, |v, _| json!({ "a": v }))
}

/// A one-step flow of Custom API Action whose body is `body`.
fn body_flow(body: Value) -> Value {
    json!({
        "name": "Deep body",
        "steps": [{"id": "send", "card": "asana.custom-api-action", "connection": "team",
                   "input": {"method": "POST", "relative_url": "/tasks", "body": body}}]
    })
}

#[tokio::test]
async fn values_nested_too_deep_are_refused_and_history_stays_readable() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(&host, body_flow(nest(40, json!("$.input")))).await;
    fake.clear_requests();

    let (status, body) = host
        .post(
            &format!("/flows/{flow}/runs"),
            json!({"input": nest(120, json!(1))}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "input", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("64 levels"),
        "{body}"
    );

    let (status, run) = host
        .post(
            &format!("/flows/{flow}/runs"),
            json!({"input": nest(60, json!(1))}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "failed", "{run}");
    let error = &run["steps"][0]["error"];
    assert!(
        error["field"].as_str().unwrap().starts_with("body.a.a"),
        "{error}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("levels deep"),
        "{error}"
    );
    assert!(fake.requests().is_empty(), "no provider call was made");

    let (status, page) = host.get(&format!("/flows/{flow}/runs")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");

    let dir = host.data_dir.clone();
    let tmp = host.stop().await;
    let host = Host::start_in(&fake, &dir, &[]).await;
    let (status, _) = host.get(&format!("/flows/{flow}/runs")).await;
    assert_eq!(status, 200);
    drop(tmp);
}

#[tokio::test]
async fn a_damaged_run_is_skipped_counted_and_deleted_by_key() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(
        &host,
        json!({"name": "Me", "steps": [{"id": "me", "card": "asana.read-user",
               "connection": "team", "input": {"user": "me"}}]}),
    )
    .await;
    let (_, run) = host.post(&format!("/flows/{flow}/runs"), json!({})).await;
    assert_eq!(run["status"], "succeeded", "{run}");

    // Damage the data dir under the stopped host: an undecodable run, indexed.
    let dir = host.data_dir.clone();
    let tmp = host.stop().await;
    let damaged_key = format!("{flow}/{:020}/damaged-run", 1);
    {
        let db = raw_db(&dir);
        db.open_tree("flow_runs")
            .unwrap()
            .insert(damaged_key.as_bytes(), &b"{\"id\": [[[not json"[..])
            .unwrap();
        db.open_tree("flow_run_index")
            .unwrap()
            .insert("damaged-run", damaged_key.as_bytes())
            .unwrap();
        db.flush().unwrap();
    }

    let host = Host::start_in(&fake, &dir, &[]).await;
    let (status, page) = host.get(&format!("/flows/{flow}/runs")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"].as_array().unwrap().len(), 1, "{page}");
    let health: Value = host
        .client
        .get(format!("{}/healthz", host.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["damaged_records"], 1, "{health}");

    let host = restart(host, &fake, &dir).await;
    let r = host
        .api(reqwest::Method::DELETE, &format!("/flows/{flow}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let (status, _) = host.get("/flows").await;
    assert_eq!(status, 200);
    host.stop().await;
    let db = raw_db(&dir);
    let runs = db.open_tree("flow_runs").unwrap();
    assert_eq!(runs.scan_prefix(flow.as_bytes()).count(), 0);
    let index = db.open_tree("flow_run_index").unwrap();
    assert!(index.get("damaged-run").unwrap().is_none());
    drop(tmp);
}

/// Stop `host` and start another on its data dir.
async fn restart(host: Host, fake: &FakeAsana, dir: &Path) -> Host {
    host.stop().await;
    Host::start_in(fake, dir, &[]).await
}

/// The sled database of a stopped host's data dir, opened under the store to
/// damage it on purpose (sled lets go of its lock a moment after the host).
fn raw_db(dir: &Path) -> sled::Db {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match sled::Config::new().path(dir.join("db")).open() {
            Ok(db) => return db,
            Err(e) if Instant::now() > deadline => panic!("the data dir's database: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

#[tokio::test]
async fn references_cannot_amplify_an_input() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;

    let many: serde_json::Map<String, Value> = (0..1000)
        .map(|i| (format!("k{i}"), json!("$.input")))
        .collect();
    let (status, body) = host.post("/flows", body_flow(Value::Object(many))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "steps[0].input", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("256 references"),
        "{body}"
    );

    let some: serde_json::Map<String, Value> = (0..200)
        .map(|i| (format!("k{i}"), json!("$.input.blob")))
        .collect();
    let flow = create_flow(&host, body_flow(Value::Object(some))).await;
    fake.clear_requests();
    let response = host
        .api(reqwest::Method::POST, &format!("/flows/{flow}/runs"))
        .json(&json!({"input": {"blob": "x".repeat(200_000)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.len() < 300_000,
        "the answer is {} bytes for a 200 kB input",
        text.len()
    );
    let run: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(run["status"], "failed", "{run}");
    let message = run["steps"][0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("1048576 bytes"), "{message}");
    assert!(fake.requests().is_empty(), "no provider call was made");
}

#[tokio::test]
async fn secrets_are_cut_out_of_call_records_in_history() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let secret = "s3cr3t-api-key-value-42";
    let flow = create_flow(
        &host,
        json!({"name": "Leaky", "steps": [{"id": "call", "card": "asana.custom-api-action",
               "connection": "team",
               "input": {"method": "GET", "relative_url": "$.input.path",
                         "headers": {"x-api-key": "$.input.key"}}}]}),
    )
    .await;
    let (_, run) = host
        .post(
            &format!("/flows/{flow}/runs"),
            json!({"input": {"path": format!("/users/{secret}"), "key": secret}}),
        )
        .await;
    assert!(run["steps"][0]["calls"][0]["path"]
        .as_str()
        .unwrap()
        .contains("[redacted]"));
    let run_id = run["id"].as_str().unwrap();
    let (_, stored) = host.get(&format!("/flows/{flow}/runs/{run_id}")).await;
    let (_, page) = host.get(&format!("/flows/{flow}/runs")).await;
    for kept in [&run, &stored, &page] {
        assert!(!kept.to_string().contains(secret), "{kept}");
    }
}
