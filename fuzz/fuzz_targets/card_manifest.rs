//! Card manifests: what a card's `manifest()` answers, as the runtime reads
//! it (`Manifest::from_guest`: the schemas are JSON text the card wrote),
//! checks it (`manifest::check`: id, name, version, both schemas compiled,
//! scopes) and admits it to the catalogue (`Registry::check_card`: its
//! connector exists and knows its scopes), with the built-in connectors.
//!
//! Input: a JSON object with the fields of the answer. A schema given as a
//! string is passed as the card's text; any other JSON value is passed as
//! its serialisation, so that mutations reach inside schemas.
#![no_main]

use std::sync::OnceLock;

use cardhost::connectors::{Connector, Registry};
use cardhost::runtime::manifest::{self, Manifest};
use cardhost::runtime::GuestManifest;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(answer)) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let text = |k: &str| match answer.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let scopes = match answer.get("scopes") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|s| match s {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let guest = GuestManifest {
        id: text("id"),
        name: text("name"),
        description: text("description"),
        version: text("version"),
        input_schema: text("input_schema"),
        output_schema: text("output_schema"),
        scopes,
        uses_service_account: answer.get("uses_service_account") == Some(&Value::Bool(true)),
    };
    let Ok(manifest) = Manifest::from_guest(guest) else {
        return;
    };
    let Ok(checked) = manifest::check(manifest) else {
        return;
    };
    let m = &checked.manifest;
    let _ = registry().check_card(&m.id, &m.scopes);
    // The schemas at work: the answer itself stands in for an input and an output.
    let doc = Value::Object(answer.clone());
    let _ = checked.input.violations(&doc);
    let _ = checked.output.check(&doc);
});

/// The built-in connectors.
fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY
        .get_or_init(|| Registry::new(Connector::builtins(&|_| None).expect("built-ins resolve")))
}
