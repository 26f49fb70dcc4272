//! Flows: named, versioned chains of cards. A card step's input maps the
//! flow's input and earlier steps' outputs to the card's input (references
//! and templates); if steps take a branch on a condition and for_each loops
//! run their steps once per item; each card step and loop has an error
//! policy; every run is kept in the flow's execution history, and a run that
//! succeeds gives back the definition's output (docs/flows.md).
//!
//! [`Flows`] is the service: it keeps flows and runs through the store's
//! [`FlowStore`], checks definitions against the catalogue and the
//! connections ([`validate`]), and runs each step with the [`CardRunner`]
//! in the background ([`engine`], [`FlowTasks`]).

pub mod condition;
pub mod engine;
pub mod limits;
pub mod model;
pub mod redact;
pub mod reference;
pub mod shape;
mod step_format;
pub mod template;
pub mod validate;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinSet;

use crate::cards::{CardRunner, RunFailure};
use crate::connections::Connections;
use crate::error::{AppError, Kind};
use crate::runtime::catalogue::Catalogue;
use crate::runtime::Runtime;
use crate::store::FlowStore;
use crate::store::Retention;
pub use model::{
    Condition, ErrorPolicy, Flow, FlowDefinition, FlowRun, ForEachStep, IfStep, RunFlowRequest,
    RunStatus, RunTrigger, Step, StepDefinition, Trigger,
};

/// Longest a caller may wait for a run to end.
const MAX_WAIT: Duration = Duration::from_secs(600);
/// How long a caller waits by default.
const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// Background runs, aborted when the host shuts down.
#[derive(Clone, Default)]
pub struct FlowTasks {
    tasks: Arc<Mutex<JoinSet<()>>>,
}

impl FlowTasks {
    fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().expect("flow tasks");
        while tasks.try_join_next().is_some() {}
        tasks.spawn(fut);
    }

    /// Stop every run in progress and wait until they are gone (they stay
    /// `running` in the history and are marked `interrupted` at the next start).
    pub async fn abort_all(&self) {
        let mut tasks = std::mem::take(&mut *self.tasks.lock().expect("flow tasks"));
        tasks.shutdown().await;
    }
}

/// What a run is given and what started it.
pub struct RunStart {
    /// The run's id, when the caller derives it (see [`Flows::start`]); else a new one.
    pub run_id: Option<String>,
    /// `$.input`.
    pub input: serde_json::Value,
    /// `$.event`, for a run an event started.
    pub event: Option<serde_json::Value>,
    pub trigger: RunTrigger,
}

/// How a run request was answered.
pub enum Started {
    /// The run ended within the wait.
    Done(Box<FlowRun>),
    /// Still going on (or not waited for): its id.
    Running(String),
}

/// The flows service; cheap to clone.
#[derive(Clone)]
pub struct Flows {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn FlowStore>,
    runtime: Arc<Runtime>,
    connections: Connections,
    catalogue: Arc<Catalogue>,
    runner: CardRunner,
    retention: Retention,
    tasks: FlowTasks,
}

impl Flows {
    /// The service over a store; runs go on in `tasks`.
    pub fn new(
        store: Arc<dyn FlowStore>,
        runtime: Arc<Runtime>,
        connections: Connections,
        catalogue: Arc<Catalogue>,
        runner: CardRunner,
        retention: Retention,
        tasks: FlowTasks,
    ) -> Flows {
        Flows {
            inner: Arc::new(Inner {
                store,
                runtime,
                connections,
                catalogue,
                runner,
                retention,
                tasks,
            }),
        }
    }

    /// Mark the runs the last stop cut short as `interrupted`; how many.
    pub async fn mark_interrupted(&self) -> Result<usize, AppError> {
        Ok(self.inner.store.mark_interrupted().await?)
    }

    /// Stop the runs going on (they are marked `interrupted` at the next start).
    pub async fn shutdown(&self) {
        self.inner.tasks.abort_all().await;
    }

    /// Check a definition as saving it does, without saving it; the
    /// connection id each card step resolves to, and the one an event
    /// trigger resolves to. Public for the fuzz targets (`fuzz/`).
    pub async fn check(
        &self,
        def: &FlowDefinition,
    ) -> Result<(Vec<String>, Option<String>), AppError> {
        let inner = &self.inner;
        let trigger_connection =
            crate::triggers::validate::check(&inner.catalogue, &inner.connections, &def.trigger)
                .await?;
        let event_schema = match &def.trigger {
            Trigger::Event { card, .. } => inner
                .catalogue
                .get(card)
                .await
                .map(|c| c.manifest().output_schema.clone()),
            _ => None,
        };
        let steps = validate::check(
            &inner.catalogue,
            &inner.connections,
            def,
            event_schema.as_ref(),
        )
        .await?;
        Ok((steps, trigger_connection))
    }

    /// Save a new flow (version 1) after checking it.
    pub async fn create(&self, def: FlowDefinition) -> Result<Flow, AppError> {
        let (connections, trigger_connection) = self.check(&def).await?;
        let now = Utc::now();
        let flow = Flow {
            id: uuid::Uuid::new_v4().to_string(),
            version: 1,
            created_at: now,
            updated_at: now,
            definition: def,
            connections,
            trigger_connection,
        };
        self.inner.store.put_flow(&flow).await?;
        Ok(flow)
    }

    /// Save a new version of a flow after checking it.
    pub async fn update(&self, id: &str, def: FlowDefinition) -> Result<Flow, AppError> {
        let current = self.get(id)?;
        let (connections, trigger_connection) = self.check(&def).await?;
        let flow = Flow {
            version: current.version + 1,
            updated_at: Utc::now(),
            definition: def,
            connections,
            trigger_connection,
            ..current
        };
        self.inner.store.put_flow(&flow).await?;
        Ok(flow)
    }

    /// A flow's current version, or a 404.
    pub fn get(&self, id: &str) -> Result<Flow, AppError> {
        self.inner
            .store
            .get_flow(id)?
            .ok_or_else(|| AppError::not_found("flow", id))
    }

    /// One version of a flow, or a 404.
    pub fn get_version(&self, id: &str, version: u32) -> Result<Flow, AppError> {
        self.inner
            .store
            .get_flow_version(id, version)?
            .ok_or_else(|| AppError::not_found("flow version", &format!("{id} v{version}")))
    }

    /// Every flow.
    pub fn list(&self) -> Result<Vec<Flow>, AppError> {
        Ok(self.inner.store.list_flows()?)
    }

    /// Delete a flow with its versions and history.
    pub async fn delete(&self, id: &str) -> Result<(), AppError> {
        if self.inner.store.delete_flow(id).await? {
            Ok(())
        } else {
            Err(AppError::not_found("flow", id))
        }
    }

    /// Start a run asked for over the API or in the console; wait for it as asked.
    pub async fn run(&self, id: &str, req: RunFlowRequest) -> Result<Started, AppError> {
        self.run_as(id, req, RunTrigger::Manual).await
    }

    /// Start a run with `req`'s input, recorded as started by `trigger`; wait for it as asked.
    pub async fn run_as(
        &self,
        id: &str,
        req: RunFlowRequest,
        trigger: RunTrigger,
    ) -> Result<Started, AppError> {
        let flow = self.get(id)?;
        let input = if req.input.is_null() {
            serde_json::json!({})
        } else {
            req.input
        };
        if !input.is_object() {
            return Err(AppError::invalid(
                "input",
                "a flow's input is a JSON object",
            ));
        }
        let max_bytes = self.inner.runtime.config().max_output_bytes;
        limits::check_value(&input, max_bytes).map_err(|why| {
            AppError::new(
                Kind::Unprocessable,
                "input_too_large",
                format!("the flow's input cannot be run: {why}"),
            )
            .field("input")
        })?;
        let wait = match req.timeout_secs {
            Some(s) if s == 0 || Duration::from_secs(s) > MAX_WAIT => {
                return Err(AppError::invalid(
                    "timeout_secs",
                    "timeout_secs must be between 1 and 600",
                ))
            }
            Some(s) => Duration::from_secs(s),
            None => DEFAULT_WAIT,
        };
        let start = RunStart {
            run_id: None,
            input,
            event: None,
            trigger,
        };
        let (run_id, done_rx) = self.launch(flow, start, !req.wait).await?;
        if !req.wait {
            return Ok(Started::Running(run_id));
        }
        match tokio::time::timeout(wait, done_rx).await {
            Ok(Ok(run)) => Ok(Started::Done(Box::new(run))),
            Ok(Err(_)) => Err(AppError::new(
                Kind::Unavailable,
                "interrupted",
                "the run was interrupted",
            )),
            Err(_) => {
                self.inner.store.flush().await?;
                Ok(Started::Running(run_id))
            }
        }
    }

    /// Start a run of `flow` without waiting for it: the run is saved as
    /// `running` before this returns. A `run_id` given in `start` that is
    /// already in the history starts nothing (`None`): an event processed
    /// again after a restart finds the run it started the first time.
    pub async fn start(&self, flow: Flow, start: RunStart) -> Result<Option<String>, AppError> {
        if let Some(id) = &start.run_id {
            if self.inner.store.get_run(id)?.is_some() {
                return Ok(None);
            }
        }
        Ok(Some(self.launch(flow, start, true).await?.0))
    }

    /// Write the run as `running` and execute it in the background; its id
    /// and where the finished run is sent, once saved and flushed. The
    /// `running` record is flushed before this returns when `durable_start`
    /// (the caller hands the id out before the end); otherwise the end's
    /// flush covers it, so a run waited for costs one flush, shared with the
    /// runs that end beside it.
    async fn launch(
        &self,
        flow: Flow,
        start: RunStart,
        durable_start: bool,
    ) -> Result<(String, tokio::sync::oneshot::Receiver<FlowRun>), AppError> {
        let run = FlowRun {
            id: start
                .run_id
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            flow_id: flow.id.clone(),
            flow_version: flow.version,
            status: RunStatus::Running,
            started_at: Utc::now(),
            ended_at: None,
            duration_ms: None,
            trigger: (start.trigger != RunTrigger::Manual).then_some(start.trigger),
            input: redact::redact(&start.input, None),
            steps: Vec::new(),
            error: None,
            output: None,
        };
        if durable_start {
            self.inner.store.put_run(&run).await?;
        } else {
            self.inner.store.write_run(&run)?;
        }
        let run_id = run.id.clone();
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        let flows = self.clone();
        let (input, event) = (start.input, start.event);
        self.inner.tasks.spawn(async move {
            let inner = &flows.inner;
            let finished = engine::execute(inner, &flow, run, input, event).await;
            if let Err(e) = inner.store.prune(&finished.flow_id, &inner.retention).await {
                tracing::warn!(error = %e, "could not prune run history");
            }
            if let Err(e) = inner.store.put_run(&finished).await {
                tracing::error!(run = %finished.id, error = %e, "could not save a finished run");
            }
            tracing::info!(flow = %finished.flow_id, run = %finished.id, status = ?finished.status, "flow run ended");
            let _ = done_tx.send(finished);
        });
        Ok((run_id, done_rx))
    }

    /// Keep a run that failed before its first step (an event its trigger
    /// card could not read, say) in the flow's history.
    pub async fn record_failed(
        &self,
        flow: &Flow,
        run_id: String,
        trigger: RunTrigger,
        error: RunFailure,
    ) -> Result<(), AppError> {
        if self.inner.store.get_run(&run_id)?.is_some() {
            return Ok(());
        }
        let now = Utc::now();
        let run = FlowRun {
            id: run_id,
            flow_id: flow.id.clone(),
            flow_version: flow.version,
            status: RunStatus::Failed,
            started_at: now,
            ended_at: Some(now),
            duration_ms: Some(0.0),
            trigger: Some(trigger),
            input: serde_json::json!({}),
            steps: Vec::new(),
            error: Some(error),
            output: None,
        };
        self.inner.store.put_run(&run).await?;
        self.inner
            .store
            .prune(&flow.id, &self.inner.retention)
            .await?;
        Ok(())
    }

    /// A page of a flow's runs, newest first.
    pub fn runs(
        &self,
        id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<FlowRun>, Option<String>), AppError> {
        self.get(id)?;
        if !(1..=100).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                "limit must be between 1 and 100",
            ));
        }
        let page = self
            .inner
            .store
            .list_runs(id, limit, after)?
            .ok_or_else(|| {
                AppError::invalid(
                    "after",
                    format!(
                        "no run {:?} in this flow's history",
                        after.unwrap_or_default()
                    ),
                )
            })?;
        Ok((page.runs, page.next_after))
    }

    /// One run of a flow.
    pub fn get_run(&self, id: &str, run_id: &str) -> Result<FlowRun, AppError> {
        self.inner
            .store
            .get_run(run_id)?
            .filter(|r| r.flow_id == id)
            .ok_or_else(|| AppError::not_found("run", run_id))
    }
}
