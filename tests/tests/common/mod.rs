//! What the end-to-end suites share: a real cardhost (router, store,
//! runtime) on loopback, configured to talk to a fake Asana.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use cardhost::app::App;
use cardhost::config::Settings;
use cardhost_tests::fake_asana::{seed, FakeAsana};
use cardhost_tests::fake_github::{seed as github_seed, FakeGitHub};
use serde_json::Value;

/// The built-in connector `id`, as a host without env overrides resolves it.
pub fn builtin_connector(id: &str) -> cardhost::connectors::Connector {
    cardhost::connectors::Connector::builtins(&|_| None)
        .expect("the built-in connectors resolve")
        .into_iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no built-in connector {id}"))
}

/// The API key the test hosts use (a host refuses keys under 32 characters).
pub const API_KEY: &str = "test-api-key-0123456789-abcdefghijklmnop";

/// A compiled-card cache shared by every test host of this process, so a
/// card is compiled once per test binary rather than once per test. Private
/// (0700), as a host wants its cache.
pub fn shared_cache_dir() -> PathBuf {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("card-cache");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .expect("cache dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("cache dir mode");
    dir
}

/// The env keys pointing a host at the fake.
pub fn fake_env(fake: &FakeAsana) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = fake
        .cardhost_env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    env.extend(
        [
            ("CARDHOST_API_KEY", API_KEY.to_string()),
            ("CARDHOST_RUN_TIMEOUT_SECS", "10".to_string()),
            ("CARDHOST_MASTER_KEY", "aa".repeat(32)),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    env
}

/// The env keys pointing a host at a fake GitHub, with the fake's seeded
/// OAuth app as the connector's app.
pub fn github_env(github: &FakeGitHub) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = github
        .cardhost_env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    env.push(("GITHUB_CLIENT_ID".into(), github_seed::CLIENT_ID.into()));
    env.push((
        "GITHUB_CLIENT_SECRET".into(),
        github_seed::CLIENT_SECRET.into(),
    ));
    env
}

/// A cardhost serving on a random loopback port.
pub struct Host {
    pub app: App,
    pub base: String,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    server: tokio::task::JoinHandle<()>,
}

impl Host {
    /// A host with a fresh data dir.
    pub async fn start(fake: &FakeAsana) -> Host {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let mut host = Host::start_in(fake, &dir, &[]).await;
        host._tmp = Some(tmp);
        host
    }

    /// A host with a fresh data dir pointed at a fake Asana and a fake GitHub.
    pub async fn start_with_github(fake: &FakeAsana, github: &FakeGitHub) -> Host {
        let tmp = tempfile::tempdir().expect("temp dir");
        let env = github_env(github);
        let extra: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut host = Host::start_in(fake, tmp.path(), &extra).await;
        host._tmp = Some(tmp);
        host
    }

    /// A host on `dir` with extra env keys (later keys win).
    pub async fn start_in(fake: &FakeAsana, dir: &Path, extra: &[(&str, &str)]) -> Host {
        Host::try_start_in(fake, dir, extra)
            .await
            .expect("host starts")
    }

    /// A host on `dir` with extra env keys, or why it would not start. Like
    /// `cardhost serve`: the API key is resolved (from the env, else the data
    /// dir's key file), and the peer address of each connection is known.
    pub async fn try_start_in(
        fake: &FakeAsana,
        dir: &Path,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Host> {
        Host::try_start_with(fake, dir, extra, true).await
    }

    /// A host on `dir` whose background work never starts: it serves (and
    /// acknowledges provider deliveries) but runs no trigger, as a host
    /// stopped right after answering would.
    pub async fn start_without_background(fake: &FakeAsana, dir: &Path) -> Host {
        Host::try_start_with(fake, dir, &[], false)
            .await
            .expect("host starts")
    }

    async fn try_start_with(
        fake: &FakeAsana,
        dir: &Path,
        extra: &[(&str, &str)],
        background: bool,
    ) -> anyhow::Result<Host> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().unwrap();
        let base = format!("http://{address}");
        let mut env: HashMap<String, String> = fake_env(fake).into_iter().collect();
        env.insert("CARDHOST_DATA_DIR".into(), dir.display().to_string());
        env.insert("CARDHOST_LISTEN".into(), address.to_string());
        env.insert("CARDHOST_PUBLIC_URL".into(), base.clone());
        env.insert(
            "CARDHOST_CACHE_DIR".into(),
            shared_cache_dir().display().to_string(),
        );
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        let mut settings = Settings::from_lookup(move |k| env.get(k).cloned())?;
        settings.resolve_api_key()?;
        let app = App::start(settings).await?;
        let router = cardhost::api::router(app.clone());
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .expect("serve");
        });
        if background {
            app.start_background();
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Ok(Host {
            app,
            base,
            client,
            data_dir: dir.to_path_buf(),
            _tmp: None,
            server,
        })
    }

    /// The host's connector `id` (with the env overrides pointing at fakes).
    pub fn connector(&self, id: &str) -> std::sync::Arc<cardhost::connectors::Connector> {
        self.app
            .registry
            .get(id)
            .unwrap_or_else(|| panic!("no connector {id}"))
    }

    /// The key this host was started with (from the env or its key file).
    pub fn api_key(&self) -> String {
        use secrecy::ExposeSecret;
        self.app
            .settings
            .api_key
            .as_ref()
            .expect("a started host has a key")
            .expose_secret()
            .to_string()
    }

    /// A client whose connections come from another loopback address
    /// (127.0.0.2 and up), as a second machine would.
    pub fn client_from(&self, address: std::net::Ipv4Addr) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::V4(address))
            .build()
            .unwrap()
    }

    /// Stop serving and release the store (so the data dir can be reopened).
    pub async fn stop(self) -> Option<tempfile::TempDir> {
        self.server.abort();
        let _ = self.server.await;
        drop(self.client);
        self.app.shutdown().await;
        self.app.store.flush().await.expect("flush");
        // Connections the server accepted run in tasks of their own and hold
        // the app until they notice the client went away.
        let store = self.app.store.clone();
        drop(self.app);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::sync::Arc::strong_count(&store) > 1 {
            assert!(
                std::time::Instant::now() < deadline,
                "the host did not let go of its store"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        drop(store);
        self._tmp
    }

    /// A request to `/api/v1{path}` with the API key.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(self.api_key())
    }

    /// POST JSON to the API and return status and body.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .api(reqwest::Method::POST, path)
            .json(&body)
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    /// GET from the API and return status and body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .api(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request");
        status_json(r).await
    }

    /// A token connection on the fake's PAT (and optionally its service account token).
    pub async fn token_connection(&self, nickname: &str, service_account: bool) -> String {
        let mut body = serde_json::json!({"connector": "asana", "nickname": nickname, "access_token": seed::PAT});
        if service_account {
            body["service_account_token"] = seed::SERVICE_ACCOUNT_TOKEN.into();
        }
        let (status, body) = self.post("/connections", body).await;
        assert_eq!(status, 201, "{body}");
        body["connection"]["id"].as_str().unwrap().to_string()
    }

    /// A GitHub connection on a personal access token; its id.
    pub async fn github_token_connection(&self, nickname: &str, token: &str) -> String {
        let body =
            serde_json::json!({"connector": "github", "nickname": nickname, "access_token": token});
        let (status, body) = self.post("/connections", body).await;
        assert_eq!(status, 201, "{body}");
        body["connection"]["id"].as_str().unwrap().to_string()
    }

    /// A GitHub OAuth connection, consent approved at the fake; its id and
    /// the authorize URL it started from.
    pub async fn github_oauth_connection(&self, nickname: &str) -> (String, String) {
        let body = serde_json::json!({"connector": "github", "nickname": nickname});
        let (status, body) = self.post("/connections", body).await;
        assert_eq!(status, 201, "{body}");
        let id = body["connection"]["id"].as_str().unwrap().to_string();
        let url = body["authorize_url"].as_str().unwrap().to_string();
        let callback = self.approve(&url).await;
        let r = self.client.get(&callback).send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        (id, url)
    }

    /// Run a card over REST.
    pub async fn run(&self, card: &str, connection: &str, input: Value) -> (u16, Value) {
        self.post(
            &format!("/cards/{card}/run"),
            serde_json::json!({"connection": connection, "input": input}),
        )
        .await
    }

    /// Create an OAuth connection and complete its consent at the fake
    /// (approving without a browser); returns the connection id.
    pub async fn oauth_connection(&self, nickname: &str) -> String {
        let (status, body) = self
            .post(
                "/connections",
                serde_json::json!({"connector": "asana", "nickname": nickname}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["connection"]["id"].as_str().unwrap().to_string();
        let url = body["authorize_url"].as_str().unwrap().to_string();
        let callback = self.approve(&url).await;
        let r = self.client.get(&callback).send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        id
    }

    /// Follow an authorize URL declining at the fake; the callback URL it
    /// redirects to (carrying `error=access_denied`).
    pub async fn deny(&self, authorize_url: &str) -> String {
        let r = self
            .client
            .get(format!("{authorize_url}&approve=deny"))
            .send()
            .await
            .unwrap();
        r.headers()["location"].to_str().unwrap().to_string()
    }

    /// Follow an authorize URL with the fake's approve flag; the callback URL it redirects to.
    pub async fn approve(&self, authorize_url: &str) -> String {
        let r = self
            .client
            .get(format!("{authorize_url}&approve=1"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            302,
            "{}",
            r.text().await.unwrap_or_default()
        );
        r.headers()["location"].to_str().unwrap().to_string()
    }
}

/// The value of an `<input name=... value=...>` in a page.
pub fn input_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no input {name} in {html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// A cookie's `name=value` from a response's Set-Cookie headers, and the whole header.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<(String, String)> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| (v.split(';').next().unwrap().to_string(), v.to_string()))
}

impl Host {
    /// The console's sign-in form as `client` gets it: its login cookie
    /// (`cardhost_login=...`) and nonce.
    pub async fn login_form(&self, client: &reqwest::Client) -> (String, String) {
        let r = client
            .get(format!("{}/console/login", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let (login_cookie, _) = set_cookie(&r, "cardhost_login").expect("login cookie");
        let nonce = input_value(&r.text().await.unwrap(), "nonce");
        (login_cookie, nonce)
    }

    /// Sign in to the console with the API key from `client`, asking to go
    /// to `next`; the session cookie (`cardhost_session=...`).
    pub async fn sign_in_console(&self, client: &reqwest::Client, next: &str) -> String {
        let (login_cookie, nonce) = self.login_form(client).await;
        let r = client
            .post(format!("{}/console/login", self.base))
            .header("cookie", login_cookie)
            .form(&[
                ("api_key", self.api_key().as_str()),
                ("nonce", &nonce),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        assert_eq!(r.headers()["location"], next);
        set_cookie(&r, "cardhost_session")
            .expect("session cookie")
            .0
    }
}

pub async fn status_json(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Every file under `dir`, as bytes.
pub fn all_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p, bytes));
            }
        }
    }
    out
}

/// Assert that no file under `dir` contains any of `secrets`.
pub fn assert_no_secret_in(dir: &Path, secrets: &[&str]) {
    for (path, bytes) in all_files(dir) {
        for s in secrets {
            assert!(
                !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
                "{} holds a secret in plain text",
                path.display()
            );
        }
    }
}
