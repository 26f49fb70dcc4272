//! Redaction of what a run keeps: values of fields a schema marks as secret
//! (`writeOnly`, `format: password` or `x-secret`), and of any field whose
//! name says it holds a credential.

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
}
