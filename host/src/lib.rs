//! cardhost: a workflow connector plugin host.
//!
//! Named connections to SaaS providers (first: Asana) live in a sled store
//! with their secrets sealed; action cards are WebAssembly components run by
//! wasmtime with an authorized HTTP capability instead of a secret; flows
//! chain cards. See the crate README for the architecture.

pub mod capability;
pub mod config;
pub mod connectors;
pub mod runtime;
pub mod store;
pub mod connections;
pub mod error;
pub mod oauth;
pub mod app;
pub mod api;
