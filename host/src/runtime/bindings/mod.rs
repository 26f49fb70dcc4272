//! The host's bindings of the card contract, one module per contract
//! version. Each version's WIT lives in `schemas/wit/since_v<version>/`: a
//! new version gets a directory and a module here beside the old ones, so
//! that cards built against an older contract keep loading.
//!
//! [`CardPre`] hides the versions from the rest of the runtime: a card
//! compiled and linked for its version and world, called with the host's own
//! types ([`GuestManifest`], [`GuestError`], [`super::RunContext`]).

mod imports;
mod v0_1_0;
mod v0_2_0;

use wasmtime::component::{HasSelf, InstancePre, Linker};
use wasmtime::Store;

use super::error::CardErrorKind;
use super::manifest::CardKind;
use super::state::RunState;
use super::RunContext;

/// The contract versions this host runs, oldest first.
pub const CONTRACT_VERSIONS: &[&str] = &["0.1.0", "0.2.0"];
/// The interface every card exports (`cardhost:card/card@<version>`), without its version.
pub const CARD_INTERFACE: &str = "cardhost:card/card";
/// The interface an event card exports beside `card` (since 0.2.0), without its version.
pub const EVENT_INTERFACE: &str = "cardhost:card/event";

/// Link the imports of every supported contract version (the HTTP capability
/// and the log) into `linker`.
pub fn add_to_linker(linker: &mut Linker<RunState>) -> wasmtime::Result<()> {
    v0_1_0::CardWorld::add_to_linker::<RunState, HasSelf<RunState>>(linker, |s| s)?;
    v0_2_0::event::EventCardWorld::add_to_linker::<RunState, HasSelf<RunState>>(linker, |s| s)?;
    Ok(())
}

/// What a card's `manifest()` answered, in the host's types (schemas still text).
pub struct GuestManifest {
    pub id: String,
    pub name: String,
    pub description: String,
    pub version: String,
    pub input_schema: String,
    pub output_schema: String,
    pub scopes: Vec<String>,
    pub uses_service_account: bool,
}

/// A card's own error (the contract's `card-error`), in the host's types.
pub struct GuestError {
    pub kind: CardErrorKind,
    pub message: String,
    pub field: Option<String>,
}

/// The same code for every version and world of [`CardPre`]: their
/// generated types differ, the names of their functions do not. `$version`
/// names the bindings module of the card's contract version.
macro_rules! each_world {
    ($card:expr, $pre:ident, $version:ident => $body:expr) => {
        match $card {
            CardPre::V0_1_0($pre) => {
                #[allow(unused_imports)]
                use v0_1_0 as $version;
                $body
            }
            CardPre::V0_2_0Action($pre) => {
                #[allow(unused_imports)]
                use v0_2_0 as $version;
                $body
            }
            CardPre::V0_2_0Event($pre) => {
                #[allow(unused_imports)]
                use v0_2_0 as $version;
                $body
            }
        }
    };
}

/// A card compiled and linked for its contract version and world, ready to
/// instantiate once per call.
pub enum CardPre {
    /// Contract 0.1.0, world `card-world`.
    V0_1_0(v0_1_0::CardWorldPre<RunState>),
    /// Contract 0.2.0, world `card-world`: an action card.
    V0_2_0Action(v0_2_0::action::CardWorldPre<RunState>),
    /// Contract 0.2.0, world `event-card-world`: an event card.
    V0_2_0Event(v0_2_0::event::EventCardWorldPre<RunState>),
}

impl CardPre {
    /// Check that `pre` has the exports of `contract`'s world for `kind` and
    /// wrap it. `contract` is one of [`CONTRACT_VERSIONS`].
    pub fn new(
        contract: &str,
        kind: CardKind,
        pre: InstancePre<RunState>,
    ) -> wasmtime::Result<CardPre> {
        Ok(match (contract, kind) {
            ("0.1.0", CardKind::Action) => CardPre::V0_1_0(v0_1_0::CardWorldPre::new(pre)?),
            ("0.2.0", CardKind::Action) => {
                CardPre::V0_2_0Action(v0_2_0::action::CardWorldPre::new(pre)?)
            }
            ("0.2.0", CardKind::Event) => {
                CardPre::V0_2_0Event(v0_2_0::event::EventCardWorldPre::new(pre)?)
            }
            (contract, kind) => wasmtime::bail!(
                "contract {contract} has no world for {} cards",
                kind.as_str()
            ),
        })
    }

    /// Instantiate the card and ask for its manifest.
    pub async fn manifest(&self, store: &mut Store<RunState>) -> wasmtime::Result<GuestManifest> {
        Ok(each_world!(self, pre, _version => {
            let world = pre.instantiate_async(&mut *store).await?;
            world
                .cardhost_card_card()
                .call_manifest(store)
                .await?
                .into()
        }))
    }

    /// Instantiate the card and call `run`.
    pub async fn run(
        &self,
        store: &mut Store<RunState>,
        input: &str,
        context: &RunContext,
    ) -> wasmtime::Result<Result<String, GuestError>> {
        Ok(each_world!(self, pre, version => {
            let world = pre.instantiate_async(&mut *store).await?;
            let context = version::RunContext::from(context);
            let card = world.cardhost_card_card();
            card.call_run(store, input, &context)
                .await?
                .map_err(Into::into)
        }))
    }

    /// Instantiate an event card and call `event.subscription`.
    pub async fn subscription(
        &self,
        store: &mut Store<RunState>,
        input: &str,
        context: &RunContext,
    ) -> wasmtime::Result<Result<String, GuestError>> {
        let CardPre::V0_2_0Event(pre) = self else {
            wasmtime::bail!("an action card has no subscription");
        };
        let world = pre.instantiate_async(&mut *store).await?;
        let context = v0_2_0::RunContext::from(context);
        let event = world.cardhost_card_event();
        Ok(event
            .call_subscription(store, input, &context)
            .await?
            .map_err(Into::into))
    }

    /// Instantiate an event card and call `event.on-event`.
    pub async fn on_event(
        &self,
        store: &mut Store<RunState>,
        input: &str,
        event: &str,
        context: &RunContext,
    ) -> wasmtime::Result<Result<Option<String>, GuestError>> {
        let CardPre::V0_2_0Event(pre) = self else {
            wasmtime::bail!("an action card takes no events");
        };
        let world = pre.instantiate_async(&mut *store).await?;
        let context = v0_2_0::RunContext::from(context);
        let card = world.cardhost_card_event();
        Ok(card
            .call_on_event(store, input, event, &context)
            .await?
            .map_err(Into::into))
    }
}
