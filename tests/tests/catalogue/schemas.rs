//! The JSON Schemas checked in under `schemas/json/` are the ones the code
//! generates.

use std::path::PathBuf;

use cardhost::capability::{HttpCapability, HttpLimits};
use cardhost::runtime::catalogue::Catalogue;
use cardhost::runtime::{Runtime, RuntimeConfig};
use cardhost::schemas::{drift, generate, write, REGENERATE};

use crate::common::shared_cache_dir;

fn checked_in() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schemas")
        .join("json")
}

async fn generated() -> std::collections::BTreeMap<String, serde_json::Value> {
    let config = RuntimeConfig {
        pooling: false,
        cache_dir: Some(shared_cache_dir()),
        ..RuntimeConfig::default()
    };
    let runtime =
        Runtime::new(config, HttpCapability::new(HttpLimits::default()).unwrap()).expect("runtime");
    let registry = cardhost::connectors::Registry::new(
        cardhost::connectors::Connector::builtins(&|_| None).expect("built-in connectors"),
    );
    let catalogue = Catalogue::with_builtins(&runtime, &registry)
        .await
        .expect("the built-in cards load");
    generate(&catalogue).await
}

#[tokio::test]
async fn the_checked_in_schemas_are_up_to_date() {
    let map = generated().await;
    for id in [
        "asana.read-user",
        "asana.search-user",
        "asana.create-task",
        "asana.custom-api-action",
    ] {
        assert!(map.contains_key(&format!("cards/{id}.input.json")), "{id}");
        assert!(map.contains_key(&format!("cards/{id}.output.json")), "{id}");
    }
    for path in [
        "card-manifest.json",
        "flows/definition.json",
        "rest/create-connection.json",
        "rest/update-connection.json",
        "rest/org-settings.json",
        "rest/run-card.json",
        "rest/run-flow.json",
        "openapi.json",
    ] {
        assert!(map.contains_key(path), "{path}");
    }
    let drifted = drift(&checked_in(), &map);
    assert!(
        drifted.is_empty(),
        "these JSON Schemas in schemas/json are out of date (missing, changed or no longer generated): {}\n\
         Regenerate them from the code with:\n\n    {REGENERATE}\n",
        drifted.join(", ")
    );
}

#[tokio::test]
async fn drift_names_the_schema_of_a_changed_type() {
    let map = generated().await;
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), &map).unwrap();
    assert!(drift(tmp.path(), &map).is_empty());
    // A field added to the run-card body changes its generated schema.
    let mut changed = map.clone();
    changed.get_mut("rest/run-card.json").unwrap()["properties"]["dry_run"] =
        serde_json::json!({"type": "boolean"});
    assert_eq!(drift(tmp.path(), &changed), vec!["rest/run-card.json"]);
}
