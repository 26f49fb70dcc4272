//! Installing cards over REST: what is accepted, what is refused and why,
//! and upgrades.

use cardhost::runtime::catalogue::MAX_CARD_BYTES;
use cardhost_tests::fake_asana::FakeAsana;
use serde_json::json;

use crate::common::{status_json, Host};
use crate::{card_bytes, code, install, versioned};

#[tokio::test]
async fn a_valid_card_installs_lists_and_runs() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;

    // A card of a connector the host does not have is refused, and says so.
    let (status, body) = install(&host, card_bytes("hostile_card"), false).await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("\"test\"") && message.contains("install the connector"),
        "{body}"
    );

    crate::install_test_connector(&host).await;
    let (status, body) = install(&host, card_bytes("hostile_card"), false).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["card"]["id"], "test.hostile");
    assert_eq!(body["card"]["builtin"], false);
    assert!(body["upgraded_from"].is_null(), "{body}");
    let card = host
        .app
        .catalogue
        .get("test.hostile")
        .await
        .expect("loaded");
    assert_eq!(body["card"]["hash"], card.hash.as_str());

    // It runs (the hostile card is not an Asana card: run it directly).
    let report = crate::run_loaded(&host, &card, json!({"action": "echo", "value": 7})).await;
    assert_eq!(report["value"], 7, "{report}");

    // An Asana card installed over REST runs over REST on a connection.
    let (status, body) = install(&host, versioned("1.0.0"), false).await;
    assert_eq!(status, 201, "{body}");
    let conn = host.token_connection("work", false).await;
    let (status, body) = host
        .run("asana.test-versioned", &conn, json!({"n": 1}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"],
        json!({"version": "1.0.0", "input": {"n": 1}})
    );

    // Listed with the built-in cards, each with version, hash, builtin and installed_at.
    let (status, body) = host.get("/cards").await;
    assert_eq!(status, 200);
    let cards = body["data"].as_array().unwrap();
    let ids: Vec<&str> = cards.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in [
        "asana.read-user",
        "asana.search-user",
        "asana.create-task",
        "asana.custom-api-action",
        "asana.test-versioned",
        "test.hostile",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    for c in cards {
        assert!(
            c["version"].is_string() && c["installed_at"].is_string(),
            "{c}"
        );
        assert_eq!(c["hash"].as_str().unwrap().len(), 64, "{c}");
        let id = c["id"].as_str().unwrap();
        let shipped = cardhost::runtime::builtin::BUILTIN_CARDS
            .iter()
            .any(|b| b.id == id);
        assert_eq!(c["builtin"], shipped, "{id}");
        assert!(c["input_schema"].is_object(), "{c}");
    }
    let (status, body) = host.get("/cards/asana.test-versioned").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], "1.0.0");
    assert_eq!(body["builtin"], false);
    let (status, body) = host.get("/cards/asana.nope").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(code(&body), "unknown_card");
}

#[tokio::test]
async fn invalid_components_are_refused_with_400() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let before = host.get("/cards").await.1["data"].as_array().unwrap().len();

    for (what, bytes) in [
        ("garbage", b"this is not webassembly at all".to_vec()),
        ("a core module", b"\0asm\x01\0\0\0".to_vec()),
        ("an empty body", Vec::new()),
        (
            "a truncated component",
            card_bytes("hostile_card")[..1000].to_vec(),
        ),
    ] {
        let (status, body) = install(&host, bytes, false).await;
        assert_eq!(status, 400, "{what}: {body}");
        assert_eq!(code(&body), "invalid_component", "{what}: {body}");
    }
    let (_, body) = install(&host, b"\0asm\x01\0\0\0".to_vec(), false).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("core WebAssembly module"), "{message}");

    // Not declared as a component.
    let r = host
        .api(reqwest::Method::POST, "/cards")
        .header("content-type", "application/octet-stream")
        .body(card_bytes("hostile_card"))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(code(&body), "unsupported_media_type");

    // Larger than a card may be: 413, for this route's own limit (not the JSON one).
    let (status, body) = install(&host, vec![0u8; MAX_CARD_BYTES + 1], false).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(code(&body), "card_too_large");
    let (status, body) = install(&host, vec![0u8; 1 << 20], false).await;
    assert_eq!(
        status, 400,
        "a 1 MiB body is read, then refused as invalid: {body}"
    );

    crate::install_test_connector(&host).await;
    let (status, body) = install(&host, card_bytes("hostile_card"), false).await;
    assert_eq!(status, 201, "{body}");
    let after = host.get("/cards").await.1["data"].as_array().unwrap().len();
    assert_eq!(after, before + 1, "only the valid card was installed");
}

#[tokio::test]
async fn a_component_of_an_unknown_world_version_is_422() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (status, body) = install(&host, card_bytes("future_world_card"), false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "unsupported_world");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("9.0.0") && message.contains("0.1.0") && message.contains("0.2.0"),
        "names its version and the supported ones: {message}"
    );
    assert!(host.app.catalogue.get("test.future").await.is_none());
}

#[tokio::test]
async fn an_invalid_manifest_is_422() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (status, body) = install(&host, versioned(""), false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "invalid_manifest");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("version is empty"),
        "{body}"
    );
    assert!(host
        .app
        .catalogue
        .get("asana.test-versioned")
        .await
        .is_none());
}

#[tokio::test]
async fn a_duplicate_id_is_409() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (status, body) = install(&host, versioned("1.0.0"), false).await;
    assert_eq!(status, 201, "{body}");

    // The same id again, even as another version, without asking to upgrade.
    for version in ["1.0.0", "1.1.0"] {
        let (status, body) = install(&host, versioned(version), false).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(code(&body), "duplicate_card");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("asana.test-versioned") && message.contains("upgrade=true"),
            "{message}"
        );
    }
    // An upgrade to the version already installed.
    let (status, body) = install(&host, versioned("1.0.0"), true).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(code(&body), "duplicate_version");
    assert_eq!(
        host.get("/cards/asana.test-versioned").await.1["version"],
        "1.0.0"
    );
}

#[tokio::test]
async fn an_upgrade_keeps_the_old_version_until_the_new_one_is_valid() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let conn = host.token_connection("work", false).await;
    let (status, v1) = install(&host, versioned("1.0.0"), false).await;
    assert_eq!(status, 201, "{v1}");
    async fn run_version(host: &Host, conn: &str) -> String {
        let (status, body) = host.run("asana.test-versioned", conn, json!({})).await;
        assert_eq!(status, 200, "{body}");
        body["output"]["version"].as_str().unwrap().to_string()
    }

    // Broken upgrades: the new version's manifest is invalid, or the bytes are not a component.
    let (status, body) = install(&host, versioned(""), true).await;
    assert_eq!((status, code(&body)), (422, "invalid_manifest"), "{body}");
    let (status, body) = install(&host, b"garbage".to_vec(), true).await;
    assert_eq!((status, code(&body)), (400, "invalid_component"), "{body}");
    let (status, body) = host.get("/cards/asana.test-versioned").await;
    assert_eq!(status, 200);
    assert_eq!(body["version"], "1.0.0");
    assert_eq!(body["hash"], v1["card"]["hash"]);
    assert_eq!(body["installed_at"], v1["card"]["installed_at"]);
    assert_eq!(run_version(&host, &conn).await, "1.0.0");

    // A valid upgrade is swapped in.
    let (status, body) = install(&host, versioned("2.0.0"), true).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["upgraded_from"], "1.0.0");
    assert_eq!(body["card"]["version"], "2.0.0");
    assert_ne!(body["card"]["hash"], v1["card"]["hash"]);
    assert_eq!(run_version(&host, &conn).await, "2.0.0");
    assert_eq!(
        host.get("/cards/asana.test-versioned").await.1["version"],
        "2.0.0"
    );

    // Only the new component is kept in the store.
    let store = &host.app.store;
    let old = v1["card"]["hash"].as_str().unwrap();
    assert!(
        store.get_component(old).unwrap().is_none(),
        "the replaced component was dropped from the store"
    );
    let new = body["card"]["hash"].as_str().unwrap();
    assert!(store.get_component(new).unwrap().is_some());
}

#[tokio::test]
async fn upgrade_of_an_unknown_id_installs_it() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (status, body) = install(&host, versioned("3.0.0"), true).await;
    assert_eq!(status, 201, "{body}");
    assert!(body["upgraded_from"].is_null());
}
