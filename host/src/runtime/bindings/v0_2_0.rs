//! Host-side bindings of contract 0.2.0 (`schemas/wit/since_v0.2.0/`): world
//! `event-card-world` ([`event`]) and world `card-world` ([`action`]), which
//! share the imports (`types`, `http`, `log`) generated once in [`event`] and
//! implemented by [`super::imports`].

pub use event::RunContext;

/// World `event-card-world`: exports `card` and `event`; the imports.
pub mod event {
    wasmtime::component::bindgen!({
        path: "../schemas/wit/since_v0.2.0",
        world: "event-card-world",
        imports: { default: async },
        exports: { default: async },
    });

    super::super::imports::card_imports!();
}

/// World `card-world`: exports `card`; its imports are [`event`]'s.
pub mod action {
    wasmtime::component::bindgen!({
        path: "../schemas/wit/since_v0.2.0",
        world: "card-world",
        imports: { default: async },
        exports: { default: async },
        with: {
            "cardhost:card/types": super::event::cardhost::card::types,
            "cardhost:card/http": super::event::cardhost::card::http,
            "cardhost:card/log": super::event::cardhost::card::log,
        },
    });
}
