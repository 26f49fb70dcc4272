//! The on-disk cache of compiled cards: a card is compiled once per engine
//! configuration and wasmtime version, so a restart does not compile again.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::component::Component;
use wasmtime::Engine;

/// Compile `bytes`, or load the artifact an earlier start compiled.
pub fn compile_cached(
    engine: &Engine,
    dir: &Path,
    digest: &str,
    bytes: &[u8],
) -> wasmtime::Result<Component> {
    let path = artifact_path(engine, dir, digest);
    if path.exists() {
        // SAFETY: the artifact was written by this host (below) into its own
        // cache directory, keyed by the engine's compatibility hash; wasmtime
        // still checks its header and refuses an incompatible one.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring an unusable compiled card")
            }
        }
    }
    let component = Component::new(engine, bytes)?;
    if let Err(e) = store(&path, &component) {
        tracing::warn!(path = %path.display(), error = %e, "could not cache a compiled card");
    }
    Ok(component)
}

/// The artifact of a card for this engine: the card's SHA-256 and the
/// engine's compatibility hash, which covers the wasmtime version and every
/// setting that changes compiled code.
fn artifact_path(engine: &Engine, dir: &Path, digest: &str) -> PathBuf {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let engine_key = hasher.finish();
    dir.join(format!("{digest}-{engine_key:016x}.cwasm"))
}

fn store(path: &Path, component: &Component) -> anyhow::Result<()> {
    let dir = path.parent().expect("artifact paths have a parent");
    std::fs::create_dir_all(dir)?;
    let bytes = component.serialize()?;
    let tmp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
