//! End-to-end tests of the card runtime: the built-in Asana cards run in
//! wasmtime through the REST API against the fake Asana, and hostile test
//! cards against the sandbox.

#[path = "../common/mod.rs"]
mod common;

mod asana_projects;
mod asana_tasks;
mod asana_users;
mod create_task;
mod github;
mod read_user;
mod sandbox;
mod scopes;
mod search_user;
