//! A provider's `Retry-After` is read as RFC 9110 says (delay-seconds or an
//! HTTP-date) and never trusted to be sane: a wait longer than what is left
//! of the run ends the run with a clear `rate_limited` error, at once, and
//! the host answers the next request as usual.

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use cardhost_tests::fake_asana::FakeAsana;
use serde_json::json;

use crate::common::Host;

/// A provider that knows the token's owner and answers everything else with
/// 429 and the given `Retry-After`.
async fn impatient_provider(retry_after: &'static str) -> String {
    let me = || async {
        axum::Json(
            json!({"data": {"gid": "1200000000000101", "name": "Ada Lovelace",
                                   "email": "ada@example.com", "workspaces": []}}),
        )
    };
    let busy = move || async move {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", retry_after.parse().unwrap());
        let body = json!({"errors": [{"message": "You have made too many requests recently. Please, be chill."}]});
        (StatusCode::TOO_MANY_REQUESTS, headers, axum::Json(body)).into_response()
    };
    let app = Router::new()
        .route("/api/1.0/users/me", get(me))
        .route("/api/1.0/users/{gid}", get(busy));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api/1.0", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test]
async fn absurd_and_dated_retry_afters_end_the_run_clearly() {
    let fake = FakeAsana::start().await;
    for retry_after in [
        "1e300",
        "99999999999999999999999",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let api = impatient_provider(retry_after).await;
        let dir = tempfile::tempdir().unwrap();
        let host = Host::start_in(&fake, dir.path(), &[("ASANA_API_BASE_URL", &api)]).await;
        let conn = host.token_connection("team", false).await;
        let (status, run) = host
            .run(
                "asana.read-user",
                &conn,
                json!({"user": "1200000000000102"}),
            )
            .await;
        assert_eq!(run["error"]["code"], "rate_limited", "{retry_after}: {run}");
        assert_eq!(status, 502, "{run}");
        let call = &run["run"]["calls"][0];
        assert_eq!(call["status"], 429, "{run}");
        assert_eq!(call["rate_limited"], 0, "{run}");
        assert!(
            call["error"].as_str().unwrap().contains("deadline"),
            "{retry_after}: {run}"
        );
        let (status, me) = host
            .run("asana.read-user", &conn, json!({"user": "me"}))
            .await;
        assert_eq!(status, 200, "{me}");
    }
}
