//! `cardhost connectors ...`: one REST request each under
//! `/api/v1/connectors`.

use std::path::PathBuf;

use anyhow::Context;
use axum::http::Method;
use clap::Subcommand;

use super::rest::{Call, Payload};
use super::Target;

/// Connector commands.
#[derive(Subcommand)]
pub enum ConnectorsCommand {
    /// List the connectors (built-in and installed) with their auth methods.
    List(Target),
    /// Show one connector with its whole definition.
    Get {
        #[command(flatten)]
        target: Target,
        /// The connector's id, e.g. github.
        id: String,
    },
    /// Install a connector package from its definition (TOML, or JSON),
    /// checked like a card.
    Install {
        #[command(flatten)]
        target: Target,
        /// The definition, e.g. cards/acme/connector.toml.
        file: PathBuf,
        /// Replace the installed connector of the same id.
        #[arg(long)]
        upgrade: bool,
    },
    /// Remove an installed connector that no connection or card uses.
    Delete {
        #[command(flatten)]
        target: Target,
        /// The connector's id.
        id: String,
    },
}

impl ConnectorsCommand {
    /// Where the command goes, and its request.
    pub fn into_call(self) -> anyhow::Result<(Option<String>, Call)> {
        Ok(match self {
            ConnectorsCommand::List(target) => {
                (target.server, Call::new(Method::GET, "/connectors"))
            }
            ConnectorsCommand::Get { target, id } => (
                target.server,
                Call::new(Method::GET, format!("/connectors/{id}")),
            ),
            ConnectorsCommand::Install {
                target,
                file,
                upgrade,
            } => {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let payload = if text.trim_start().starts_with('{') {
                    Payload::Json(
                        serde_json::from_str(&text)
                            .with_context(|| format!("{} is not valid JSON", file.display()))?,
                    )
                } else {
                    Payload::Toml(text)
                };
                let call = Call {
                    method: Method::POST,
                    path: format!("/connectors?upgrade={upgrade}"),
                    payload,
                };
                (target.server, call)
            }
            ConnectorsCommand::Delete { target, id } => (
                target.server,
                Call::new(Method::DELETE, format!("/connectors/{id}")),
            ),
        })
    }
}
