//! Where Asana's OpenAPI description contradicts its own text about what a
//! request may carry, the check follows the text. Each amendment names the
//! schema it changes and why; if the description changes so that one no
//! longer applies, loading fails and says which, so it is looked at again.

use serde_json::{json, Value};

/// One correction: the JSON pointer it replaces and the schema it puts there.
struct Amendment {
    pointer: &'static str,
    why: &'static str,
    schema: fn() -> Value,
}

const AMENDMENTS: &[Amendment] = &[
    Amendment {
        // The property's description: "each key is the GID of a custom field
        // and its corresponding value is either an enum GID, string, number,
        // object, or array (depending on the custom field type)"; a date
        // field takes `{"date": …}` or `{"date_time": …}`. The schema only
        // says `type: string`. `null` clears a value.
        pointer: "/components/schemas/TaskRequestBase/allOf/1/properties/custom_fields/additionalProperties",
        why: "custom field values may be strings, numbers, objects or arrays",
        schema: || json!({ "type": ["string", "number", "object", "array", "null"] }),
    },
    Amendment {
        // The property is marked `readOnly`, but its description says
        // "*Create-only*. … At task creation time, this array can be used to
        // add the task to specific sections", and the items are written as
        // gids (`{"project": "<gid>", "section": "<gid>"}`), not the compact
        // objects the response schema shows.
        pointer: "/components/schemas/TaskBase/allOf/1/properties/memberships",
        why: "memberships are writable when a task is created, as project and section gids",
        schema: || {
            json!({
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "project": { "type": "string" },
                        "section": { "type": "string" },
                    },
                },
            })
        },
    },
];

/// A query parameter an operation's text documents but its parameter list
/// lacks: appended to the list at `pointer`.
struct AddedParameter {
    pointer: &'static str,
    why: &'static str,
    parameter: fn() -> Value,
}

const ADDED_PARAMETERS: &[AddedParameter] = &[AddedParameter {
    // The description of searchTasksForWorkspace: "Page sizes are limited
    // to a maximum of 100 items, and can be specified by the `limit` query
    // parameter."
    pointer: "/paths/~1workspaces~1{workspace_gid}~1tasks~1search/get/parameters",
    why: "task search takes `limit`, as its description says",
    parameter: || json!({ "$ref": "#/components/parameters/limit" }),
}];

/// Applies every amendment to the parsed description.
pub fn apply(doc: &mut Value) -> Result<(), String> {
    for added in ADDED_PARAMETERS {
        let list = doc
            .pointer_mut(added.pointer)
            .and_then(Value::as_array_mut)
            .ok_or_else(|| {
                format!(
                    "the amendment \"{}\" no longer applies: {} is gone",
                    added.why, added.pointer
                )
            })?;
        let parameter = (added.parameter)();
        if list.contains(&parameter) {
            return Err(format!(
                "the amendment \"{}\" no longer applies: the description has it",
                added.why
            ));
        }
        list.push(parameter);
    }
    for amendment in AMENDMENTS {
        let slot = doc.pointer_mut(amendment.pointer).ok_or_else(|| {
            format!(
                "the amendment \"{}\" no longer applies: {} is gone",
                amendment.why, amendment.pointer
            )
        })?;
        *slot = (amendment.schema)();
    }
    Ok(())
}
