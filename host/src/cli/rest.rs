//! How the CLI reaches the REST API: one request at a time, sent to a
//! running host (`--server URL`) or to the router of a host started
//! in-process on the data dir, so both paths behave and fail alike. Either way
//! the request carries the API key: `CARDHOST_API_KEY`, or else the data dir's
//! `api.key` (which a `--server` command reads from its own `--data-dir` /
//! `CARDHOST_DATA_DIR`, and which an in-process host makes on first use).

use std::process::ExitCode;

use anyhow::Context;
use axum::body::Body;
use axum::http::{Method, Request};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tower::ServiceExt;

use crate::app::App;
use crate::config::Settings;
use crate::store::{keyfile, StoreError};

/// A request body.
pub enum Payload {
    None,
    Json(Value),
    /// A card component (`application/wasm`).
    Wasm(Vec<u8>),
    /// A connector definition (`application/toml`).
    Toml(String),
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

/// Where a command's requests go.
pub enum Api {
    /// A running host at this URL (the settings hold where its API key is).
    Server {
        settings: Box<Settings>,
        url: String,
    },
    /// A host started here on the data dir.
    InProcess(App),
}

impl Api {
    /// The host at `server`, or (without one) a host started on the data
    /// dir, with its API key resolved (and announced when it was just made).
    pub async fn open(mut settings: Settings, server: Option<String>) -> anyhow::Result<Api> {
        if let Some(url) = server {
            let settings = Box::new(settings);
            return Ok(Api::Server { settings, url });
        }
        let source = settings.resolve_api_key()?;
        super::announce_api_key(&source, &settings.public_url);
        // Where a server holding the data dir listens: what it recorded, else
        // the address these settings give.
        let server = super::serve::recorded_url(&settings.data_dir)
            .unwrap_or_else(|| settings.public_url.clone());
        let app = App::start(settings)
            .await
            .map_err(|e| explain_lock(e, &server))?;
        Ok(Api::InProcess(app))
    }

    /// Send one request; the status and the JSON answer (`null` when there is none).
    pub async fn send(&self, call: Call) -> anyhow::Result<(u16, Value)> {
        match self {
            Api::Server { settings, url } => to_server(settings, url, call).await,
            Api::InProcess(app) => in_process(app, call).await,
        }
    }
}

/// Says what to do when the data dir is held by a running server, which
/// listens at `server`.
pub fn explain_lock(e: anyhow::Error, server: &str) -> anyhow::Error {
    match e.downcast_ref::<StoreError>() {
        Some(StoreError::Locked { .. }) => e.context(format!(
            "a running cardhost server holds the data dir: stop it, or add --server {server} to \
             go through its API"
        )),
        _ => e,
    }
}

/// The key for a running host: `CARDHOST_API_KEY`, else the data dir's key file (never created here).
fn server_api_key(settings: &Settings, server: &str) -> anyhow::Result<SecretString> {
    if let Some(key) = &settings.api_key {
        return Ok(key.clone());
    }
    let path = keyfile::api_key_file_path(&settings.data_dir);
    if !path.exists() {
        anyhow::bail!(
            "no API key for {server}: set CARDHOST_API_KEY to the host's key, or point --data-dir \
             (CARDHOST_DATA_DIR) at its data dir, whose {} file holds it",
            keyfile::API_KEY_FILE_NAME
        );
    }
    Ok(keyfile::read_api_key_file(&path)?)
}

/// Send `call` to the host at `server`; the status and the JSON answer.
pub async fn to_server(
    settings: &Settings,
    server: &str,
    call: Call,
) -> anyhow::Result<(u16, Value)> {
    let url = format!("{}/api/v1{}", server.trim_end_matches('/'), call.path);
    let key = server_api_key(settings, server)?;
    let mut req = reqwest::Client::new()
        .request(call.method, &url)
        .bearer_auth(key.expose_secret());
    req = match call.payload {
        Payload::None => req,
        Payload::Json(v) => req.json(&v),
        Payload::Wasm(bytes) => req.header("content-type", "application/wasm").body(bytes),
        Payload::Toml(text) => req.header("content-type", "application/toml").body(text),
    };
    let resp = req
        .send()
        .await
        .with_context(|| format!("cannot reach {server}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Send `call` to the router of an in-process host, whose settings hold the
/// resolved API key (see [`Settings::resolve_api_key`]). It is addressed to the
/// listen address, a name the host answers to. Returns once what the request
/// changed is on disk.
pub async fn in_process(app: &App, call: Call) -> anyhow::Result<(u16, Value)> {
    let key = app.settings.api_key.as_ref().context(
        "the in-process host has no API key: resolve it (Settings::resolve_api_key) before starting it",
    )?;
    let req = Request::builder()
        .method(call.method)
        .uri(format!("/api/v1{}", call.path))
        .header("host", app.settings.listen.to_string())
        .header("authorization", format!("Bearer {}", key.expose_secret()));
    let req = match call.payload {
        Payload::None => req.body(Body::empty())?,
        Payload::Json(v) => req
            .header("content-type", "application/json")
            .body(Body::from(v.to_string()))?,
        Payload::Wasm(bytes) => req
            .header("content-type", "application/wasm")
            .body(Body::from(bytes))?,
        Payload::Toml(text) => req
            .header("content-type", "application/toml")
            .body(Body::from(text))?,
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

/// Print an answer as pretty JSON; an error status is a refusal: it is said
/// on stderr and the command exits with 2.
pub fn print(status: u16, value: &Value) -> anyhow::Result<ExitCode> {
    if !value.is_null() {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    if status >= 400 {
        eprintln!("error: the request failed with HTTP {status}");
        return Ok(super::REFUSED.into());
    }
    Ok(ExitCode::SUCCESS)
}
