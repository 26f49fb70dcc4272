//! A card's manifest as the host keeps it, and the checks that make it valid.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema::SchemaCheck;
use super::GuestManifest;

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
    /// An action card (run on demand) or an event card (a flow's trigger).
    /// Read from the component's exports, not from what the card says.
    #[serde(default)]
    pub kind: CardKind,
    /// The card contract version the component implements, e.g. `0.2.0`.
    /// Read from the component's exports. Records stored before the host
    /// knew more than one version are of 0.1.0.
    #[serde(default = "first_contract")]
    pub contract: String,
}

fn first_contract() -> String {
    "0.1.0".into()
}

impl Manifest {
    /// The manifest a card's `manifest()` answered, its schemas parsed from
    /// their JSON text. The card wrote every byte of it, so this is where
    /// untrusted text enters; [`check`] then decides whether it is valid.
    /// The kind and the contract are read from the component's exports, not
    /// from the card: they start as an action card of no contract.
    pub fn from_guest(m: GuestManifest) -> Result<Manifest, String> {
        let parse = |what: &str, text: &str| {
            serde_json::from_str::<Value>(text).map_err(|e| format!("{what} is not JSON: {e}"))
        };
        Ok(Manifest {
            input_schema: parse("input_schema", &m.input_schema)?,
            output_schema: parse("output_schema", &m.output_schema)?,
            id: m.id,
            name: m.name,
            description: m.description,
            version: m.version,
            scopes: m.scopes,
            uses_service_account: m.uses_service_account,
            kind: CardKind::Action,
            contract: String::new(),
        })
    }
}

/// What a card is for.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// Run on demand: by a person, the API or a flow step (`run`).
    #[default]
    Action,
    /// Starts flows on a provider's events: its subscription and its reading
    /// of each event (the contract's `event` interface, since 0.2.0).
    Event,
}

impl CardKind {
    /// `action` or `event`, as the API says it.
    pub fn as_str(self) -> &'static str {
        match self {
            CardKind::Action => "action",
            CardKind::Event => "event",
        }
    }
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
            kind: CardKind::Action,
            contract: "0.2.0".into(),
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

    #[test]
    fn kind_is_snake_case_and_old_records_are_action_cards_of_0_1_0() {
        let mut m = manifest("example.x");
        m.kind = CardKind::Event;
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(v["kind"], "event");
        assert_eq!(v["contract"], "0.2.0");
        let mut old = v.clone();
        let fields = old.as_object_mut().unwrap();
        fields.remove("kind");
        fields.remove("contract");
        let back: Manifest = serde_json::from_value(old).unwrap();
        assert_eq!(
            (back.kind, back.contract.as_str()),
            (CardKind::Action, "0.1.0")
        );
    }
}
