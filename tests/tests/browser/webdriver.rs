//! A small W3C WebDriver client over reqwest, driving Debian's Chromium
//! headless through `/usr/bin/chromedriver`.
//!
//! One chromedriver serves every test of this binary that runs at the same
//! time: each test holds a [`Driver`] lease, the first starts the process on
//! a free loopback port and the last one out kills it. Each test opens its
//! own [`Browser`] session (a fresh, empty profile) and closes it, panicking
//! or not, through [`with_browser`]. Every wait polls with a deadline.

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use futures::FutureExt;
use serde_json::{json, Value};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// How long a wait for an element, a text or a URL may take.
pub const WAIT: Duration = Duration::from_secs(20);
/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// The window size: small, so the screenshot stays small.
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 600;

struct Shared {
    child: Child,
    url: String,
    users: usize,
}

static DRIVER: Mutex<Option<Shared>> = Mutex::new(None);

/// Where test output goes: `$CARGO_TARGET_TMPDIR/browser`.
pub fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&dir).expect("output dir");
    dir
}

/// A lease on the shared chromedriver.
pub struct Driver {
    pub url: String,
}

impl Driver {
    /// Start chromedriver if no test holds it, and wait until it is ready.
    pub async fn acquire() -> Driver {
        let url = {
            let mut shared = DRIVER.lock().unwrap_or_else(|p| p.into_inner());
            if shared.is_none() {
                let port = free_port();
                let log = std::fs::File::create(output_dir().join("chromedriver.log"))
                    .expect("chromedriver log");
                let child = Command::new(CHROMEDRIVER)
                    .arg(format!("--port={port}"))
                    .arg("--allowed-ips=127.0.0.1")
                    .stdin(Stdio::null())
                    .stdout(log.try_clone().expect("log"))
                    .stderr(log)
                    .spawn()
                    .unwrap_or_else(|e| {
                        panic!("cannot start {CHROMEDRIVER} ({e}): apt-get install -y chromium chromium-driver")
                    });
                *shared = Some(Shared {
                    child,
                    url: format!("http://127.0.0.1:{port}"),
                    users: 0,
                });
            }
            let s = shared.as_mut().unwrap();
            s.users += 1;
            s.url.clone()
        };
        let driver = Driver { url };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = http
                .get(format!("{}/status", driver.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .ok()
                .and_then(|r| r.status().is_success().then_some(r));
            if let Some(r) = ready {
                let body: Value = r.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return driver;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not become ready; see {}",
                output_dir().join("chromedriver.log").display()
            );
            tokio::time::sleep(POLL * 2).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let mut shared = DRIVER.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = shared.as_mut() {
            s.users -= 1;
            if s.users == 0 {
                let mut s = shared.take().unwrap();
                let _ = s.child.kill();
                let _ = s.child.wait();
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A WebDriver error: its `error` code and message.
pub struct WdError {
    pub error: String,
    pub message: String,
}

impl std::fmt::Debug for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

/// One Chromium session.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

/// Run `test` with a fresh browser session, and always close the session.
pub async fn with_browser(test: impl AsyncFnOnce(&Browser)) {
    let driver = Driver::acquire().await;
    let browser = Browser::start(&driver).await;
    let outcome = AssertUnwindSafe(tokio::time::timeout(
        Duration::from_secs(180),
        test(&browser),
    ))
    .catch_unwind()
    .await;
    // The session is closed however the test ended.
    let _ = browser
        .http
        .delete(&browser.session)
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    drop(browser);
    drop(driver);
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(_)) => panic!("the browser test took longer than 180 s"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

impl Browser {
    async fn start(driver: &Driver) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            "--lang=en-US".into(),
            format!("--window-size={WIDTH},{HEIGHT}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 30000, "script": 10000, "implicit": 0},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        }}});
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{}/session", driver.url))
            .json(&caps)
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .expect("new session");
        let body: Value = r.json().await.expect("new session answer");
        let id = body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {body}"))
            .to_string();
        let browser = Browser {
            http,
            session: format!("{}/session/{id}", driver.url),
            _profile: profile,
        };
        // The window size includes the (headless) window frame: pin the
        // viewport itself, so that screenshots are exactly WIDTH x HEIGHT.
        browser
            .post(
                "/goog/cdp/execute",
                json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {
                    "width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false,
                }}),
            )
            .await;
        browser
    }

    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WdError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.session))
            .timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.map_err(|e| WdError {
            error: "transport".into(),
            message: e.to_string(),
        })?;
        let ok = r.status().is_success();
        let body: Value = r.json().await.unwrap_or_default();
        if ok {
            Ok(body["value"].clone())
        } else {
            Err(WdError {
                error: body["value"]["error"].as_str().unwrap_or("unknown").into(),
                message: body["value"]["message"].as_str().unwrap_or("").into(),
            })
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e:?}"))
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e:?}"))
    }

    /// Open a URL.
    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url })).await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.get("/url")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.get("/source")
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The text of an open alert, if one is open.
    pub async fn alert_text(&self) -> Option<String> {
        self.command(reqwest::Method::GET, "/alert/text", None)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let b64 = self.get("/screenshot").await;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("screenshot"))
            .expect("screenshot is base64")
    }

    /// Save a screenshot of the whole page (beyond the viewport) as
    /// `<output dir>/<name>.png`: a record of what the test saw.
    pub async fn save(&self, name: &str) {
        let shot = self
            .post(
                "/goog/cdp/execute",
                json!({"cmd": "Page.captureScreenshot", "params": {
                    "format": "png", "captureBeyondViewport": true,
                }}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot"))
            .expect("screenshot is base64");
        std::fs::write(output_dir().join(format!("{name}.png")), png).expect("write screenshot");
    }

    async fn try_find(&self, css: &str) -> Option<String> {
        let v = self
            .command(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
            .ok()?;
        // The element reference is the object's only value.
        v.as_object()?.values().next()?.as_str().map(str::to_string)
    }

    /// Why a wait failed: where the browser is and what it shows.
    async fn stuck(&self, what: &str) -> String {
        let text = self.body_text_now().await;
        format!(
            "timed out after {WAIT:?} waiting for {what}\n  at {}\n  page text: {}",
            self.url().await,
            text.chars().take(1500).collect::<String>()
        )
    }

    async fn body_text_now(&self) -> String {
        match self.try_find("body").await {
            Some(id) => self
                .command(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            None => String::new(),
        }
    }

    /// Wait until an element matches `css`; its reference.
    pub async fn wait(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(id) = self.try_find(css).await {
                return id;
            }
            if Instant::now() > deadline {
                panic!("{}", self.stuck(&format!("`{css}`")).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether an element matches `css` right now.
    pub async fn exists(&self, css: &str) -> bool {
        self.try_find(css).await.is_some()
    }

    /// Wait until the element's text contains `needle`; the text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(id) = self.try_find(css).await {
                if let Ok(Value::String(t)) = self
                    .command(reqwest::Method::GET, &format!("/element/{id}/text"), None)
                    .await
                {
                    if t.contains(needle) {
                        return t;
                    }
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "{}",
                    self.stuck(&format!("`{css}` to contain {needle:?}")).await
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Wait until the URL contains `needle`; the URL.
    pub async fn wait_url(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let url = self.url().await;
            if url.contains(needle) {
                return url;
            }
            if Instant::now() > deadline {
                panic!("{}", self.stuck(&format!("a URL with {needle:?}")).await);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The text of the first element matching `css` (waiting for it).
    pub async fn text(&self, css: &str) -> String {
        let id = self.wait(css).await;
        self.get(&format!("/element/{id}/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The whole page's visible text.
    pub async fn body_text(&self) -> String {
        self.text("body").await
    }

    /// Click the first element matching `css` (waiting for it).
    pub async fn click(&self, css: &str) {
        let id = self.wait(css).await;
        self.post(&format!("/element/{id}/click"), json!({})).await;
    }

    /// Replace the value of a text field.
    pub async fn fill(&self, css: &str, text: &str) {
        let id = self.wait(css).await;
        self.post(&format!("/element/{id}/clear"), json!({})).await;
        self.post(&format!("/element/{id}/value"), json!({ "text": text }))
            .await;
    }
}
