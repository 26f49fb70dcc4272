//! Who Am I (`asana.who-am-i`): whom the Asana connection's credential belongs
//! to, read with the connector's who-am-I request (`GET /users/me`).
//!
//! Made by `cardhost cards new`. Build it with `cardhost cards build`, install
//! the `.wasm` with `cardhost cards install`, run it with `cardhost run`; test
//! it natively with `cargo test` (`src/tests.rs`).

use cardhost_sdk::prelude::*;

/// The card's input. Doc comments become its JSON Schema's descriptions; the
/// host checks every run's input against that schema before the card runs.
#[card_io(input)]
#[serde(deny_unknown_fields)]
struct Input {
    /// Also return Asana's whole answer, as `raw`.
    #[serde(default)]
    include_raw: bool,
}

/// Whom the connection's credential belongs to.
#[card_io(output)]
struct Output {
    /// The account's id at Asana.
    id: String,
    /// The account's name, when Asana says.
    name: Option<String>,
    /// The account's email, when Asana says.
    email: Option<String>,
    /// Asana's whole answer (with `include_raw`).
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<Value>,
}

/// The provider, for messages.
const PROVIDER: &str = "Asana";
/// The connector's who-am-I request, from its definition: a path under the
/// connector's API base (the host adds the base and the credential).
const WHOAMI_PATH: &str = "/users/me";
const WHOAMI_QUERY: &[(&str, &str)] = &[("opt_fields", "name,email,workspaces.name")];
/// Where the account is in the answer: JSON pointers, the first that finds a
/// string or a number wins.
const ID_AT: &[&str] = &["/data/gid"];
const NAME_AT: &[&str] = &["/data/name"];
const EMAIL_AT: &[&str] = &["/data/email"];

struct WhoAmI;

impl Card for WhoAmI {
    type Input = Input;
    type Output = Output;
    const ID: &'static str = "asana.who-am-i";
    const NAME: &'static str = "Who Am I";
    const DESCRIPTION: &'static str = "Reads whom the Asana connection's credential belongs to.";
    const VERSION: &'static str = "0.1.0";
    // The OAuth scopes the card's requests need, in Asana's names
    // (`cardhost connectors get asana` lists them): an OAuth connection
    // not granted one is refused the card before it runs.
    const SCOPES: &'static [&'static str] = &["users:read"];

    fn run(input: Input, ctx: &Context) -> Result<Output, CardError> {
        let mut request = Request::get(WHOAMI_PATH);
        for (name, value) in WHOAMI_QUERY {
            request = request.query(*name, *value);
        }
        // The host checks the destination, attaches the connection's
        // credential, waits out rate limits and records the call.
        let answer = ctx.http().send(request)?;
        if !answer.is_success() {
            return Err(status_error(answer.status));
        }
        let answer: Value = answer.json()?;
        let Some(id) = first(&answer, ID_AT) else {
            let why = format!("{PROVIDER}'s answer names no account id");
            return Err(CardError::provider(why));
        };
        ctx.info(format!("the credential belongs to {id}"));
        Ok(Output {
            id,
            name: first(&answer, NAME_AT),
            email: first(&answer, EMAIL_AT),
            raw: input.include_raw.then_some(answer),
        })
    }
}

/// A failed answer as the error kind that tells the host which HTTP status
/// the run gets (docs/writing-cards.md lists them).
fn status_error(status: u16) -> CardError {
    let what = format!("{PROVIDER} answered HTTP {status}");
    match status {
        401 => CardError::unauthorized(format!("{what}: the credential was refused")),
        403 => CardError::forbidden(format!("{what}: the credential may not read this")),
        404 => CardError::not_found(what),
        429 => CardError::rate_limited(what),
        _ => CardError::provider(what),
    }
}

/// The first pointer that finds a non-empty string or a number.
fn first(answer: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| match answer.pointer(p)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

export_card!(WhoAmI);

// The native tests mock the HTTP capability, which exists only outside a
// component.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
