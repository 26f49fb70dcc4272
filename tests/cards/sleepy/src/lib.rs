//! A test-only card (`test.sleepy`) whose `manifest()` never answers: it
//! sleeps in `std::thread::sleep`, which waits in WASI (`wasi:io/poll`)
//! rather than running WebAssembly, so only a wall-clock bound stops it.
//! The catalogue must refuse to install it, give back what the attempt held,
//! and, when one is already in the store, start without it.

// Natively (workspace builds and clippy) nothing is exported, so nothing is used.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({
    path: "../../../schemas/wit/since_v0.1.0",
    world: "card-world",
});

use exports::cardhost::card::card::{CardError, CardManifest, Guest, RunContext};

struct Sleepy;

impl Guest for Sleepy {
    fn manifest() -> CardManifest {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }

    fn run(input: String, _context: RunContext) -> Result<String, CardError> {
        Ok(input)
    }
}

// Export names such as `cardhost:card/card@0.1.0#run` only link in a wasm component.
#[cfg(target_arch = "wasm32")]
export!(Sleepy);
