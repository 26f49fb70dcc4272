//! Decoding a card's input JSON, naming the field at fault when it fails.

use serde::de::DeserializeOwned;

use crate::CardError;

/// Decodes `json` into `T`.
///
/// Any failure is an `invalid-input` [`CardError`]. When the JSON is valid but
/// does not fit `T`, `field` is the path of the failing field (`limit`,
/// `projects[1]`, `custom_fields.123`), including the name of a missing or
/// unknown field.
pub fn decode_input<T: DeserializeOwned>(json: &str) -> Result<T, CardError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value: T = match serde_path_to_error::deserialize(&mut de) {
        Ok(value) => value,
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            return Err(input_error(&path, &inner));
        }
    };
    de.end().map_err(|e| {
        CardError::new(
            crate::ErrorKind::InvalidInput,
            format!(
                "the input is not valid JSON: {}",
                strip_position(&e.to_string())
            ),
        )
    })?;
    Ok(value)
}

fn input_error(path: &str, err: &serde_json::Error) -> CardError {
    let message = strip_position(&err.to_string());
    if !err.is_data() {
        return CardError::new(
            crate::ErrorKind::InvalidInput,
            format!("the input is not valid JSON: {message}"),
        );
    }
    let base = if path == "." { "" } else { path };
    // serde names a missing or unknown field in its message, not in the path.
    let named = quoted_after(&message, "missing field `")
        .or_else(|| quoted_after(&message, "unknown field `"));
    let field = match (named, base) {
        (Some(name), "") => Some(name.to_string()),
        (Some(name), base) if !base.ends_with(name) => Some(format!("{base}.{name}")),
        (_, "") => None,
        (_, base) => Some(base.to_string()),
    };
    let text = match &field {
        Some(field) => format!("invalid input at `{field}`: {message}"),
        None => format!("invalid input: {message}"),
    };
    CardError {
        kind: crate::ErrorKind::InvalidInput,
        message: text,
        field,
    }
}

/// The text between `prefix` and the next backquote.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let start = message.find(prefix)? + prefix.len();
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// serde_json's message without its ` at line L column C` suffix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) if message[i..].contains(" column ") => message[..i].to_string(),
        _ => message.to_string(),
    }
}

/// For an input field that may be absent, `null` or a value, declared
/// `#[serde(default, deserialize_with = "cardhost_sdk::input::present")]` on
/// an `Option<Option<T>>`: absent is `None`, `null` is `Some(None)` (e.g.
/// "unassign") and a value is `Some(Some(value))`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Input {
        user: String,
        #[serde(default)]
        limit: Option<u32>,
        #[serde(default)]
        projects: Vec<String>,
        #[serde(default)]
        nested: Option<Nested>,
    }

    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Nested {
        gid: String,
    }

    fn err(json: &str) -> CardError {
        decode_input::<Input>(json).unwrap_err()
    }

    #[test]
    fn decodes_good_input() {
        let input: Input = decode_input(r#"{"user":"me","limit":3}"#).unwrap();
        assert_eq!(input.user, "me");
        assert_eq!(input.limit, Some(3));
    }

    #[test]
    fn names_a_missing_field() {
        let e = err(r#"{"limit":3}"#);
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("user"));
        assert!(e.message.contains("missing field `user`"), "{}", e.message);
        assert!(!e.message.contains("line"), "{}", e.message);
    }

    #[test]
    fn names_an_unknown_field() {
        let e = err(r#"{"user":"me","colour":"red"}"#);
        assert_eq!(e.field.as_deref(), Some("colour"));
        let e = err(r#"{"user":"me","nested":{"gid":"1","x":2}}"#);
        assert_eq!(e.field.as_deref(), Some("nested.x"));
    }

    #[test]
    fn names_a_wrong_type() {
        let e = err(r#"{"user":"me","limit":"ten"}"#);
        assert_eq!(e.field.as_deref(), Some("limit"));
        let e = err(r#"{"user":"me","projects":["1",2]}"#);
        assert_eq!(e.field.as_deref(), Some("projects[1]"));
        let e = err(r#"{"user":"me","nested":{}}"#);
        assert_eq!(e.field.as_deref(), Some("nested.gid"));
    }

    #[test]
    fn bad_json_names_no_field() {
        for json in ["{", "", r#"{"user":"me"} x"#] {
            let e = err(json);
            assert_eq!(e.kind, ErrorKind::InvalidInput);
            assert_eq!(e.field, None, "{json}");
        }
        let e = err("[]");
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_eq!(e.field, None);
    }

    #[test]
    fn present_tells_absent_from_null() {
        #[derive(Debug, Deserialize)]
        struct Change {
            #[serde(default, deserialize_with = "present")]
            assignee: Option<Option<String>>,
        }
        let of = |json: &str| decode_input::<Change>(json).unwrap().assignee;
        assert_eq!(of("{}"), None);
        assert_eq!(of(r#"{"assignee": null}"#), Some(None));
        assert_eq!(of(r#"{"assignee": "me"}"#), Some(Some("me".to_string())));
        let e = decode_input::<Change>(r#"{"assignee": 1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("assignee"));
    }
}
