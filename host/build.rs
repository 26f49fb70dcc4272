//! Builds the cards in `cards/` (and the test-only cards in `tests/cards/`)
//! to `wasm32-wasip2` components, so that `cargo build` and `cargo test`
//! need nothing else, and embeds the built-in connectors.
//!
//! The tree is laid out by connector: `cards/<connector>/connector.toml` is
//! the connector's definition and every directory beside it holding a
//! `Cargo.toml` is one card crate, named `<connector>-<card>` for the card
//! `<connector>.<card>`. The host embeds every connector and shipped card it
//! finds there (see `$OUT_DIR/builtin.rs`); the test cards stay files that
//! only the tests read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A shipped card found under `cards/`.
struct ShippedCard {
    /// `<connector>.<card>`.
    id: String,
    /// The crate's package name, `<connector>-<card>`.
    package: String,
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .parent()
        .expect("host/ sits in the workspace")
        .to_path_buf();
    for watched in ["sdk", "cards", "schemas/wit", "tests/cards", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let (connectors, shipped) = discover(&root.join("cards"));
    let test_cards = test_cards(&root.join("tests").join("cards"));
    let packages: Vec<String> = shipped
        .iter()
        .map(|c| c.package.clone())
        .chain(test_cards)
        .collect();
    println!("cargo:rerun-if-env-changed=CARDHOST_CARDS_PREBUILT");
    let cards_dir = match std::env::var("CARDHOST_CARDS_PREBUILT") {
        // Cards built elsewhere (a release pipeline, or a quick type check).
        Ok(dir) => PathBuf::from(dir),
        Err(_) => build_cards(&root, &packages),
    };
    check_built(&cards_dir, &packages);
    println!("cargo:rustc-env=CARDHOST_CARDS_DIR={}", cards_dir.display());
    write_builtins(&connectors, &shipped, &cards_dir);
}

/// The connector definitions (id, path) and shipped cards under `cards/`.
fn discover(cards: &Path) -> (Vec<(String, PathBuf)>, Vec<ShippedCard>) {
    let mut connectors = Vec::new();
    let mut shipped = Vec::new();
    for connector_dir in sorted_dirs(cards) {
        let definition = connector_dir.join("connector.toml");
        let connector = dir_name(&connector_dir);
        if !definition.exists() {
            panic!(
                "{} has no connector.toml: every directory under cards/ is one connector",
                connector_dir.display()
            );
        }
        connectors.push((connector.clone(), definition));
        for card_dir in sorted_dirs(&connector_dir) {
            let package = package_name(&card_dir.join("Cargo.toml"));
            let expected = format!("{connector}-{}", dir_name(&card_dir));
            if package != expected {
                panic!(
                    "{} is named {package:?}; a card crate under cards/{connector}/ is named {expected:?}",
                    card_dir.display()
                );
            }
            shipped.push(ShippedCard {
                id: format!("{connector}.{}", dir_name(&card_dir)),
                package,
            });
        }
    }
    (connectors, shipped)
}

/// The package names of the test-only cards.
fn test_cards(dir: &Path) -> Vec<String> {
    sorted_dirs(dir)
        .iter()
        .map(|d| package_name(&d.join("Cargo.toml")))
        .collect()
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn dir_name(dir: &Path) -> String {
    dir.file_name()
        .and_then(|n| n.to_str())
        .expect("a directory name in UTF-8")
        .to_string()
}

fn package_name(cargo_toml: &Path) -> String {
    let text = std::fs::read_to_string(cargo_toml)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", cargo_toml.display()));
    let doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("{} is not valid TOML: {e}", cargo_toml.display()));
    doc.get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or_else(|| panic!("{} has no package name", cargo_toml.display()))
        .to_string()
}

fn build_cards(root: &Path, packages: &[String]) -> PathBuf {
    let target_dir = root.join("target").join("wasm-cards");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args(["build", "--target", "wasm32-wasip2", "--profile", "card"])
        .arg("--target-dir")
        .arg(&target_dir);
    for package in packages {
        cmd.args(["-p", package]);
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
    target_dir.join("wasm32-wasip2").join("card")
}

fn wasm_file(dir: &Path, package: &str) -> PathBuf {
    dir.join(format!("{}.wasm", package.replace('-', "_")))
}

fn check_built(dir: &Path, packages: &[String]) {
    for package in packages {
        let file = wasm_file(dir, package);
        if !file.exists() {
            panic!("expected {} after building the cards", file.display());
        }
    }
}

/// `$OUT_DIR/builtin.rs`: the embedded connector definitions and cards.
fn write_builtins(connectors: &[(String, PathBuf)], shipped: &[ShippedCard], cards_dir: &Path) {
    let mut out = String::from("/// Every built-in connector definition (TOML), by id.\n");
    out.push_str("pub const BUILTIN_CONNECTORS: &[BuiltinConnector] = &[\n");
    for (id, path) in connectors {
        let _ = writeln!(
            out,
            "    BuiltinConnector {{ id: {id:?}, definition: include_str!({:?}) }},",
            path.display().to_string()
        );
    }
    out.push_str("];\n\n/// Every built-in card.\npub const BUILTIN_CARDS: &[BuiltinCard] = &[\n");
    for card in shipped {
        let _ = writeln!(
            out,
            "    BuiltinCard {{ id: {:?}, wasm: include_bytes!({:?}) }},",
            card.id,
            wasm_file(cards_dir, &card.package).display().to_string()
        );
    }
    out.push_str("];\n");
    let path = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin.rs");
    std::fs::write(&path, out).expect("writing builtin.rs");
}
