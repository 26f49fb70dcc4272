//! The catalogue against hostile components: a manifest that never answers
//! (at install, abandoned by its client, and already in the store at
//! start), imports the host does not link, components too large to compile,
//! a compiled-card cache tampered with, and deleting cards. After each, the
//! host keeps serving.

use std::collections::BTreeSet;
use std::future::Future;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use cardhost::runtime::catalogue::CardRecord;
use cardhost::store::Store;
use cardhost_tests::fake_asana::{seed, FakeAsana};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::common::Host;
use crate::{card_bytes, code, install, versioned};

/// How long a step may take before the test calls it hung: far above what
/// any step needs, so a pass never depends on speed.
const HANG: Duration = Duration::from_secs(120);

async fn within<T>(what: &str, step: impl Future<Output = T>) -> T {
    tokio::time::timeout(HANG, step)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish: the host hangs"))
}

/// Wait until `runs` run slots are taken.
async fn runs_in_progress_become(host: &Host, runs: usize, what: &str) {
    within(what, async {
        while host.app.runtime.runs_in_progress() != runs {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The compiled artifacts in a cache dir, by file name.
fn artifacts(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| name.ends_with(".cwasm"))
                .collect()
        })
        .unwrap_or_default()
}

fn has_artifact_of(dir: &Path, bytes: &[u8]) -> bool {
    let hash = sha256_hex(bytes);
    artifacts(dir).iter().any(|name| name.starts_with(&hash))
}

/// A normal card run over REST still works.
/// A normal run is served, and so is the next install (the install lock
/// and the run slots are free).
async fn serves_and_installs_again(host: &Host) {
    still_serving(host).await;
    let (status, body) = within("the next install", install(host, versioned("1.0.0"), false)).await;
    assert_eq!(status, 201, "{body}");
}

async fn still_serving(host: &Host) {
    let conn = host.token_connection("still-serving", false).await;
    let (status, body) = within(
        "a normal run",
        host.run("asana.read-user", &conn, json!({"user": "me"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["output"]["gid"], seed::ME_GID);
    let (status, health) = within("healthz", get_root(host, "/healthz")).await;
    assert_eq!(status, 200, "{health}");
}

/// GET a path outside `/api/v1` (no key needed).
async fn get_root(host: &Host, path: &str) -> (u16, Value) {
    let r = host
        .client
        .get(format!("{}{path}", host.base))
        .send()
        .await
        .expect("request");
    crate::common::status_json(r).await
}

#[tokio::test]
async fn a_manifest_that_never_answers_is_refused_in_time() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let cache_env = cache.display().to_string();
    let host = Host::start_in(
        &fake,
        &tmp.path().join("data"),
        &[
            ("CARDHOST_CARD_LOAD_TIMEOUT_SECS", "1"),
            ("CARDHOST_MAX_CONCURRENT_RUNS", "1"),
            ("CARDHOST_CACHE_DIR", &cache_env),
        ],
    )
    .await;
    let sleepy = card_bytes("sleepy_card");
    let (status, body) = within(
        "installing a card whose manifest sleeps",
        install(&host, sleepy.clone(), false),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "card_timeout", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1000 ms"),
        "{body}"
    );
    assert_eq!(host.app.runtime.runs_in_progress(), 0, "the slot is back");
    assert!(
        !has_artifact_of(&cache, &sleepy),
        "a card that failed its checks is not cached"
    );
    // The one run slot and the install lock are free: runs and installs go on.
    serves_and_installs_again(&host).await;
    host.stop().await;
}

#[tokio::test]
async fn an_install_its_client_abandons_gives_back_its_slot_and_lock() {
    let fake = FakeAsana::start().await;
    // A manifest may take ten minutes here: only the client going away can
    // end this install within the test.
    let host = Host::start_in(
        &fake,
        tempfile::tempdir().unwrap().keep().as_path(),
        &[
            ("CARDHOST_CARD_LOAD_TIMEOUT_SECS", "600"),
            ("CARDHOST_MAX_CONCURRENT_RUNS", "1"),
        ],
    )
    .await;
    let url = format!("{}/api/v1/cards", host.base);
    let abandoned = tokio::spawn(async move {
        let client = reqwest::Client::new();
        let _ = client
            .post(url)
            .bearer_auth(crate::common::API_KEY)
            .header("content-type", "application/wasm")
            .body(card_bytes("sleepy_card"))
            .send()
            .await;
    });
    runs_in_progress_become(&host, 1, "the sleepy manifest taking the run slot").await;
    // The client goes away (its connection closes).
    abandoned.abort();
    let _ = abandoned.await;

    runs_in_progress_become(&host, 0, "the slot coming back").await;
    serves_and_installs_again(&host).await;
    host.stop().await;
}

#[tokio::test]
async fn a_stored_card_that_does_not_answer_at_start_is_unavailable_and_the_host_ready() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    let host = Host::start_in(&fake, &data, &[]).await;
    let shipped = host.app.catalogue.record("asana.read-user").await.unwrap();
    host.stop().await;

    // The store holds a card that answered at install and sleeps since (for
    // example after a date): its component is the sleepy card.
    let sleepy = card_bytes("sleepy_card");
    {
        let store = Store::open(&data, Some(&"aa".repeat(32))).expect("store opens");
        let mut record: CardRecord = shipped.as_ref().clone();
        record.id = "test.sleepy".into();
        record.manifest.id = "test.sleepy".into();
        record.builtin = false;
        record.hash = sha256_hex(&sleepy);
        store.put_card(&record, Some(&sleepy)).await.unwrap();
    }

    let host = within(
        "starting with a card that does not answer",
        Host::start_in(&fake, &data, &[("CARDHOST_CARD_LOAD_TIMEOUT_SECS", "1")]),
    )
    .await;
    let (status, listed) = host.get("/cards").await;
    assert_eq!(status, 200, "{listed}");
    for card in listed["data"].as_array().unwrap() {
        let sleepy = card["id"] == "test.sleepy";
        assert_eq!(card["available"], !sleepy, "{card}");
    }
    let (status, card) = host.get("/cards/test.sleepy").await;
    assert_eq!(status, 200, "{card}");
    assert_eq!(card["available"], false);
    assert!(
        card["unavailable_reason"]
            .as_str()
            .unwrap()
            .contains("did not answer within 1000 ms"),
        "{card}"
    );
    let (_, health) = get_root(&host, "/healthz").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["cards_unavailable"], 1, "{health}");

    let conn = host.token_connection("work", false).await;
    let (status, body) = host.run("test.sleepy", &conn, json!({})).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "card_unavailable", "{body}");
    still_serving(&host).await;

    // Deleting it is the way out.
    let r = host
        .api(reqwest::Method::DELETE, "/cards/test.sleepy")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, _) = host.get("/cards/test.sleepy").await;
    assert_eq!(status, 404);
    let (_, health) = get_root(&host, "/healthz").await;
    assert_eq!(health["cards_unavailable"], 0, "{health}");
    host.stop().await;
}

#[tokio::test]
async fn a_component_importing_interfaces_the_host_does_not_link_is_refused() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let (status, body) = install(&host, card_bytes("net_card"), false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "unsupported_imports", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    for interface in ["wasi:sockets/tcp@", "wasi:sockets/ip-name-lookup@"] {
        assert!(message.contains(interface), "{message}");
    }
    assert!(
        !message.contains("wasi:cli/"),
        "only the missing ones: {message}"
    );
    let (status, _) = host.get("/cards/test.net").await;
    assert_eq!(status, 404);
    still_serving(&host).await;
}

/// A component of one core module holding `functions` functions whose
/// bodies are each `body_bytes` long (`local.get 0; i32.const 1; i32.add;
/// local.set 0`, repeated): valid WebAssembly that is only costly to compile.
fn code_heavy_component(functions: u32, body_bytes: usize) -> Vec<u8> {
    fn leb(mut n: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    fn section(id: u8, content: &[u8], out: &mut Vec<u8>) {
        out.push(id);
        leb(content.len() as u64, out);
        out.extend_from_slice(content);
    }
    let step = [0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00];
    let mut body = vec![0x01, 0x01, 0x7f]; // one i32 local
    while body.len() + step.len() < body_bytes {
        body.extend_from_slice(&step);
    }
    body.push(0x0b);
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    section(1, &[0x01, 0x60, 0x00, 0x00], &mut module);
    let mut funcs = Vec::new();
    leb(functions.into(), &mut funcs);
    funcs.extend(std::iter::repeat_n(0x00, functions as usize));
    section(3, &funcs, &mut module);
    let mut code = Vec::new();
    leb(functions.into(), &mut code);
    for _ in 0..functions {
        leb(body.len() as u64, &mut code);
        code.extend_from_slice(&body);
    }
    section(10, &code, &mut module);
    let mut component = b"\0asm\x0d\0\x01\0".to_vec();
    section(1, &module, &mut component);
    component
}

#[tokio::test]
async fn components_beyond_the_compile_bounds_are_refused_without_compiling() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let cache_env = cache.display().to_string();
    let host = Host::start_in(
        &fake,
        &tmp.path().join("data"),
        &[("CARDHOST_CACHE_DIR", &cache_env)],
    )
    .await;
    let limits = host.app.runtime.config().compile_limits.clone();

    // Nearly 16 MiB of code in 160 functions of 100 KiB.
    let huge = code_heavy_component(160, 100 << 10);
    assert!(huge.len() > 15 << 20 && huge.len() < 16 << 20);
    let (status, body) = within("refusing 16 MiB of code", install(&host, huge, false)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "compile_limit", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("bytes of code"), "{message}");
    assert!(
        message.contains(&limits.max_code_bytes.to_string()),
        "{message}"
    );

    // One function over the largest a card may have.
    let (status, body) = install(
        &host,
        code_heavy_component(1, limits.max_function_bytes + 1024),
        false,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "compile_limit", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("largest function"),
        "{body}"
    );

    // Too many functions.
    let many = u32::try_from(limits.max_functions).unwrap() + 1;
    let (status, body) = install(&host, code_heavy_component(many, 8), false).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("functions"),
        "{body}"
    );

    // Within the bounds, the same kind of component is compiled (and then
    // refused as what it is: not a card), so the bounds are what refused
    // the others.
    let (status, body) = install(&host, code_heavy_component(4, 4096), false).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(code(&body), "not_a_card", "{body}");

    assert_eq!(
        artifacts(&cache).len(),
        cardhost::runtime::builtin::BUILTIN_CARDS.len(),
        "only the built-in cards are cached"
    );
    let (status, body) = install(&host, versioned("1.0.0"), false).await;
    assert_eq!(status, 201, "{body}");
    still_serving(&host).await;
    host.stop().await;
}

#[tokio::test]
async fn the_cache_is_private_and_loads_only_what_this_host_wrote() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cache = tmp.path().join("cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache_env = cache.display().to_string();
    let env = [("CARDHOST_CACHE_DIR", cache_env.as_str())];

    let host = Host::start_in(&fake, &data, &env).await;
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "the cache is tightened to its owner");
    let read_user = host.app.catalogue.record("asana.read-user").await.unwrap();
    let search_user = host
        .app
        .catalogue
        .record("asana.search-user")
        .await
        .unwrap();
    host.stop().await;

    // Plant a genuine artifact under another card's name: the host must not
    // run search-user's code as read-user.
    let name = |hash: &str| {
        artifacts(&cache)
            .into_iter()
            .find(|n| n.starts_with(hash))
            .expect("cached")
    };
    let (victim, planted) = (name(&read_user.hash), name(&search_user.hash));
    std::fs::copy(cache.join(&planted), cache.join(&victim)).unwrap();
    let forged = std::fs::read(cache.join(&victim)).unwrap();

    let host = Host::start_in(&fake, &data, &env).await;
    let conn = host.token_connection("work", false).await;
    let (status, body) = host
        .run("asana.read-user", &conn, json!({"user": "me"}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["output"]["gid"],
        seed::ME_GID,
        "read-user's own code ran"
    );
    assert_ne!(
        std::fs::read(cache.join(&victim)).unwrap(),
        forged,
        "the forged artifact was replaced by a compile of the real card"
    );
    host.stop().await;

    // A cache another user owns is refused (only root can set that up).
    if std::os::unix::fs::chown(&cache, Some(65534), None).is_ok() {
        let mut env: std::collections::HashMap<String, String> =
            crate::common::fake_env(&fake).into_iter().collect();
        env.insert("CARDHOST_DATA_DIR".into(), data.display().to_string());
        env.insert("CARDHOST_CACHE_DIR".into(), cache_env.clone());
        let settings =
            cardhost::config::Settings::from_lookup(move |k| env.get(k).cloned()).unwrap();
        let err = cardhost::app::App::start(settings)
            .await
            .err()
            .expect("refused");
        assert!(
            format!("{err:#}").contains("belongs to user 65534"),
            "{err:#}"
        );
    }
}

#[tokio::test]
async fn only_installed_cards_are_cached_and_unused_artifacts_are_pruned() {
    let fake = FakeAsana::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cache = tmp.path().join("cache");
    let cache_env = cache.display().to_string();
    let env = [("CARDHOST_CACHE_DIR", cache_env.as_str())];
    let host = Host::start_in(&fake, &data, &env).await;
    let builtins = artifacts(&cache);
    assert_eq!(
        builtins.len(),
        cardhost::runtime::builtin::BUILTIN_CARDS.len(),
        "{builtins:?}"
    );

    // Refused installs leave nothing behind.
    let (status, _) = install(&host, versioned(""), false).await;
    assert_eq!(status, 422);
    assert!(!has_artifact_of(&cache, &versioned("")));
    assert_eq!(artifacts(&cache), builtins);

    let hostile = card_bytes("hostile_card");
    crate::install_test_connector(&host).await;
    let (status, body) = install(&host, hostile.clone(), false).await;
    assert_eq!(status, 201, "{body}");
    assert!(has_artifact_of(&cache, &hostile));

    // An upgrade replaces the old version's artifact.
    let (v1, v2) = (versioned("1.0.0"), versioned("2.0.0"));
    assert_eq!(install(&host, v1.clone(), false).await.0, 201);
    assert!(has_artifact_of(&cache, &v1));
    assert_eq!(install(&host, v2.clone(), true).await.0, 200);
    assert!(has_artifact_of(&cache, &v2));
    assert!(!has_artifact_of(&cache, &v1), "pruned after the upgrade");

    // Delete removes the card, its component and its artifact.
    let r = host
        .api(reqwest::Method::DELETE, "/cards/test.hostile")
        .send()
        .await
        .unwrap();
    let (status, body) = crate::common::status_json(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["deleted"]["id"], "test.hostile");
    assert!(!has_artifact_of(&cache, &hostile));
    let hash = sha256_hex(&hostile);
    assert!(host.app.store.get_component(&hash).unwrap().is_none());
    let (status, _) = host.get("/cards/test.hostile").await;
    assert_eq!(status, 404);
    host.stop().await;

    // A stray artifact is pruned at start; the deleted card stays deleted.
    let stray = format!("{}-0123456789abcdef.cwasm", "ee".repeat(32));
    std::fs::write(cache.join(&stray), b"not ours").unwrap();
    let host = Host::start_in(&fake, &data, &env).await;
    assert!(!cache.join(&stray).exists(), "pruned at start");
    let (status, _) = host.get("/cards/test.hostile").await;
    assert_eq!(status, 404);
    let mut expected = builtins.clone();
    expected.extend(
        artifacts(&cache)
            .into_iter()
            .filter(|n| n.starts_with(&sha256_hex(&v2))),
    );
    assert_eq!(artifacts(&cache), expected);
    host.stop().await;
}

#[tokio::test]
async fn deleting_is_refused_for_builtin_cards_and_cards_flows_use() {
    let fake = FakeAsana::start().await;
    let host = Host::start(&fake).await;
    let delete = |id: &str| {
        let request = host.api(reqwest::Method::DELETE, &format!("/cards/{id}"));
        async move { crate::common::status_json(request.send().await.unwrap()).await }
    };

    let (status, body) = delete("asana.read-user").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(code(&body), "builtin_card");
    let (status, body) = delete("asana.nope").await;
    assert_eq!(status, 404, "{body}");

    assert_eq!(install(&host, versioned("1.0.0"), false).await.0, 201);
    let conn = host.token_connection("work", false).await;
    let (status, flow) = host
        .post(
            "/flows",
            json!({"name": "Uses versioned", "steps": [
                {"id": "v", "card": "asana.test-versioned", "connection": conn, "input": {}}
            ]}),
        )
        .await;
    assert_eq!(status, 201, "{flow}");
    let flow_id = flow["id"].as_str().unwrap();
    let (status, body) = delete("asana.test-versioned").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(code(&body), "card_in_use");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(flow_id) && message.contains("Uses versioned"),
        "{message}"
    );
    let (status, _) = host.get("/cards/asana.test-versioned").await;
    assert_eq!(status, 200, "still installed");

    let r = host
        .api(reqwest::Method::DELETE, &format!("/flows/{flow_id}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let (status, body) = delete("asana.test-versioned").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = host.run("asana.test-versioned", &conn, json!({})).await;
    assert_eq!(status, 404, "{body}");
    still_serving(&host).await;
}
