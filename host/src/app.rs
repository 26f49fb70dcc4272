//! The host's services wired together: settings, store, runtime, card
//! catalogue and connections. The REST API, the console and the CLI all go
//! through an [`App`].

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::capability::{Grant, HttpCall, HttpCapability};
use crate::config::Settings;
use crate::connections::Connections;
use crate::connectors::Registry;
use crate::error::{AppError, Kind};
use crate::flows::{FlowTasks, Retention};
use crate::oauth::OAuthHttp;
use crate::runtime::catalogue::Catalogue;
use crate::runtime::{CardErrorKind, LoadedCard, LogLine, RunContext, RunError, Runtime};
use crate::store::{ConnectionStatus, FlowStore, Store};

/// Everything the host runs on.
#[derive(Clone)]
pub struct App {
    pub settings: Arc<Settings>,
    pub store: Arc<Store>,
    pub runtime: Arc<Runtime>,
    pub catalogue: Arc<Catalogue>,
    pub registry: Registry,
    pub connections: Connections,
    /// Flow runs going on in the background.
    pub flow_tasks: FlowTasks,
    /// How much run history each flow keeps.
    pub retention: Retention,
    /// Flows and their runs.
    pub history: Arc<dyn FlowStore>,
}

/// A card run as the API reports it.
#[derive(Debug, Serialize)]
pub struct CardRun {
    pub card: String,
    pub connection: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunFailure>,
    pub calls: Vec<HttpCall>,
    pub logs: Vec<LogLine>,
    pub duration_ms: f64,
}

/// Why a run failed, as the API reports it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RunFailure {
    /// Decides the HTTP status of a failed run.
    #[serde(skip, default = "internal_kind")]
    pub kind: Kind,
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub retryable: bool,
}

fn internal_kind() -> Kind {
    Kind::Internal
}

impl RunFailure {
    fn from(e: &RunError) -> RunFailure {
        RunFailure {
            kind: RunFailure::kind(e),
            code: e.code().to_string(),
            message: e.to_string(),
            field: e.field().map(str::to_string),
            retryable: e.retryable(),
        }
    }

    /// The HTTP status that fits this failure.
    fn kind(e: &RunError) -> Kind {
        match e {
            RunError::InvalidInput { .. } => Kind::BadRequest,
            RunError::Card { kind, .. } => match kind {
                CardErrorKind::InvalidInput => Kind::BadRequest,
                CardErrorKind::NotFound => Kind::NotFound,
                CardErrorKind::Internal => Kind::Unprocessable,
                _ => Kind::Provider,
            },
            RunError::NeedsReauth(_) => Kind::Conflict,
            RunError::Timeout { .. } => Kind::Unavailable,
            RunError::Host(_) => Kind::Internal,
            _ => Kind::Unprocessable,
        }
    }
}

impl App {
    /// Open the store, start the runtime and load the built-in cards.
    pub async fn start(settings: Settings) -> anyhow::Result<App> {
        let master_key = settings
            .master_key
            .as_ref()
            .map(|k| secrecy::ExposeSecret::expose_secret(k).to_string());
        let store = Arc::new(Store::open(&settings.data_dir, master_key.as_deref())?);
        App::with_store(settings, store).await
    }

    /// Build the services over an open store.
    pub async fn with_store(mut settings: Settings, store: Arc<Store>) -> anyhow::Result<App> {
        if settings.runtime.cache_dir.is_none() {
            settings.runtime.cache_dir = Some(settings.data_dir.join("cache"));
        }
        let settings = Arc::new(settings);
        let registry = Registry::new(vec![settings.asana.clone()]);
        let http = HttpCapability::new(settings.http.clone())?;
        let runtime = Arc::new(Runtime::new(settings.runtime.clone(), http.clone())?);
        let scopes = settings.asana.known_scopes.clone();
        let started = Instant::now();
        let catalogue = Arc::new(Catalogue::open(runtime.clone(), store.cards(), scopes).await?);
        tracing::info!(
            cards = catalogue.all().await.len(),
            ms = started.elapsed().as_millis() as u64,
            "cards loaded"
        );
        let connections = Connections::new(
            store.clone(),
            settings.clone(),
            registry.clone(),
            http,
            OAuthHttp::new()?,
            catalogue.clone(),
        );
        let history = store.flows();
        let interrupted = history.mark_interrupted().await?;
        if interrupted > 0 {
            tracing::warn!(
                runs = interrupted,
                "flow runs cut short by the last stop are marked interrupted"
            );
        }
        Ok(App {
            retention: settings.retention.clone(),
            settings,
            store,
            runtime,
            catalogue,
            registry,
            connections,
            flow_tasks: FlowTasks::default(),
            history,
        })
    }

    /// Stop background work: flow runs in progress are aborted (and marked
    /// `interrupted` at the next start).
    pub async fn shutdown(&self) {
        self.flow_tasks.abort_all().await;
    }

    /// A card by id; a 404 when there is none, a 503 when it did not load.
    pub async fn card(&self, id: &str) -> Result<Arc<LoadedCard>, AppError> {
        if let Some(card) = self.catalogue.get(id).await {
            return Ok(card);
        }
        Err(match self.catalogue.unavailable(id).await {
            Some(reason) => AppError::new(
                Kind::Unavailable,
                "card_unavailable",
                format!("card {id} cannot run: {reason}"),
            ),
            None => AppError::new(
                Kind::NotFound,
                "unknown_card",
                format!("no card {id:?}; GET /api/v1/cards lists them"),
            ),
        })
    }

    /// Run a card on a connection (by id or nickname).
    pub async fn run_card(
        &self,
        card_id: &str,
        connection: &str,
        input: &Value,
    ) -> Result<CardRun, AppError> {
        let card = self.card(card_id).await?;
        let conn = self
            .connections
            .resolve(connection)
            .map_err(|e| e.field("connection"))?;
        let manifest = card.manifest();
        let connector = self.connections.connector(&conn.connector, "connection")?;
        if self.registry.for_card(&manifest.id).map(|c| c.id.clone())
            != Some(conn.connector.clone())
        {
            return Err(AppError::new(
                Kind::Unprocessable,
                "wrong_connector",
                format!(
                    "card {} needs a connection of its own connector, not {}",
                    manifest.id, conn.connector
                ),
            )
            .field("connection"));
        }
        let credentials = self.connections.credentials(&conn.id)?;
        if conn.status == ConnectionStatus::Pending || !credentials.has_token() {
            return Err(AppError::new(
                Kind::Conflict,
                "not_authorized",
                format!(
                    "connection {:?} is not authorized: open it and click Authorize (or Reauthorize), then allow access at the provider",
                    conn.nickname
                ),
            )
            .field("connection"));
        }
        self.connections
            .check_card_scopes(&conn, &connector, &manifest.id, &manifest.scopes)?;
        let grant = Grant {
            connector,
            credentials,
            allow_service_account: manifest.uses_service_account,
            deadline: Instant::now() + self.runtime.config().timeout,
        };
        let context = RunContext {
            connector: conn.connector.clone(),
            default_workspace: conn
                .default_workspace
                .clone()
                .or_else(|| self.settings.asana_app.default_workspace.clone()),
            has_service_account: conn.has_service_account_token && manifest.uses_service_account,
        };
        let report = self.runtime.run(&card, input, &context, Some(grant)).await;
        self.connections.touch(&conn).await;
        let (output, error) = match report.result {
            Ok(v) => (Some(v), None),
            Err(e) => {
                tracing::info!(card = %manifest.id, connection = %conn.id, code = e.code(), "card run failed");
                (None, Some(RunFailure::from(&e)))
            }
        };
        Ok(CardRun {
            card: manifest.id.clone(),
            connection: conn.id,
            output,
            error,
            calls: report.calls,
            logs: report.logs,
            duration_ms: report.duration.as_secs_f64() * 1000.0,
        })
    }
}
