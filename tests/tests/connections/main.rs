//! End-to-end tests of connections over the real router and the fake Asana:
//! the OAuth flow, single-flight refresh, reauthorization, revocation on
//! delete, secrets at rest, the API key and its limit on guessing, the
//! host's names and origins, the data dir's permissions, bad input, and
//! the OpenAPI document.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod data_dir;
mod github;
mod guessing;
mod lifecycle;
mod no_borrowing;
mod openapi;
mod retry_after;
mod scopes;
mod security;
mod troubleshooting;
mod web_guard;
