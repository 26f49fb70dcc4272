//! The connectors and cards that ship inside the host binary, found under
//! `cards/` and built by the host's build script (see `host/build.rs`).

/// A connector definition embedded in the binary.
pub struct BuiltinConnector {
    /// The connector's id: the name of its directory under `cards/`.
    pub id: &'static str,
    /// Its `connector.toml`.
    pub definition: &'static str,
}

/// A card component embedded in the binary.
pub struct BuiltinCard {
    /// The card's id, `<connector>.<card>` from its place under `cards/`.
    pub id: &'static str,
    /// The component bytes.
    pub wasm: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/builtin.rs"));

/// Where the build put the card components, test-only ones included.
pub const CARDS_DIR: &str = env!("CARDHOST_CARDS_DIR");
