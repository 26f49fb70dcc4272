//! What a cardhost card author depends on.
//!
//! A card is a WebAssembly component (world `card-world`, or
//! `event-card-world` for an event card, of
//! `schemas/wit/since_v0.2.0/card.wit`) built from a Rust crate for `wasm32-wasip2`. The
//! sdk gives it:
//!
//! - [`Card`] and [`export_card!`]: implement the trait with typed input and
//!   output (serde + schemars, derived with [`card_io`](macro@card_io) so that
//!   this crate is a card's only dependency), export it, and the manifest with
//!   JSON Schemas, input decoding and output encoding are done for you;
//! - [`EventCard`] and [`export_event_card!`]: the same for a card that
//!   starts flows on a provider's events (its subscription and its reading of
//!   each event);
//! - [`Context`]: the run's facts (default workspace, service account),
//!   logging and the HTTP capability;
//! - [`http`]: the raw authorized HTTP capability (the host attaches the
//!   credential; a card never sees one);
//! - [`asana`]: a typed Asana client over it;
//! - [`github`]: a typed GitHub client over it;
//! - [`dates`] and [`rich_text`]: checks of Asana's date formats and rich
//!   text, for validating input before any request;
//! - [`CardError`]: the contract's error record, with constructors.
//!
//! ```ignore
//! use cardhost_sdk::prelude::*;
//!
//! #[card_io(input)]
//! #[serde(deny_unknown_fields)]
//! struct Input {
//!     /// "me", a gid or an email.
//!     user: String,
//! }
//!
//! #[card_io]
//! struct Output {
//!     gid: String,
//! }
//!
//! struct Whoami;
//! impl Card for Whoami {
//!     type Input = Input;
//!     type Output = Output;
//!     const ID: &'static str = "asana.whoami";
//!     const NAME: &'static str = "Who Am I";
//!     const DESCRIPTION: &'static str = "Reads a user's gid.";
//!     const VERSION: &'static str = "1.0.0";
//!     const SCOPES: &'static [&'static str] = &["users:read"];
//!     fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
//!         let path = format!("/users/{}", asana::path_segment("user", &input.user)?);
//!         Ok(Asana::new(ctx).get(&path, &[("opt_fields", "gid")])?)
//!     }
//! }
//! export_card!(Whoami);
//! ```
//!
//! The sdk builds for the host target too (cards are workspace members);
//! there the HTTP capability and the log go to [`testing`] instead of a host,
//! and [`testing::run`] runs a card as the host would, schemas checked.
//! `docs/writing-cards.md` is the guide from scaffold to run.

// Lets the generated bindings name this crate `cardhost_sdk` from inside it
// as well as from card crates.
extern crate self as cardhost_sdk;

pub mod asana;
pub mod bindings;
pub mod card;
pub mod context;
pub mod dates;
pub mod error;
pub mod event;
pub mod github;
pub mod http;
pub mod input;
pub mod prelude;
pub mod rich_text;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use asana::{Asana, AsanaError, Compact, Page};
pub use card::{Card, CardManifest};
/// Derives serde and schemars for a card's input and output types through
/// this crate (see [`card_io`](macro@card_io)): a card needs no other dependency.
pub use cardhost_sdk_macros::card_io;
pub use context::{Context, Level};
pub use error::{CardError, ErrorKind};
pub use event::EventCard;
pub use http::{Credential, Http, HttpError, Method, Request, Response};

/// What the generated bindings, [`export_card!`] and `#[card_io]` reach
/// through the sdk.
#[doc(hidden)]
pub mod __private {
    pub use schemars;
    pub use serde;
    pub use wit_bindgen;
}
