//! Running a card on a connection: the one path the REST API
//! (`POST /api/v1/cards/{card}/run`), the console and flows share. It checks
//! that the card can run, that the connection is of the card's connector,
//! authorized and granted the card's scopes, then runs the card with the
//! connection's credentials behind the HTTP capability.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::capability::{Grant, HttpCall};
use crate::connections::Connections;
use crate::connectors::Registry;
use crate::error::{AppError, Kind};
use crate::runtime::catalogue::Catalogue;
use crate::runtime::{CardErrorKind, LoadedCard, LogLine, RunContext, RunError, Runtime};
use crate::store::ConnectionStatus;

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

/// The card-run service; cheap to clone.
#[derive(Clone)]
pub struct CardRunner {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    runtime: Arc<Runtime>,
    catalogue: Arc<Catalogue>,
    connections: Connections,
}

impl CardRunner {
    /// The service over the runtime, the catalogue and the connections.
    pub fn new(
        registry: Registry,
        runtime: Arc<Runtime>,
        catalogue: Arc<Catalogue>,
        connections: Connections,
    ) -> CardRunner {
        CardRunner {
            inner: Arc::new(Inner {
                registry,
                runtime,
                catalogue,
                connections,
            }),
        }
    }

    /// A card by id; a 404 when there is none, a 503 when it did not load.
    pub async fn card(&self, id: &str) -> Result<Arc<LoadedCard>, AppError> {
        let catalogue = &self.inner.catalogue;
        if let Some(card) = catalogue.get(id).await {
            return Ok(card);
        }
        Err(match catalogue.unavailable(id).await {
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

    /// Run a card on a connection (by id or nickname). A run that the card or
    /// the provider failed is `Ok`, with its `error`; `Err` is a run that
    /// could not start.
    pub async fn run(
        &self,
        card_id: &str,
        connection: &str,
        input: &Value,
    ) -> Result<CardRun, AppError> {
        let Inner {
            registry,
            runtime,
            connections,
            ..
        } = &*self.inner;
        let card = self.card(card_id).await?;
        let conn = connections
            .resolve(connection)
            .map_err(|e| e.field("connection"))?;
        let manifest = card.manifest();
        let connector = connections.connector(&conn.connector, "connection")?;
        if registry.for_card(&manifest.id).map(|c| c.id.clone()) != Some(conn.connector.clone()) {
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
        let credentials = connections.credentials(&conn.id)?;
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
        connections.check_card_scopes(&conn, &connector, &manifest.id, &manifest.scopes)?;
        let app_workspace = connections.app_default_workspace(&connector);
        let grant = Grant {
            connector,
            credentials,
            allow_service_account: manifest.uses_service_account,
            deadline: Instant::now() + runtime.config().timeout,
        };
        let context = RunContext {
            connector: conn.connector.clone(),
            default_workspace: conn.default_workspace.clone().or(app_workspace),
            has_service_account: conn.has_service_account_token && manifest.uses_service_account,
        };
        let report = runtime.run(&card, input, &context, Some(grant)).await;
        connections.touch(&conn).await;
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

impl CardRunner {
    /// TEMPORARY until the contract branch merges.
    pub async fn subscription(
        &self,
        _card_id: &str,
        _connection: &str,
        _input: &Value,
    ) -> Result<Value, AppError> {
        Err(AppError::new(Kind::Internal, "todo", "todo"))
    }

    /// TEMPORARY until the contract branch merges.
    pub async fn on_event(
        &self,
        _card_id: &str,
        _connection: &str,
        _input: &Value,
        _event: &Value,
    ) -> Result<CardRun, AppError> {
        Err(AppError::new(Kind::Internal, "todo", "todo"))
    }
}
