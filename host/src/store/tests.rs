//! Test helpers shared by the store's modules, and the tests of the store as a whole: opening, keys,
//! locking, persistence across reopen, and the raw scan of the data dir for leaked tokens.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use tempfile::TempDir;

use super::keyfile::key_file_path;
use super::model::{AuthMethod, Connection, OAuthState, Secrets};
use super::{AppSettings, SledStore, Store, StoreError};
use crate::flows::model::{Flow, FlowDefinition};

/// A store on a new temp dir, with a key file.
pub(crate) fn open_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), None).unwrap();
    (dir, store)
}

/// A store on a new temp dir, and its sled backend for the tests that reach under the traits.
pub(crate) fn open_raw() -> (TempDir, Store, Arc<SledStore>) {
    let dir = tempfile::tempdir().unwrap();
    let raw = Arc::new(SledStore::open(dir.path(), None).unwrap());
    (dir, Store::new(raw.clone()), raw)
}

/// Opens a data dir again (the previous `Store` must be dropped).
pub(crate) fn reopen(dir: &Path) -> Store {
    Store::open(dir, None).unwrap()
}

/// Opens a data dir's sled backend again (the previous one must be dropped).
pub(crate) fn reopen_raw(dir: &Path) -> Arc<SledStore> {
    Arc::new(SledStore::open(dir, None).unwrap())
}

/// A new flow of no steps, version 1.
pub(crate) fn flow(name: &str) -> Flow {
    let now = Utc::now();
    Flow {
        id: uuid::Uuid::new_v4().to_string(),
        version: 1,
        created_at: now,
        updated_at: now,
        definition: FlowDefinition {
            name: name.into(),
            ..FlowDefinition::default()
        },
        connections: Vec::new(),
        trigger_connection: None,
    }
}

/// A new connection of a made-up connector.
pub(crate) fn conn(nickname: &str) -> Connection {
    Connection::new("example", nickname, AuthMethod::OAuth)
}

/// All three secrets, `<tag>-access`, `<tag>-refresh`, `<tag>-service`.
pub(crate) fn full_secrets(tag: &str) -> Secrets {
    Secrets {
        access_token: Some(format!("{tag}-access").into()),
        refresh_token: Some(format!("{tag}-refresh").into()),
        service_account_token: Some(format!("{tag}-service").into()),
    }
}

/// A state for `connection_id` expiring in `minutes`.
pub(crate) fn oauth_state(connection_id: &str, minutes: i64) -> OAuthState {
    OAuthState {
        connection_id: connection_id.into(),
        connector: "example".into(),
        redirect_uri: "http://127.0.0.1:8080/oauth/callback".into(),
        scopes: vec!["users:read".into()],
        pkce_verifier: "verifier-for-test-0123456789".into(),
        created_at: Utc::now(),
        expires_at: Utc::now() + Duration::minutes(minutes),
    }
}

/// The plaintext of an optional secret ("" when absent).
pub(crate) fn reveal(secret: &Option<SecretString>) -> String {
    secret
        .as_ref()
        .map(|s| s.expose_secret().to_owned())
        .unwrap_or_default()
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Whether any file under `dir` contains `needle` as raw bytes.
fn any_file_contains(dir: &Path, needle: &str) -> Option<PathBuf> {
    let files = files_under(dir);
    assert!(files.len() > 2, "the data dir has files: {files:?}");
    files.into_iter().find(|file| {
        let bytes = fs::read(file).unwrap();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

/// Fails if any file under `dir` contains any of `needles`; `control` (stored in the clear) must be found,
/// proving the scan sees what sled wrote.
pub(crate) fn assert_no_file_contains(dir: &Path, needles: &[String], control: &str) {
    assert!(
        any_file_contains(dir, control).is_some(),
        "the scan does not see sled's data"
    );
    for needle in needles {
        if let Some(file) = any_file_contains(dir, needle) {
            panic!("{} contains the secret {needle}", file.display());
        }
    }
}

/// Distinctive secrets for the raw scan.
fn distinctive_secrets() -> (Secrets, OAuthState, AppSettings, Vec<String>) {
    let tag = "ZQXJ-tok";
    let secrets = full_secrets(tag);
    let mut state = oauth_state("", 10);
    state.pkce_verifier = format!("{tag}-pkce-verifier").into();
    let mut settings = AppSettings::new("example");
    settings.client_secret = Some(format!("{tag}-client-secret").into());
    settings.personal_access_token = Some(format!("{tag}-app-pat").into());
    let needles = [
        "access",
        "refresh",
        "service",
        "pkce-verifier",
        "client-secret",
        "app-pat",
    ]
    .iter()
    .map(|s| format!("{tag}-{s}"))
    .chain(["raw-state-value-ZQXJ".to_owned()])
    .collect();
    (secrets, state, settings, needles)
}

#[tokio::test]
async fn reopening_keeps_everything() {
    let (dir, store) = open_store();
    let c = conn("Persist");
    store
        .create_connection(c.clone(), full_secrets("p"))
        .await
        .unwrap();
    store.touch_last_used(&c.id).await.unwrap();
    let before = store.get_connection(&c.id).unwrap().unwrap();
    drop(store);
    let store = reopen(dir.path());
    assert_eq!(store.get_connection(&c.id).unwrap().unwrap(), before);
    let secrets = store.get_secrets(&c.id).unwrap().unwrap();
    assert_eq!(reveal(&secrets.access_token), "p-access");
    assert_eq!(reveal(&secrets.refresh_token), "p-refresh");
    assert_eq!(reveal(&secrets.service_account_token), "p-service");
    assert_eq!(
        store
            .find_connection("example", "persist")
            .unwrap()
            .unwrap()
            .id,
        c.id
    );
}

#[tokio::test]
async fn a_raw_scan_of_the_data_dir_finds_no_secret() {
    let (dir, store) = open_store();
    let (secrets, mut state, settings, needles) = distinctive_secrets();
    let c = conn("Scan");
    store.create_connection(c.clone(), secrets).await.unwrap();
    state.connection_id = c.id.clone();
    store
        .put_oauth_state("raw-state-value-ZQXJ", state)
        .await
        .unwrap();
    store.put_app_settings(settings).await.unwrap();
    // A flow's name is kept in the clear: the scan must find it.
    let control = "plaintext-control-ZQXJ";
    store.put_flow(&flow(control)).await.unwrap();
    store
        .update_connection(&c.id, |_, s| {
            s.access_token = Some("ZQXJ-tok-access".into());
            Ok(())
        })
        .await
        .unwrap();
    store.flush().await.unwrap();
    assert_no_file_contains(dir.path(), &needles, control);
    drop(store);
    assert_no_file_contains(dir.path(), &needles, control);
    let store = reopen(dir.path());
    assert_eq!(
        reveal(&store.get_secrets(&c.id).unwrap().unwrap().access_token),
        "ZQXJ-tok-access"
    );
    store.flush().await.unwrap();
    drop(store);
    assert_no_file_contains(dir.path(), &needles, control);
}

#[tokio::test]
async fn the_wrong_master_key_fails_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let key_a = "11".repeat(32);
    let store = Store::open(dir.path(), Some(&key_a)).unwrap();
    store
        .create_connection(conn("K"), full_secrets("k"))
        .await
        .unwrap();
    drop(store);
    assert!(
        !key_file_path(dir.path()).exists(),
        "no key file when the env key is used"
    );
    let err = Store::open(dir.path(), Some(&"22".repeat(32))).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey), "{err}");
    assert!(err.to_string().contains("does not match"), "{err}");
    let err = Store::open(dir.path(), None).unwrap_err();
    assert!(matches!(err, StoreError::MissingMasterKey { .. }), "{err}");
    assert!(
        !key_file_path(dir.path()).exists(),
        "no new key for a sealed data dir"
    );
    Store::open(dir.path(), Some(&key_a)).unwrap();
}

#[test]
fn a_replaced_key_file_is_the_wrong_master_key() {
    let (dir, store) = open_store();
    drop(store);
    let path = key_file_path(dir.path());
    fs::remove_file(&path).unwrap();
    super::keyfile::create_key_file(&path).unwrap();
    let err = Store::open(dir.path(), None).unwrap_err();
    assert!(matches!(err, StoreError::WrongMasterKey), "{err}");
}

#[test]
fn a_malformed_env_key_fails_before_touching_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for bad in ["", "abc", "not-hex-not-base64!!", &"1".repeat(63)] {
        let err = Store::open(&data, Some(bad)).unwrap_err();
        assert!(matches!(err, StoreError::BadMasterKey(_)), "{err}");
    }
    assert!(!data.exists());
}

#[test]
fn the_key_file_and_data_dir_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let store = Store::open(&data, None).unwrap();
    assert_eq!(store.data_dir(), data.as_path());
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key_file_path(&data)), 0o600);
    assert_eq!(mode(&data), 0o700);
    drop(store);
    fs::set_permissions(key_file_path(&data), fs::Permissions::from_mode(0o644)).unwrap();
    let err = Store::open(&data, None).unwrap_err();
    assert!(
        matches!(err, StoreError::KeyFilePermissions { .. }),
        "{err}"
    );
}

#[test]
fn a_second_open_while_the_first_is_open_is_locked() {
    let (dir, store) = open_store();
    let err = Store::open(dir.path(), None).unwrap_err();
    assert!(
        matches!(&err, StoreError::Locked { path } if path == dir.path()),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("REST API") && message.contains("stop the server"),
        "{message}"
    );
    drop(store);
    reopen(dir.path());
}

#[test]
fn futures_are_send_and_store_is_shareable() {
    fn send<T: Send>(_: T) {}
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Store>();
    let (_dir, store) = open_store();
    send(store.flush());
    send(store.create_connection(conn("x"), Secrets::default()));
    send(store.update_connection("x", |_, _| Ok(())));
    send(store.touch_last_used("x"));
    send(store.delete_connection("x"));
    send(store.put_oauth_state("s", oauth_state("x", 1)));
    send(store.take_oauth_state("s"));
    send(store.purge_expired_oauth_states(Utc::now()));
    send(store.put_app_settings(AppSettings::new("example")));
    send(store.put_flow(&flow("f")));
    send(store.delete_flow("f"));
    send(store.mark_interrupted());
    send(store.delete_card("c"));
    assert!(format!("{store:?}").starts_with("Store {"));
}
