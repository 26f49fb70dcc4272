//! Bad input: each a clear error with the field, and nothing stored.

use cardhost_tests::fake_asana::FakeAsana;
use serde_json::json;

use crate::common::Host;

async fn raw(host: &Host, body: &str) -> (u16, serde_json::Value) {
    let r = host
        .api(reqwest::Method::POST, "/connections")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    crate::common::status_json(r).await
}

#[tokio::test]
async fn each_bad_body_is_a_clear_error_and_nothing_is_stored() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let cases: Vec<(String, u16, &str, Option<&str>)> = vec![
        (
            "{\"connector\": \"asana\", ".into(),
            400,
            "malformed_json",
            None,
        ),
        (
            json!({"connector": "asana", "nickname": 7}).to_string(),
            400,
            "invalid_body",
            Some("nickname"),
        ),
        (
            json!({"connector": "asana", "nickname": "a", "colour": "red"}).to_string(),
            400,
            "invalid_body",
            Some("colour"),
        ),
        (
            json!({"connector": "asana"}).to_string(),
            400,
            "invalid_body",
            Some("nickname"),
        ),
        (
            json!({"connector": "trello", "nickname": "a"}).to_string(),
            400,
            "unknown_connector",
            Some("connector"),
        ),
        (
            json!({"connector": "asana", "nickname": "  "}).to_string(),
            400,
            "invalid_input",
            Some("nickname"),
        ),
        (
            json!({"connector": "asana", "nickname": "a", "scopes": ["admin"]}).to_string(),
            400,
            "invalid_input",
            Some("scopes"),
        ),
        (
            json!({"connector": "asana", "nickname": "a", "access_token": "2/not-valid"})
                .to_string(),
            422,
            "token_rejected",
            Some("access_token"),
        ),
        (
            format!(
                "{{\"connector\": \"asana\", \"nickname\": \"{}\"}}",
                "x".repeat(300 * 1024)
            ),
            413,
            "body_too_large",
            None,
        ),
    ];
    for (body, status, code, field) in cases {
        let (s, b) = raw(&host, &body).await;
        assert_eq!(s, status, "{} -> {b}", &body[..body.len().min(80)]);
        assert_eq!(b["error"]["code"], code, "{b}");
        assert_eq!(b["error"]["field"].as_str(), field, "{b}");
    }
    let (_, list) = host.get("/connections").await;
    assert_eq!(list["data"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn duplicate_nicknames_and_unknown_ids() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    host.token_connection("Team", false).await;
    let (s, b) = host
        .post(
            "/connections",
            json!({"connector": "asana", "nickname": " team "}),
        )
        .await;
    assert_eq!(s, 409, "{b}");
    assert_eq!(b["error"]["code"], "duplicate_nickname");
    assert_eq!(b["error"]["field"], "nickname");
    let (s, _) = host
        .get("/connections/00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(s, 404);
    let (s, b) = host
        .run(
            "asana.read-user",
            "no-such-connection",
            json!({"user": "me"}),
        )
        .await;
    assert_eq!(s, 404, "{b}");
    assert_eq!(b["error"]["field"], "connection");
    let (s, b) = host.run("asana.no-such-card", "Team", json!({})).await;
    assert_eq!(s, 404, "{b}");
    let r = host
        .api(reqwest::Method::POST, "/connections")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (_, list) = host.get("/connections").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}
