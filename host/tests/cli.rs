//! The `cardhost` command line, run as a process: connections on the data
//! dir, a polite refusal when a server holds it, and the listen check.

use std::process::{Command, Output};

fn cardhost(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cardhost"))
        .args(args)
        .env_clear()
        .env("CARDHOST_DATA_DIR", dir)
        .env("CARDHOST_MASTER_KEY", "cc".repeat(32))
        .env("CARDHOST_LOG", "warn")
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
    assert_eq!(text(&out.stdout).trim(), "[]");
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
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--input is not valid JSON"),
        "{}",
        text(&out.stderr)
    );
    let out = cardhost(dir.path(), &["run", "asana.no-such-card"]);
    assert!(
        text(&out.stderr).contains("no built-in card"),
        "{}",
        text(&out.stderr)
    );
}

/// A `cardhost serve` child on a free loopback port, killed on drop.
struct Server {
    child: std::process::Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_cardhost"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("CARDHOST_DATA_DIR", dir)
        .env("CARDHOST_MASTER_KEY", "cc".repeat(32))
        .env("CARDHOST_API_KEY", "cli-test-key")
        .env("CARDHOST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("cardhost serve starts");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
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
            .env("CARDHOST_API_KEY", "cli-test-key")
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
    // The data dir is the server's: going around it is refused politely.
    let out = cardhost(dir.path(), &["flows", "list"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--server"),
        "{}",
        text(&out.stderr)
    );
}
