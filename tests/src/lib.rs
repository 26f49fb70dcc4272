//! Test support for cardhost: the fake Asana server the end-to-end suites
//! (and newcomers without an Asana account) run against.

pub mod fake_asana;
