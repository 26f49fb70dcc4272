//! The `cardhost` command line: serve the REST API, run a card by hand, and
//! manage connections and cards.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::Value;

use axum::http::Method;
use cardhost::app::App;
use cardhost::capability::{Grant, HttpCapability, HttpLimits, StaticCredentials};
use cardhost::cli_rest::{self, Call, Payload};
use cardhost::config::{ApiKeySource, Settings};
use cardhost::connections::CreateConnection;
use cardhost::runtime::builtin::BUILTIN_CARDS;
use cardhost::runtime::catalogue::Catalogue;
use cardhost::runtime::{RunContext, Runtime};
use cardhost::store::StoreError;

#[derive(Parser)]
#[command(
    name = "cardhost",
    version,
    about = "Workflow connector plugin host: connections, WebAssembly cards, flows"
)]
struct Cli {
    /// Data directory (sled store, key file). Env: CARDHOST_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<std::path::PathBuf>,
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
    /// Run a card once and print its output JSON.
    Run {
        /// Card id, e.g. asana.read-user.
        card: String,
        /// The card's input as JSON.
        #[arg(long, default_value = "{}")]
        input: String,
        /// Run on this stored connection (id or nickname) instead of the
        /// ASANA_TOKEN / ASANA_SERVICE_ACCOUNT_TOKEN env keys.
        #[arg(long)]
        connection: Option<String>,
    },
    /// Manage connections.
    #[command(subcommand)]
    Connections(ConnectionsCommand),
    /// Manage and run flows.
    Flows {
        /// Go through a running host's REST API (with CARDHOST_API_KEY) instead
        /// of opening the data dir.
        #[arg(long, global = true)]
        server: Option<String>,
        #[command(subcommand)]
        command: cardhost::cli_flows::FlowsCommand,
    },
    /// List, install and delete cards.
    #[command(subcommand)]
    Cards(CardsCommand),
    /// Generate the JSON Schemas of the built-in cards' I/O, the card
    /// manifest, the flow definition and the REST bodies.
    Schemas {
        /// Write them under DIR (e.g. schemas/json), removing stale ones.
        #[arg(long, value_name = "DIR")]
        write: Option<std::path::PathBuf>,
        /// Compare them with the files under DIR; fail when any differs.
        #[arg(long, value_name = "DIR", conflicts_with = "write")]
        check: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum CardsCommand {
    /// List the installed cards (built-in ones included).
    List(Target),
    /// Install a card component (checked: a component of the card contract
    /// version this host runs, a valid manifest, a new id).
    Install {
        #[command(flatten)]
        target: Target,
        /// The component, e.g. target/wasm32-wasip2/release/my_card.wasm.
        file: std::path::PathBuf,
        /// Replace the installed card of the same id by this different version.
        #[arg(long)]
        upgrade: bool,
    },
    /// Delete an installed card (not a built-in one, nor one that flows use).
    Delete {
        #[command(flatten)]
        target: Target,
        /// The card's id, e.g. asana.my-card.
        card: String,
    },
}

#[derive(Subcommand)]
enum ConnectionsCommand {
    /// List connections.
    List(Target),
    /// Create a connection (OAuth unless --access-token is given).
    Create {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "asana")]
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

/// Where connection commands go.
#[derive(Args, Clone)]
struct Target {
    /// Go through a running host's REST API (with CARDHOST_API_KEY) instead
    /// of opening the data dir.
    #[arg(long)]
    server: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CARDHOST_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,cranelift=warn,wasmtime=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(dispatch(cli)) {
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
        Command::Serve { listen } => {
            if let Some(l) = listen {
                settings.listen = l;
                if std::env::var("CARDHOST_PUBLIC_URL").is_err() {
                    settings.public_url = format!("http://{l}");
                }
            }
            serve(settings).await.map(|_| ExitCode::SUCCESS)
        }
        Command::Run {
            card,
            input,
            connection,
        } => run(settings, &card, &input, connection.as_deref()).await,
        Command::Connections(cmd) => connections(settings, cmd).await.map(|_| ExitCode::SUCCESS),
        Command::Flows { server, command } => {
            if server.is_none() {
                // In process, the command goes through the host's own router, which needs the key.
                let source = settings.resolve_api_key()?;
                announce_api_key(&source, &settings.public_url);
            }
            cardhost::cli_flows::run(settings, server, command)
                .await
                .map_err(explain_lock)
                .map(|_| ExitCode::SUCCESS)
        }
        Command::Cards(cmd) => cards(settings, cmd).await,
        Command::Schemas { write, check } => schemas(settings, write, check).await,
    }
}

async fn serve(mut settings: Settings) -> anyhow::Result<()> {
    settings.check_listen()?;
    let started = Instant::now();
    let listen = settings.listen;
    let key_source = settings.resolve_api_key()?;
    let public_url = settings.public_url.clone();
    let app = App::start(settings).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    announce_api_key(&key_source, &public_url);
    tracing::info!(
        address = %listener.local_addr()?,
        data_dir = %app.store.data_dir().display(),
        redirect_uri = %app.connections.redirect_uri(),
        api_key = %match &key_source {
            ApiKeySource::Env => "CARDHOST_API_KEY".to_string(),
            ApiKeySource::File { path, .. } => path.display().to_string(),
        },
        ready_ms = started.elapsed().as_millis() as u64,
        "cardhost is ready"
    );
    let store = app.store.clone();
    let router = cardhost::api::router(app.clone());
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    app.shutdown().await;
    store.flush().await?;
    tracing::info!("stopped");
    Ok(())
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

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn run(
    settings: Settings,
    card_id: &str,
    input: &str,
    connection: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let input: Value = serde_json::from_str(input).context("--input is not valid JSON")?;
    let (output, error) = match connection {
        Some(conn) => {
            let app = App::start(settings).await.map_err(explain_lock)?;
            let run = app.runner.run(card_id, conn, &input).await?;
            (
                run.output,
                run.error.map(|e| format!("{} ({})", e.message, e.code)),
            )
        }
        None => run_with_env_token(settings, card_id, &input).await?,
    };
    match (output, error) {
        (Some(out), _) => {
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(ExitCode::SUCCESS)
        }
        (None, Some(message)) => {
            eprintln!("error: {message}");
            Ok(ExitCode::from(2))
        }
        (None, None) => Ok(ExitCode::FAILURE),
    }
}

async fn run_with_env_token(
    settings: Settings,
    card_id: &str,
    input: &Value,
) -> anyhow::Result<(Option<Value>, Option<String>)> {
    let builtin = BUILTIN_CARDS
        .iter()
        .find(|c| c.id == card_id)
        .with_context(|| {
            format!("no built-in card {card_id:?}; `cardhost cards list` lists them")
        })?;
    let http = HttpCapability::new(settings.http.clone())?;
    let runtime = Runtime::new(settings.runtime.clone(), http)?;
    let card = runtime
        .load(builtin.wasm, &settings.asana.known_scopes)
        .await?;
    let creds = StaticCredentials::new(
        settings.asana_app.personal_access_token.clone(),
        settings.asana_app.service_account_token.clone(),
    );
    let context = RunContext {
        connector: settings.asana.id.clone(),
        default_workspace: settings.asana_app.default_workspace.clone(),
        has_service_account: creds.has_service_account() && card.manifest().uses_service_account,
    };
    let grant = Grant {
        connector: Arc::new(settings.asana.clone()),
        credentials: Arc::new(creds),
        allow_service_account: card.manifest().uses_service_account,
        deadline: Instant::now() + settings.runtime.timeout,
    };
    let report = runtime.run(&card, input, &context, Some(grant)).await;
    Ok(match report.result {
        Ok(v) => (Some(v), None),
        Err(e) => (None, Some(format!("{e} ({})", e.code()))),
    })
}

fn explain_lock(e: anyhow::Error) -> anyhow::Error {
    match e.downcast_ref::<StoreError>() {
        Some(StoreError::Locked { .. }) => e.context(
            "a running cardhost server holds the data dir: stop it, or pass --server http://127.0.0.1:8080 to go through its API",
        ),
        _ => e,
    }
}

async fn cards(settings: Settings, cmd: CardsCommand) -> anyhow::Result<ExitCode> {
    let server = match &cmd {
        CardsCommand::List(t)
        | CardsCommand::Install { target: t, .. }
        | CardsCommand::Delete { target: t, .. } => t.server.clone(),
    };
    if let Some(server) = server {
        return cards_over_rest(&settings, &server, cmd).await;
    }
    let app = App::start(settings).await.map_err(explain_lock)?;
    let out = match cmd {
        CardsCommand::List(_) => {
            let cards: Vec<Value> = app
                .catalogue
                .list()
                .await
                .iter()
                .map(cardhost::api::cards::listed_json)
                .collect();
            serde_json::json!({ "data": cards })
        }
        CardsCommand::Delete { card, .. } => {
            // Through the router, so the same checks (flows using the card) apply.
            let call = Call::new(Method::DELETE, format!("/cards/{card}"));
            let (status, body) = cli_rest::in_process(&app, call).await?;
            return Ok(match cli_rest::print(status, &body) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::from(2)
                }
            });
        }
        CardsCommand::Install { file, upgrade, .. } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            match app.catalogue.install(bytes, upgrade).await {
                Ok(installed) => serde_json::json!({
                    "card": cardhost::api::cards::card_json(&installed.card),
                    "upgraded_from": installed.upgraded_from,
                }),
                Err(e) => {
                    eprintln!("error: {e} ({})", e.code());
                    return Ok(ExitCode::from(2));
                }
            }
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    app.store.flush().await?;
    Ok(ExitCode::SUCCESS)
}

async fn cards_over_rest(
    settings: &Settings,
    server: &str,
    cmd: CardsCommand,
) -> anyhow::Result<ExitCode> {
    let call = match cmd {
        CardsCommand::List(_) => Call::new(Method::GET, "/cards"),
        CardsCommand::Install { file, upgrade, .. } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            Call {
                method: Method::POST,
                path: format!("/cards?upgrade={upgrade}"),
                payload: Payload::Wasm(bytes),
            }
        }
        CardsCommand::Delete { card, .. } => Call::new(Method::DELETE, format!("/cards/{card}")),
    };
    let (status, body) = cli_rest::to_server(settings, server, call).await?;
    Ok(match cli_rest::print(status, &body) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    })
}

/// Generate the schemas from the built-in cards (loaded in memory: the data
/// dir is not touched) and the Rust types.
async fn schemas(
    settings: Settings,
    write: Option<std::path::PathBuf>,
    check: Option<std::path::PathBuf>,
) -> anyhow::Result<ExitCode> {
    let runtime = Runtime::new(
        settings.runtime.clone(),
        HttpCapability::new(HttpLimits::default())?,
    )?;
    let catalogue = Catalogue::with_builtins(&runtime, &settings.asana.known_scopes).await?;
    let map = cardhost::schemas::generate(&catalogue).await;
    match (write, check) {
        (Some(dir), _) => {
            cardhost::schemas::write(&dir, &map)
                .with_context(|| format!("cannot write the schemas to {}", dir.display()))?;
            eprintln!("wrote {} schemas to {}", map.len(), dir.display());
        }
        (None, Some(dir)) => {
            let drift = cardhost::schemas::drift(&dir, &map);
            if !drift.is_empty() {
                eprintln!(
                    "these schemas are out of date: {}\nregenerate them with: {}",
                    drift.join(", "),
                    cardhost::schemas::REGENERATE
                );
                return Ok(ExitCode::FAILURE);
            }
            eprintln!(
                "the {} schemas in {} are up to date",
                map.len(),
                dir.display()
            );
        }
        (None, None) => println!("{}", serde_json::to_string_pretty(&map)?),
    }
    Ok(ExitCode::SUCCESS)
}

async fn connections(settings: Settings, cmd: ConnectionsCommand) -> anyhow::Result<()> {
    let server = match &cmd {
        ConnectionsCommand::List(t) => t.server.clone(),
        ConnectionsCommand::Create { target, .. }
        | ConnectionsCommand::Delete { target, .. }
        | ConnectionsCommand::Test { target, .. } => target.server.clone(),
    };
    if let Some(server) = server {
        return connections_over_rest(&settings, &server, cmd).await;
    }
    let app = App::start(settings).await.map_err(explain_lock)?;
    let service = &app.connections;
    let out: Value = match cmd {
        ConnectionsCommand::List(_) => serde_json::json!(service.list()?),
        ConnectionsCommand::Create {
            connector,
            nickname,
            access_token,
            service_account_token,
            ..
        } => {
            serde_json::json!(
                service
                    .create(CreateConnection {
                        connector,
                        nickname,
                        service_account_token,
                        scopes: None,
                        access_token
                    })
                    .await?
            )
        }
        ConnectionsCommand::Delete { connection, .. } => {
            let id = service.resolve(&connection)?.id;
            serde_json::json!(service.delete(&id).await?)
        }
        ConnectionsCommand::Test { connection, .. } => {
            let id = service.resolve(&connection)?.id;
            serde_json::json!(service.test(&id).await?)
        }
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

async fn connections_over_rest(
    settings: &Settings,
    server: &str,
    cmd: ConnectionsCommand,
) -> anyhow::Result<()> {
    let call = match cmd {
        ConnectionsCommand::List(_) => Call::new(Method::GET, "/connections"),
        ConnectionsCommand::Create {
            connector,
            nickname,
            access_token,
            service_account_token,
            ..
        } => Call::new(Method::POST, "/connections").json(serde_json::json!({
            "connector": connector, "nickname": nickname,
            "access_token": access_token, "service_account_token": service_account_token,
        })),
        ConnectionsCommand::Delete { connection, .. } => {
            Call::new(Method::DELETE, format!("/connections/{connection}"))
        }
        ConnectionsCommand::Test { connection, .. } => {
            Call::new(Method::POST, format!("/connections/{connection}/test"))
        }
    };
    let (status, body) = cli_rest::to_server(settings, server, call).await?;
    cli_rest::print(status, &body)
}
