//! The card runtime: one wasmtime engine for the process, each card compiled
//! once and instantiated per run from an `InstancePre`, only the WASI a card
//! needs linked with nothing granted, and limits on every entry into a card
//! and on compiling one.
//!
//! Every entry into a guest (instantiating it, asking its manifest, running
//! it) has a deadline enforced twice: by epoch interruption while the guest
//! runs WebAssembly, by [`wasi`]'s bounded `wasi:io/poll` while it waits in
//! WASI, and, around both, by a wall-clock timeout on the async call, which
//! drops the instance wherever it is. Compiling is bounded before it starts
//! ([`limits`]), runs one at a time on a blocking thread, and is waited for
//! with deadlines.

mod bindings;
pub mod builtin;
mod cache;
pub mod catalogue;
pub mod error;
pub mod limits;
pub mod manifest;
pub mod schema;
mod state;
mod wasi;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use wasmtime::component::{Component, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline,
};

use crate::capability::{Grant, HttpCall, HttpCapability};
use bindings::{CardPre, GuestError, CARD_INTERFACE, EVENT_INTERFACE};
pub use bindings::{GuestManifest, CONTRACT_VERSIONS};
pub use error::{CardErrorKind, RunError};
use manifest::CheckedManifest;
pub use manifest::{CardKind, Manifest};
use state::RunState;
/// How often the epoch advances: the granularity of deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// How long after a guest's own deadline the wall-clock timeout around the
/// call drops it: the deadline itself is enforced inside the guest (epoch,
/// bounded poll), so a card sees its HTTP calls time out first.
const DEADLINE_GRACE: Duration = Duration::from_secs(1);

/// Limits and sizing of the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Wall-clock deadline of one run, HTTP waits included.
    pub timeout: Duration,
    /// Linear memory one run may use.
    pub memory_limit: usize,
    /// Largest output (JSON text) a run may return.
    pub max_output_bytes: usize,
    /// Runs executing at once; more wait for a slot.
    pub max_concurrent_runs: usize,
    /// Use the pooling instance allocator (slots sized by the settings above).
    pub pooling: bool,
    /// Where compiled cards are cached, keyed by engine and card hash; `None`
    /// compiles at every start.
    pub cache_dir: Option<std::path::PathBuf>,
    /// How long instantiating a card and reading its manifest may take (at
    /// install and at start).
    pub load_timeout: Duration,
    /// Bounds on a component checked before it is compiled.
    pub compile_limits: limits::CompileLimits,
    /// How long a compile waits for the one compile slot.
    pub compile_wait: Duration,
    /// How long a caller waits for a compile to finish.
    pub compile_timeout: Duration,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            timeout: Duration::from_secs(30),
            memory_limit: 64 << 20,
            max_output_bytes: 1 << 20,
            max_concurrent_runs: 64,
            pooling: true,
            cache_dir: None,
            load_timeout: Duration::from_secs(5),
            compile_limits: limits::CompileLimits::default(),
            compile_wait: Duration::from_secs(30),
            compile_timeout: Duration::from_secs(120),
        }
    }
}

/// Level of a card's log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// One line a card logged.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LogLine {
    pub level: LogLevel,
    /// Milliseconds since the run started.
    pub at_ms: f64,
    pub message: String,
}

/// Facts about the connection handed to the card. Never a secret.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    pub connector: String,
    pub default_workspace: Option<String>,
    pub has_service_account: bool,
}

/// What a run produced and what it did on the way.
#[derive(Debug)]
pub struct RunReport<T = Value> {
    pub result: Result<T, RunError>,
    pub calls: Vec<HttpCall>,
    pub logs: Vec<LogLine>,
    pub duration: Duration,
}

impl<T> RunReport<T> {
    /// The same report with its answer checked or converted by `f`.
    fn and_then<U>(self, f: impl FnOnce(T) -> Result<U, RunError>) -> RunReport<U> {
        RunReport {
            result: self.result.and_then(f),
            calls: self.calls,
            logs: self.logs,
            duration: self.duration,
        }
    }
}

/// Which of a card's exports one entry into it calls.
#[derive(Clone, Copy)]
enum Entry<'a> {
    /// `card.run`.
    Run,
    /// `event.subscription` (event cards).
    Subscription,
    /// `event.on-event` with this event's JSON text (event cards).
    OnEvent { event: &'a str },
}

/// A card compiled and ready to instantiate.
pub struct LoadedCard {
    checked: CheckedManifest,
    pre: CardPre,
    /// SHA-256 of the component bytes, hex.
    pub hash: String,
}

impl LoadedCard {
    /// The card's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.checked.manifest
    }

    /// The compiled input schema.
    pub fn input_schema(&self) -> &schema::SchemaCheck {
        &self.checked.input
    }
}

/// Why a component could not be loaded as a card.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),
    #[error(
        "the component implements card contract version {found}; this host supports {}",
        CONTRACT_VERSIONS.join(" and ")
    )]
    UnsupportedWorld { found: String },
    #[error(
        "the component does not export the card interface {CARD_INTERFACE}@<version> \
         (this host supports versions {})",
        CONTRACT_VERSIONS.join(" and ")
    )]
    NotACard,
    #[error("the component needs imports this host does not provide: {0}")]
    Link(String),
    #[error(
        "the component imports interfaces this host does not provide: {}; a card may use \
         wasi:io, wasi:clocks, wasi:random, wasi:cli and wasi:filesystem (with nothing granted) \
         and the card contract's imports",
        .0.join(", ")
    )]
    Unlinked(Vec<String>),
    #[error("the card's manifest is invalid: {0}")]
    Manifest(String),
    #[error(
        "the card did not answer within {limit_ms} ms while it was instantiated and asked for \
         its manifest"
    )]
    Timeout { limit_ms: u64 },
    #[error("the component is too large to compile: {0}")]
    TooComplex(limits::LimitError),
    #[error(
        "another card is being compiled; waited {waited_ms} ms for it to finish: try again later"
    )]
    CompileBusy { waited_ms: u64 },
    #[error("compiling the component took longer than {limit_ms} ms")]
    CompileTimeout { limit_ms: u64 },
}

impl From<limits::LimitError> for LoadError {
    fn from(e: limits::LimitError) -> LoadError {
        match e {
            limits::LimitError::Malformed(m) => LoadError::Invalid(m),
            exceeded => LoadError::TooComplex(exceeded),
        }
    }
}

/// The process-wide card runtime.
pub struct Runtime {
    engine: Engine,
    linker: Linker<RunState>,
    config: RuntimeConfig,
    http: HttpCapability,
    slots: Arc<Semaphore>,
    /// One compile at a time: its permit moves into the compiling thread.
    compile_gate: Arc<Semaphore>,
    _ticker: EpochTicker,
}

impl Runtime {
    /// Build the engine, link the WASI cards need (granting nothing) and the
    /// card imports, and start the epoch ticker.
    pub fn new(config: RuntimeConfig, http: HttpCapability) -> anyhow::Result<Runtime> {
        let engine = Engine::new(&engine_config(&config))?;
        let mut linker = Linker::new(&engine);
        wasi::add_to_linker(&mut linker)?;
        bindings::add_to_linker(&mut linker)?;
        let ticker = EpochTicker::start(&engine);
        Ok(Runtime {
            slots: Arc::new(Semaphore::new(config.max_concurrent_runs)),
            compile_gate: Arc::new(Semaphore::new(1)),
            engine,
            linker,
            config,
            http,
            _ticker: ticker,
        })
    }

    /// The engine (for precompiling and caching artifacts).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The shared HTTP capability.
    pub fn http(&self) -> &HttpCapability {
        &self.http
    }

    /// The runtime's limits.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Runs (and manifest reads) going on now.
    pub fn runs_in_progress(&self) -> usize {
        self.config.max_concurrent_runs - self.slots.available_permits()
    }

    /// Compile a component and load it as a card.
    /// The manifest is checked on its own here; the catalogue checks it
    /// against the card's connector.
    pub async fn load(&self, bytes: &[u8]) -> Result<LoadedCard, LoadError> {
        let component = self.compile(Arc::from(bytes)).await?;
        self.load_component(component, hash(bytes)).await
    }

    /// Compile a component within the bounds: refused without compiling when
    /// it exceeds [`RuntimeConfig::compile_limits`]; otherwise compiled on a
    /// blocking thread, one compile at a time. A caller that stops waiting
    /// (a deadline, or a client that went away) leaves the compile to finish
    /// on its thread, still holding the compile slot, so abandoned compiles
    /// never pile up.
    pub async fn compile(&self, bytes: Arc<[u8]>) -> Result<Component, LoadError> {
        limits::check(&bytes, &self.config.compile_limits)?;
        let wait = self.config.compile_wait;
        let permit = tokio::time::timeout(wait, self.compile_gate.clone().acquire_owned())
            .await
            .map_err(|_| LoadError::CompileBusy {
                waited_ms: wait.as_millis() as u64,
            })?
            .map_err(|_| LoadError::Invalid("the runtime is shutting down".into()))?;
        let engine = self.engine.clone();
        let compiling = tokio::task::spawn_blocking(move || {
            let _one_at_a_time = permit;
            Component::new(&engine, &bytes)
        });
        match tokio::time::timeout(self.config.compile_timeout, compiling).await {
            Err(_) => Err(LoadError::CompileTimeout {
                limit_ms: self.config.compile_timeout.as_millis() as u64,
            }),
            Ok(Err(stopped)) => Err(LoadError::Invalid(format!("compiling stopped: {stopped}"))),
            Ok(Ok(compiled)) => compiled.map_err(|e| LoadError::Invalid(root_cause(&e))),
        }
    }

    /// Load a card from an already compiled component: a card of a contract
    /// version this host runs (an event card when it exports the `event`
    /// interface), importing nothing the host does not link, whose manifest
    /// answers within [`RuntimeConfig::load_timeout`] and is valid.
    pub async fn load_component(
        &self,
        component: Component,
        hash: String,
    ) -> Result<LoadedCard, LoadError> {
        let (contract, kind) = check_world(&self.engine, &component)?;
        let unlinked = wasi::unlinked_imports(&self.engine, &component);
        if !unlinked.is_empty() {
            return Err(LoadError::Unlinked(unlinked));
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(root_cause(&e)))?;
        let pre = CardPre::new(contract, kind, pre).map_err(|e| LoadError::Link(root_cause(&e)))?;
        let mut manifest = self.read_manifest(&pre).await?;
        manifest.kind = kind;
        manifest.contract = contract.to_string();
        let checked = manifest::check(manifest).map_err(LoadError::Manifest)?;
        Ok(LoadedCard { checked, pre, hash })
    }

    /// Instantiate the card and call its `manifest()`, within
    /// [`RuntimeConfig::load_timeout`]. Cancel-safe: dropping the future
    /// drops the instance and gives back the run slot.
    async fn read_manifest(&self, pre: &CardPre) -> Result<Manifest, LoadError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| LoadError::Invalid(e.to_string()))?;
        let limit = self.config.load_timeout;
        let timeout = LoadError::Timeout {
            limit_ms: limit.as_millis() as u64,
        };
        let deadline = Instant::now() + limit;
        let mut store = self.store(RunState::new(None, deadline, self.config.memory_limit));
        let answer = pre.manifest(&mut store);
        let m = match tokio::time::timeout(limit + DEADLINE_GRACE, answer).await {
            Err(_) => return Err(timeout),
            Ok(Ok(m)) => m,
            Ok(Err(e)) if store.data().timed_out || is_deadline(&e) => return Err(timeout),
            Ok(Err(e)) => {
                return Err(LoadError::Manifest(format!(
                    "instantiating the component or its manifest() failed: {}",
                    root_cause(&e)
                )))
            }
        };
        Manifest::from_guest(m).map_err(LoadError::Manifest)
    }

    fn store(&self, state: RunState) -> Store<RunState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|mut ctx| {
            if Instant::now() >= ctx.data().deadline {
                ctx.data_mut().timed_out = true;
                wasmtime::bail!("deadline exceeded");
            }
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    /// Run a card: check the input against its schema, instantiate, call
    /// `run`, check the output. `grant` is `None` for a card run without a
    /// connection (it then may not make HTTP requests).
    pub async fn run(
        &self,
        card: &LoadedCard,
        input: &Value,
        context: &RunContext,
        grant: Option<Grant>,
    ) -> RunReport {
        let report = self.enter(card, Entry::Run, input, context, grant).await;
        report.and_then(|text| self.check_output(card, &text.unwrap_or_default()))
    }

    /// The subscription an event card asks for, given a trigger's input: the
    /// input checked against the card's input schema, `event.subscription`
    /// called as `run` is (same limits), its answer a JSON object.
    pub async fn subscription(
        &self,
        card: &LoadedCard,
        input: &Value,
        context: &RunContext,
        grant: Option<Grant>,
    ) -> RunReport {
        let report = self
            .enter(card, Entry::Subscription, input, context, grant)
            .await;
        report.and_then(|text| {
            let text = text.unwrap_or_default();
            let value = self.parse_output(&text)?;
            if !value.is_object() {
                return Err(RunError::InvalidOutput {
                    field: None,
                    message: format!("the subscription must be a JSON object, not {value}"),
                });
            }
            Ok(value)
        })
    }

    /// One provider event through an event card, for a trigger's input: the
    /// input checked against the card's input schema, `event.on-event`
    /// called as `run` is (same limits); the output, checked against the
    /// card's output schema, or `None` when the card does not report this
    /// event.
    pub async fn on_event(
        &self,
        card: &LoadedCard,
        input: &Value,
        event: &Value,
        context: &RunContext,
        grant: Option<Grant>,
    ) -> RunReport<Option<Value>> {
        let event = event.to_string();
        let report = self
            .enter(
                card,
                Entry::OnEvent { event: &event },
                input,
                context,
                grant,
            )
            .await;
        report.and_then(|text| match text {
            None => Ok(None),
            Some(text) => self.check_output(card, &text).map(Some),
        })
    }

    /// Enter a card once: check the input, take a run slot, instantiate the
    /// card with its limits and `grant`, call `entry`, and gather what the
    /// call did. The answer is the guest's text, unchecked.
    async fn enter(
        &self,
        card: &LoadedCard,
        entry: Entry<'_>,
        input: &Value,
        context: &RunContext,
        grant: Option<Grant>,
    ) -> RunReport<Option<String>> {
        let started = Instant::now();
        if let Err(v) = card.checked.input.check(input) {
            return RunReport {
                result: Err(RunError::InvalidInput {
                    field: v.field,
                    message: v.message,
                }),
                calls: Vec::new(),
                logs: Vec::new(),
                duration: started.elapsed(),
            };
        }
        let Ok(_slot) = self.slots.acquire().await else {
            return report_host_error(started, "the runtime is shutting down");
        };
        let deadline = grant
            .as_ref()
            .map(|g| g.deadline)
            .unwrap_or_else(|| Instant::now() + self.config.timeout);
        let http = grant.map(|g| (self.http.clone(), g));
        let mut store = self.store(RunState::new(http, deadline, self.config.memory_limit));
        let result = self
            .call(card, &mut store, entry, input, context, deadline)
            .await;
        let state = store.into_data();
        let mut logs = state.logs;
        if state.dropped_logs > 0 {
            logs.push(LogLine {
                level: LogLevel::Warn,
                at_ms: started.elapsed().as_secs_f64() * 1000.0,
                message: format!("{} more log lines were dropped", state.dropped_logs),
            });
        }
        RunReport {
            result,
            calls: state.calls,
            logs,
            duration: started.elapsed(),
        }
    }

    async fn call(
        &self,
        card: &LoadedCard,
        store: &mut Store<RunState>,
        entry: Entry<'_>,
        input: &Value,
        context: &RunContext,
        deadline: Instant,
    ) -> Result<Option<String>, RunError> {
        let is_event = card.manifest().kind == CardKind::Event;
        if !is_event && !matches!(entry, Entry::Run) {
            return Err(RunError::Host(format!(
                "{} is an action card: it has no subscription and takes no events",
                card.manifest().id
            )));
        }
        let input_text = input.to_string();
        let pre = &card.pre;
        let call = async {
            match entry {
                Entry::Run => Ok(pre.run(store, &input_text, context).await?.map(Some)),
                Entry::Subscription => Ok(pre
                    .subscription(store, &input_text, context)
                    .await?
                    .map(Some)),
                Entry::OnEvent { event } => pre.on_event(store, &input_text, event, context).await,
            }
        };
        let result = match tokio::time::timeout_at((deadline + DEADLINE_GRACE).into(), call).await {
            Ok(r) => r,
            Err(_) => {
                return Err(RunError::Timeout {
                    limit_ms: self.config.timeout.as_millis() as u64,
                })
            }
        };
        match result {
            Ok(Ok(text)) => Ok(text),
            Ok(Err(card_error)) => Err(from_card_error(
                card_error,
                store.data().needs_reauth.as_ref(),
            )),
            Err(trap) => Err(self.classify_trap(store.data(), &trap)),
        }
    }

    fn classify_trap(&self, state: &RunState, error: &wasmtime::Error) -> RunError {
        if state.timed_out || is_deadline(error) {
            return RunError::Timeout {
                limit_ms: self.config.timeout.as_millis() as u64,
            };
        }
        if state.limiter.exceeded {
            return RunError::OutOfMemory {
                limit_bytes: self.config.memory_limit,
            };
        }
        let panic = state
            .logs
            .iter()
            .rev()
            .find(|l| l.level == LogLevel::Error && l.message.starts_with("panicked"))
            .map(|l| l.message.clone());
        let message = match (panic, error.downcast_ref::<wasmtime::Trap>()) {
            (Some(p), _) => p,
            (None, Some(trap)) => trap.to_string(),
            (None, None) => root_cause(error),
        };
        RunError::Trap { message }
    }

    /// The guest's answer as JSON, within the output size limit.
    fn parse_output(&self, text: &str) -> Result<Value, RunError> {
        if text.len() > self.config.max_output_bytes {
            return Err(RunError::OutputTooLarge {
                limit_bytes: self.config.max_output_bytes,
            });
        }
        serde_json::from_str(text).map_err(|e| RunError::InvalidOutput {
            field: None,
            message: format!("the output is not JSON: {e}"),
        })
    }

    fn check_output(&self, card: &LoadedCard, text: &str) -> Result<Value, RunError> {
        let value = self.parse_output(text)?;
        card.checked
            .output
            .check(&value)
            .map_err(|v| RunError::InvalidOutput {
                field: v.field,
                message: v.message,
            })?;
        Ok(value)
    }
}

fn report_host_error<T>(started: Instant, message: &str) -> RunReport<T> {
    RunReport {
        result: Err(RunError::Host(message.into())),
        calls: Vec::new(),
        logs: Vec::new(),
        duration: started.elapsed(),
    }
}

/// A card error, except that a connection the capability found needing a
/// person's re-authorization is reported as such, whatever the card made of it.
fn from_card_error(e: GuestError, needs_reauth: Option<&String>) -> RunError {
    if let Some(message) = needs_reauth {
        return RunError::NeedsReauth(message.clone());
    }
    RunError::Card {
        kind: e.kind,
        message: e.message,
        field: e.field,
    }
}

/// The contract version and kind of a card, read from the names of the
/// interfaces it exports (`cardhost:card/card@0.2.0`, and
/// `cardhost:card/event@0.2.0` for an event card); refuses components that
/// are not cards of a version this host runs.
fn check_world(
    engine: &Engine,
    component: &Component,
) -> Result<(&'static str, CardKind), LoadError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let version_of = |interface: &str| {
        exports
            .iter()
            .find_map(|n| n.strip_prefix(interface)?.strip_prefix('@'))
    };
    let Some(found) = version_of(CARD_INTERFACE) else {
        return Err(LoadError::NotACard);
    };
    let Some(contract) = CONTRACT_VERSIONS.iter().copied().find(|v| *v == found) else {
        return Err(LoadError::UnsupportedWorld {
            found: found.to_string(),
        });
    };
    let kind = match version_of(EVENT_INTERFACE) {
        None => CardKind::Action,
        Some(v) if v == contract && contract != "0.1.0" => CardKind::Event,
        Some(v) => {
            return Err(LoadError::UnsupportedWorld {
                found: format!("{contract} with the event interface of {v}"),
            })
        }
    };
    Ok((contract, kind))
}

fn engine_config(config: &RuntimeConfig) -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    c.memory_init_cow(true);
    c.max_wasm_stack(1 << 20);
    if config.pooling {
        let slots = config.max_concurrent_runs as u32 + 4;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(slots);
        pool.total_core_instances(slots * 16);
        pool.max_core_instances_per_component(16);
        pool.total_memories(slots * 2);
        pool.max_memories_per_component(2);
        pool.total_tables(slots * 16);
        pool.max_tables_per_component(16);
        pool.total_stacks(slots);
        pool.max_memory_size(config.memory_limit);
        // Reset a slot's dirty pages in place rather than madvise(DONTNEED)
        // at every run: no syscall and TLB shootdown when a run's store is
        // dropped, no page faults at the next instantiation. The page scan
        // (PAGEMAP_SCAN, Linux >= 6.7) limits the reset to pages the run
        // touched; without it wasmtime zeroes the kept megabyte.
        pool.linear_memory_keep_resident(1 << 20);
        pool.table_keep_resident(1 << 20);
        pool.pagemap_scan(wasmtime::Enabled::Auto);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}

fn hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn root_cause(e: &wasmtime::Error) -> String {
    format!("{e:#}")
}

/// Whether a trap is a wait in WASI cut at the deadline.
fn is_deadline(e: &wasmtime::Error) -> bool {
    e.chain().any(|cause| cause.is::<wasi::DeadlineExceeded>())
}

/// Advances the engine's epoch every [`EPOCH_TICK`] on a thread of its own;
/// stops when the runtime is dropped.
struct EpochTicker {
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl EpochTicker {
    fn start(engine: &Engine) -> EpochTicker {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let weak = engine.weak();
        let flag = stop.clone();
        std::thread::Builder::new()
            .name("cardhost-epoch".into())
            .spawn(move || {
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match weak.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .expect("spawning the epoch thread");
        EpochTicker { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
