//! Host-side bindings of contract 0.1.0 (`schemas/wit/since_v0.1.0/`): world
//! `card-world`, action cards only. The imports are implemented by
//! [`super::imports`].

wasmtime::component::bindgen!({
    path: "../schemas/wit/since_v0.1.0",
    world: "card-world",
    imports: { default: async },
    exports: { default: async },
});

super::imports::card_imports!();
