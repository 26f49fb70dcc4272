//! The [`EventCard`] trait and the [`export_event_card!`](crate::export_event_card)
//! macro: cards that start flows on a provider's events.
//!
//! An event card is a component of world `event-card-world`: it exports the
//! `card` interface (its manifest; its `run` refuses, an event card is not
//! run) and the `event` interface. The host owns the provider's webhook: it
//! asks the card which subscription a trigger needs
//! ([`EventCard::subscription`]), creates it, and hands the card each event
//! delivered for it ([`EventCard::on_event`]), whose output starts a flow.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::card::CardManifest;
use crate::{CardError, Context};

/// An event card: a trigger's typed input, the output a flow starts with,
/// the subscription the trigger needs, and the reading of one event.
///
/// `Input` and `Output` are as for [`crate::Card`] (derive them with
/// [`#[card_io]`](macro@crate::card_io)). `Event` is what a delivered event
/// is decoded into: a typed event such as [`crate::asana::events::Event`], or
/// [`serde_json::Value`] to read it by hand.
pub trait EventCard {
    /// The trigger's input (which project to watch, which fields, ...).
    type Input: DeserializeOwned + JsonSchema;
    /// What a flow started by this card receives.
    type Output: Serialize + JsonSchema;
    /// One provider event, decoded from the JSON the provider delivered.
    type Event: DeserializeOwned;

    /// Stable id, `connector.card-name`, e.g. `asana.new-task`.
    const ID: &'static str;
    /// Human name, e.g. `New Task`.
    const NAME: &'static str;
    /// When the card starts a flow, for a person choosing it.
    const DESCRIPTION: &'static str;
    /// The card's own semantic version, e.g. `1.0.0`.
    const VERSION: &'static str;
    /// OAuth scopes the card needs on the connection (for the subscription
    /// and for what `on_event` fetches).
    const SCOPES: &'static [&'static str] = &[];
    /// Whether the card may ask for the connection's service account token.
    const USES_SERVICE_ACCOUNT: bool = false;

    /// The subscription the host creates at the provider for a trigger with
    /// this input: a JSON object in the connector's webhook terms (for
    /// Asana, [`crate::asana::events::Subscription`]). May use the HTTP capability to
    /// check what the input names.
    fn subscription(input: &Self::Input, ctx: &Context) -> Result<Value, CardError>;

    /// One event delivered for a trigger with this input: the output a flow
    /// starts with, or `None` when this is not an event the card reports.
    /// May use the HTTP capability to fetch details.
    fn on_event(
        input: &Self::Input,
        event: Self::Event,
        ctx: &Context,
    ) -> Result<Option<Self::Output>, CardError>;
}

/// The manifest of event card `C`, with its input and output JSON Schemas.
pub fn manifest<C: EventCard>() -> CardManifest {
    crate::card::manifest_of::<C::Input, C::Output>(
        [C::ID, C::NAME, C::DESCRIPTION, C::VERSION],
        C::SCOPES,
        C::USES_SERVICE_ACCOUNT,
    )
}

/// Event card `C`'s subscription for input JSON text: decodes the input (a
/// failure is `invalid-input` naming the field), asks the card, and checks
/// that the answer is a JSON object.
pub fn subscription_json<C: EventCard>(input: &str, ctx: &Context) -> Result<String, CardError> {
    let input: C::Input = crate::input::decode_input(input)?;
    let subscription = C::subscription(&input, ctx)?;
    if !subscription.is_object() {
        return Err(CardError::internal(format!(
            "the subscription must be a JSON object, not {subscription}"
        )));
    }
    Ok(subscription.to_string())
}

/// Event card `C` on one event, for input JSON text: decodes the input and
/// the event (an event that does not decode is an `internal` error saying
/// so), asks the card, encodes its output.
pub fn on_event_json<C: EventCard>(
    input: &str,
    event: &str,
    ctx: &Context,
) -> Result<Option<String>, CardError> {
    let input: C::Input = crate::input::decode_input(input)?;
    let event: C::Event = serde_json::from_str(event)
        .map_err(|e| CardError::internal(format!("the event is not one this card reads: {e}")))?;
    let Some(output) = C::on_event(&input, event, ctx)? else {
        return Ok(None);
    };
    serde_json::to_string(&output)
        .map(Some)
        .map_err(|e| CardError::internal(format!("could not encode the output: {e}")))
}

/// What the `card` interface's `run` of an event card answers: it is not run.
pub fn refuse_run<C: EventCard>() -> CardError {
    CardError::new(
        crate::ErrorKind::InvalidInput,
        format!(
            "{} is an event card: it is not run, it starts flows as a trigger",
            C::ID
        ),
    )
}

/// Exports an [`EventCard`] implementation as the component's
/// `cardhost:card/card` and `cardhost:card/event` interfaces: the component
/// is an event card (world `event-card-world`). Use it once per card crate,
/// instead of [`crate::export_card!`]. On targets other than `wasm32` nothing
/// is exported (the card's code is still type-checked).
///
/// Besides the exports it writes, for the card's native tests,
/// `__cardhost_manifest()`, `__cardhost_subscription(input, ctx)` and
/// `__cardhost_on_event(input, event, ctx)`, which check the input and the
/// output against the card's schemas as the host does.
///
/// ```ignore
/// struct NewTask;
/// impl EventCard for NewTask { /* ... */ }
/// export_event_card!(NewTask);
/// ```
#[macro_export]
macro_rules! export_event_card {
    ($card:ty) => {
        const _: () = {
            #[allow(dead_code)]
            struct __CardhostExport;

            impl $crate::bindings::exports::cardhost::card::card::Guest for __CardhostExport {
                fn manifest() -> $crate::card::CardManifest {
                    $crate::event::manifest::<$card>()
                }

                fn run(
                    _input: ::std::string::String,
                    _context: $crate::context::RunContext,
                ) -> ::core::result::Result<::std::string::String, $crate::CardError> {
                    ::core::result::Result::Err($crate::event::refuse_run::<$card>())
                }
            }

            impl $crate::bindings::exports::cardhost::card::event::Guest for __CardhostExport {
                fn subscription(
                    input: ::std::string::String,
                    context: $crate::context::RunContext,
                ) -> ::core::result::Result<::std::string::String, $crate::CardError> {
                    $crate::card::report_panics();
                    $crate::event::subscription_json::<$card>(
                        &input,
                        &$crate::Context::from(context),
                    )
                }

                fn on_event(
                    input: ::std::string::String,
                    event: ::std::string::String,
                    context: $crate::context::RunContext,
                ) -> ::core::result::Result<
                    ::core::option::Option<::std::string::String>,
                    $crate::CardError,
                > {
                    $crate::card::report_panics();
                    $crate::event::on_event_json::<$card>(
                        &input,
                        &event,
                        &$crate::Context::from(context),
                    )
                }
            }

            // The world's export macro: both interfaces, and the custom
            // section that makes the component an event card.
            #[cfg(target_arch = "wasm32")]
            $crate::bindings::export!(__CardhostExport with_types_in $crate::bindings);
        };

        /// The exported card's manifest (for native tests).
        #[doc(hidden)]
        pub fn __cardhost_manifest() -> $crate::card::CardManifest {
            $crate::event::manifest::<$card>()
        }

        /// The exported card's subscription for input JSON (for native
        /// tests): outside wasm, as `cardhost_sdk::testing::subscription_json`
        /// does, with the input checked against the card's input schema.
        #[doc(hidden)]
        pub fn __cardhost_subscription(
            input: &str,
            ctx: &$crate::Context,
        ) -> ::core::result::Result<::std::string::String, $crate::CardError> {
            #[cfg(not(target_arch = "wasm32"))]
            let subscription = $crate::testing::subscription_json::<$card>;
            #[cfg(target_arch = "wasm32")]
            let subscription = $crate::event::subscription_json::<$card>;
            subscription(input, ctx)
        }

        /// The exported card on one event JSON (for native tests): outside
        /// wasm, as `cardhost_sdk::testing::on_event_json` does, with the
        /// input and the output checked against the card's schemas.
        #[doc(hidden)]
        pub fn __cardhost_on_event(
            input: &str,
            event: &str,
            ctx: &$crate::Context,
        ) -> ::core::result::Result<::core::option::Option<::std::string::String>, $crate::CardError>
        {
            #[cfg(not(target_arch = "wasm32"))]
            let on_event = $crate::testing::on_event_json::<$card>;
            #[cfg(target_arch = "wasm32")]
            let on_event = $crate::event::on_event_json::<$card>;
            on_event(input, event, ctx)
        }
    };
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Input {
        watch: String,
    }

    #[derive(Serialize, JsonSchema)]
    struct Output {
        seen: u32,
    }

    #[derive(serde::Deserialize)]
    struct Ping {
        n: u32,
    }

    /// Reports pings with an even number; its subscription is whatever `watch` is as JSON.
    struct Evens;

    impl EventCard for Evens {
        type Input = Input;
        type Output = Output;
        type Event = Ping;
        const ID: &'static str = "test.evens";
        const NAME: &'static str = "Evens";
        const DESCRIPTION: &'static str = "Even pings.";
        const VERSION: &'static str = "1.0.0";

        fn subscription(input: &Input, _ctx: &Context) -> Result<Value, CardError> {
            serde_json::from_str(&input.watch).map_err(|e| CardError::internal(e.to_string()))
        }

        fn on_event(_: &Input, ping: Ping, _: &Context) -> Result<Option<Output>, CardError> {
            Ok(ping.n.is_multiple_of(2).then_some(Output { seen: ping.n }))
        }
    }

    fn ctx() -> Context {
        Context::new("test")
    }

    #[test]
    fn a_subscription_must_be_an_object() {
        let ok = subscription_json::<Evens>(r#"{"watch":"{\"a\":1}"}"#, &ctx()).unwrap();
        assert_eq!(ok, r#"{"a":1}"#);
        let e = subscription_json::<Evens>(r#"{"watch":"[1]"}"#, &ctx()).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Internal);
        assert!(e.message.contains("JSON object"), "{}", e.message);
        let e = subscription_json::<Evens>(r#"{"wach":"{}"}"#, &ctx()).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn events_are_decoded_reported_or_not() {
        let input = r#"{"watch":"{}"}"#;
        assert_eq!(
            on_event_json::<Evens>(input, r#"{"n":4}"#, &ctx()).unwrap(),
            Some(r#"{"seen":4}"#.to_string())
        );
        assert_eq!(
            on_event_json::<Evens>(input, r#"{"n":3}"#, &ctx()).unwrap(),
            None
        );
        let e = on_event_json::<Evens>(input, r#"{"m":3}"#, &ctx()).unwrap_err();
        assert_eq!(e.kind, crate::ErrorKind::Internal);
        assert!(e.message.contains("event"), "{}", e.message);
    }

    #[test]
    fn run_is_refused_and_the_manifest_has_the_schemas() {
        let e = refuse_run::<Evens>();
        assert_eq!(e.kind, crate::ErrorKind::InvalidInput);
        assert!(
            e.message.contains("test.evens is an event card"),
            "{}",
            e.message
        );
        let m = manifest::<Evens>();
        let input: Value = serde_json::from_str(&m.input_schema).unwrap();
        assert_eq!(input["required"], json!(["watch"]));
        assert_eq!(
            crate::testing::on_event::<Evens>(json!({"watch": "{}"}), json!({"n": 2}), &ctx())
                .unwrap(),
            Some(json!({"seen": 2}))
        );
    }
}
