//! Installed cards survive a restart, a restart does not compile again, and
//! a built-in card whose bytes changed is upgraded at start.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

use cardhost::runtime::catalogue::CardRecord;
use cardhost::store::Store;
use cardhost_tests::fake_asana::FakeAsana;
use serde_json::json;

use crate::common::Host;
use crate::{install, versioned};

/// The compiled artifacts in a cache dir: name -> (size, modified).
fn artifacts(dir: &Path) -> BTreeMap<String, (u64, SystemTime)> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".cwasm"))
                .map(|e| {
                    let meta = e.metadata().unwrap();
                    (
                        e.file_name().to_string_lossy().to_string(),
                        (meta.len(), meta.modified().unwrap()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn installed_cards_survive_a_restart_which_compiles_nothing() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cache = tmp.path().join("cache");
    let cache_env = cache.display().to_string();
    let env = [("CARDHOST_CACHE_DIR", cache_env.as_str())];

    // First start, on an empty cache: the built-in cards are compiled and cached.
    let host = Host::start_in(&fake, &data, &env).await;
    assert_eq!(
        artifacts(&cache).len(),
        cardhost::runtime::builtin::BUILTIN_CARDS.len(),
        "one artifact per built-in card"
    );
    let conn = host.token_connection("work", false).await;
    let (status, v1) = install(&host, versioned("1.0.0"), false).await;
    assert_eq!(status, 201, "{v1}");
    let (status, v2) = install(&host, versioned("2.0.0"), true).await;
    assert_eq!(status, 200, "{v2}");
    let hash = v2["card"]["hash"].as_str().unwrap().to_string();
    let cached = artifacts(&cache);
    assert!(
        cached.keys().any(|name| name.starts_with(&hash)),
        "the installed card was compiled into the cache: {cached:?}"
    );
    let (_, listed_before) = host.get("/cards").await;
    host.stop().await;

    // Second start on the same data dir: everything is back, nothing compiled.
    let host = Host::start_in(&fake, &data, &env).await;
    let (status, body) = host.get("/cards/asana.test-versioned").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "2.0.0");
    assert_eq!(body["hash"], hash.as_str());
    assert_eq!(body["installed_at"], v2["card"]["installed_at"]);
    assert_eq!(body["builtin"], false);
    let (_, listed_after) = host.get("/cards").await;
    assert_eq!(
        listed_before, listed_after,
        "the same catalogue after the restart"
    );
    let (status, body) = host
        .run("asana.test-versioned", &conn, json!({"again": true}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["version"], "2.0.0");
    // The test card is of contract 0.1.0, the built-in ones of 0.2.0 (an
    // event card among them): all of them came back from the cache and run.
    let (_, versioned) = host.get("/cards/asana.test-versioned").await;
    assert_eq!(
        (&versioned["contract"], &versioned["kind"]),
        (&json!("0.1.0"), &json!("action"))
    );
    let (_, event_card) = host.get("/cards/asana.new-task").await;
    assert_eq!(
        (
            &event_card["contract"],
            &event_card["kind"],
            &event_card["available"]
        ),
        (&json!("0.2.0"), &json!("event"), &json!(true))
    );
    let subscription = host
        .app
        .runner
        .subscription("asana.new-task", &conn, &json!({"project": "1"}))
        .await
        .unwrap();
    assert_eq!(subscription["resource"], "1");
    assert_eq!(
        artifacts(&cache),
        cached,
        "the restart loaded every card from the cache without compiling (no new or rewritten artifact)"
    );
    host.stop().await;
}

#[tokio::test]
async fn a_builtin_card_whose_bytes_changed_is_upgraded_at_start() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    let host = Host::start_in(&fake, &data, &[]).await;
    let shipped = host.app.catalogue.record("asana.read-user").await.unwrap();
    host.stop().await;

    // Make the store look like an older host installed an older read-user,
    // and a built-in card this host no longer ships.
    {
        let store = Store::open(&data, Some(&"aa".repeat(32))).expect("store opens");
        let mut old: CardRecord = shipped.as_ref().clone();
        old.hash = "0".repeat(64);
        old.version = "0.0.1".into();
        old.manifest.version = "0.0.1".into();
        old.installed_at = chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap();
        store.put_card(&old, None).await.unwrap();
        let mut retired = old.clone();
        retired.id = "asana.retired".into();
        retired.manifest.id = "asana.retired".into();
        store.put_card(&retired, None).await.unwrap();
    }

    let host = Host::start_in(&fake, &data, &[]).await;
    let (status, body) = host.get("/cards/asana.read-user").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["hash"], shipped.hash.as_str());
    assert_eq!(body["version"], shipped.version.as_str());
    assert_eq!(body["builtin"], true);
    let installed_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(body["installed_at"].clone()).unwrap();
    assert!(installed_at > chrono::DateTime::from_timestamp(1_600_000_000, 0).unwrap());
    let (status, _) = host.get("/cards/asana.retired").await;
    assert_eq!(status, 404, "a built-in card no longer shipped is removed");
    let stored = host.app.store.list_cards().unwrap();
    assert!(!stored.iter().any(|r| r.id == "asana.retired"));
    let stored = stored.iter().find(|r| r.id == "asana.read-user").unwrap();
    assert_eq!(stored.hash, shipped.hash, "the upgrade was persisted");
    host.stop().await;
}
