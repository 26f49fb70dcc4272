//! `cardhost flows ...`: every subcommand is one REST request (see
//! [`super::rest`]).

use anyhow::Context;
use axum::http::Method;
use clap::Subcommand;
use serde_json::Value;

use super::rest::Call;

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
    /// Enable a flow's trigger (a webhook trigger's secret is printed this once).
    /// An event trigger needs the host serving: use --server.
    Enable { id: String },
    /// Disable a flow's trigger.
    Disable { id: String },
    /// Give a webhook trigger's endpoint a new secret, printed this once.
    RotateSecret { id: String },
}

impl FlowsCommand {
    /// The request of this command.
    pub fn call(self) -> anyhow::Result<Call> {
        let (method, path, body) = self.request()?;
        let call = Call::new(method, path);
        Ok(match body {
            Some(b) => call.json(b),
            None => call,
        })
    }

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
            FlowsCommand::Enable { id } => (Method::POST, format!("/flows/{id}/enable"), None),
            FlowsCommand::Disable { id } => (Method::POST, format!("/flows/{id}/disable"), None),
            FlowsCommand::RotateSecret { id } => {
                (Method::POST, format!("/flows/{id}/secret"), None)
            }
        })
    }
}
