//! A test-only card (`test.future`) of card contract version 9.0.0, which
//! this host does not support: the catalogue must refuse to install it with
//! `unsupported_world`. Its WIT (`wit/card.wit`) is a copy of
//! `schemas/wit/since_v0.1.0/card.wit` with only the package version changed.

// Natively (workspace builds and clippy) nothing is exported, so nothing is used.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({
    path: "wit",
    world: "card-world",
});

use exports::cardhost::card::card::{CardError, CardManifest, Guest, RunContext};

struct Future;

impl Guest for Future {
    fn manifest() -> CardManifest {
        CardManifest {
            id: "test.future".into(),
            name: "Future".into(),
            description: "A card of a contract version from the future".into(),
            version: "1.0.0".into(),
            input_schema: r#"{"type":"object"}"#.into(),
            output_schema: r#"{"type":"object"}"#.into(),
            scopes: vec!["default".into()],
            uses_service_account: false,
        }
    }

    fn run(input: String, _context: RunContext) -> Result<String, CardError> {
        Ok(input)
    }
}

// Export names such as `cardhost:card/card@9.0.0#run` only link in a wasm component.
#[cfg(target_arch = "wasm32")]
export!(Future);
