//! Test support for cardhost: the fake Asana server the end-to-end suites
//! (and newcomers without an Asana account) run against, and the contract
//! check that holds every request it receives to Asana's OpenAPI description.

pub mod contract;
pub mod fake_asana;
pub mod fake_github;
