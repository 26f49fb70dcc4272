//! The JSON Schemas checked in under `schemas/json/`, generated from the
//! Rust types (schemars) and from the built-in cards' manifests:
//!
//! ```text
//! cards/<card id>.input.json    a built-in card's input
//! cards/<card id>.output.json   a built-in card's output
//! card-manifest.json            a card's manifest (`runtime::Manifest`)
//! connector.json                a connector package's definition (`connector.toml`)
//! flows/definition.json         a flow definition (the body of POST/PUT /api/v1/flows)
//! rest/<body>.json              the other REST request bodies
//! openapi.json                  the OpenAPI 3.1 document of /api/v1 (`api::openapi`)
//! ```
//!
//! Regenerate them with [`REGENERATE`]; the catalogue tests fail when a
//! checked-in file differs from what the code generates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde_json::Value;

use crate::runtime::catalogue::Catalogue;

/// The one command that rewrites `schemas/json/` from the code.
pub const REGENERATE: &str = "cargo run -p cardhost -- schemas --write schemas/json";

fn schema_of<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema is JSON")
}

/// Every schema, by path relative to `schemas/json/`. Only the built-in cards
/// of the catalogue are included, so the result does not depend on what was
/// installed.
pub async fn generate(catalogue: &Catalogue) -> BTreeMap<String, Value> {
    let mut map = BTreeMap::new();
    for record in catalogue.records().await {
        if !record.builtin {
            continue;
        }
        let m = &record.manifest;
        map.insert(format!("cards/{}.input.json", m.id), m.input_schema.clone());
        map.insert(
            format!("cards/{}.output.json", m.id),
            m.output_schema.clone(),
        );
    }
    let types = [
        (
            "card-manifest.json",
            schema_of::<crate::runtime::Manifest>(),
        ),
        (
            "connector.json",
            schema_of::<crate::connectors::ConnectorDefinition>(),
        ),
        (
            "flows/definition.json",
            schema_of::<crate::flows::FlowDefinition>(),
        ),
        (
            "rest/create-connection.json",
            schema_of::<crate::connections::CreateConnection>(),
        ),
        (
            "rest/update-connection.json",
            schema_of::<crate::connections::UpdateConnection>(),
        ),
        (
            "rest/org-settings.json",
            schema_of::<crate::connections::OrgSettingsInput>(),
        ),
        (
            "rest/run-card.json",
            schema_of::<crate::api::cards::RunCard>(),
        ),
        (
            "rest/run-flow.json",
            schema_of::<crate::flows::RunFlowRequest>(),
        ),
    ];
    for (path, schema) in types {
        map.insert(path.to_string(), schema);
    }
    map.insert("openapi.json".to_string(), crate::api::openapi::document());
    map
}

/// The text a schema file holds: pretty JSON and a final newline.
fn text(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("a schema is JSON");
    s.push('\n');
    s
}

/// Write every schema under `dir` and remove the `.json` files there that
/// are not in `map` any more.
pub fn write(dir: &Path, map: &BTreeMap<String, Value>) -> std::io::Result<()> {
    for extra in json_files(dir)?
        .into_iter()
        .filter(|rel| !map.contains_key(rel))
    {
        std::fs::remove_file(dir.join(&extra))?;
    }
    for (rel, value) in map {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let text = text(value);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
        }
    }
    Ok(())
}

/// The paths (relative to `dir`) where the files differ from `map`: changed,
/// missing, or extra `.json` files. Empty when everything is up to date.
pub fn drift(dir: &Path, map: &BTreeMap<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for (rel, value) in map {
        let on_disk = std::fs::read_to_string(dir.join(rel)).ok();
        let same = on_disk
            .as_deref()
            .and_then(|t| serde_json::from_str::<Value>(t).ok())
            .is_some_and(|v| &v == value);
        if !same {
            out.push(rel.clone());
        }
    }
    for extra in json_files(dir).unwrap_or_default() {
        if !map.contains_key(&extra) {
            out.push(extra);
        }
    }
    out.sort();
    out
}

/// The `.json` files under `dir`, relative, with `/` separators.
fn json_files(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let rel = path.strip_prefix(dir).expect("under dir");
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().to_string())
                    .collect();
                out.push(rel.join("/"));
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Before {
        name: String,
    }

    #[derive(serde::Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct After {
        name: String,
        count: u32,
    }

    #[test]
    fn drift_names_a_changed_type_and_missing_and_extra_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut map = BTreeMap::new();
        map.insert("rest/thing.json".to_string(), schema_of::<Before>());
        map.insert("cards/x.input.json".to_string(), json!({"type": "object"}));
        write(dir.path(), &map).unwrap();
        assert!(drift(dir.path(), &map).is_empty());

        // The type changed: the generated schema differs from the file.
        let mut changed = map.clone();
        changed.insert("rest/thing.json".to_string(), schema_of::<After>());
        assert_eq!(drift(dir.path(), &changed), vec!["rest/thing.json"]);

        // A new schema has no file yet; a removed one left its file behind.
        let mut other = map.clone();
        other.remove("cards/x.input.json");
        other.insert("rest/new.json".to_string(), json!({"type": "string"}));
        assert_eq!(
            drift(dir.path(), &other),
            vec!["cards/x.input.json", "rest/new.json"]
        );

        // Writing fixes every kind of drift, and leaves other files alone.
        std::fs::write(dir.path().join("README.md"), "kept").unwrap();
        write(dir.path(), &other).unwrap();
        assert!(drift(dir.path(), &other).is_empty());
        assert!(dir.path().join("README.md").exists());
        assert!(!dir.path().join("cards/x.input.json").exists());
    }

    #[test]
    fn formatting_is_not_drift() {
        let dir = tempfile::tempdir().unwrap();
        let mut map = BTreeMap::new();
        map.insert(
            "a.json".to_string(),
            json!({"type": "object", "title": "A"}),
        );
        std::fs::write(
            dir.path().join("a.json"),
            r#"{"title":"A","type":"object"}"#,
        )
        .unwrap();
        assert!(drift(dir.path(), &map).is_empty());
    }
}
