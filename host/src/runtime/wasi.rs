//! The WASI a card gets: only the interfaces that cards built for
//! `wasm32-wasip2` with Rust's std import, with nothing granted (see
//! `state::empty_wasi`), and no way to wait past the run's deadline.
//!
//! Linked ([`LINKED`]): `wasi:io` (error, poll, streams), `wasi:clocks`,
//! `wasi:random`, `wasi:cli` (environment, exit, stdio and terminals) and
//! `wasi:filesystem` (std's file API imports it; no directory is preopened).
//! Not linked: `wasi:sockets` (TCP, UDP, name lookups) and anything else; a
//! component importing an interface the host does not link is refused at
//! install with the list of them ([`unlinked_imports`]).
//!
//! The one place a card can wait without running WebAssembly, where the
//! epoch deadline cannot reach it, is `wasi:io/poll` (`poll` and
//! `pollable.block`: `std::thread::sleep` lands there through
//! `monotonic-clock.subscribe-duration`). Those two are linked through
//! [`Waits`], which ends the wait at the run's deadline with
//! [`DeadlineExceeded`]. Every other host function of these interfaces
//! returns at once: stdin is empty, stdout and stderr discard, there are no
//! files or sockets to wait on.

use std::time::Instant;

use wasmtime::component::{Component, HasData, Linker, Resource, ResourceTable};
use wasmtime::Engine;
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, io, random};
use wasmtime_wasi::p2::DynPollable;
use wasmtime_wasi::random::WasiRandom;
use wasmtime_wasi::WasiView;

use super::state::RunState;

/// The WASI interfaces linked for cards, without their versions.
pub const LINKED: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

/// The WASI versions linked: 0.2.x (wasmtime links any 0.2 patch version
/// to its own).
const WASI_VERSION_PREFIX: &str = "0.2.";

/// The namespace of the card contract's own imports, which the linker
/// checks against the contract when the card is linked.
const CARD_NAMESPACE: &str = "cardhost:card/";

/// Link the interfaces of [`LINKED`] into `linker`.
pub fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    let l = linker;
    io::error::add_to_linker::<RunState, Table>(l, |s| s.ctx().table)?;
    io::streams::add_to_linker::<RunState, Table>(l, |s| s.ctx().table)?;
    io::poll::add_to_linker::<RunState, BoundedWaits>(l, |s| {
        let deadline = s.deadline;
        Waits {
            table: s.ctx().table,
            deadline,
        }
    })?;
    clocks::wall_clock::add_to_linker::<RunState, WasiClocks>(
        l,
        <RunState as WasiClocksView>::clocks,
    )?;
    clocks::monotonic_clock::add_to_linker::<RunState, WasiClocks>(
        l,
        <RunState as WasiClocksView>::clocks,
    )?;
    random::random::add_to_linker::<RunState, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    random::insecure::add_to_linker::<RunState, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    random::insecure_seed::add_to_linker::<RunState, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    cli::environment::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::exit::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::stdin::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::stdout::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::stderr::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::terminal_input::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::terminal_output::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::terminal_stdin::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::terminal_stdout::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    cli::terminal_stderr::add_to_linker::<RunState, WasiCli>(l, <RunState as WasiCliView>::cli)?;
    filesystem::types::add_to_linker::<RunState, WasiFilesystem>(
        l,
        <RunState as WasiFilesystemView>::filesystem,
    )?;
    filesystem::preopens::add_to_linker::<RunState, WasiFilesystem>(
        l,
        <RunState as WasiFilesystemView>::filesystem,
    )?;
    Ok(())
}

/// The imports of `component` that this host does not link, by name (for
/// example `wasi:sockets/tcp@0.2.6`). The card contract's own imports are
/// left to the linker, which checks them against the contract.
pub fn unlinked_imports(engine: &Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name)
        .filter(|name| !is_linked(name))
        .map(str::to_string)
        .collect()
}

fn is_linked(name: &str) -> bool {
    if name.starts_with(CARD_NAMESPACE) {
        return true;
    }
    let (interface, version) = name.split_once('@').unwrap_or((name, ""));
    LINKED.contains(&interface) && version.starts_with(WASI_VERSION_PREFIX)
}

/// The trap a wait in `wasi:io/poll` ends with when the run's deadline
/// passes; the runtime reports it as a timeout.
#[derive(Debug, thiserror::Error)]
#[error("the card's deadline passed while it waited in wasi:io/poll")]
pub struct DeadlineExceeded;

/// The resource table, for the `wasi:io` interfaces that never wait.
struct Table;

impl HasData for Table {
    type Data<'a> = &'a mut ResourceTable;
}

/// `wasi:io/poll` bounded by the run's deadline.
struct BoundedWaits;

impl HasData for BoundedWaits {
    type Data<'a> = Waits<'a>;
}

/// What `wasi:io/poll` works on: the run's resources and its deadline.
pub struct Waits<'a> {
    table: &'a mut ResourceTable,
    deadline: Instant,
}

impl Waits<'_> {
    /// `wait` if it ends before the deadline, else [`DeadlineExceeded`].
    async fn until_deadline<T>(
        deadline: Instant,
        wait: impl std::future::Future<Output = wasmtime::Result<T>>,
    ) -> wasmtime::Result<T> {
        match tokio::time::timeout_at(deadline.into(), wait).await {
            Ok(result) => result,
            Err(_) => Err(DeadlineExceeded.into()),
        }
    }
}

impl io::poll::Host for Waits<'_> {
    async fn poll(&mut self, pollables: Vec<Resource<DynPollable>>) -> wasmtime::Result<Vec<u32>> {
        let wait = <ResourceTable as io::poll::Host>::poll(self.table, pollables);
        Waits::until_deadline(self.deadline, wait).await
    }
}

impl io::poll::HostPollable for Waits<'_> {
    async fn block(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        let wait = <ResourceTable as io::poll::HostPollable>::block(self.table, pollable);
        Waits::until_deadline(self.deadline, wait).await
    }

    async fn ready(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<bool> {
        <ResourceTable as io::poll::HostPollable>::ready(self.table, pollable).await
    }

    fn drop(&mut self, pollable: Resource<DynPollable>) -> wasmtime::Result<()> {
        <ResourceTable as io::poll::HostPollable>::drop(self.table, pollable)
    }
}
