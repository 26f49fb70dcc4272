//! The fair baseline of the throughput figures: a minimal proxy that does
//! only what the host must do at the least. An axum handler takes a request,
//! attaches the token and forwards the same method, path, query and body to
//! the fake with reqwest, and hands back the status and body. No card, no
//! checks, no store: two HTTP exchanges, as a REST card run has.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What the proxy forwards to, with which token.
#[derive(Clone)]
struct Upstream {
    client: reqwest::Client,
    base: String,
    token: &'static str,
}

/// Serve the proxy on a loopback port in front of `upstream_base`; its base URL.
pub async fn start(upstream_base: &str, token: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let upstream = Upstream {
        client: reqwest::Client::new(),
        base: upstream_base.trim_end_matches('/').to_string(),
        token,
    };
    let router = axum::Router::new().fallback(forward).with_state(upstream);
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .expect("serve the proxy");
    });
    base
}

async fn forward(State(upstream): State<Upstream>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, 1 << 20).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let target = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |pq| pq.as_str());
    let sent = upstream
        .client
        .request(parts.method, format!("{}{target}", upstream.base))
        .bearer_auth(upstream.token)
        .body(body)
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
    };
    let status = answer.status();
    match answer.bytes().await {
        Ok(bytes) => (status, bytes).into_response(),
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}
