//! `cardhost cards build [DIR]`: build a card crate to the WebAssembly
//! component cardhost installs (`cargo build --target wasm32-wasip2 --profile
//! card`), and say where it is. What a build needs and cargo would not say
//! plainly is checked first: the crate makes a `cdylib` (else cargo builds
//! and makes no `.wasm`), its workspace defines the `card` profile, and the
//! toolchain has the `wasm32-wasip2` target.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use super::scaffold::CARD_PROFILE;

/// The target cards are built for.
const TARGET: &str = "wasm32-wasip2";

/// `cardhost cards build`.
#[derive(Args)]
pub struct BuildArgs {
    /// The card crate's directory (the one with its Cargo.toml).
    #[arg(default_value = ".")]
    dir: PathBuf,
}

/// Build the crate in `args.dir`; print the component's path and size.
pub fn build(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let manifest = args.dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "no Cargo.toml in {}: run `cardhost cards build` in a card crate's directory or pass \
             it (`cardhost cards new` makes one)",
            args.dir.display()
        );
    }
    let manifest = manifest
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", manifest.display()))?;
    let dir = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let crate_ = CardCrate::read(&dir, &manifest)?;
    check_profile(&crate_.workspace_root)?;
    check_target(&dir)?;

    let started = std::time::Instant::now();
    let status = Command::new(cargo())
        .current_dir(&dir)
        .args([
            "build",
            "--target",
            TARGET,
            "--profile",
            "card",
            "--manifest-path",
        ])
        .arg(&manifest)
        // cargo's own output is for the person: stderr. Stdout is the answer.
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("cargo could not build {} (see above)", crate_.package);
    }
    let wasm = crate_
        .target_directory
        .join(TARGET)
        .join("card")
        .join(format!("{}.wasm", crate_.lib_name));
    let bytes = std::fs::metadata(&wasm)
        .with_context(|| {
            format!(
                "cargo built {} but there is no {}",
                crate_.package,
                wasm.display()
            )
        })?
        .len();
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({
            "package": crate_.package,
            "wasm": wasm.display().to_string(),
            "bytes": bytes,
            "build_ms": started.elapsed().as_millis() as u64,
        }))?
    );
    eprintln!(
        "\nBuilt {} ({:.1} KiB). Install it: cardhost cards install {}",
        wasm.display(),
        bytes as f64 / 1024.0,
        wasm.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The cargo that runs this (`CARGO` under cargo), else the one on `PATH`.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// What `cargo metadata` says of the crate.
struct CardCrate {
    package: String,
    /// The library target's name (`acme_read_user`), the `.wasm`'s stem.
    lib_name: String,
    target_directory: PathBuf,
    workspace_root: PathBuf,
}

impl CardCrate {
    fn read(dir: &Path, manifest: &Path) -> anyhow::Result<CardCrate> {
        let out = Command::new(cargo())
            .current_dir(dir)
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--manifest-path",
            ])
            .arg(manifest)
            .stderr(Stdio::inherit())
            .output()
            .context("cannot run cargo")?;
        if !out.status.success() {
            bail!("cargo cannot read {} (see above)", manifest.display());
        }
        let metadata: Value =
            serde_json::from_slice(&out.stdout).context("cargo metadata answered no JSON")?;
        CardCrate::from_metadata(&metadata, manifest)
    }

    fn from_metadata(metadata: &Value, manifest: &Path) -> anyhow::Result<CardCrate> {
        let path = |v: &Value| PathBuf::from(v.as_str().unwrap_or_default());
        let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
        let Some(package) = packages.iter().find(|p| {
            let at = path(&p["manifest_path"]);
            at == manifest || at.canonicalize().is_ok_and(|at| at == manifest)
        }) else {
            bail!(
                "{} is a workspace, not a card crate: pass the directory of one of its cards",
                manifest.display()
            );
        };
        let name = package["name"].as_str().unwrap_or_default().to_string();
        let targets = package["targets"].as_array().cloned().unwrap_or_default();
        let lib = targets.iter().find(|t| {
            t["crate_types"]
                .as_array()
                .is_some_and(|types| types.iter().any(|c| c == "cdylib"))
        });
        let Some(lib) = lib else {
            bail!(
                "{name} makes no cdylib, so cargo would build it and make no .wasm: add\n\n\
                 [lib]\ncrate-type = [\"cdylib\", \"rlib\"]\n\n\
                 to {} (cdylib: the component; rlib: for `cargo test`)",
                manifest.display()
            );
        };
        Ok(CardCrate {
            package: name,
            lib_name: lib["name"].as_str().unwrap_or_default().replace('-', "_"),
            target_directory: path(&metadata["target_directory"]),
            workspace_root: path(&metadata["workspace_root"]),
        })
    }
}

/// The workspace root's Cargo.toml (cargo reads profiles only there) must
/// define the `card` profile.
fn check_profile(root: &Path) -> anyhow::Result<()> {
    let manifest = root.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{} is not valid TOML", manifest.display()))?;
    let has = table.get("profile").and_then(|p| p.get("card")).is_some();
    if !has {
        bail!(
            "{} defines no `card` profile, which cards are built with: add\n\n{CARD_PROFILE}",
            manifest.display()
        );
    }
    Ok(())
}

/// The toolchain that builds in `dir` (rustup reads its overrides there) has
/// the standard library for `wasm32-wasip2`.
fn check_target(dir: &Path) -> anyhow::Result<()> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc)
        .current_dir(dir)
        .args(["--print", "target-libdir", "--target", TARGET])
        .output()
        .with_context(|| format!("cannot run {rustc}: is Rust installed (https://rustup.rs)?"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !libdir.is_dir() {
        bail!(
            "the Rust target {TARGET} is not installed for the toolchain that builds here: run\n\n\
             \x20 rustup target add {TARGET}\n\n\
             and build again"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(crate_types: &[&str]) -> Value {
        json!({
            "packages": [{
                "name": "acme-who-am-i",
                "manifest_path": "/cards/who/Cargo.toml",
                "targets": [{"name": "acme_who_am_i", "kind": crate_types, "crate_types": crate_types}]
            }],
            "target_directory": "/cards/who/target",
            "workspace_root": "/cards/who"
        })
    }

    #[test]
    fn finds_the_cdylib_and_where_it_goes() {
        let c = CardCrate::from_metadata(
            &metadata(&["cdylib", "rlib"]),
            Path::new("/cards/who/Cargo.toml"),
        )
        .unwrap();
        assert_eq!(
            (c.package.as_str(), c.lib_name.as_str()),
            ("acme-who-am-i", "acme_who_am_i")
        );
        assert_eq!(c.target_directory, Path::new("/cards/who/target"));
    }

    #[test]
    fn a_crate_without_cdylib_is_a_clear_error() {
        let err = CardCrate::from_metadata(&metadata(&["lib"]), Path::new("/cards/who/Cargo.toml"))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("no cdylib") && err.contains("crate-type = [\"cdylib\", \"rlib\"]"),
            "{err}"
        );
        let err =
            CardCrate::from_metadata(&metadata(&["cdylib"]), Path::new("/elsewhere/Cargo.toml"))
                .err()
                .unwrap()
                .to_string();
        assert!(err.contains("is a workspace"), "{err}");
    }
}
