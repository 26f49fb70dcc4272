//! JSON Schema checks of a card's input (before it runs) and output (after),
//! with errors that name the failing field and never echo the value.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

/// A compiled JSON Schema.
pub struct SchemaCheck {
    validator: jsonschema::Validator,
}

/// The first way a value failed its schema.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaViolation {
    /// Dotted path of the field at fault (`assignee`, `projects[0]`), or
    /// `None` for the value as a whole.
    pub field: Option<String>,
    /// What is wrong, without the value itself.
    pub message: String,
}

impl SchemaCheck {
    /// Compile a schema; the error says why it is not a valid JSON Schema.
    pub fn compile(schema: &Value) -> Result<SchemaCheck, String> {
        jsonschema::validator_for(schema)
            .map(|validator| SchemaCheck { validator })
            .map_err(|e| e.masked().to_string())
    }

    /// Check a value; on failure the first violation, in document order.
    pub fn check(&self, value: &Value) -> Result<(), SchemaViolation> {
        match self.violations(value).into_iter().next() {
            None => Ok(()),
            Some(v) => Err(v),
        }
    }

    /// Every way a value fails the schema.
    pub fn violations(&self, value: &Value) -> Vec<SchemaViolation> {
        self.validator
            .iter_errors(value)
            .map(|e| violation(value, &e))
            .collect()
    }
}

fn violation(value: &Value, error: &jsonschema::ValidationError<'_>) -> SchemaViolation {
    {
        let mut segments: Vec<String> = error
            .instance_path()
            .to_string()
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                segments.push(property.as_str().unwrap_or_default().to_string());
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                if let Some(first) = unexpected.first() {
                    segments.push(first.clone());
                }
            }
            _ => {}
        }
        let field = dotted(value, &segments);
        let message = match &field {
            Some(f) => format!("{f}: {}", error.masked()),
            None => error.masked().to_string(),
        };
        SchemaViolation { field, message }
    }
}

fn dotted(value: &Value, segments: &[String]) -> Option<String> {
    let mut out = String::new();
    // Where the path is in `value`: a digit segment is an index only in an
    // array (`projects[1]`); in an object it is a key (`custom_fields.123`).
    let mut at = Some(value);
    for s in segments {
        let index = at.is_some_and(Value::is_array);
        if index && !out.is_empty() {
            out.push_str(&format!("[{s}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(s);
        }
        at = match at {
            Some(Value::Array(items)) => s.parse::<usize>().ok().and_then(|i| items.get(i)),
            Some(Value::Object(fields)) => fields.get(s.as_str()),
            _ => None,
        };
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> SchemaCheck {
        SchemaCheck::compile(&json!({
            "type": "object",
            "properties": {
                "user": {"type": "string", "minLength": 1},
                "projects": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["user"],
            "additionalProperties": false
        }))
        .unwrap()
    }

    #[test]
    fn names_the_missing_field() {
        let v = schema().check(&json!({})).unwrap_err();
        assert_eq!(v.field.as_deref(), Some("user"));
    }

    #[test]
    fn names_nested_and_unknown_fields() {
        let v = schema()
            .check(&json!({"user": "me", "projects": ["a", 7]}))
            .unwrap_err();
        assert_eq!(v.field.as_deref(), Some("projects[1]"));
        let v = schema()
            .check(&json!({"user": "me", "secret": "hunter2"}))
            .unwrap_err();
        assert_eq!(v.field.as_deref(), Some("secret"));
        assert!(!v.message.contains("hunter2"), "{}", v.message);
    }

    #[test]
    fn digit_keys_of_an_object_are_keys_not_indexes() {
        let check = SchemaCheck::compile(&json!({
            "type": "object",
            "properties": {
                "custom_fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "projects": {"type": "array", "items": {"type": "object", "required": ["gid"]}}
            }
        }))
        .unwrap();
        let v = check
            .check(&json!({"custom_fields": {"123": true}}))
            .unwrap_err();
        assert_eq!(v.field.as_deref(), Some("custom_fields.123"));
        let v = check
            .check(&json!({"projects": [{"gid": "1"}, {}]}))
            .unwrap_err();
        assert_eq!(v.field.as_deref(), Some("projects[1].gid"));
    }

    #[test]
    fn never_echoes_the_value() {
        let v = schema().check(&json!({"user": 12345678})).unwrap_err();
        assert!(!v.message.contains("12345678"), "{}", v.message);
    }

    #[test]
    fn invalid_schemas_are_refused() {
        assert!(SchemaCheck::compile(&json!({"type": "no-such-type"})).is_err());
    }
}
