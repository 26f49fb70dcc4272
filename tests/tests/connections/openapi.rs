//! The OpenAPI document and what schemathesis found against it: the
//! document is served without the key and is the one checked in, and a path
//! or query the extractors refuse is answered in the API's JSON error shape
//! (it was axum's plain-text 400, which the document does not describe).

use std::path::PathBuf;

use cardhost_tests::fake_asana::FakeAsana;
use serde_json::Value;

use crate::common::{status_json, Host};

#[tokio::test]
async fn the_document_is_public_and_is_the_checked_in_one() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let r = host
        .client
        .get(format!("{}/api/v1/openapi.json", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let (status, served) = status_json(r).await;
    assert_eq!(status, 200);
    assert_eq!(served["openapi"], "3.1.0");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/json/openapi.json");
    let checked_in: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        served == checked_in,
        "the served document is not schemas/json/openapi.json; regenerate it with: {}",
        cardhost::schemas::REGENERATE
    );
    // Everything else under /api/v1 still needs the key.
    let r = host
        .client
        .get(format!("{}/api/v1/flows", host.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn a_bad_path_or_query_is_a_json_error() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    // The query is checked before the flow is looked up.
    let id = "no-such-flow";
    for (path, code) in [
        (format!("/flows/{id}?version=abc"), "invalid_query"),
        (format!("/flows/{id}?colour=red"), "invalid_query"),
        (format!("/flows/{id}/runs?limit=-1"), "invalid_query"),
        ("/connections/%FF".to_string(), "invalid_path"),
        ("/flows/%C3%28/runs/x".to_string(), "invalid_path"),
    ] {
        let r = host.api(reqwest::Method::GET, &path).send().await.unwrap();
        let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
        let (status, body) = status_json(r).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(content_type, "application/json", "{path}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: {body}"
        );
    }
}
