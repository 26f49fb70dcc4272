//! A card's manifest as the host keeps it, and the checks that make it valid.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema::SchemaCheck;

/// What a card says about itself, with its schemas parsed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, schemars::JsonSchema)]
pub struct Manifest {
    /// `connector.card-name`, e.g. `asana.read-user`.
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

/// Check a manifest: a well-formed id, both schemas valid JSON Schemas of
/// objects, only scopes the connector knows.
pub fn check(manifest: Manifest, known_scopes: &[String]) -> Result<CheckedManifest, String> {
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
    if let Some(unknown) = manifest.scopes.iter().find(|s| !known_scopes.contains(s)) {
        return Err(format!("manifest asks for unknown scope {unknown:?}"));
    }
    Ok(CheckedManifest {
        manifest,
        input,
        output,
    })
}

fn valid_id(id: &str) -> bool {
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
        let scopes = vec!["default".to_string()];
        assert!(check(manifest("asana.read-user"), &scopes).is_ok());
        for bad in [
            "asana",
            "Asana.read",
            "asana.",
            ".x",
            "asana.read user",
            "a.b.c",
        ] {
            assert!(check(manifest(bad), &scopes).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_scopes_and_bad_schemas_are_refused() {
        let mut m = manifest("asana.x");
        m.scopes = vec!["admin".into()];
        assert!(check(m, &["default".to_string()])
            .err()
            .unwrap()
            .contains("admin"));
        let mut m = manifest("asana.x");
        m.input_schema = json!({"type": 5});
        assert!(check(m, &["default".to_string()])
            .err()
            .unwrap()
            .contains("input_schema"));
    }
}
