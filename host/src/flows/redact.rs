//! Redaction of what a run keeps: values of fields a schema marks as secret
//! (`writeOnly`, `format: password` or `x-secret`), and of any field whose
//! name says it holds a credential. Text a run keeps beside its values (card
//! logs, call paths, error messages) goes through the same redaction: every
//! secret value found in the step's input or output is cut out of it.

use serde_json::{Map, Value};

/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted]";

/// Field names that hold credentials, whatever the schema says.
const SECRET_NAMES: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "password",
    "secret",
    "client_secret",
    "token",
    "access_token",
    "refresh_token",
    "api_key",
    "apikey",
    "service_account_token",
    "x-api-key",
];

/// A copy of `value` with its secret fields redacted, using `schema` where
/// one is known.
pub fn redact(value: &Value, schema: Option<&Value>) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let field_schema = schema.and_then(|s| property(s, k));
                let secret = is_secret_name(k) || field_schema.is_some_and(marked_secret);
                out.insert(
                    k.clone(),
                    if secret {
                        Value::String(REDACTED.into())
                    } else {
                        redact(v, field_schema)
                    },
                );
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.get("items"));
            Value::Array(items.iter().map(|v| redact(v, item_schema)).collect())
        }
        other => other.clone(),
    }
}

/// The secret values inside `value` (as [`redact`] would hide them), as
/// text, for [`scrub`]. Values shorter than four characters are left out:
/// cutting them out of text would hide more than it protects.
pub fn secret_strings(value: &Value, schema: Option<&Value>, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let field_schema = schema.and_then(|s| property(s, k));
                if is_secret_name(k) || field_schema.is_some_and(marked_secret) {
                    all_strings(v, out);
                } else {
                    secret_strings(v, field_schema, out);
                }
            }
        }
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.get("items"));
            for v in items {
                secret_strings(v, item_schema, out);
            }
        }
        _ => {}
    }
}

fn all_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.chars().count() >= 4 => out.push(s.clone()),
        Value::Number(n) if n.to_string().len() >= 4 => out.push(n.to_string()),
        Value::Array(items) => items.iter().for_each(|v| all_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| all_strings(v, out)),
        _ => {}
    }
}

/// Every string inside `value` scrubbed of `secrets` (see [`scrub`]).
pub fn scrub_value(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) if secrets.iter().any(|secret| s.contains(secret.as_str())) => {
            *s = scrub(s, secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| scrub_value(v, secrets)),
        _ => {}
    }
}

/// `text` with every occurrence of each of `secrets` replaced by
/// [`REDACTED`], longest secrets first.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<&String> = secrets.iter().collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_string();
    for secret in sorted {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), REDACTED);
        }
    }
    out
}

fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_NAMES.contains(&lower.as_str())
        || lower.ends_with("_token")
        || lower.ends_with("_secret")
        || lower.ends_with("password")
}

fn marked_secret(schema: &Value) -> bool {
    schema.get("writeOnly") == Some(&Value::Bool(true))
        || schema.get("x-secret") == Some(&Value::Bool(true))
        || schema.get("format").and_then(Value::as_str) == Some("password")
}

/// The schema of property `name`, looking through `properties` and
/// `additionalProperties`.
fn property<'a>(schema: &'a Value, name: &str) -> Option<&'a Value> {
    schema
        .get("properties")
        .and_then(|p| p.get(name))
        .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_marked_and_named_fields() {
        let schema = json!({"properties": {"pin": {"type": "string", "writeOnly": true}, "list": {"items": {"properties": {"code": {"format": "password"}}}}}});
        let value = json!({"pin": "1234", "name": "ok", "headers": {"Authorization": "Bearer x", "accept": "json"},
                           "list": [{"code": "c", "n": 1}], "my_token": "t"});
        let out = redact(&value, Some(&schema));
        assert_eq!(
            out,
            json!({"pin": REDACTED, "name": "ok", "headers": {"Authorization": REDACTED, "accept": "json"},
                   "list": [{"code": REDACTED, "n": 1}], "my_token": REDACTED})
        );
    }

    #[test]
    fn secrets_are_cut_out_of_text() {
        let schema = json!({"properties": {"pin": {"writeOnly": true}}});
        let value = json!({"pin": 123456, "password": "hunter22", "name": "Ada", "api_key": "ab"});
        let mut secrets = Vec::new();
        secret_strings(&value, Some(&schema), &mut secrets);
        secrets.sort();
        assert_eq!(secrets, vec!["123456".to_string(), "hunter22".to_string()]);
        assert_eq!(
            scrub("logged in with hunter22 and pin 123456 as Ada", &secrets),
            format!("logged in with {REDACTED} and pin {REDACTED} as Ada")
        );
    }
}
