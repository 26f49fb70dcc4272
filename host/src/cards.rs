//! Running a card on a connection: the one path the REST API
//! (`POST /api/v1/cards/{card}/run`), the console and flows share. It checks
//! that the card can run, that the connection is of the card's connector,
//! authorized and granted the card's scopes, then runs the card with the
//! connection's credentials behind the HTTP capability. Event cards go the
//! same way into their `event` interface: the subscription a trigger asks
//! for, and one provider event at a time.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::capability::{Grant, HttpCall};
use crate::connections::Connections;
use crate::connectors::Registry;
use crate::error::{AppError, Kind};
use crate::runtime::catalogue::Catalogue;
use crate::runtime::{
    CardErrorKind, CardKind, LoadedCard, LogLine, RunContext, RunError, RunReport, Runtime,
};
use crate::store::{Connection, ConnectionStatus};

/// A card run as the API reports it.
#[derive(Debug, Serialize)]
pub struct CardRun<T = Value> {
    pub card: String,
    pub connection: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<T>,
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
    /// could not start. An event card is not run: it starts flows as a
    /// trigger (a 422 `event_card`).
    pub async fn run(
        &self,
        card_id: &str,
        connection: &str,
        input: &Value,
    ) -> Result<CardRun, AppError> {
        let (call, grant) = self.prepare(card_id, connection, CardKind::Action).await?;
        let report = self
            .inner
            .runtime
            .run(&call.card, input, &call.context, Some(grant))
            .await;
        Ok(self.finish(call, report).await)
    }

    /// The subscription an event card asks for, given its trigger input: a
    /// JSON object in the connector's webhook terms. The same checks as
    /// [`CardRunner::run`] (the card exists, the connection is of its
    /// connector, authorized, granted its scopes; the input matches the input
    /// schema) and the same limits; a card that fails is an error of the kind
    /// its failure has (the input, the provider, ...). A 422
    /// `not_an_event_card` for an action card.
    pub async fn subscription(
        &self,
        card_id: &str,
        connection: &str,
        input: &Value,
    ) -> Result<Value, AppError> {
        let (call, grant) = self.prepare(card_id, connection, CardKind::Event).await?;
        let report = self
            .inner
            .runtime
            .subscription(&call.card, input, &call.context, Some(grant))
            .await;
        let card = call.card.manifest().id.clone();
        let run = self.finish(call, report).await;
        match (run.output, run.error) {
            (Some(subscription), _) => Ok(subscription),
            (None, Some(failure)) => Err(AppError {
                kind: failure.kind,
                code: failure.code,
                message: format!("the subscription of card {card}: {}", failure.message),
                field: failure.field,
            }),
            (None, None) => Err(AppError::new(
                Kind::Internal,
                "internal",
                format!("card {card} answered no subscription"),
            )),
        }
    }

    /// One provider event through an event card, for a trigger with this
    /// input: a [`CardRun`] whose `output` is the event as the flow sees it,
    /// or `output: None, error: None` when the card filtered the event out;
    /// `error` when it failed. The same checks and limits as
    /// [`CardRunner::run`]; the output is checked against the card's output
    /// schema. A 422 `not_an_event_card` for an action card.
    pub async fn on_event(
        &self,
        card_id: &str,
        connection: &str,
        input: &Value,
        event: &Value,
    ) -> Result<CardRun, AppError> {
        let (call, grant) = self.prepare(card_id, connection, CardKind::Event).await?;
        let report = self
            .inner
            .runtime
            .on_event(&call.card, input, event, &call.context, Some(grant))
            .await;
        let run = self.finish(call, report).await;
        Ok(CardRun {
            card: run.card,
            connection: run.connection,
            output: run.output.flatten(),
            error: run.error,
            calls: run.calls,
            logs: run.logs,
            duration_ms: run.duration_ms,
        })
    }

    /// Everything a call into a card of `kind` needs, checked: the card, the
    /// connection (of the card's connector, authorized, granted the card's
    /// scopes) and the run context; and the grant the runtime takes.
    async fn prepare(
        &self,
        card_id: &str,
        connection: &str,
        kind: CardKind,
    ) -> Result<(Prepared, Grant), AppError> {
        let Inner {
            registry,
            runtime,
            connections,
            ..
        } = &*self.inner;
        let card = self.card(card_id).await?;
        let manifest = card.manifest();
        match (manifest.kind, kind) {
            (CardKind::Event, CardKind::Action) => {
                return Err(AppError::new(
                    Kind::Unprocessable,
                    "event_card",
                    format!(
                        "card {} is an event card: event cards are not run, they start flows \
                         as triggers",
                        manifest.id
                    ),
                ))
            }
            (CardKind::Action, CardKind::Event) => {
                return Err(AppError::new(
                    Kind::Unprocessable,
                    "not_an_event_card",
                    format!(
                        "card {} is an action card: only event cards have a subscription and \
                         take provider events",
                        manifest.id
                    ),
                ))
            }
            _ => {}
        }
        let conn = connections
            .resolve(connection)
            .map_err(|e| e.field("connection"))?;
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
        let default_workspace = conn
            .default_workspace
            .clone()
            .or_else(|| connections.app_default_workspace(&connector));
        let grant = Grant {
            connector,
            credentials,
            allow_service_account: manifest.uses_service_account,
            deadline: Instant::now() + runtime.config().timeout,
        };
        let context = RunContext {
            connector: conn.connector.clone(),
            default_workspace,
            has_service_account: conn.has_service_account_token && manifest.uses_service_account,
        };
        Ok((
            Prepared {
                card,
                conn,
                context,
            },
            grant,
        ))
    }

    /// The run as the API reports it, once the connection's use is noted.
    async fn finish<T>(&self, call: Prepared, report: RunReport<T>) -> CardRun<T> {
        self.inner.connections.touch(&call.conn).await;
        let id = &call.card.manifest().id;
        let (output, error) = match report.result {
            Ok(v) => (Some(v), None),
            Err(e) => {
                tracing::info!(card = %id, connection = %call.conn.id, code = e.code(), "card run failed");
                (None, Some(RunFailure::from(&e)))
            }
        };
        CardRun {
            card: id.clone(),
            connection: call.conn.id,
            output,
            error,
            calls: report.calls,
            logs: report.logs,
            duration_ms: report.duration.as_secs_f64() * 1000.0,
        }
    }
}

/// A call into a card, checked and ready.
struct Prepared {
    card: Arc<LoadedCard>,
    conn: Connection,
    context: RunContext,
}
