//! References and templates in step inputs (`flows::reference`,
//! `flows::template`): parsed as a flow is saved, resolved and rendered as
//! it runs.
//!
//! Input: a string from a step's input on the first line; the rest, when it
//! is JSON, is what every reference points into (the flow's input, a step's
//! output, the loop's item or the event). The string is classified, parsed
//! as a reference and as a template, rendered both ways a run does, and
//! resolved inside a step input that holds it alone, nested and in a list.
#![no_main]

use cardhost::flows::reference::{self, follow, Reference, Root};
use cardhost::flows::template::{Missing, Template};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Map, Value};

/// What a step's input may grow to once resolved.
const MAX_INPUT_BYTES: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let parts = cardhost_fuzz::parts(data, 2);
    let text = parts[0].as_str();
    let value: Value = serde_json::from_str(&parts[1]).unwrap_or_else(
        |_| json!({ "name": "Ada", "tags": ["a", "b"], "n": 3, "when": "2026-11-30T16:00:00Z" }),
    );
    let lookup = |r: &Reference| -> Option<&Value> {
        match r.root {
            Root::Index => None,
            Root::Input | Root::Step(_) | Root::Item | Root::Event => follow(&value, &r.path),
        }
    };
    let _ = reference::classify(text);
    if let Ok(r) = reference::parse(text) {
        let _ = follow(&value, &r.path);
    }
    if let Ok(template) = Template::parse(text) {
        for (r, source) in template.references() {
            assert_eq!(
                reference::parse(source).as_ref(),
                Ok(r),
                "{source:?} in {text:?}"
            );
        }
        let _ = template.render(&lookup, Missing::Fail);
        let _ = template.render(&lookup, Missing::Null);
    }
    let mut dynamic = Vec::new();
    let input = json!({ "a": text, "b": { "c": [text, 1, null] } });
    reference::dynamic_in(&input, "", &mut dynamic);
    let Value::Object(input) = input else {
        unreachable!("an object")
    };
    let _ = reference::resolve(&input, &lookup, MAX_INPUT_BYTES);
    let _ = reference::resolve(&Map::new(), &lookup, 0);
});
