//! `cardhost cards ...` (one REST request each under `/api/v1/cards`, but
//! `new`, which reads the connector with one, and `build`, which runs cargo:
//! see [`super::scaffold`] and [`super::wasm_build`]) and `cardhost run`
//! (`POST /api/v1/cards/{card}/run`, after finding the connection when none
//! was named).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use axum::http::Method;
use clap::Subcommand;
use serde_json::{json, Value};

use super::rest::{self, Api, Call, Payload};
use super::Target;

/// Card commands.
#[derive(Subcommand)]
pub enum CardsCommand {
    /// List the installed cards (built-in ones included).
    List(Target),
    /// Make a card crate: Cargo.toml, an example card that reads the
    /// connector's who-am-I request, and a native test (see
    /// docs/writing-cards.md).
    New(super::scaffold::NewArgs),
    /// Build a card crate to its WebAssembly component (cargo build --target
    /// wasm32-wasip2 --profile card) and print the .wasm's path and size.
    Build(super::wasm_build::BuildArgs),
    /// Install a card component (checked: a component of the card contract
    /// version this host runs, a valid manifest, a new id).
    Install {
        #[command(flatten)]
        target: Target,
        /// The component, as `cardhost cards build` prints it, e.g.
        /// target/wasm32-wasip2/card/my_card.wasm.
        file: PathBuf,
        /// Replace the installed card of the same id by this different version.
        #[arg(long)]
        upgrade: bool,
    },
    /// Delete an installed card (not a built-in one, nor one that flows use).
    Delete {
        #[command(flatten)]
        target: Target,
        /// The card's id, e.g. github.my-card.
        card: String,
    },
}

impl CardsCommand {
    /// Where the command goes, and its request.
    pub fn into_call(self) -> anyhow::Result<(Option<String>, Call)> {
        Ok(match self {
            CardsCommand::List(target) => (target.server, Call::new(Method::GET, "/cards")),
            CardsCommand::Install {
                target,
                file,
                upgrade,
            } => {
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let call = Call {
                    method: Method::POST,
                    path: format!("/cards?upgrade={upgrade}"),
                    payload: Payload::Wasm(bytes),
                };
                (target.server, call)
            }
            CardsCommand::Delete { target, card } => (
                target.server,
                Call::new(Method::DELETE, format!("/cards/{card}")),
            ),
            CardsCommand::New(_) | CardsCommand::Build(_) => {
                anyhow::bail!("cards new and cards build are not one REST request")
            }
        })
    }
}

/// The `--input` of `cardhost run`.
pub fn parse_input(input: &str) -> anyhow::Result<Value> {
    serde_json::from_str(input).context("--input is not valid JSON")
}

/// `cardhost run`: run `card` on `connection` (or on the only connection of
/// the card's connector) and print its output. A run the card or the
/// provider failed, and a refusal by the API, print `error: <message>
/// (<code>)` and exit with 2.
pub async fn run(
    api: &Api,
    card: &str,
    input: Value,
    connection: Option<String>,
) -> anyhow::Result<ExitCode> {
    let connection = match connection {
        Some(c) => c,
        None => match only_connection(api, card).await? {
            Ok(id) => id,
            Err(refused) => return Ok(refused),
        },
    };
    let call = Call::new(Method::POST, format!("/cards/{card}/run"))
        .json(json!({ "connection": connection, "input": input }));
    let (status, body) = api.send(call).await?;
    if status < 400 {
        println!("{}", serde_json::to_string_pretty(&body["output"])?);
        return Ok(ExitCode::SUCCESS);
    }
    refused(status, &body)
}

/// The id of the one connection whose connector is the card id's prefix
/// (`github` for `github.read-user`); none or several is an error naming them.
/// `Err` is the exit code of a refused listing.
async fn only_connection(api: &Api, card: &str) -> anyhow::Result<Result<String, ExitCode>> {
    let (status, body) = api.send(Call::new(Method::GET, "/connections")).await?;
    if status >= 400 {
        return Ok(Err(refused(status, &body)?));
    }
    let connector = card.split_once('.').map_or(card, |(c, _)| c);
    let candidates: Vec<&Value> = body["data"]
        .as_array()
        .map(|all| all.iter().filter(|c| c["connector"] == connector).collect())
        .unwrap_or_default();
    match candidates.as_slice() {
        [only] => Ok(Ok(text(&only["id"]).to_string())),
        [] => anyhow::bail!(
            "there is no {connector} connection to run {card} on: create one with \
             `cardhost connections create --connector {connector} --nickname NAME` \
             (see `cardhost connections create --help`)"
        ),
        several => {
            let names: Vec<String> = several
                .iter()
                .map(|c| format!("{} ({})", text(&c["nickname"]), text(&c["id"])))
                .collect();
            anyhow::bail!(
                "{card} can run on {} {connector} connections: {}; choose one with --connection",
                names.len(),
                names.join(", ")
            )
        }
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Say why the API refused (`{"error": {"message", "code"}}`), or show its
/// answer when it has another shape; exit with 2.
pub(super) fn refused(status: u16, body: &Value) -> anyhow::Result<ExitCode> {
    let error = &body["error"];
    match (error["message"].as_str(), error["code"].as_str()) {
        (Some(message), Some(code)) => {
            eprintln!("error: {message} ({code})");
            Ok(super::REFUSED.into())
        }
        _ => rest::print(status, body),
    }
}
