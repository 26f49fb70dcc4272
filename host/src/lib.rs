//! cardhost: a workflow connector plugin host.
//!
//! Connectors are packages: a declarative definition of a SaaS provider
//! (see [`connectors`]) beside its cards. Named connections to them live in
//! a sled store with their secrets sealed; action cards are WebAssembly
//! components run by wasmtime with an authorized HTTP capability instead of
//! a secret; flows chain cards. `docs/architecture.md` maps the modules.

pub mod api;
pub mod app;
pub mod capability;
pub mod cards;
pub mod cli;
pub mod config;
pub mod connections;
pub mod connectors;
pub mod console;
pub mod error;
pub mod flows;
pub mod oauth;
pub mod runtime;
pub mod schemas;
pub mod store;
pub mod triggers;
