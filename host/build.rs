//! Builds the cards in `cards/` (and the test-only cards in `tests/cards/`)
//! to `wasm32-wasip2` components, so that `cargo build` and `cargo test`
//! need nothing else. The host embeds the shipped cards; the test cards stay
//! files that only the tests read.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Card packages built here: the shipped ones, then the test-only ones.
const CARDS: &[&str] = &[
    "asana-read-user",
    "asana-search-user",
    "asana-create-task",
    "asana-custom-api-action",
    "hostile-card",
    "future-world-card",
    "versioned-card",
    "sleepy-card",
    "net-card",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .parent()
        .expect("host/ sits in the workspace")
        .to_path_buf();
    for watched in ["sdk", "cards", "schemas/wit", "tests/cards", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=CARDHOST_CARDS_PREBUILT");
    if let Ok(dir) = std::env::var("CARDHOST_CARDS_PREBUILT") {
        // Cards built elsewhere (a release pipeline, or a quick type check).
        let dir = PathBuf::from(dir);
        check_built(&dir);
        println!("cargo:rustc-env=CARDHOST_CARDS_DIR={}", dir.display());
        return;
    }
    let target_dir = root.join("target").join("wasm-cards");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "card"])
        .arg("--target-dir")
        .arg(&target_dir);
    for card in CARDS {
        cmd.args(["-p", card]);
    }
    // The outer build's settings are for the host target and its tools
    // (clippy, coverage): the cards get a clean environment of their own.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTDOCFLAGS",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("running cargo to build the cards");
    if !status.success() {
        panic!(
            "building the cards for wasm32-wasip2 failed (see above). \
             If the target is missing, run: rustup target add wasm32-wasip2"
        );
    }
    let out = target_dir.join("wasm32-wasip2").join("card");
    check_built(&out);
    println!("cargo:rustc-env=CARDHOST_CARDS_DIR={}", out.display());
}

fn check_built(dir: &Path) {
    for card in CARDS {
        let file = dir.join(format!("{}.wasm", card.replace('-', "_")));
        if !file.exists() {
            panic!("expected {} after building the cards", file.display());
        }
    }
}
