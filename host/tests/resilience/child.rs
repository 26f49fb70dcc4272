//! A `cardhost serve` child process on a data dir: started with the env a
//! test gives it, waited for until `/healthz` answers, killed with SIGKILL,
//! and measured (`/proc/<pid>`: open descriptors, resident memory).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cardhost_tests::fake_asana::{seed as asana, FakeAsana};
use serde_json::Value;

/// The env of a child whose Asana is `fake`, in the fake's workspace.
pub fn asana_env(fake: &FakeAsana) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = fake
        .cardhost_env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    env.push(("ASANA_WORKSPACE_GID".into(), asana::WORKSPACE_GID.into()));
    env
}

/// The API key of the children (a host refuses keys under 32 characters).
pub const API_KEY: &str = "resilience-api-key-0123456789-abcdefgh";
/// The master key sealing their secrets.
pub fn master_key() -> String {
    "5e".repeat(32)
}

/// How long a start may take: the first one on a fresh card cache compiles
/// every built-in card (about 25 s in a debug build on two busy cores).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// A running `cardhost serve`.
pub struct Serve {
    child: Child,
    pub base: String,
    pub client: reqwest::Client,
    stderr: PathBuf,
}

/// A compiled-card cache kept between the children and the runs of this
/// binary, so that only the very first start compiles the cards.
fn cache_dir() -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("resilience-card-cache");
    std::fs::create_dir_all(&dir).expect("cache dir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("cache mode");
    dir
}

impl Serve {
    /// Start `cardhost serve` on `data_dir` (0700, made if missing) with
    /// `env` on top of the keys every child gets; returns once `/healthz`
    /// answers 200.
    pub async fn start(data_dir: &Path, env: &[(String, String)]) -> Serve {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let stderr = data_dir.with_extension(format!("stderr-{port}"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_cardhost"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_clear()
            .env("CARDHOST_DATA_DIR", data_dir)
            .env("CARDHOST_CACHE_DIR", cache_dir())
            .env("CARDHOST_MASTER_KEY", master_key())
            .env("CARDHOST_API_KEY", API_KEY)
            .env("CARDHOST_LOG", "warn")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"));
        let child = command.spawn().expect("cardhost serve starts");
        let serve = Serve {
            child,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            stderr,
        };
        serve.wait_healthy().await;
        serve
    }

    async fn wait_healthy(&self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(r) = self
                .client
                .get(format!("{}/healthz", self.base))
                .send()
                .await
            {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "cardhost did not become healthy within {START_TIMEOUT:?}: {}",
                self.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The process id of the child.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the child wrote to stderr so far (its warnings and errors).
    pub fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Reap the child once something killed it (`crash` sends SIGKILL
    /// itself: nothing the child had not made durable survives).
    pub fn reap(mut self) {
        self.child.wait().expect("the child is reaped");
    }

    /// A request to `/api/v1{path}` with the API key.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(API_KEY)
    }

    /// `GET /api/v1{path}`: status and JSON body.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        status_json(self.api(reqwest::Method::GET, path).send().await).await
    }

    /// `POST /api/v1{path}` with a JSON body: status and JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        status_json(
            self.api(reqwest::Method::POST, path)
                .json(body)
                .send()
                .await,
        )
        .await
    }

    /// `GET /healthz`.
    pub async fn healthz(&self) -> Value {
        let r = self
            .client
            .get(format!("{}/healthz", self.base))
            .send()
            .await
            .expect("healthz answers");
        assert!(r.status().is_success(), "healthz: {}", r.status());
        r.json().await.expect("healthz is JSON")
    }

    /// How many descriptors the child has open.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .expect("/proc/<pid>/fd")
            .count()
    }

    /// The child's resident memory in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.stderr);
    }
}

/// Status and JSON body of an answer; a transport error panics.
async fn status_json(r: reqwest::Result<reqwest::Response>) -> (u16, Value) {
    let r = r.expect("cardhost answers");
    let status = r.status().as_u16();
    let bytes = r.bytes().await.expect("a whole body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}
