//! A test-only card (`asana.test-versioned`) for the catalogue tests; never
//! shipped. Its manifest version is read from [`VERSION_SLOT`], a marker the
//! tests find in the component's bytes and overwrite (same length) to make
//! other versions of the same card: `2.0.0` for an upgrade, blanks for a
//! manifest the host must refuse (empty version). `run` returns
//! `{"version": <manifest version>, "input": <input>}`.

// Natively (workspace builds and clippy) nothing is exported, so nothing is used.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

wit_bindgen::generate!({
    path: "../../../schemas/wit/since_v0.1.0",
    world: "card-world",
});

use exports::cardhost::card::card::{CardError, CardManifest, Guest, RunContext};

/// `MARKER` followed by the version, padded with spaces to 16 bytes.
#[used]
static VERSION_SLOT: [u8; 38] = *b"CARDHOST-TEST-VERSION:1.0.0           ";
const MARKER_LEN: usize = "CARDHOST-TEST-VERSION:".len();

fn version() -> String {
    // black_box keeps the slot in the data segment as written.
    let slot: &[u8; 38] = core::hint::black_box(&VERSION_SLOT);
    core::str::from_utf8(&slot[MARKER_LEN..])
        .unwrap_or("")
        .trim()
        .to_string()
}

struct Versioned;

impl Guest for Versioned {
    fn manifest() -> CardManifest {
        CardManifest {
            id: "asana.test-versioned".into(),
            name: "Versioned (test)".into(),
            description: "Reports its own version; used by the catalogue tests".into(),
            version: version(),
            input_schema: r#"{"type":"object"}"#.into(),
            output_schema: r#"{"type":"object","required":["version","input"],"properties":{"version":{"type":"string"},"input":{"type":"object"}}}"#.into(),
            scopes: vec!["default".into()],
            uses_service_account: false,
        }
    }

    fn run(input: String, _context: RunContext) -> Result<String, CardError> {
        let version = version();
        Ok(format!(r#"{{"version":"{version}","input":{input}}}"#))
    }
}

// Export names such as `cardhost:card/card@0.1.0#run` only link in a wasm component.
#[cfg(target_arch = "wasm32")]
export!(Versioned);
