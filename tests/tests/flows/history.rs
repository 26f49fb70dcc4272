//! The end-to-end flow, its history, paging, retention, restarts.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::common::{assert_no_secret_in, Host};
use crate::{assign_flow, create_flow};

#[tokio::test]
async fn search_create_read_over_rest_with_history_and_no_secrets() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("team", true).await;
    let flow = create_flow(&host, assign_flow("team")).await;
    fake.clear_requests();
    let (status, run) = host
        .post(
            &format!("/flows/{flow}/runs"),
            json!({"input": {"email": seed::GRACE_HOPPER_EMAIL, "task": "Review the launch plan"}}),
        )
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["status"], "succeeded", "{run}");

    let tasks = fake.tasks();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["name"], "Review the launch plan");
    assert_eq!(tasks[0]["assignee"]["gid"], seed::GRACE_HOPPER_GID);

    let steps = run["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["id"], "find_user");
    assert_eq!(steps[2]["output"]["email"], seed::GRACE_HOPPER_EMAIL);
    assert_eq!(
        steps[2]["output"]["secondary_emails"],
        json!([seed::GRACE_HOPPER_SECONDARY_EMAIL])
    );
    assert!(steps[0]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["path"].as_str().unwrap().contains("/users/")));
    assert_eq!(steps[1]["calls"][0]["method"], "POST");
    assert_eq!(steps[1]["calls"][0]["path"], "/api/1.0/tasks");
    assert_eq!(steps[1]["calls"][0]["status"], 201);
    for step in steps {
        assert_eq!(step["status"], "succeeded");
        assert_eq!(step["connection"], conn.as_str());
    }

    let run_id = run["id"].as_str().unwrap();
    let (status, stored) = host.get(&format!("/flows/{flow}/runs/{run_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(stored["steps"], run["steps"]);

    let secrets = [seed::PAT, seed::SERVICE_ACCOUNT_TOKEN, seed::CLIENT_SECRET];
    let (_, page) = host.get(&format!("/flows/{flow}/runs")).await;
    for s in secrets {
        assert!(!page.to_string().contains(s) && !stored.to_string().contains(s));
    }
    let dir = host.data_dir.clone();
    let _tmp = host.stop().await;
    assert_no_secret_in(&dir, &secrets);
}

#[tokio::test]
async fn history_pages_newest_first_and_keeps_only_the_retention_count() {
    let fake = FakeAsana::start().await;
    let host = Host::start_in(
        &fake,
        tempfile::tempdir().unwrap().keep().as_path(),
        &[("CARDHOST_RUN_RETENTION_COUNT", "3")],
    )
    .await;
    host.token_connection("team", false).await;
    let flow = create_flow(
        &host,
        json!({"name": "me", "steps": [{"id": "me", "card": "asana.read-user", "connection": "team", "input": {"user": "me"}}]}),
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        let (s, run) = host.post(&format!("/flows/{flow}/runs"), json!({})).await;
        assert_eq!(s, 200, "{run}");
        ids.push(run["id"].as_str().unwrap().to_string());
    }
    let (_, page) = host.get(&format!("/flows/{flow}/runs?limit=2")).await;
    let got: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[4].as_str(), ids[3].as_str()]);
    let after = page["next_after"].as_str().unwrap();
    let (_, page) = host
        .get(&format!("/flows/{flow}/runs?limit=2&after={after}"))
        .await;
    let got: Vec<&str> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2].as_str()], "only 3 runs are kept");
    assert!(page["next_after"].is_null());
    let (s, _) = host.get(&format!("/flows/{flow}/runs/{}", ids[0])).await;
    assert_eq!(s, 404, "the oldest run was pruned");
}

#[tokio::test]
async fn a_restart_mid_run_marks_it_interrupted() {
    let fake = FakeAsana::start().await;
    let dir = tempfile::tempdir().unwrap();
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    host.token_connection("team", false).await;
    let flow = create_flow(
        &host,
        json!({"name": "slow", "steps": [{"id": "me", "card": "asana.read-user", "connection": "team", "input": {"user": "me"}}]}),
    )
    .await;
    fake.set_delay(std::time::Duration::from_secs(5));
    let (status, body) = host
        .post(&format!("/flows/{flow}/runs"), json!({"wait": false}))
        .await;
    assert_eq!(status, 202, "{body}");
    let run_id = body["run_id"].as_str().unwrap().to_string();
    let (_, running) = host.get(&format!("/flows/{flow}/runs/{run_id}")).await;
    assert_eq!(running["status"], "running");
    host.stop().await;
    fake.set_delay(std::time::Duration::ZERO);
    let host = Host::start_in(&fake, dir.path(), &[]).await;
    let (status, run) = host.get(&format!("/flows/{flow}/runs/{run_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(run["status"], "interrupted", "{run}");
    assert!(run["ended_at"].is_string());
}

#[tokio::test]
async fn versions_update_and_delete() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let flow = create_flow(&host, assign_flow("team")).await;
    let mut def = assign_flow("team");
    def["name"] = "Renamed flow".into();
    let r = host
        .api(reqwest::Method::PUT, &format!("/flows/{flow}"))
        .json(&def)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: serde_json::Value = r.json().await.unwrap();
    assert_eq!(updated["version"], 2);
    let (_, v1) = host.get(&format!("/flows/{flow}?version=1")).await;
    assert_eq!(v1["definition"]["name"], "Assign a task by email");
    let (_, list) = host.get("/flows").await;
    assert_eq!(list["data"][0]["definition"]["name"], "Renamed flow");
    let r = host
        .api(reqwest::Method::DELETE, &format!("/flows/{flow}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (s, _) = host.get(&format!("/flows/{flow}")).await;
    assert_eq!(s, 404);
}
