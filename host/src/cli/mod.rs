//! The `cardhost` command line: serve the REST API, run a card, and manage
//! connections, cards and flows.
//!
//! Every command but `serve`, `schemas` and `cards build` is made of REST requests (see
//! [`rest`]): to a running host with `--server URL`, or else to the router of
//! a host started in this process on the data dir. Both paths run the same
//! checks and print the same JSON. Exit codes: 0 when it went well, 2 when
//! the API refused (an HTTP error status, or a card run that failed), 1 for
//! any other failure (bad arguments, the data dir held by a server, a host
//! that cannot be reached).

pub mod cards;
pub mod connections;
pub mod connectors;
pub mod flows;
pub mod rest;
pub mod scaffold;
pub mod schemas;
pub mod serve;
pub mod wasm_build;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{ApiKeySource, Settings};
use rest::Api;

/// The exit code of a refusal by the API.
const REFUSED: u8 = 2;

#[derive(Parser)]
#[command(
    name = "cardhost",
    version,
    about = "Workflow connector plugin host: connections, WebAssembly cards, flows"
)]
pub struct Cli {
    /// Data directory (sled store, key file). Env: CARDHOST_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the REST API and the OAuth callback.
    Serve {
        /// Address to listen on. Env: CARDHOST_LISTEN (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Run a card (built-in or installed) once on a connection and print its
    /// output JSON.
    Run {
        #[command(flatten)]
        target: Target,
        /// Card id, e.g. github.read-user.
        card: String,
        /// The card's input as JSON.
        #[arg(long, default_value = "{}")]
        input: String,
        /// The connection (id or nickname) to run on. Without it, the only
        /// connection of the card's connector.
        #[arg(long)]
        connection: Option<String>,
    },
    /// Manage connections.
    #[command(subcommand)]
    Connections(connections::ConnectionsCommand),
    /// List, install and remove connector packages.
    #[command(subcommand)]
    Connectors(connectors::ConnectorsCommand),
    /// Manage and run flows.
    Flows {
        /// Go through the REST API of the host running at this URL (`cardhost
        /// serve` logs the address) instead of opening the data dir; the key is
        /// CARDHOST_API_KEY, else the data dir's api.key.
        #[arg(long, global = true)]
        server: Option<String>,
        #[command(subcommand)]
        command: flows::FlowsCommand,
    },
    /// Make, build, list, install and delete cards.
    #[command(subcommand)]
    Cards(cards::CardsCommand),
    /// Generate the JSON Schemas of the built-in cards' I/O, the card
    /// manifest, the flow definition and the REST bodies.
    Schemas {
        /// Write them under DIR (e.g. schemas/json), removing stale ones.
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
        /// Compare them with the files under DIR; fail when any differs.
        #[arg(long, value_name = "DIR", conflicts_with = "write")]
        check: Option<PathBuf>,
    },
}

/// Where a command goes.
#[derive(Args, Clone)]
pub struct Target {
    /// Go through the REST API of the host running at this URL (`cardhost
    /// serve` logs the address) instead of opening the data dir; the key is
    /// CARDHOST_API_KEY, else the data dir's api.key.
    #[arg(long)]
    server: Option<String>,
}

/// Run a parsed command line; what it printed is on stdout and stderr.
pub async fn run(cli: Cli) -> ExitCode {
    match dispatch(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = Settings::from_env()?;
    if let Some(dir) = cli.data_dir {
        settings.data_dir = dir;
    }
    match cli.command {
        Command::Serve { listen } => serve::serve(settings, listen).await,
        Command::Schemas { write, check } => schemas::schemas(settings, write, check).await,
        Command::Run {
            target,
            card,
            input,
            connection,
        } => {
            // The input is checked before the data dir is opened.
            let input = cards::parse_input(&input)?;
            let api = Api::open(settings, target.server).await?;
            cards::run(&api, &card, input, connection).await
        }
        Command::Connections(cmd) => {
            let (server, call) = cmd.into_call();
            send(settings, server, call).await
        }
        Command::Cards(cards::CardsCommand::New(args)) => scaffold::new(settings, args).await,
        Command::Cards(cards::CardsCommand::Build(args)) => wasm_build::build(args),
        Command::Cards(cmd) => {
            let (server, call) = cmd.into_call()?;
            send(settings, server, call).await
        }
        Command::Connectors(cmd) => {
            let (server, call) = cmd.into_call()?;
            send(settings, server, call).await
        }
        Command::Flows { server, command } => send(settings, server, command.call()?).await,
    }
}

/// Send one request and print its answer.
async fn send(
    settings: Settings,
    server: Option<String>,
    call: rest::Call,
) -> anyhow::Result<ExitCode> {
    let api = Api::open(settings, server).await?;
    let (status, body) = api.send(call).await?;
    rest::print(status, &body)
}

/// Tells the operator, once, where a new API key was written and how to use it.
///
/// The key itself is not printed: a terminal's output ends up in logs, CI output and screenshots
/// that more people read than the 0700 data dir. The path and a command that reads the file are
/// enough for its owner.
fn announce_api_key(source: &ApiKeySource, public_url: &str) {
    let ApiKeySource::File {
        path,
        created: true,
    } = source
    else {
        return;
    };
    let path = path.display();
    eprintln!(
        "\n    cardhost made an API key for this data dir: {path} (mode 0600, only you can read it).\n\
         \x20   It guards the REST API and the console. To use it:\n\
         \x20     console: open {public_url}/console/ and sign in with the contents of that file\n\
         \x20     API:     curl -H \"Authorization: Bearer $(cat {path})\" {public_url}/api/v1/connections\n\
         \x20     CLI:     cardhost connections list --server {public_url}  (run with this data dir, it reads the file)\n\
         \x20   Set CARDHOST_API_KEY (at least 32 characters) to use a key of your own instead.\n"
    );
}
