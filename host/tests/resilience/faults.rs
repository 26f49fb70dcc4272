//! Provider faults: a fault server of the test's own stands in for Asana's
//! API (and, shut down, for a GitHub that is gone), and answers each
//! request to `/users/<fault>` with that fault. Each fault must end the card
//! run with its own error within the run's deadline, the host must serve a
//! healthy run right after, and a thousand such runs must leave the host
//! with the descriptors and memory it had before.
//!
//! The server speaks HTTP/1.1 over raw tokio sockets rather than through a
//! framework: a reset in the middle of a body, a body that trickles past the
//! deadline and a body that ends only when the socket closes need control of
//! the socket that a framework hides on purpose.

use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::child::Serve;

/// The run deadline of the hosts here (`CARDHOST_RUN_TIMEOUT_SECS`).
const RUN_TIMEOUT: Duration = Duration::from_secs(2);
/// How long after its deadline a run may take to be answered: the host's
/// own grace (1 s) and a debug build on a busy machine.
const ANSWER_SLACK: Duration = Duration::from_millis(1500);
/// How long the fault server keeps an idle keep-alive connection: short, so
/// that the host's pool empties within seconds and descriptors can be
/// compared exactly.
const SERVER_IDLE: Duration = Duration::from_millis(500);
/// A response body larger than the 8 MiB a card may receive (`HttpLimits`).
const HUGE_BODY: usize = 9 << 20;

/// The faults, by the user a run asks for (`GET /users/<name>`).
const FAULTS: &[&str] = &[
    "fault-500",
    "fault-reset",
    "fault-slow",
    "fault-invalid-json",
    "fault-content-type",
    "fault-huge",
    "fault-refused",
];

/// A user as Asana answers it.
fn asana_user(gid: &str) -> Vec<u8> {
    json!({"data": {"gid": gid, "resource_type": "user", "name": "Fault Tolerant",
                    "email": "fault.tolerant@example.com", "photo": null, "workspaces": []}})
    .to_string()
    .into_bytes()
}

/// A loopback HTTP server answering faults; `shutdown` closes its port and
/// every connection it holds (a provider that went away).
struct FaultServer {
    addr: SocketAddr,
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl FaultServer {
    async fn start() -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let tasks: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let held = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let conn = tokio::spawn(connection(stream));
                let mut held = held.lock().unwrap();
                held.retain(|t| !t.is_finished());
                held.push(conn.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        FaultServer { addr, tasks }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn shutdown(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Serve the requests of one keep-alive connection.
async fn connection(mut stream: TcpStream) {
    let mut buf = Vec::new();
    loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 4096];
            match tokio::time::timeout(SERVER_IDLE, stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse().ok())
                    .flatten()
            })
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(n) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                _ => return,
            }
        }
        buf.drain(..head_end + length);
        let target = head.split_whitespace().nth(1).unwrap_or("/");
        let path = target.split('?').next().unwrap_or(target).to_string();
        if !answer(&mut stream, &path).await {
            return;
        }
    }
}

/// Write a whole response; whether the connection may serve another.
async fn respond(stream: &mut TcpStream, status: &str, content_type: &str, body: &[u8]) -> bool {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(body).await.is_ok()
}

/// Answer `path` with its fault; whether the connection may serve another.
async fn answer(stream: &mut TcpStream, path: &str) -> bool {
    let json = "application/json; charset=utf-8";
    let name = path.rsplit('/').next().unwrap_or_default();
    match name {
        // GitHub's who-am-I, for the connection that later finds it gone.
        "user" => {
            let me = json!({"id": 1, "login": "fault-tolerant", "name": "Fault Tolerant"});
            respond(stream, "200 OK", json, me.to_string().as_bytes()).await
        }
        "fault-500" => {
            let body = json!({"errors": [{"message": "Server Error",
                                          "phrase": "6 sad squid snuggle softly"}]});
            respond(
                stream,
                "500 Internal Server Error",
                json,
                body.to_string().as_bytes(),
            )
            .await
        }
        "fault-reset" => {
            let head =
                format!("HTTP/1.1 200 OK\r\ncontent-type: {json}\r\ncontent-length: 4096\r\n\r\n");
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(br#"{"data": {"gid": "1", "name": "#).await;
            let _ = stream.flush().await;
            reset(stream);
            false
        }
        "fault-slow" => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: {json}\r\ncontent-length: 1000\r\n\r\n{{\"data\":");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            // One byte every 200 ms: the whole body would take over three minutes.
            for _ in 0..1000 {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if stream.write_all(b" ").await.is_err() {
                    break;
                }
            }
            false
        }
        "fault-invalid-json" => {
            respond(
                stream,
                "200 OK",
                json,
                br#"{"data": {"gid": "1", "name": "Fault"#,
            )
            .await
        }
        "fault-content-type" => {
            let page = b"<!DOCTYPE html><html><body><h1>Service Unavailable</h1></body></html>";
            respond(stream, "200 OK", "text/html; charset=utf-8", page).await
        }
        "fault-huge" => {
            // No content-length: the body ends when the connection closes.
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: {json}\r\nconnection: close\r\n\r\n{{\"data\": \"");
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            let chunk = vec![b'x'; 64 << 10];
            for _ in 0..HUGE_BODY / chunk.len() {
                if stream.write_all(&chunk).await.is_err() {
                    return false;
                }
            }
            let _ = stream.write_all(b"\"}").await;
            false
        }
        // `me` (Asana's who-am-I) and `healthy`.
        _ => respond(stream, "200 OK", json, &asana_user("1200000000000999")).await,
    }
}

/// Close `stream` with a TCP reset (SO_LINGER 0) instead of a FIN.
fn reset(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a socket this function borrows, with a valid
    // `linger` and its size.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER is set");
}

/// A host whose Asana is the fault server and whose GitHub is gone, with a
/// token connection to each.
struct Faulty {
    serve: Serve,
    asana: String,
    github: String,
    _server: FaultServer,
    _tmp: tempfile::TempDir,
}

impl Faulty {
    async fn start() -> Faulty {
        let server = FaultServer::start().await;
        let gone = FaultServer::start().await;
        let tmp = tempfile::tempdir().expect("temp dir");
        let env = [
            ("ASANA_API_BASE_URL", format!("{}/api/1.0", server.base())),
            ("GITHUB_API_BASE_URL", gone.base()),
            (
                "CARDHOST_RUN_TIMEOUT_SECS",
                RUN_TIMEOUT.as_secs().to_string(),
            ),
            // A fixed mmap threshold: glibc otherwise raises it after the first
            // large free, and then keeps freed 8 MiB response buffers resident
            // for reuse, which the memory comparison would read as growth.
            (
                "GLIBC_TUNABLES",
                "glibc.malloc.mmap_threshold=131072".to_string(),
            ),
        ]
        .map(|(k, v)| (k.to_string(), v));
        let serve = Serve::start(&tmp.path().join("data"), &env).await;
        let mut ids = Vec::new();
        for connector in ["asana", "github"] {
            let (status, body) = serve
                .post(
                    "/connections",
                    &json!({"connector": connector, "nickname": "faulty",
                            "access_token": "fault-tolerant-token"}),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            ids.push(
                body["connection"]["id"]
                    .as_str()
                    .or(body["id"].as_str())
                    .unwrap()
                    .to_string(),
            );
        }
        // The provider behind the GitHub connection goes away for good.
        gone.shutdown();
        Faulty {
            serve,
            github: ids.pop().unwrap(),
            asana: ids.pop().unwrap(),
            _server: server,
            _tmp: tmp,
        }
    }

    /// Run the card that meets `fault` (`healthy` for none): the answer's
    /// status, its body and how long it took.
    async fn run(&self, fault: &str) -> (u16, Value, Duration) {
        let (card, body) = if fault == "fault-refused" {
            (
                "github.read-user",
                json!({"connection": self.github, "input": {}}),
            )
        } else {
            (
                "asana.read-user",
                json!({"connection": self.asana, "input": {"user": fault}}),
            )
        };
        let started = Instant::now();
        let (status, body) = self.serve.post(&format!("/cards/{card}/run"), &body).await;
        (status, body, started.elapsed())
    }

    /// Run once with `fault`, check it ends within the deadline; the
    /// error's code and message.
    async fn fault_error(&self, fault: &str) -> (String, String, Duration) {
        let (status, body, took) = self.run(fault).await;
        assert!(
            took < RUN_TIMEOUT + ANSWER_SLACK,
            "{fault}: answered after {took:?}, past the {RUN_TIMEOUT:?} deadline: {body}"
        );
        assert!(
            status >= 400,
            "{fault}: a fault is an error ({status}): {body}"
        );
        let code = body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (code, message, took)
    }

    async fn healthy_run(&self) {
        let (status, body, _) = self.run("healthy").await;
        assert_eq!(status, 200, "a healthy run after faults: {body}");
        assert_eq!(body["output"]["name"], "Fault Tolerant", "{body}");
    }
}

/// What each fault must end with: the error's code and words of its message.
fn expected(fault: &str) -> (&'static str, &'static str) {
    match fault {
        "fault-500" => ("provider_error", "Asana had an error (500)"),
        "fault-reset" => (
            "http_error",
            "the provider's response broke off (127.0.0.1)",
        ),
        "fault-slow" => ("timeout", "longer than its 2000 ms deadline"),
        "fault-invalid-json" => ("provider_error", "could not be read: EOF while parsing"),
        "fault-content-type" => ("provider_error", "it is text/html, not JSON"),
        "fault-huge" => ("http_error", "larger than the host allows (8388608 bytes)"),
        "fault-refused" => (
            "http_error",
            "could not connect to the provider (127.0.0.1)",
        ),
        other => panic!("no fault {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_provider_fault_ends_the_run_with_its_own_error() {
    let host = Faulty::start().await;
    host.healthy_run().await;
    let mut seen = Vec::new();
    for fault in FAULTS {
        let (code, message, took) = host.fault_error(fault).await;
        eprintln!("{fault} ({} ms): {code}: {message}", took.as_millis());
        let (want_code, want_words) = expected(fault);
        assert_eq!(code, want_code, "{fault}: {message}");
        assert!(
            message.contains(want_words),
            "{fault}: {message:?} lacks {want_words:?}"
        );
        host.healthy_run().await;
        seen.push((code, message));
    }
    for (i, a) in seen.iter().enumerate() {
        for b in &seen[i + 1..] {
            assert_ne!(a, b, "two faults end with the same error");
        }
    }
}

/// Runs `count` faulty runs (a seeded mix of every fault and healthy runs),
/// `concurrency` at a time; each must end as its fault says.
async fn mixed_runs(host: &Arc<Faulty>, count: u64, concurrency: u64, seed: u64) {
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|w| {
            let (host, next) = (host.clone(), next.clone());
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(seed ^ w);
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < count {
                    let pick = rng.gen_range(0..FAULTS.len() + 1);
                    let Some(fault) = FAULTS.get(pick) else {
                        host.healthy_run().await;
                        continue;
                    };
                    let (code, message, _) = host.fault_error(fault).await;
                    assert_eq!(code, expected(fault).0, "{fault}: {message}");
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("a worker ends");
    }
}

/// The descriptors and resident memory of the host once it has been idle
/// long enough for the fault server to close every kept-alive connection.
async fn settled(host: &Faulty) -> (usize, u64) {
    tokio::time::sleep(SERVER_IDLE * 4).await;
    (host.serve.open_fds(), host.serve.rss_kib())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_faulty_runs_leak_no_descriptors_or_memory() {
    let runs = crate::env_number("CARDHOST_FAULT_RUNS", 1000);
    let seed = crate::seed("a_thousand_faulty_runs_leak_no_descriptors_or_memory");
    let host = Arc::new(Faulty::start().await);
    // Warm-up: every path once, then the runs that need most memory (a
    // body buffered up to the 8 MiB cap) 8 at a time, then 300 mixed runs,
    // so that pools, caches and the allocator reach their steady size; the
    // baseline is the highest of three samples taken 100 runs apart. With
    // glibc's own moving mmap threshold, freed 8 MiB buffers stayed resident
    // or not by chance and the same 1,000 runs measured -12 % to +28 %; with
    // the threshold fixed (see `Faulty::start`) samples agree within 0.5 %,
    // so a growth over 5 % (about 5 KB a run over 1,000) is the host's own.
    for fault in FAULTS {
        host.fault_error(fault).await;
    }
    for _ in 0..3 {
        let burst: Vec<_> = (0..8)
            .map(|_| {
                let host = host.clone();
                tokio::spawn(async move { host.fault_error("fault-huge").await })
            })
            .collect();
        for run in burst {
            run.await.expect("a huge run ends");
        }
    }
    let mut samples = Vec::new();
    for i in 0..3 {
        mixed_runs(&host, 100, 8, seed.wrapping_add(1 + i)).await;
        samples.push(settled(&host).await);
    }
    let fds_before = samples.last().unwrap().0;
    let rss_before = samples.iter().map(|s| s.1).max().unwrap();
    eprintln!("warm-up samples (fds, VmRSS KiB): {samples:?}");
    let started = Instant::now();
    mixed_runs(&host, runs, 8, seed).await;
    let took = started.elapsed();
    let (fds_after, rss_after) = settled(&host).await;
    eprintln!(
        "faulty runs: {runs} in {:.1} s; open fds {fds_before} -> {fds_after}; VmRSS {rss_before} KiB -> {rss_after} KiB ({:+.1} %)",
        took.as_secs_f64(),
        (rss_after as f64 / rss_before as f64 - 1.0) * 100.0
    );
    assert!(
        fds_after <= fds_before,
        "descriptors leaked: {fds_before} -> {fds_after}"
    );
    assert!(
        rss_after <= rss_before + rss_before / 20,
        "resident memory grew more than 5 %: {rss_before} KiB -> {rss_after} KiB"
    );
}
