//! End-to-end tests of connections over the real router and the fake Asana:
//! the OAuth flow, single-flight refresh, reauthorization, revocation on
//! delete, secrets at rest, the API key, and bad input.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod lifecycle;
mod no_borrowing;
mod retry_after;
mod scopes;
mod security;
mod troubleshooting;
