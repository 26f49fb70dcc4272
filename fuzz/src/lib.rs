//! What the fuzz targets share: a host started once per fuzzing process,
//! on a data dir of its own, for the targets that go through its services
//! (flow definitions, the OAuth callback), and the split of an input into
//! lines for the targets whose input has several parts.
//!
//! The host never reaches the network: the connectors' token endpoints point
//! at a loopback port nothing listens on, so a callback that gets as far as
//! exchanging its code fails at once.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use cardhost::app::App;
use cardhost::config::Settings;
use serde_json::json;

/// A started host and the runtime its services run on.
pub struct Host {
    pub rt: tokio::runtime::Runtime,
    pub app: App,
    /// The id of a pending OAuth connection to Asana, nicknamed `work`.
    pub asana: String,
    /// The id of a pending OAuth connection to GitHub, nicknamed `gh`.
    pub github: String,
}

/// The host of this process, started on first use. The targets that use it
/// start it in libFuzzer's initialisation, so that the first input is not
/// charged with the start (and not reported as slow).
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(start)
}

fn start() -> Host {
    let base = std::env::temp_dir();
    let data_dir = base.join(format!(
        "cardhost-fuzz-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    // Compiled cards are kept across fuzzing processes (`.ci/fuzz` keeps them
    // under fuzz/target/): compiling them with an instrumented compiler takes
    // a minute or two, loading them from the cache a moment.
    let cache_dir: PathBuf = std::env::var_os("CARDHOST_FUZZ_CARD_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| base.join("cardhost-fuzz-cache"));
    let refused = "http://127.0.0.1:9";
    let env: HashMap<String, String> = [
        ("CARDHOST_DATA_DIR", data_dir.display().to_string()),
        ("CARDHOST_CACHE_DIR", cache_dir.display().to_string()),
        ("CARDHOST_LISTEN", "127.0.0.1:7077".into()),
        ("CARDHOST_PUBLIC_URL", "http://127.0.0.1:7077".into()),
        ("CARDHOST_MASTER_KEY", "ab".repeat(32)),
        ("CARDHOST_API_KEY", "0123456789abcdef".repeat(4)),
        ("ASANA_CLIENT_ID", "fuzz-asana-client".into()),
        ("ASANA_CLIENT_SECRET", "fuzz-asana-secret".into()),
        ("ASANA_TOKEN_URL", format!("{refused}/-/oauth_token")),
        ("ASANA_API_BASE_URL", format!("{refused}/api/1.0")),
        ("GITHUB_CLIENT_ID", "fuzz-github-client".into()),
        ("GITHUB_CLIENT_SECRET", "fuzz-github-secret".into()),
        (
            "GITHUB_TOKEN_URL",
            format!("{refused}/login/oauth/access_token"),
        ),
        ("GITHUB_API_BASE_URL", refused.into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let (app, asana, github) = rt.block_on(async {
        let mut settings =
            Settings::from_lookup(move |k| env.get(k).cloned()).expect("fuzz settings are valid");
        settings.resolve_api_key().expect("the API key");
        let app = App::start(settings).await.expect("the host starts");
        let asana = pending(&app, "asana", "work").await;
        let github = pending(&app, "github", "gh").await;
        (app, asana, github)
    });
    Host {
        rt,
        app,
        asana,
        github,
    }
}

/// A new OAuth connection, pending until its callback.
async fn pending(app: &App, connector: &str, nickname: &str) -> String {
    let req = serde_json::from_value(json!({ "connector": connector, "nickname": nickname }))
        .expect("a connection request");
    let created = app
        .connections
        .create(req)
        .await
        .expect("an OAuth connection is created without the network");
    created.connection.id
}

/// The input as text, split at its first `n - 1` newlines into `n` parts
/// (missing parts are empty).
pub fn parts(data: &[u8], n: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(data);
    let mut out: Vec<String> = text.splitn(n, '\n').map(str::to_string).collect();
    out.resize(n, String::new());
    out
}
