//! How the CLI reaches the REST API: one request, sent to a running host
//! (`--server URL`, with `CARDHOST_API_KEY`) or to the router of a host
//! started in-process on the data dir, so both paths behave and fail alike.

use anyhow::Context;
use axum::body::Body;
use axum::http::{Method, Request};
use secrecy::ExposeSecret;
use serde_json::Value;
use tower::ServiceExt;

use crate::app::App;
use crate::config::Settings;

/// A request body.
pub enum Payload {
    None,
    Json(Value),
    /// A card component (`application/wasm`).
    Wasm(Vec<u8>),
}

/// One request under `/api/v1`.
pub struct Call {
    pub method: Method,
    /// The path after `/api/v1`, with its query.
    pub path: String,
    pub payload: Payload,
}

impl Call {
    /// A call without a body.
    pub fn new(method: Method, path: impl Into<String>) -> Call {
        Call {
            method,
            path: path.into(),
            payload: Payload::None,
        }
    }

    /// The same call with a JSON body.
    pub fn json(mut self, body: Value) -> Call {
        self.payload = Payload::Json(body);
        self
    }
}

fn api_key(settings: &Settings) -> Option<String> {
    settings
        .api_key
        .as_ref()
        .map(|k| k.expose_secret().to_string())
}

/// Send `call` to the host at `server`; the status and the JSON answer.
pub async fn to_server(
    settings: &Settings,
    server: &str,
    call: Call,
) -> anyhow::Result<(u16, Value)> {
    let url = format!("{}/api/v1{}", server.trim_end_matches('/'), call.path);
    let mut req = reqwest::Client::new().request(call.method, &url);
    if let Some(k) = api_key(settings) {
        req = req.bearer_auth(k);
    }
    req = match call.payload {
        Payload::None => req,
        Payload::Json(v) => req.json(&v),
        Payload::Wasm(bytes) => req.header("content-type", "application/wasm").body(bytes),
    };
    let resp = req
        .send()
        .await
        .with_context(|| format!("cannot reach {server}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Send `call` to the router of an in-process host.
pub async fn in_process(app: &App, call: Call) -> anyhow::Result<(u16, Value)> {
    let mut req = Request::builder()
        .method(call.method)
        .uri(format!("/api/v1{}", call.path));
    if let Some(k) = api_key(&app.settings) {
        req = req.header("authorization", format!("Bearer {k}"));
    }
    let req = match call.payload {
        Payload::None => req.body(Body::empty())?,
        Payload::Json(v) => req
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))?,
        Payload::Wasm(bytes) => req
            .header("content-type", "application/wasm")
            .body(Body::from(bytes))?,
    };
    let resp = crate::api::router(app.clone()).oneshot(req).await?;
    let status = resp.status().as_u16();
    let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20).await?;
    app.store.flush().await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// Print an answer as pretty JSON; an error status is an error.
pub fn print(status: u16, value: &Value) -> anyhow::Result<()> {
    if !value.is_null() {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    if status >= 400 {
        anyhow::bail!("the request failed with HTTP {status}");
    }
    Ok(())
}
