//! `cardhost connections ...`: each subcommand is one REST request under
//! `/api/v1/connections`.

use axum::http::Method;
use clap::Subcommand;

use super::rest::Call;
use super::Target;

/// Connection commands.
#[derive(Subcommand)]
pub enum ConnectionsCommand {
    /// List connections.
    List(Target),
    /// Create a connection (OAuth unless --access-token is given).
    Create {
        #[command(flatten)]
        target: Target,
        /// The connector's id (`cardhost connectors list` lists them).
        #[arg(long)]
        connector: String,
        #[arg(long)]
        nickname: String,
        /// A personal access token: makes a token connection. Env: CARDHOST_NEW_ACCESS_TOKEN.
        #[arg(long, env = "CARDHOST_NEW_ACCESS_TOKEN", hide_env_values = true)]
        access_token: Option<String>,
        /// A service account token. Env: CARDHOST_NEW_SERVICE_ACCOUNT_TOKEN.
        #[arg(
            long,
            env = "CARDHOST_NEW_SERVICE_ACCOUNT_TOKEN",
            hide_env_values = true
        )]
        service_account_token: Option<String>,
    },
    /// Delete a connection (revoking its tokens at the provider).
    Delete {
        #[command(flatten)]
        target: Target,
        /// Id or nickname.
        connection: String,
    },
    /// Check a connection's credentials at the provider.
    Test {
        #[command(flatten)]
        target: Target,
        /// Id or nickname.
        connection: String,
    },
}

impl ConnectionsCommand {
    /// Where the command goes, and its request.
    pub fn into_call(self) -> (Option<String>, Call) {
        match self {
            ConnectionsCommand::List(target) => {
                (target.server, Call::new(Method::GET, "/connections"))
            }
            ConnectionsCommand::Create {
                target,
                connector,
                nickname,
                access_token,
                service_account_token,
            } => (
                target.server,
                Call::new(Method::POST, "/connections").json(serde_json::json!({
                    "connector": connector, "nickname": nickname,
                    "access_token": access_token, "service_account_token": service_account_token,
                })),
            ),
            ConnectionsCommand::Delete { target, connection } => (
                target.server,
                Call::new(Method::DELETE, format!("/connections/{connection}")),
            ),
            ConnectionsCommand::Test { target, connection } => (
                target.server,
                Call::new(Method::POST, format!("/connections/{connection}/test")),
            ),
        }
    }
}
