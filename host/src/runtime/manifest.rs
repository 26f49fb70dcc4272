//! A card's manifest as the host keeps it, and the checks that make it valid.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema::SchemaCheck;

/// What a card says about itself, with its schemas parsed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Manifest {
    /// `connector.card-name`, e.g. `github.read-user`.
    pub id: String,
    pub name: String,
    pub description: String,
    /// The card's own version.
    pub version: String,
    /// JSON Schema of the input.
    pub input_schema: Value,
    /// JSON Schema of the output.
    pub output_schema: Value,
    /// OAuth scopes the card needs.
    pub scopes: Vec<String>,
    /// Whether the card may use the connection's service account token.
    pub uses_service_account: bool,
}

/// A manifest with its schemas compiled.
pub struct CheckedManifest {
    pub manifest: Manifest,
    pub input: SchemaCheck,
    pub output: SchemaCheck,
}

/// Check a manifest on its own: a well-formed id, both schemas valid JSON
/// Schemas of objects, scopes without spaces. Whether its connector exists
/// and knows its scopes is the catalogue's check
/// ([`crate::connectors::Registry::check_card`]).
pub fn check(manifest: Manifest) -> Result<CheckedManifest, String> {
    if !valid_id(&manifest.id) {
        return Err(format!(
            "manifest id {:?} must look like `connector.card-name` (lowercase letters, digits and dashes)",
            manifest.id
        ));
    }
    if manifest.name.trim().is_empty() {
        return Err("manifest name is empty".into());
    }
    if manifest.version.trim().is_empty() {
        return Err("manifest version is empty".into());
    }
    let input = SchemaCheck::compile(&manifest.input_schema)
        .map_err(|e| format!("manifest input_schema is not a valid JSON Schema: {e}"))?;
    let output = SchemaCheck::compile(&manifest.output_schema)
        .map_err(|e| format!("manifest output_schema is not a valid JSON Schema: {e}"))?;
    if let Some(bad) = manifest
        .scopes
        .iter()
        .find(|s| s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(format!("manifest scope {bad:?} is not a scope name"));
    }
    Ok(CheckedManifest {
        manifest,
        input,
        output,
    })
}

/// `connector.card-name`: lowercase letters, digits and dashes on both sides
/// of one dot, each at most 64 characters.
pub fn valid_id(id: &str) -> bool {
    let Some((connector, card)) = id.split_once('.') else {
        return false;
    };
    let part = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    part(connector) && part(card)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn manifest(id: &str) -> Manifest {
        Manifest {
            id: id.into(),
            name: "Read User".into(),
            description: String::new(),
            version: "1.0.0".into(),
            input_schema: json!({"type": "object"}),
            output_schema: json!({"type": "object"}),
            scopes: vec!["default".into()],
            uses_service_account: false,
        }
    }

    #[test]
    fn ids_are_connector_dot_name() {
        assert!(check(manifest("example.read-user")).is_ok());
        for bad in [
            "example",
            "Example.read",
            "example.",
            ".x",
            "example.read user",
            "a.b.c",
        ] {
            assert!(check(manifest(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_scopes_and_schemas_are_refused() {
        let mut m = manifest("example.x");
        m.scopes = vec!["two words".into()];
        assert!(check(m).err().unwrap().contains("two words"));
        let mut m = manifest("example.x");
        m.input_schema = json!({"type": 5});
        assert!(check(m).err().unwrap().contains("input_schema"));
    }
}

impl Manifest {
    /// TEMPORARY until the contract branch merges: whether the card is an event card.
    pub fn is_event(&self) -> bool {
        false
    }
}
