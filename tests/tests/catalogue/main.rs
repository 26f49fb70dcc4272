//! End-to-end tests of the card catalogue (installing, checking, upgrading,
//! persisting and compiling cards once) and of the checked-in JSON Schemas.

#[path = "../common/mod.rs"]
mod common;

mod connectors;
mod hardening;
mod install;
mod restart;
mod schemas;

use std::sync::Arc;
use std::time::Instant;

use cardhost::capability::{Grant, StaticCredentials};
use cardhost::runtime::builtin::CARDS_DIR;
use cardhost::runtime::{LoadedCard, RunContext};
use cardhost_tests::fake_asana::seed;
use serde_json::Value;

use common::{status_json, Host};

/// A test card the host's build script built (`hostile_card`, `versioned_card`, ...).
pub fn card_bytes(name: &str) -> Vec<u8> {
    std::fs::read(format!("{CARDS_DIR}/{name}.wasm"))
        .unwrap_or_else(|e| panic!("the test card {name} is built: {e}"))
}

const VERSION_MARKER: &[u8] = b"CARDHOST-TEST-VERSION:";
const VERSION_SLOT: usize = 16;

/// The `asana.test-versioned` card reporting `version` (blank: an invalid
/// manifest): its version slot overwritten in place.
pub fn versioned(version: &str) -> Vec<u8> {
    assert!(version.len() <= VERSION_SLOT);
    let mut bytes = card_bytes("versioned_card");
    let at: Vec<usize> = bytes
        .windows(VERSION_MARKER.len())
        .enumerate()
        .filter(|(_, w)| *w == VERSION_MARKER)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "the version marker is in the card once");
    let start = at[0] + VERSION_MARKER.len();
    let slot = format!("{version:<width$}", width = VERSION_SLOT);
    bytes[start..start + VERSION_SLOT].copy_from_slice(slot.as_bytes());
    bytes
}

/// POST a component to `/api/v1/cards`.
pub async fn install(host: &Host, bytes: Vec<u8>, upgrade: bool) -> (u16, Value) {
    let mut request = host
        .api(reqwest::Method::POST, "/cards")
        .header("content-type", "application/wasm")
        .body(bytes);
    if upgrade {
        request = request.query(&[("upgrade", "true")]);
    }
    status_json(request.send().await.expect("request")).await
}

/// The definition of the `test` connector the test cards (`test.hostile`,
/// ...) belong to; nothing calls its API.
pub const TEST_CONNECTOR: &str = r#"
id = "test"
name = "Test"
description = "The connector of the test-only cards."

[api]
base_url = "https://api.test.example"

[auth.oauth2]
authorize_url = "https://test.example/authorize"
token_url = "https://test.example/token"
client_auth = "request_body"
default_scopes = { from = "cards", scopes = [] }
revoke = { url = "https://test.example/revoke", method = "POST", client_auth = "request_body", body = "form", token = "refresh_token", token_field = "token" }
scopes = { default = "Everything" }

[auth.token]
label = "Test token"
description = "Any token."

[whoami]
path = "/me"
account = { id = ["/id"], name = ["/name"] }
"#;

/// POST a connector definition (TOML) to `/api/v1/connectors`.
pub async fn install_connector(host: &Host, toml: &str, upgrade: bool) -> (u16, Value) {
    let mut request = host
        .api(reqwest::Method::POST, "/connectors")
        .header("content-type", "application/toml")
        .body(toml.to_string());
    if upgrade {
        request = request.query(&[("upgrade", "true")]);
    }
    status_json(request.send().await.expect("request")).await
}

/// Install the `test` connector, so that the test cards install.
pub async fn install_test_connector(host: &Host) {
    let (status, body) = install_connector(host, TEST_CONNECTOR, false).await;
    assert_eq!(status, 201, "{body}");
}

/// The error code of an error response.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

/// Run a loaded card with the fake's token; its output.
pub async fn run_loaded(host: &Host, card: &LoadedCard, input: Value) -> Value {
    let grant = Grant {
        connector: host.connector("asana"),
        credentials: Arc::new(StaticCredentials::new(
            Some(seed::PAT.to_string().into()),
            None,
        )),
        allow_service_account: false,
        deadline: Instant::now() + host.app.runtime.config().timeout,
    };
    let context = RunContext {
        connector: "asana".into(),
        default_workspace: Some(seed::WORKSPACE_GID.into()),
        has_service_account: false,
    };
    let report = host
        .app
        .runtime
        .run(card, &input, &context, Some(grant))
        .await;
    report.result.expect("the card runs")
}
