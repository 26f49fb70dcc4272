//! Save-time validation: each error names its field, nothing is stored.

use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::json;

use crate::common::Host;

#[tokio::test]
async fn each_save_time_error_names_its_field() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let step = |id: &str, card: &str, conn: &str, input: serde_json::Value| json!({"id": id, "card": card, "connection": conn, "input": input});
    let me = json!({"user": "me"});
    let cases = vec![
        (
            json!([step("a", "asana.no-such-card", "team", me.clone())]),
            "unknown_card",
            "steps[0].card",
        ),
        (
            json!([step("a", "asana.read-user", "nobody", me.clone())]),
            "unknown_connection",
            "steps[0].connection",
        ),
        (
            json!([
                step(
                    "a",
                    "asana.read-user",
                    "team",
                    json!({"user": "$.steps.b.output.gid"})
                ),
                step("b", "asana.read-user", "team", me.clone())
            ]),
            "invalid_flow",
            "steps[0].input.user",
        ),
        (
            json!([step(
                "a",
                "asana.read-user",
                "team",
                json!({"user": "$.steps.ghost.output.gid"})
            )]),
            "invalid_flow",
            "steps[0].input.user",
        ),
        (
            json!([step(
                "a",
                "asana.read-user",
                "team",
                json!({"user": "$.nowhere"})
            )]),
            "invalid_flow",
            "steps[0].input.user",
        ),
        (
            json!([step("a", "asana.read-user", "team", json!({}))]),
            "invalid_flow",
            "steps[0].input.user",
        ),
        (
            json!([step("a", "asana.read-user", "team", json!({"user": 42}))]),
            "invalid_flow",
            "steps[0].input.user",
        ),
        (
            json!([step(
                "a",
                "asana.search-user",
                "team",
                json!({"query": "x", "limit": 500})
            )]),
            "invalid_flow",
            "steps[0].input.limit",
        ),
        (
            json!([step(
                "a",
                "asana.read-user",
                "team",
                json!({"user": "me", "extra": 1})
            )]),
            "invalid_flow",
            "steps[0].input.extra",
        ),
        (
            json!([
                step("a", "asana.read-user", "team", me.clone()),
                step("a", "asana.read-user", "team", me.clone())
            ]),
            "invalid_flow",
            "steps[1].id",
        ),
        (
            json!([step("Bad Id", "asana.read-user", "team", me.clone())]),
            "invalid_flow",
            "steps[0].id",
        ),
        (json!([]), "invalid_flow", "steps"),
    ];
    for (steps, code, field) in cases {
        let (status, body) = host
            .post("/flows", json!({"name": "f", "steps": steps}))
            .await;
        assert_eq!(status, 422, "{steps} -> {body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let (status, body) = host
        .post("/flows", json!({"name": "f", "steps": [], "colour": 1}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "colour");
    let (_, list) = host.get("/flows").await;
    assert_eq!(list["data"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn references_satisfy_required_fields_and_literals_are_checked() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("team", false).await;
    let (status, body) = host
        .post(
            "/flows",
            json!({"name": "ok", "steps": [
                {"id": "find", "card": "asana.search-user", "connection": "team", "input": {"query": "$.input.q"}},
                {"id": "task", "card": "asana.create-task", "connection": "team",
                 "input": {"name": "$$.literal dollar", "workspace": seed::WORKSPACE_GID, "followers": ["$.steps.find.output.users[0].gid"]},
                 "on_error": {"policy": "retry", "times": 2, "delay_ms": 5}}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = host
        .post(
            "/flows",
            json!({"name": "bad retry", "steps": [
                {"id": "a", "card": "asana.read-user", "connection": "team", "input": {"user": "me"}, "on_error": {"policy": "retry", "times": 0}}
            ]}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["field"], "steps[0].on_error.times");
}
