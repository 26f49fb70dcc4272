//! The `cardhost` command line, run as a process: commands through the REST
//! router on the data dir or of a running server, a polite refusal when a
//! server holds the data dir, `run` finding its connection, the exit codes,
//! the listen check, the API key a first start makes, the checks `serve`
//! makes before it starts, and a card author's path of docs/writing-cards.md
//! from `cards new` to `run` (see `the_guide_from_scaffold_to_run`).

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

/// The env a child that runs cargo needs (the CLI tests clear the rest).
fn toolchain_env() -> Vec<(String, String)> {
    [
        "PATH",
        "HOME",
        "CARGO_HOME",
        "RUSTUP_HOME",
        "RUSTUP_TOOLCHAIN",
    ]
    .iter()
    .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
    .collect()
}

/// How long one command of the CLI tests that run cargo may take (a cold
/// build of a card crate takes about 25 s on a 2-core machine).
const COMMAND_LIMIT: Duration = Duration::from_secs(240);

/// `cardhost args...` in `cwd` with the toolchain's env and `env`, stopped
/// (with the cargo it may have started) after [`COMMAND_LIMIT`].
fn cardhost_in(cwd: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::tempfile().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cardhost"))
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .envs(toolchain_env())
        .env("CARDHOST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .process_group(0)
        .spawn()
        .expect("cardhost runs");
    let deadline = Instant::now() + COMMAND_LIMIT;
    let mut stopped = false;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            // The whole group: cardhost and any cargo or rustc it started.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            stopped = true;
            break std::process::ExitStatus::from_raw(9);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |mut f: std::fs::File| {
        use std::io::Seek;
        let mut bytes = Vec::new();
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut bytes).unwrap();
        bytes
    };
    let (stdout, mut stderr) = (read(out), read(err));
    if stopped {
        stderr.extend(format!("\n(stopped after {COMMAND_LIMIT:?}: {args:?})").bytes());
    }
    Output {
        status,
        stdout,
        stderr,
    }
}

#[test]
fn cards_new_refuses_a_bad_id_a_used_dir_and_an_unknown_connector() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let new = |args: &[&str]| {
        let mut all = vec!["cards", "new"];
        all.extend(args);
        cardhost_in(
            tmp.path(),
            &[],
            &[&all[..], &["--data-dir", data.to_str().unwrap()]].concat(),
        )
    };
    for bad in [
        "who-am-i",
        "asana.Who",
        "asana.who_am_i",
        "asana.a.b",
        "9.x",
    ] {
        let out = new(&[bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = text(&out.stderr);
        assert!(err.contains("connector.card-name"), "{bad}: {err}");
    }
    std::fs::create_dir(tmp.path().join("used")).unwrap();
    std::fs::write(tmp.path().join("used/notes.txt"), "mine").unwrap();
    let out = new(&["asana.x", "--dir", "used"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("exists and is not empty"),
        "{}",
        text(&out.stderr)
    );
    // The connector comes from the API: an unknown one is its 404.
    let out = new(&["acme.read-user"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("no connector \"acme\"") && err.contains("(unknown_connector)"),
        "{err}"
    );
    assert!(!tmp.path().join("acme-read-user").exists());
    // --sdk must name the sdk.
    let out = new(&["asana.x", "--sdk", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("--sdk must name the sdk/"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cards_build_says_what_a_crate_lacks() {
    let tmp = tempfile::tempdir().unwrap();
    let build = |dir: &Path, env: &[(&str, String)]| {
        cardhost_in(tmp.path(), env, &["cards", "build", dir.to_str().unwrap()])
    };
    let out = build(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no Cargo.toml in"),
        "{}",
        text(&out.stderr)
    );

    // A library without cdylib: cargo would build it and make no .wasm.
    let dir = tmp.path().join("plain");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    let manifest =
        "[package]\nname = \"plain\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n";
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    let out = build(&dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("makes no cdylib") && err.contains("crate-type = [\"cdylib\", \"rlib\"]"),
        "{err}"
    );

    // With cdylib but no card profile.
    let manifest = manifest.replace(
        "[workspace]",
        "[lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n[workspace]",
    );
    std::fs::write(dir.join("Cargo.toml"), &manifest).unwrap();
    let out = build(&dir, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("defines no `card` profile") && err.contains("[profile.card]"),
        "{err}"
    );

    // A toolchain without the wasm32-wasip2 target: a rustc whose
    // target-libdir for it does not exist.
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("{manifest}\n[profile.card]\ninherits = \"release\"\n"),
    )
    .unwrap();
    let rustc = tmp.path().join("rustc-without-wasm");
    std::fs::write(
        &rustc,
        "#!/bin/sh\ncase \"$*\" in *target-libdir*) echo /nonexistent/wasm32-wasip2/lib; exit 0;; esac\nexec rustc \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&rustc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = build(&dir, &[("RUSTC", rustc.display().to_string())]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("rustup target add wasm32-wasip2"), "{err}");
}

/// docs/writing-cards.md, followed as a new card author would in a directory
/// outside the workspace: scaffold a card with `cardhost cards new`, build it
/// with `cardhost cards build`, start `cardhost serve` (pointed at a fake
/// Asana), install the `.wasm` with `cardhost cards install --server`, make a
/// token connection, and run the card with `cardhost run --server`. It prints
/// how long that path took.
///
/// The build needs nothing from the network: the scaffold's sdk is this
/// workspace's by path, the workspace's Cargo.lock pins the same crate
/// versions (already in ~/.cargo), cargo runs offline, and the target dir is
/// the one host/build.rs builds the cards in, whose compiled dependencies
/// the card's build reuses.
#[test]
fn the_guide_from_scaffold_to_run() {
    use cardhost_tests::fake_asana::{seed, FakeAsana};

    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(FakeAsana::start());
    let tmp = tempfile::tempdir().unwrap();
    assert!(
        !tmp.path().starts_with(workspace),
        "the author's directory is outside the workspace"
    );
    let data = tmp.path().join("data");
    let mut env: Vec<(&str, String)> = fake.cardhost_env();
    env.push(("CARDHOST_DATA_DIR", data.display().to_string()));
    env.push(("CARDHOST_MASTER_KEY", "cc".repeat(32)));
    let card_dir = tmp.path().join("asana-who-am-i");
    let mut steps: Vec<(&str, Duration)> = Vec::new();
    let mut step = |name, started: Instant| steps.push((name, started.elapsed()));
    let ok = |out: &Output, what: &str| {
        assert!(
            out.status.success(),
            "{what} failed:\n{}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    };

    // 1. Scaffold, in process on the data dir (the guide's first command).
    let started = Instant::now();
    let out = cardhost_in(tmp.path(), &env, &["cards", "new", "asana.who-am-i"]);
    ok(&out, "cards new");
    step("cards new", started);
    // The scaffold is the example the sdk's tests build and run natively
    // (sdk/tests/scaffold/): regenerate those files when the template changes.
    for file in ["lib.rs", "tests.rs"] {
        let made = std::fs::read_to_string(card_dir.join("src").join(file)).unwrap();
        let kept =
            std::fs::read_to_string(workspace.join("sdk/tests/scaffold").join(file)).unwrap();
        assert!(
            made == kept,
            "`cardhost cards new asana.who-am-i` no longer writes sdk/tests/scaffold/{file}: copy the new src/{file} there"
        );
    }

    // 2. Build. (Only for CI: the workspace's lock, so the build is offline.)
    std::fs::copy(workspace.join("Cargo.lock"), card_dir.join("Cargo.lock")).unwrap();
    let mut build_env = env.clone();
    build_env.push(("CARGO_NET_OFFLINE", "true".into()));
    build_env.push((
        "CARGO_TARGET_DIR",
        workspace.join("target/wasm-cards").display().to_string(),
    ));
    let started = Instant::now();
    let out = cardhost_in(&card_dir, &build_env, &["cards", "build"]);
    ok(&out, "cards build");
    step("cards build", started);
    let built: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let wasm = built["wasm"].as_str().unwrap().to_string();
    assert!(
        wasm.ends_with("/wasm32-wasip2/card/asana_who_am_i.wasm"),
        "{built}"
    );
    assert_eq!(
        built["bytes"].as_u64(),
        Some(std::fs::metadata(&wasm).unwrap().len())
    );

    // 3. Serve (on a free loopback port) and install.
    let started = Instant::now();
    let server = serve_env(&data, &env);
    step("serve (until it answers)", started);
    let with_server = |args: &[&str]| {
        cardhost_in(
            &card_dir,
            &env,
            &[args, &["--server", &server.url]].concat(),
        )
    };
    let started = Instant::now();
    let out = with_server(&["cards", "install", &wasm]);
    ok(&out, "cards install");
    step("cards install", started);
    assert!(
        text(&out.stdout).contains("\"asana.who-am-i\""),
        "{}",
        text(&out.stdout)
    );

    // 4. A token connection on the fake, and the run.
    let started = Instant::now();
    let out = with_server(&[
        "connections",
        "create",
        "--connector",
        "asana",
        "--nickname",
        "me",
        "--access-token",
        seed::PAT,
    ]);
    ok(&out, "connections create");
    step("connections create", started);
    let started = Instant::now();
    let out = with_server(&["run", "asana.who-am-i", "--input", "{}"]);
    ok(&out, "run");
    step("run", started);
    let output: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        output,
        serde_json::json!({"id": seed::ME_GID, "name": seed::ME_NAME, "email": seed::ME_EMAIL})
    );
    // An input the card's native test refuses, the host refuses too.
    let out = with_server(&["run", "asana.who-am-i", "--input", r#"{"verbose": true}"#]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("(invalid_input)"),
        "{}",
        text(&out.stderr)
    );
    drop(server);

    let total: Duration = steps.iter().map(|(_, d)| *d).sum();
    let mut report = format!(
        "\nthe guide's path (docs/writing-cards.md), scaffold to run: {:.1} s\n",
        total.as_secs_f64()
    );
    for (name, took) in &steps {
        report.push_str(&format!("  {name:<26} {:>7} ms\n", took.as_millis()));
    }
    report.push_str(&format!("  the card: {} bytes\n", built["bytes"]));
    // Past the test harness's capture, so that it is in every run's output.
    let _ = std::io::stderr().write_all(report.as_bytes());
    assert!(
        total < Duration::from_secs(300),
        "the guide's path took {total:?}{report}"
    );
}

/// `cardhost serve` on `data` with `env`, on a free loopback port.
fn serve_env(data: &Path, env: &[(&str, String)]) -> Server {
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
    let child = Command::new(env!("CARGO_BIN_EXE_cardhost"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env_clear()
        .env("CARDHOST_LOG", "warn")
        .env("CARDHOST_DATA_DIR", data)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .expect("cardhost serve starts");
    let mut server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        stderr,
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("cardhost serve stopped ({status}): {}", server.stderr());
        }
        assert!(
            Instant::now() < deadline,
            "the server did not start: {}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}
