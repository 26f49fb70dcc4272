//! What one card run owns inside its wasmtime `Store`: an empty WASI context,
//! the memory limiter, the grant for the HTTP capability, and what the run
//! records (HTTP calls and log lines).

use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime::ResourceLimiter;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::{LogLevel, LogLine};
use crate::capability::{self, Grant, HttpCall, HttpCapability};

/// Most log lines one run keeps; later lines are counted, not kept.
const MAX_LOG_LINES: usize = 1000;
/// Longest log line kept, in bytes.
const MAX_LOG_LINE: usize = 4096;

/// Per-run store data.
pub struct RunState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: MemoryLimiter,
    pub(super) deadline: Instant,
    pub(super) timed_out: bool,
    http: Option<(HttpCapability, Grant)>,
    pub(super) calls: Vec<HttpCall>,
    pub(super) logs: Vec<LogLine>,
    pub(super) dropped_logs: usize,
    /// Set when the capability found the connection needs re-authorization.
    pub(super) needs_reauth: Option<String>,
    started: Instant,
}

impl RunState {
    /// State for a run that may use `http` until `deadline`, with at most
    /// `memory_limit` bytes of linear memory.
    pub fn new(
        http: Option<(HttpCapability, Grant)>,
        deadline: Instant,
        memory_limit: usize,
    ) -> RunState {
        RunState {
            wasi: empty_wasi(),
            table: ResourceTable::new(),
            limiter: MemoryLimiter::new(memory_limit),
            deadline,
            timed_out: false,
            http,
            calls: Vec::new(),
            logs: Vec::new(),
            dropped_logs: 0,
            needs_reauth: None,
            started: Instant::now(),
        }
    }

    pub(super) async fn send(
        &mut self,
        request: capability::Request,
    ) -> Result<capability::Response, capability::HttpError> {
        let Some((cap, grant)) = &self.http else {
            return Err(capability::HttpError::Denied(
                "this card may not make HTTP requests here".into(),
            ));
        };
        let result = cap.send(grant, request, &mut self.calls).await;
        self.note_reauth(&result);
        result
    }

    /// Sends a card's batch of requests concurrently (at most
    /// [`capability::batch::MAX_IN_FLIGHT`] at once), answers in request order.
    pub(super) async fn send_all(
        &mut self,
        requests: Vec<capability::Request>,
    ) -> Vec<Result<capability::Response, capability::HttpError>> {
        let Some((cap, grant)) = &self.http else {
            return requests
                .iter()
                .map(|_| {
                    Err(capability::HttpError::Denied(
                        "this card may not make HTTP requests here".into(),
                    ))
                })
                .collect();
        };
        let results = capability::batch::send_all(cap, grant, requests, &mut self.calls).await;
        for result in &results {
            self.note_reauth(result);
        }
        results
    }

    /// Remembers that the capability found the connection needing a person's
    /// re-authorization.
    fn note_reauth(&mut self, result: &Result<capability::Response, capability::HttpError>) {
        if let Err(capability::HttpError::NeedsReauth(message)) = result {
            self.needs_reauth = Some(message.clone());
        }
    }

    pub(super) fn log(&mut self, level: LogLevel, mut message: String) {
        if self.logs.len() >= MAX_LOG_LINES {
            self.dropped_logs += 1;
            return;
        }
        if message.len() > MAX_LOG_LINE {
            let mut cut = MAX_LOG_LINE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        tracing::debug!(target: "cardhost::card", ?level, %message);
        self.logs.push(LogLine {
            level,
            at_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            message,
        });
    }
}

/// WASI with nothing granted: no preopened directories, no environment, no
/// arguments, no sockets, no name lookups, stdio connected to nothing.
fn empty_wasi() -> WasiCtx {
    WasiCtx::builder()
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

impl WasiView for RunState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Caps a run's linear memory and remembers whether the cap was hit, so that
/// an out-of-memory is reported as such rather than as a generic trap.
pub struct MemoryLimiter {
    limit: usize,
    pub(super) exceeded: bool,
}

impl MemoryLimiter {
    fn new(limit: usize) -> MemoryLimiter {
        MemoryLimiter {
            limit,
            exceeded: false,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = true;
            wasmtime::bail!(
                "the card asked for {desired} bytes of memory; the limit is {}",
                self.limit
            );
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }

    fn instances(&self) -> usize {
        32
    }

    fn tables(&self) -> usize {
        32
    }

    fn memories(&self) -> usize {
        8
    }
}
