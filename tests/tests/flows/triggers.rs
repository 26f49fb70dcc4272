//! Flow triggers that need no provider events: schedules, the API endpoint
//! (webhook trigger), and enabling, disabling, changing and deleting
//! triggered flows.

use std::time::{Duration, Instant};

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};

use super::common::Host;
use super::create_flow;

fn read_me(connection: &str, trigger: Value) -> Value {
    json!({
        "name": "Who am I",
        "trigger": trigger,
        "steps": [
            {"id": "me", "card": "asana.read-user", "connection": connection,
             "input": {"user": "$.input.user"}}
        ],
        "output": {"gid": "$.steps.me.output.gid", "greeting": "Hello {{$.steps.me.output.name}}"}
    })
}

/// The runs of a flow, newest first.
async fn runs(host: &Host, flow: &str) -> Vec<Value> {
    let (status, body) = host.get(&format!("/flows/{flow}/runs?limit=100")).await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Wait (bounded) until `check` holds for the flow's runs.
async fn wait_for_runs(
    host: &Host,
    flow: &str,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = runs(host, flow).await;
        if check(&found) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_schedule_fires_only_while_enabled() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let mut def = read_me(
        &conn,
        json!({"type": "schedule", "cron": "* * * * * *", "timezone": "Europe/Paris"}),
    );
    def["steps"][0]["input"]["user"] = json!("me");
    let flow = create_flow(&host, def).await;
    let (status, body) = host.get(&format!("/flows/{flow}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["trigger_status"]["type"], "schedule");
    assert_eq!(body["trigger_status"]["enabled"], false);
    assert!(
        runs(&host, &flow).await.is_empty(),
        "a disabled schedule does not fire"
    );

    let (status, body) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["trigger"]["enabled"], true);
    assert!(body["trigger"]["next_run_at"].is_string(), "{body}");
    let fired = wait_for_runs(&host, &flow, "two scheduled runs", |r| r.len() >= 2).await;
    for run in &fired {
        assert_eq!(run["trigger"]["type"], "schedule", "{run}");
        assert!(run["trigger"]["fire_time"].is_string());
    }
    wait_for_runs(&host, &flow, "a scheduled run that succeeded", |r| {
        r.iter().any(|run| run["status"] == "succeeded")
    })
    .await;

    let (status, body) = host
        .post(&format!("/flows/{flow}/disable"), json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["trigger"]["enabled"], false);
    // Let a run that had already started end, then check that no more start.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_disable = runs(&host, &flow).await.len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        runs(&host, &flow).await.len(),
        after_disable,
        "a disabled schedule fired"
    );
}

#[tokio::test]
async fn the_missed_fire_times_of_a_stop_run_once_when_the_flow_says_so() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    let conn = host.token_connection("team", false).await;
    let mut skip = read_me(
        &conn,
        json!({"type": "schedule", "cron": "0 0 1 1 *", "missed": "skip"}),
    );
    skip["steps"][0]["input"]["user"] = json!("me");
    let mut once = skip.clone();
    once["trigger"]["missed"] = json!("run_once");
    let skip = create_flow(&host, skip).await;
    let once = create_flow(&host, once).await;
    for flow in [&skip, &once] {
        let (status, body) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    host.stop().await;
    // Pretend the host was down over new year: its last fire time was long ago.
    {
        let store = cardhost::store::Store::open(dir.path(), Some(&"aa".repeat(32))).unwrap();
        for flow in [&skip, &once] {
            let mut state = store.get_trigger(flow).unwrap().unwrap();
            state.enabled_at = Some(chrono::Utc::now() - chrono::Duration::days(400));
            store.put_trigger(&state).await.unwrap();
        }
    }
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    let fired = wait_for_runs(&host, &once, "the one run for the missed fire times", |r| {
        r.len() == 1
    })
    .await;
    assert_eq!(fired[0]["trigger"]["type"], "schedule");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(runs(&host, &once).await.len(), 1, "run once means once");
    assert!(runs(&host, &skip).await.is_empty(), "skip means no run");
    let (_, body) = host.get(&format!("/flows/{skip}")).await;
    assert!(
        body["trigger_status"]["last_fire"].is_string(),
        "the skipped fire time is recorded: {body}"
    );
    host.stop().await;
}

#[tokio::test]
async fn a_bad_schedule_is_refused_at_save_naming_its_field() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    for (trigger, field) in [
        (
            json!({"type": "schedule", "cron": "61 * * * *"}),
            "trigger.cron",
        ),
        (
            json!({"type": "schedule", "cron": "0 9 * * MON-FRI", "timezone": "Europe/Atlantis"}),
            "trigger.timezone",
        ),
        (json!({"type": "schedule"}), "trigger"),
        (json!({"type": "hourly"}), "trigger"),
    ] {
        let (status, body) = host.post("/flows", read_me(&conn, trigger.clone())).await;
        assert!(status == 422 || status == 400, "{trigger}: {status} {body}");
        let named = body["error"]["field"].as_str().unwrap_or_default();
        assert!(named.starts_with(field), "{trigger}: {body}");
    }
    let (status, body) = host.get("/flows").await;
    assert_eq!(status, 200);
    assert_eq!(body["data"], json!([]), "nothing half-written");
}

#[tokio::test]
async fn an_endpoint_runs_its_flow_with_the_right_secret_only() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, read_me(&conn, json!({"type": "webhook"}))).await;
    let url = format!("{}/hooks/flows/{flow}", host.base);
    let call = |secret: &str, body: Value| {
        host.client
            .post(format!("{url}?wait=true"))
            .bearer_auth(secret)
            .json(&body)
    };

    let (status, body) = host.get(&format!("/flows/{flow}")).await;
    assert_eq!(
        body["trigger_status"]["endpoint"],
        json!(url),
        "{status} {body}"
    );
    assert_eq!(body["trigger_status"]["has_secret"], false);

    let (status, enabled) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
    assert_eq!(status, 200, "{enabled}");
    let secret = enabled["secret"]
        .as_str()
        .expect("the secret is shown once")
        .to_string();
    let (_, again) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
    assert!(again.get("secret").is_none(), "only once: {again}");
    let (_, shown) = host.get(&format!("/flows/{flow}")).await;
    assert!(
        !shown.to_string().contains(&secret),
        "the flow never shows its secret"
    );

    let r = call(&secret, json!({"user": "me"})).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["output"]["gid"], seed::ME_GID, "{done}");
    assert_eq!(
        done["output"]["greeting"],
        format!("Hello {}", seed::ME_NAME),
        "{done}"
    );

    let r = call("not-the-secret", json!({"user": "me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = host
        .client
        .post(&url)
        .json(&json!({"user": "me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no secret at all");

    // Signed with the secret instead of sending it.
    let body = br#"{"user":"me"}"#;
    let sig = cardhost::triggers::signature::sign(secret.as_bytes(), body);
    let r = host
        .client
        .post(&url)
        .header("x-cardhost-signature", format!("sha256={sig}"))
        .header("content-type", "application/json")
        .body(&body[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let accepted: Value = r.json().await.unwrap();
    assert!(accepted["run_id"].is_string());
    let r = host
        .client
        .post(&url)
        .header("x-cardhost-signature", format!("sha256={sig}"))
        .body(&br#"{"user":"someone else"}"#[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a signature over another body");

    let r = call(&secret, json!(["not", "an", "object"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // A new secret: the old one stops working.
    let (status, rotated) = host.post(&format!("/flows/{flow}/secret"), json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    assert_eq!(
        call(&secret, json!({"user": "me"}))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        call(&new_secret, json!({"user": "me"}))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Disabled: the secret is right, the flow does not run.
    host.post(&format!("/flows/{flow}/disable"), json!({}))
        .await;
    assert_eq!(
        call(&new_secret, json!({"user": "me"}))
            .send()
            .await
            .unwrap()
            .status(),
        409
    );
    let history = runs(&host, &flow).await;
    assert!(
        history.iter().all(|r| r["trigger"]["type"] == "webhook"),
        "{history:?}"
    );
    assert_eq!(history.len(), 3, "two waited for, one accepted");
}

#[tokio::test]
async fn triggers_are_enabled_only_where_they_make_sense() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let manual = create_flow(&host, read_me(&conn, json!({"type": "manual"}))).await;
    let (status, body) = host
        .post(&format!("/flows/{manual}/enable"), json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("manual_flow")),
        "{body}"
    );
    let (status, _) = host.post("/flows/no-such-flow/enable", json!({})).await;
    assert_eq!(status, 404);
    let (status, body) = host
        .post(&format!("/flows/{manual}/secret"), json!({}))
        .await;
    assert_eq!(status, 422, "{body}");

    // A hook of a flow without an endpoint looks like no hook at all.
    let r = host
        .client
        .post(format!("{}/hooks/flows/{manual}", host.base))
        .bearer_auth("anything")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = host
        .client
        .post(format!("{}/hooks/events/no-such-subscription", host.base))
        .body("{\"events\":[]}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_trigger_of_an_enabled_flow_cannot_change_and_deleting_it_stops_it() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let def = read_me(&conn, json!({"type": "webhook"}));
    let flow = create_flow(&host, def.clone()).await;
    let (_, enabled) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
    let secret = enabled["secret"].as_str().unwrap().to_string();

    let mut changed = def.clone();
    changed["trigger"] = json!({"type": "manual"});
    let r = host
        .api(reqwest::Method::PUT, &format!("/flows/{flow}"))
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "flow_enabled");
    // The steps may change while enabled.
    let mut renamed = def.clone();
    renamed["name"] = json!("Still me");
    let r = host
        .api(reqwest::Method::PUT, &format!("/flows/{flow}"))
        .json(&renamed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = host
        .api(reqwest::Method::DELETE, &format!("/flows/{flow}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = host
        .client
        .post(format!("{}/hooks/flows/{flow}", host.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(host.app.store.get_trigger(&flow).unwrap().is_none());
}

#[tokio::test]
async fn scheduled_runs_do_not_overlap_unless_the_flow_allows_it() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    // Each run takes about 1.2 s: an unknown user, tried again twice 600 ms apart.
    let slow = |allow_overlap: bool| {
        let mut def = read_me(
            &conn,
            json!({"type": "schedule", "cron": "* * * * * *", "allow_overlap": allow_overlap}),
        );
        def["steps"][0]["input"]["user"] = json!("1299999999999999");
        def["steps"][0]["on_error"] = json!({"policy": "retry", "times": 2, "delay_ms": 600});
        def
    };
    let one_at_a_time = create_flow(&host, slow(false)).await;
    let overlapping = create_flow(&host, slow(true)).await;
    for flow in [&one_at_a_time, &overlapping] {
        let (status, body) = host.post(&format!("/flows/{flow}/enable"), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let ended = |r: &[Value]| r.iter().filter(|run| run["status"] != "running").count() >= 2;
    let sequential = wait_for_runs(&host, &one_at_a_time, "two finished runs", ended).await;
    let parallel = wait_for_runs(&host, &overlapping, "two finished runs", ended).await;
    for flow in [&one_at_a_time, &overlapping] {
        host.post(&format!("/flows/{flow}/disable"), json!({}))
            .await;
    }
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let overlaps = |runs: &[Value]| {
        let mut spans: Vec<_> = runs
            .iter()
            .filter(|r| r["ended_at"].is_string())
            .map(|r| (time(&r["started_at"]), time(&r["ended_at"])))
            .collect();
        spans.sort();
        spans.windows(2).any(|w| w[1].0 < w[0].1)
    };
    assert!(!overlaps(&sequential), "runs overlapped: {sequential:?}");
    assert!(
        overlaps(&parallel),
        "allow_overlap lets runs overlap: {parallel:?}"
    );
}

#[tokio::test]
async fn the_console_shows_the_trigger_enables_it_and_shows_the_secret_once() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", false).await;
    let flow = create_flow(&host, read_me(&conn, json!({"type": "webhook"}))).await;
    let page = format!("{}/console/flows/{flow}", host.base);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let cookie = host.sign_in_console(&client, "/console/flows").await;
    let get = |url: String| client.get(url).header("cookie", cookie.clone()).send();

    let list = get(format!("{}/console/flows", host.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("webhook") && list.contains("Disabled"),
        "{list}"
    );
    let html = get(page.clone()).await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!("/hooks/flows/{flow}")),
        "the endpoint URL is shown"
    );
    assert!(html.contains("id=\"trigger-state\">Disabled"), "{html}");
    let csrf = super::common::input_value(&html, "csrf");

    let refused = client
        .post(format!("{page}/enable"))
        .header("cookie", cookie.clone())
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        403,
        "a POST without its CSRF token is refused"
    );
    let (_, body) = host.get(&format!("/flows/{flow}")).await;
    assert_eq!(body["trigger_status"]["enabled"], false);

    let shown = client
        .post(format!("{page}/enable"))
        .header("cookie", cookie.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let shown = shown.text().await.unwrap();
    let start = shown.find("id=\"secret\">").expect("the secret is shown") + "id=\"secret\">".len();
    let secret = &shown[start..start + shown[start..].find('<').unwrap()];
    assert!(secret.len() >= 40, "{secret}");
    let r = host
        .client
        .post(format!("{}/hooks/flows/{flow}?wait=true", host.base))
        .bearer_auth(secret)
        .json(&json!({"user": "me"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the secret shown works");

    let html = get(page.clone()).await.unwrap().text().await.unwrap();
    assert!(!html.contains(secret), "shown only once");
    assert!(html.contains("id=\"trigger-state\">Enabled"), "{html}");
    let disabled = client
        .post(format!("{page}/disable"))
        .header("cookie", cookie.clone())
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 303);
    let html = get(page).await.unwrap().text().await.unwrap();
    assert!(html.contains("id=\"trigger-state\">Disabled"), "{html}");
}
