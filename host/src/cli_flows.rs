//! `cardhost flows ...`: every subcommand is one REST request, sent to a
//! running host (`--server`) or to the router of a host started in-process
//! on the data dir, so both paths behave and fail the same way.

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::{Method, Request};
use clap::Subcommand;
use secrecy::ExposeSecret;
use serde_json::Value;
use tower::ServiceExt;

use crate::app::App;
use crate::config::Settings;

/// Flow commands.
#[derive(Subcommand)]
pub enum FlowsCommand {
    /// Create a flow from a JSON definition file.
    Create { file: std::path::PathBuf },
    /// List flows.
    List,
    /// Show a flow (its current version, or --version N).
    Get {
        id: String,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Save a new version of a flow from a JSON definition file.
    Update {
        id: String,
        file: std::path::PathBuf,
    },
    /// Delete a flow and its history.
    Delete { id: String },
    /// Run a flow and print the run.
    Run {
        id: String,
        /// The flow's input as JSON.
        #[arg(long, default_value = "{}")]
        input: String,
        /// Return the run id at once instead of waiting for the end.
        #[arg(long)]
        no_wait: bool,
    },
    /// List a flow's runs, newest first.
    Runs {
        id: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        after: Option<String>,
    },
    /// Show one run.
    RunGet { id: String, run: String },
}

impl FlowsCommand {
    fn request(self) -> anyhow::Result<(Method, String, Option<Value>)> {
        let read = |f: &std::path::Path| -> anyhow::Result<Value> {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not valid JSON", f.display()))
        };
        Ok(match self {
            FlowsCommand::Create { file } => (Method::POST, "/flows".into(), Some(read(&file)?)),
            FlowsCommand::List => (Method::GET, "/flows".into(), None),
            FlowsCommand::Get { id, version } => {
                let q = version.map(|v| format!("?version={v}")).unwrap_or_default();
                (Method::GET, format!("/flows/{id}{q}"), None)
            }
            FlowsCommand::Update { id, file } => {
                (Method::PUT, format!("/flows/{id}"), Some(read(&file)?))
            }
            FlowsCommand::Delete { id } => (Method::DELETE, format!("/flows/{id}"), None),
            FlowsCommand::Run { id, input, no_wait } => {
                let input: Value =
                    serde_json::from_str(&input).context("--input is not valid JSON")?;
                let body = serde_json::json!({"input": input, "wait": !no_wait});
                (Method::POST, format!("/flows/{id}/runs"), Some(body))
            }
            FlowsCommand::Runs { id, limit, after } => {
                let after = after.map(|a| format!("&after={a}")).unwrap_or_default();
                (
                    Method::GET,
                    format!("/flows/{id}/runs?limit={limit}{after}"),
                    None,
                )
            }
            FlowsCommand::RunGet { id, run } => {
                (Method::GET, format!("/flows/{id}/runs/{run}"), None)
            }
        })
    }
}

/// Run a flows command against `server`, or in-process when `None`.
pub async fn run(
    settings: Settings,
    server: Option<String>,
    cmd: FlowsCommand,
) -> anyhow::Result<()> {
    let (method, path, body) = cmd.request()?;
    let key = settings
        .api_key
        .as_ref()
        .map(|k| k.expose_secret().to_string());
    let (status, value) = match server {
        Some(server) => {
            let url = format!("{}/api/v1{path}", server.trim_end_matches('/'));
            let mut req = reqwest::Client::new().request(method, &url);
            if let Some(k) = &key {
                req = req.bearer_auth(k);
            }
            if let Some(b) = &body {
                req = req.json(b);
            }
            let resp = req
                .send()
                .await
                .with_context(|| format!("cannot reach {server}"))?;
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }
        None => {
            let app = App::start(settings).await?;
            let mut req = Request::builder()
                .method(method)
                .uri(format!("/api/v1{path}"));
            if let Some(k) = &key {
                req = req.header("authorization", format!("Bearer {k}"));
            }
            let req = match &body {
                Some(b) => req
                    .header("content-type", "application/json")
                    .body(Body::from(b.to_string()))?,
                None => req.body(Body::empty())?,
            };
            let resp = crate::api::router(app.clone()).oneshot(req).await?;
            let status = resp.status().as_u16();
            let bytes = axum::body::to_bytes(resp.into_body(), 64 << 20).await?;
            app.store.flush().await?;
            (
                status,
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            )
        }
    };
    if !value.is_null() {
        println!("{}", serde_json::to_string_pretty(&value)?);
    }
    if status >= 400 {
        bail!("the request failed with HTTP {status}");
    }
    Ok(())
}
