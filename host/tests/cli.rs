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
