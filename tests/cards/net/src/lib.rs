//! A test-only card (`test.net`) that opens a TCP connection with
//! `std::net`, so its component imports `wasi:sockets` interfaces, which the
//! host does not link: the catalogue must refuse it at install and name them.

// Natively (workspace builds and clippy) nothing is exported, so nothing is used.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({
    path: "../../../schemas/wit/since_v0.1.0",
    world: "card-world",
});

use cardhost::card::types::ErrorKind;
use exports::cardhost::card::card::{CardError, CardManifest, Guest, RunContext};

struct Net;

impl Guest for Net {
    fn manifest() -> CardManifest {
        CardManifest {
            id: "test.net".into(),
            name: "Net".into(),
            description: "Opens a socket of its own; must never be installed".into(),
            version: "1.0.0".into(),
            input_schema: r#"{"type":"object"}"#.into(),
            output_schema: r#"{"type":"object"}"#.into(),
            scopes: vec!["default".into()],
            uses_service_account: false,
        }
    }

    fn run(_input: String, _context: RunContext) -> Result<String, CardError> {
        match std::net::TcpStream::connect("127.0.0.1:9") {
            Ok(_) => Ok(r#"{"connected":true}"#.into()),
            Err(e) => Err(CardError {
                kind: ErrorKind::Internal,
                message: e.to_string(),
                field: None,
            }),
        }
    }
}

// Export names such as `cardhost:card/card@0.1.0#run` only link in a wasm component.
#[cfg(target_arch = "wasm32")]
export!(Net);
