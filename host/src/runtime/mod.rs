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
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline,
};

use crate::capability::{Grant, HttpCall, HttpCapability};
use bindings::{CardWorld, CardWorldPre};
pub use error::{CardErrorKind, RunError};
use manifest::CheckedManifest;
pub use manifest::Manifest;
use state::RunState;

/// The version of the card contract (`schemas/wit/since_v0.1.0/`) this host runs.
pub const WORLD_VERSION: &str = "0.1.0";
/// The interface a card must export, with its version.
pub const CARD_EXPORT: &str = "cardhost:card/card@0.1.0";
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
pub struct RunReport {
    pub result: Result<Value, RunError>,
    pub calls: Vec<HttpCall>,
    pub logs: Vec<LogLine>,
    pub duration: Duration,
}

/// A card compiled and ready to instantiate.
pub struct LoadedCard {
    checked: CheckedManifest,
    pre: CardWorldPre<RunState>,
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
    #[error("the component implements card contract version {found}; this host supports {WORLD_VERSION}")]
    UnsupportedWorld { found: String },
    #[error("the component does not export the card interface {CARD_EXPORT}")]
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
        CardWorld::add_to_linker::<RunState, HasSelf<RunState>>(&mut linker, |s| s)?;
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

    /// Load a card from an already compiled component: a card of this
    /// contract version, importing nothing the host does not link, whose
    /// manifest answers within [`RuntimeConfig::load_timeout`] and is valid.
    pub async fn load_component(
        &self,
        component: Component,
        hash: String,
    ) -> Result<LoadedCard, LoadError> {
        check_world(&self.engine, &component)?;
        let unlinked = wasi::unlinked_imports(&self.engine, &component);
        if !unlinked.is_empty() {
            return Err(LoadError::Unlinked(unlinked));
        }
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(root_cause(&e)))?;
        let pre = CardWorldPre::new(pre).map_err(|e| LoadError::Link(root_cause(&e)))?;
        let manifest = self.read_manifest(&pre).await?;
        let checked = manifest::check(manifest).map_err(LoadError::Manifest)?;
        Ok(LoadedCard { checked, pre, hash })
    }

    /// Instantiate the card and call its `manifest()`, within
    /// [`RuntimeConfig::load_timeout`]. Cancel-safe: dropping the future
    /// drops the instance and gives back the run slot.
    async fn read_manifest(&self, pre: &CardWorldPre<RunState>) -> Result<Manifest, LoadError> {
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
        let answer = async {
            let world = pre
                .instantiate_async(&mut store)
                .await
                .map_err(|e| (e, "instantiating the component failed"))?;
            world
                .cardhost_card_card()
                .call_manifest(&mut store)
                .await
                .map_err(|e| (e, "manifest() failed"))
        };
        let m = match tokio::time::timeout(limit + DEADLINE_GRACE, answer).await {
            Err(_) => return Err(timeout),
            Ok(Ok(m)) => m,
            Ok(Err((e, _))) if store.data().timed_out || is_deadline(&e) => return Err(timeout),
            Ok(Err((e, what))) => {
                return Err(LoadError::Manifest(format!("{what}: {}", root_cause(&e))))
            }
        };
        let parse = |what: &str, text: &str| {
            serde_json::from_str::<Value>(text)
                .map_err(|e| LoadError::Manifest(format!("{what} is not JSON: {e}")))
        };
        Ok(Manifest {
            input_schema: parse("input_schema", &m.input_schema)?,
            output_schema: parse("output_schema", &m.output_schema)?,
            id: m.id,
            name: m.name,
            description: m.description,
            version: m.version,
            scopes: m.scopes,
            uses_service_account: m.uses_service_account,
        })
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
        let outcome = self.call(card, &mut store, input, context, deadline).await;
        let result = outcome.and_then(|text| self.check_output(card, &text));
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
        input: &Value,
        context: &RunContext,
        deadline: Instant,
    ) -> Result<String, RunError> {
        let wit_context = bindings::RunContext {
            connector: context.connector.clone(),
            default_workspace: context.default_workspace.clone(),
            has_service_account: context.has_service_account,
        };
        let input_text = input.to_string();
        let run = async {
            let world = card.pre.instantiate_async(&mut *store).await?;
            world
                .cardhost_card_card()
                .call_run(&mut *store, &input_text, &wit_context)
                .await
        };
        let result = match tokio::time::timeout_at((deadline + DEADLINE_GRACE).into(), run).await {
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

    fn check_output(&self, card: &LoadedCard, text: &str) -> Result<Value, RunError> {
        if text.len() > self.config.max_output_bytes {
            return Err(RunError::OutputTooLarge {
                limit_bytes: self.config.max_output_bytes,
            });
        }
        let value: Value = serde_json::from_str(text).map_err(|e| RunError::InvalidOutput {
            field: None,
            message: format!("the output is not JSON: {e}"),
        })?;
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

fn report_host_error(started: Instant, message: &str) -> RunReport {
    RunReport {
        result: Err(RunError::Host(message.into())),
        calls: Vec::new(),
        logs: Vec::new(),
        duration: started.elapsed(),
    }
}

/// A card error, except that a connection the capability found needing a
/// person's re-authorization is reported as such, whatever the card made of it.
fn from_card_error(e: bindings::CardError, needs_reauth: Option<&String>) -> RunError {
    use bindings::ErrorKind as K;
    if let Some(message) = needs_reauth {
        return RunError::NeedsReauth(message.clone());
    }
    let kind = match e.kind {
        K::InvalidInput => CardErrorKind::InvalidInput,
        K::NotFound => CardErrorKind::NotFound,
        K::Unauthorized => CardErrorKind::Unauthorized,
        K::Forbidden => CardErrorKind::Forbidden,
        K::RateLimited => CardErrorKind::RateLimited,
        K::Provider => CardErrorKind::Provider,
        K::Http => CardErrorKind::Http,
        K::Internal => CardErrorKind::Internal,
    };
    RunError::Card {
        kind,
        message: e.message,
        field: e.field,
    }
}

/// Refuse components that are not cards of the version this host runs.
fn check_world(engine: &Engine, component: &Component) -> Result<(), LoadError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    if exports.iter().any(|n| n == CARD_EXPORT) {
        return Ok(());
    }
    if let Some(other) = exports
        .iter()
        .find_map(|n| n.strip_prefix("cardhost:card/card@"))
    {
        return Err(LoadError::UnsupportedWorld {
            found: other.to_string(),
        });
    }
    Err(LoadError::NotACard)
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
