//! The cards that ship inside the host binary, built from `cards/` by the
//! host's build script.

/// A card component embedded in the binary.
pub struct BuiltinCard {
    /// The card's id, as its manifest says.
    pub id: &'static str,
    /// The component bytes.
    pub wasm: &'static [u8],
}

macro_rules! card {
    ($id:literal, $file:literal) => {
        BuiltinCard {
            id: $id,
            wasm: include_bytes!(concat!(env!("CARDHOST_CARDS_DIR"), "/", $file)),
        }
    };
}

/// Every built-in card.
pub const BUILTIN_CARDS: &[BuiltinCard] = &[
    card!("asana.read-user", "asana_read_user.wasm"),
    card!("asana.search-user", "asana_search_user.wasm"),
    card!("asana.create-task", "asana_create_task.wasm"),
    card!("asana.custom-api-action", "asana_custom_api_action.wasm"),
];

/// Where the build put the card components, test-only ones included.
pub const CARDS_DIR: &str = env!("CARDHOST_CARDS_DIR");
