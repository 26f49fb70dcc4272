//! Flow definitions: a `POST /api/v1/flows` body parsed as the API parses it
//! (`api::json::parse`) and checked as saving it checks it
//! (`Flows::check`: the trigger, every step, reference, template,
//! condition and the output), against a host with the built-in cards and a
//! pending OAuth connection per connector (`work` for Asana, `gh` for
//! GitHub). Nothing is saved.
#![no_main]

use cardhost::flows::FlowDefinition;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: {
    cardhost_fuzz::host();
}, |data: &[u8]| {
    let Ok(def) = cardhost::api::json::parse::<FlowDefinition>(data) else {
        return;
    };
    let host = cardhost_fuzz::host();
    let _ = host.rt.block_on(host.app.flows.check(&def));
});
