//! Debian's Chromium, headless, driven through `/usr/bin/chromedriver` with
//! the fantoccini WebDriver client, and the few waits the tests share.
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
use fantoccini::elements::Element;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
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

/// A Chrome DevTools command through chromedriver's `goog/cdp/execute`
/// (fantoccini speaks W3C WebDriver only; this is Chromium's extension).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// One Chromium session.
pub struct Browser {
    client: Client,
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
    let _ = tokio::time::timeout(Duration::from_secs(10), browser.client.clone().close()).await;
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
        let caps = json!({
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "timeouts": {"pageLoad": 30000, "script": 10000, "implicit": 0},
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        });
        let Value::Object(caps) = caps else {
            unreachable!("capabilities are an object")
        };
        let client = tokio::time::timeout(
            Duration::from_secs(60),
            ClientBuilder::new(HttpConnector::new())
                .capabilities(caps)
                .connect(&driver.url),
        )
        .await
        .expect("new session in time")
        .unwrap_or_else(|e| panic!("new session: {e}"));
        let browser = Browser {
            client,
            _profile: profile,
        };
        // The window size includes the (headless) window frame: pin the
        // viewport itself, so that screenshots are exactly WIDTH x HEIGHT.
        browser.viewport(WIDTH, HEIGHT).await;
        browser
    }

    /// Set the viewport's size (what a screenshot holds).
    pub async fn viewport(&self, width: u32, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
    }

    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    /// Open a URL.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("goto {url}: {e}"));
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// The page's HTML as the browser holds it.
    pub async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    /// The text of an open alert, if one is open.
    pub async fn alert_text(&self) -> Option<String> {
        self.client.get_alert_text().await.ok()
    }

    /// Run a script in the page; its result.
    pub async fn script(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script {script}: {e}"))
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        self.client.screenshot().await.expect("screenshot")
    }

    /// Save a screenshot of the whole page (beyond the viewport) as
    /// `<output dir>/<name>.png`: a record of what the test saw.
    pub async fn save(&self, name: &str) {
        let shot = self
            .cdp(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot"))
            .expect("screenshot is base64");
        std::fs::write(output_dir().join(format!("{name}.png")), png).expect("write screenshot");
    }

    async fn try_find(&self, css: &str) -> Option<Element> {
        self.client.find(Locator::Css(css)).await.ok()
    }

    /// Why a wait failed: where the browser is and what it shows.
    async fn stuck(&self, what: &str) -> String {
        let text = match self.try_find("body").await {
            Some(body) => body.text().await.unwrap_or_default(),
            None => String::new(),
        };
        format!(
            "timed out after {WAIT:?} waiting for {what}\n  at {}\n  page text: {}",
            self.url().await,
            text.chars().take(1500).collect::<String>()
        )
    }

    /// Wait until an element matches `css`.
    pub async fn wait(&self, css: &str) -> Element {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(e) = self.try_find(css).await {
                return e;
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
            if let Some(e) = self.try_find(css).await {
                if let Ok(t) = e.text().await {
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
        self.wait(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of `{css}`: {e}"))
    }

    /// The whole page's visible text.
    pub async fn body_text(&self) -> String {
        self.text("body").await
    }

    /// Click the first element matching `css` (waiting for it).
    pub async fn click(&self, css: &str) {
        self.wait(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Replace the value of a text field.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.wait(css).await;
        e.clear()
            .await
            .unwrap_or_else(|err| panic!("clear `{css}`: {err}"));
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into `{css}`: {err}"));
    }

    /// The current value of a form field.
    pub async fn value(&self, css: &str) -> String {
        self.wait(css)
            .await
            .prop("value")
            .await
            .unwrap_or_else(|e| panic!("value of `{css}`: {e}"))
            .unwrap_or_default()
    }

    /// Choose the option of a `<select>` by its value.
    pub async fn select(&self, css: &str, value: &str) {
        self.wait(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value:?} in `{css}`: {e}"));
    }
}
