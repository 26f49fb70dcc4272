//! The `cardhost` command line, run as a process: commands through the REST
//! router on the data dir or of a running server, a polite refusal when a
//! server holds the data dir, `run` finding its connection, the exit codes,
//! the listen check, the API key a first start makes, and the checks `serve`
//! makes before it starts.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The API key of the servers started here (at least 32 characters).
const API_KEY: &str = "cli-test-key-0123456789-0123456789";

fn cardhost(dir: &std::path::Path, args: &[&str]) -> Output {
    cardhost_with(dir, &[], args)
}

/// `cardhost` on the data dir `dir` with extra env keys.
fn cardhost_with(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardhost"))
        .args(args)
        .env_clear()
        .env("CARDHOST_DATA_DIR", dir)
        .env("CARDHOST_MASTER_KEY", "cc".repeat(32))
        .env("CARDHOST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("cardhost runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn lists_connections_of_a_new_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = cardhost(dir.path(), &["connections", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The answer of GET /api/v1/connections, as with --server.
    assert!(
        text(&out.stdout).contains("\"data\": []"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn refuses_politely_when_a_server_holds_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let key = "cc".repeat(32);
    let _held = cardhost::store::Store::open(dir.path(), Some(&key)).expect("open");
    let out = cardhost(dir.path(), &["connections", "list"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("--server"), "{err}");
}

#[test]
fn refuses_a_public_address_without_an_api_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = cardhost(dir.path(), &["serve", "--listen", "0.0.0.0:0"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("CARDHOST_API_KEY"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_bad_input_to_run_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = cardhost(
        dir.path(),
        &["run", "asana.read-user", "--input", "{not json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--input is not valid JSON"),
        "{}",
        text(&out.stderr)
    );
    // The API refuses an unknown card: exit 2, with its message and code.
    let out = cardhost(
        dir.path(),
        &["run", "asana.no-such-card", "--connection", "any"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("no card \"asana.no-such-card\"") && err.contains("(unknown_card)"),
        "{err}"
    );
}

#[test]
fn run_uses_the_only_connection_of_the_cards_connector() {
    let dir = tempfile::tempdir().unwrap();
    // An OAuth app, so that OAuth connections can be made without a provider.
    let env = [
        ("ASANA_CLIENT_ID", "1200000000000801"),
        ("ASANA_CLIENT_SECRET", "cli-test-client-secret"),
    ];
    let run = |args: &[&str]| {
        let mut all = vec!["run", "asana.read-user", "--input", "{\"user\": \"me\"}"];
        all.extend(args);
        cardhost_with(dir.path(), &env, &all)
    };
    let create = |nickname: &str| {
        let out = cardhost_with(
            dir.path(),
            &env,
            &[
                "connections",
                "create",
                "--connector",
                "asana",
                "--nickname",
                nickname,
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    };

    // None: it says how to make one.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no asana connection") && err.contains("cardhost connections create"),
        "{err}"
    );

    // One: the run goes to it, and the API refuses it until it is authorized.
    create("Team");
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("connection \"Team\" is not authorized") && err.contains("(not_authorized)"),
        "{err}"
    );

    // Two: it names them and asks for one.
    create("Other");
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("Team (") && err.contains("Other (") && err.contains("--connection"),
        "{err}"
    );
    let out = run(&["--connection", "other"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("connection \"Other\" is not authorized"),
        "{}",
        text(&out.stderr)
    );
}

/// A `cardhost serve` child on a free loopback port, killed on drop; its
/// stderr goes to a file.
struct Server {
    child: std::process::Child,
    url: String,
    stderr: std::path::PathBuf,
}

impl Server {
    /// What the server wrote to stderr so far.
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The status of a `GET path` without any key.
    fn status_without_key(&self, path: &str) -> u16 {
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP answer: {answer}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.stderr);
    }
}

fn serve(dir: &Path) -> Server {
    serve_with(dir, Some(API_KEY))
}

/// `cardhost serve` on `dir`, with `CARDHOST_API_KEY` set to `api_key` if given.
fn serve_with(dir: &Path, api_key: Option<&str>) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let stderr = tempfile::NamedTempFile::new()
        .unwrap()
        .into_temp_path()
        .keep()
        .unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_cardhost"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("CARDHOST_DATA_DIR", dir)
        .env("CARDHOST_MASTER_KEY", "cc".repeat(32))
        .env("CARDHOST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap());
    if let Some(key) = api_key {
        command.env("CARDHOST_API_KEY", key);
    }
    let child = command.spawn().expect("cardhost serve starts");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        stderr,
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server
}

#[test]
fn commands_go_through_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let with_server = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--server", &server.url]);
        let out = Command::new(env!("CARGO_BIN_EXE_cardhost"))
            .args(&all)
            .env_clear()
            .env("CARDHOST_API_KEY", API_KEY)
            .env("CARDHOST_LOG", "warn")
            .output()
            .expect("cardhost runs");
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let (ok, out, err) = with_server(&["connections", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains("\"data\": []"), "{out}");
    let (ok, out, err) = with_server(&["cards", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains("asana.read-user"), "{out}");
    let (ok, out, err) = with_server(&["flows", "list"]);
    assert!(ok, "{err}");
    assert!(out.contains("\"data\": []"), "{out}");
    let (ok, _, err) = with_server(&["flows", "get", "no-such-flow"]);
    assert!(!ok);
    assert!(err.contains("HTTP 404"), "{err}");
    let (ok, _, err) = with_server(&["run", "asana.read-user"]);
    assert!(!ok);
    assert!(err.contains("no asana connection"), "{err}");
    // The data dir is the server's: going around it is refused politely,
    // naming the address the server listens on (it was given --listen).
    let out = cardhost(dir.path(), &["flows", "list"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains(&format!("--server {}", server.url)), "{err}");
}

/// A CLI command with `--server`, the data dir and maybe an API key in its env.
fn with_server(server: &Server, dir: &Path, api_key: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cardhost"));
    command
        .args(args)
        .args(["--server", &server.url])
        .env_clear()
        .env("CARDHOST_DATA_DIR", dir)
        .env("CARDHOST_LOG", "warn");
    if let Some(key) = api_key {
        command.env("CARDHOST_API_KEY", key);
    }
    command.output().expect("cardhost runs")
}

#[test]
fn the_first_start_makes_an_api_key_and_says_where_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let server = serve_with(&dir, None);
    let path = dir.join("api.key");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !server.stderr().contains("API key") {
        assert!(
            Instant::now() < deadline,
            "no word of the key: {}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let key = std::fs::read_to_string(&path).unwrap().trim().to_string();
    assert_eq!(key.len(), 43, "32 random bytes in base64url");
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir), 0o700);
    let said = server.stderr();
    assert!(said.contains(&path.display().to_string()), "{said}");
    assert!(said.contains("Authorization: Bearer"), "{said}");
    assert!(
        !said.contains(&key),
        "the key itself is never printed: {said}"
    );

    // The API is shut without it; the CLI finds it in the data dir.
    assert_eq!(server.status_without_key("/api/v1/connections"), 401);
    assert_eq!(server.status_without_key("/healthz"), 200);
    let out = with_server(&server, &dir, None, &["connections", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"data\": []"),
        "{}",
        text(&out.stdout)
    );
    let wrong = "w".repeat(40);
    let out = with_server(&server, &dir, Some(&wrong), &["connections", "list"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("HTTP 401"),
        "{}",
        text(&out.stderr)
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let out = with_server(&server, elsewhere.path(), None, &["flows", "list"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("CARDHOST_API_KEY"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !elsewhere.path().join("api.key").exists(),
        "--server never makes a key"
    );

    // A restart reads the same key and says nothing more about it.
    drop(server);
    let server = serve_with(&dir, None);
    let out = with_server(&server, &dir, None, &["cards", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), key);
    assert!(
        !server.stderr().contains("made an API key"),
        "{}",
        server.stderr()
    );
    drop(server);

    // In process, the CLI uses the same key for the host's own router.
    let out = cardhost(&dir, &["flows", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"data\": []"),
        "{}",
        text(&out.stdout)
    );
}

/// Run `cardhost serve` on `dir` with `env`; its output once it exits by itself.
fn serve_exits(dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cardhost"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_clear()
        .env("CARDHOST_DATA_DIR", dir)
        .env("CARDHOST_MASTER_KEY", "cc".repeat(32))
        .env("CARDHOST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cardhost serve starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("cardhost serve is still running: {}", text(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn serve_refuses_a_short_key() {
    let tmp = tempfile::tempdir().unwrap();
    let out = serve_exits(tmp.path(), &[("CARDHOST_API_KEY", "short-key")]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("CARDHOST_API_KEY") && err.contains("at least 32"),
        "{err}"
    );
    assert!(!err.contains("short-key"), "{err}");
}

#[test]
fn serve_refuses_a_data_dir_others_may_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let out = cardhost(&dir, &["connections", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = serve_exits(&dir, &[("CARDHOST_API_KEY", API_KEY)]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("chmod 700 {}", dir.display())),
        "{err}"
    );
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let out = cardhost(&dir, &["connections", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
