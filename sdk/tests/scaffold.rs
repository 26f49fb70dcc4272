//! The example card `cardhost cards new asana.who-am-i` writes
//! (`scaffold/lib.rs` and `scaffold/tests.rs`, its `src/`), built and tested
//! here as a card crate builds and tests it, so that its native tests run
//! with the workspace's. The scaffold-to-run test (tests/tests/cards/guide.rs)
//! checks that a fresh scaffold still writes exactly these files.

#[path = "scaffold/lib.rs"]
mod who_am_i;
