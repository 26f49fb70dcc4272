//! OpenAPI 3.0 request schemas turned into JSON Schema validators.
//!
//! The description's schemas are OpenAPI's dialect: `$ref`s into
//! `components`, `allOf` chains (`TaskCreateRequest` → `TaskRequestBase` →
//! `TaskBase` → `TaskCompact`), `nullable` and `readOnly`. For a request they
//! are read the way Asana applies them:
//! - references are inlined (a schema that refers back to itself accepts
//!   anything at the point of recursion) and `allOf` object parts merged into
//!   one object;
//! - `readOnly` properties are dropped, so sending one is refused;
//! - an object that declares properties takes no others (Asana refuses
//!   unknown fields), unless it declares `additionalProperties`;
//! - `nullable` becomes a `null` alternative.
//!
//! Formats (`date`, `date-time`) are not checked here: the fake checks dates
//! itself and answers with Asana's messages.

use super::spec::deref;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value};

/// The checker of one operation's `data`.
pub struct BodyCheck {
    validator: Result<Validator, String>,
}

impl BodyCheck {
    /// Compiles the `data` property of the body schema at `pointer`.
    pub fn compile(doc: &Value, pointer: &str, operation_id: &str) -> BodyCheck {
        let validator = doc
            .pointer(pointer)
            .ok_or_else(|| format!("no schema at {pointer}"))
            .and_then(|body| {
                let body = deref(doc, body)?;
                let data = body.pointer("/properties/data").unwrap_or(body);
                let mut stack = Vec::new();
                let inlined = inline(doc, data, &mut stack)?;
                Ok(for_request(&inlined))
            })
            .and_then(|schema| {
                jsonschema::options()
                    .with_draft(Draft::Draft7)
                    .should_validate_formats(false)
                    .build(&schema)
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| format!("the request schema of {operation_id} cannot be compiled: {e}"));
        BodyCheck { validator }
    }

    /// Why the schema could not be compiled, if it could not.
    #[cfg(test)]
    pub fn compile_error(&self) -> Option<&str> {
        self.validator.as_ref().err().map(String::as_str)
    }

    /// What is wrong with `data`, as (dotted field, message) pairs.
    pub fn problems(&self, data: &Value) -> Vec<(String, String)> {
        match &self.validator {
            Err(why) => vec![("data".to_string(), why.clone())],
            Ok(validator) => validator.iter_errors(data).map(|e| describe(&e)).collect(),
        }
    }
}

/// The field and message of a validation error, without the value itself.
fn describe(error: &jsonschema::ValidationError<'_>) -> (String, String) {
    let mut segments: Vec<String> = error
        .instance_path()
        .to_string()
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let message = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            segments.push(unexpected.join(", "));
            "Unknown field: the request schema does not declare it, or declares it read-only"
                .to_string()
        }
        ValidationErrorKind::Required { property } => {
            segments.push(property.as_str().unwrap_or_default().to_string());
            "Missing input".to_string()
        }
        _ => error.masked().to_string(),
    };
    let mut field = String::from("data");
    for s in segments {
        if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
            field.push_str(&format!("[{s}]"));
        } else {
            field.push('.');
            field.push_str(&s);
        }
    }
    (field, message)
}

/// `schema` with every `$ref` inlined and every `allOf` merged.
fn inline(doc: &Value, schema: &Value, stack: &mut Vec<String>) -> Result<Value, String> {
    let Value::Object(map) = schema else {
        return Ok(schema.clone());
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        if stack.iter().any(|r| r == reference) {
            return Ok(Value::Object(Map::new()));
        }
        let target = deref(doc, schema)?;
        stack.push(reference.to_string());
        let inlined = inline(doc, target, stack);
        stack.pop();
        return inlined;
    }
    let mut out = Map::new();
    if let Some(parts) = map.get("allOf").and_then(Value::as_array) {
        for part in parts {
            if let Value::Object(part) = inline(doc, part, stack)? {
                merge(&mut out, part);
            }
        }
    }
    let mut own = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "allOf" => continue,
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| Ok((name.clone(), inline(doc, s, stack)?)))
                    .collect::<Result<Map<String, Value>, String>>()?,
            ),
            "items" | "additionalProperties" | "not" => inline(doc, value, stack)?,
            "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|s| inline(doc, s, stack))
                    .collect::<Result<Vec<_>, String>>()?,
            ),
            _ => value.clone(),
        };
        own.insert(key.clone(), value);
    }
    merge(&mut out, own);
    Ok(Value::Object(out))
}

/// Merges one `allOf` part into the schema built so far: properties and
/// required lists add up, other keywords of later parts win.
fn merge(into: &mut Map<String, Value>, part: Map<String, Value>) {
    for (key, value) in part {
        match (key.as_str(), into.get_mut(&key), value) {
            ("properties", Some(Value::Object(existing)), Value::Object(more)) => {
                existing.extend(more);
            }
            ("required", Some(Value::Array(existing)), Value::Array(more)) => {
                for name in more {
                    if !existing.contains(&name) {
                        existing.push(name);
                    }
                }
            }
            (_, _, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Keywords that only describe, dropped from the compiled schema.
fn annotation(key: &str) -> bool {
    matches!(
        key,
        "description" | "example" | "examples" | "title" | "deprecated"
    ) || key.starts_with("x-")
}

/// An inlined OpenAPI schema as the JSON Schema a request must meet.
fn for_request(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        if annotation(key) || matches!(key.as_str(), "readOnly" | "writeOnly" | "nullable") {
            continue;
        }
        let value = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, s)| s.get("readOnly") != Some(&Value::Bool(true)))
                    .map(|(name, s)| (name.clone(), for_request(s)))
                    .collect(),
            ),
            "required" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|name| {
                        let name = name.as_str().unwrap_or_default();
                        map.get("properties")
                            .and_then(|p| p.get(name))
                            .and_then(|s| s.get("readOnly"))
                            != Some(&Value::Bool(true))
                    })
                    .cloned()
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => for_request(value),
            "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(for_request)
                    .collect(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if out.contains_key("properties") && !out.contains_key("additionalProperties") {
        out.insert("additionalProperties".to_string(), Value::Bool(false));
    }
    if map.get("nullable") == Some(&Value::Bool(true)) {
        return nullable(out);
    }
    Value::Object(out)
}

/// A schema that also accepts `null`.
fn nullable(mut schema: Map<String, Value>) -> Value {
    if let Some(Value::Array(options)) = schema.get_mut("enum") {
        if !options.contains(&Value::Null) {
            options.push(Value::Null);
        }
    }
    match schema.get("type").cloned() {
        Some(Value::String(t)) => {
            schema.insert(
                "type".to_string(),
                Value::Array(vec![Value::String(t), Value::String("null".into())]),
            );
            Value::Object(schema)
        }
        Some(Value::Array(mut types)) => {
            let null = Value::String("null".into());
            if !types.contains(&null) {
                types.push(null);
            }
            schema.insert("type".to_string(), Value::Array(types));
            Value::Object(schema)
        }
        _ => serde_json::json!({ "anyOf": [{ "type": "null" }, Value::Object(schema)] }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn all_of_parts_merge_read_only_drops_and_objects_close() {
        let doc = json!({"components": {"schemas": {
            "Base": {"type": "object", "properties": {
                "gid": {"type": "string", "readOnly": true},
                "name": {"type": "string", "description": "a name"}}},
            "Create": {"allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"type": "object", "properties": {
                    "due_on": {"type": "string", "nullable": true},
                    "kind": {"type": "string", "enum": ["a", "b"]}}}]}}}});
        let inlined = inline(
            &doc,
            &json!({"$ref": "#/components/schemas/Create"}),
            &mut Vec::new(),
        )
        .unwrap();
        let schema = for_request(&inlined);
        assert_eq!(
            schema,
            json!({"type": "object", "additionalProperties": false, "properties": {
                "name": {"type": "string"},
                "due_on": {"type": ["string", "null"]},
                "kind": {"type": "string", "enum": ["a", "b"]}}})
        );
    }

    #[test]
    fn a_schema_that_refers_to_itself_stops_at_the_recursion() {
        let doc = json!({"components": {"schemas": {"Node": {"type": "object", "properties": {
            "child": {"$ref": "#/components/schemas/Node"}}}}}});
        let inlined = inline(
            &doc,
            &json!({"$ref": "#/components/schemas/Node"}),
            &mut Vec::new(),
        )
        .unwrap();
        assert_eq!(inlined["properties"]["child"], json!({}));
    }
}
