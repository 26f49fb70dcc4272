//! The on-disk cache of compiled cards, so that a restart does not compile
//! again. An artifact is native code that wasmtime maps and runs without
//! checking it, so nothing is loaded from it unless this host wrote it:
//!
//! - the directory is created 0700; one that another user owns is refused,
//!   one that group or others may use is tightened to 0700 (the key file's
//!   rule, [`crate::store::keyfile::open_to_others`]);
//! - each artifact carries an HMAC-SHA256 over the card's hash, the engine's
//!   compatibility key and the compiled bytes, under a key derived from the
//!   master key ([`crate::store::StoreBase::derive_key`]); it is verified (in
//!   constant time) on the bytes read, before they are deserialized, and an
//!   artifact that fails is removed and compiled again;
//! - artifacts are written to a temporary file, synced, renamed into place
//!   and the directory synced, so a crash never leaves half an artifact;
//! - the catalogue writes only cards that passed every install check and
//!   prunes the artifacts no card of it uses ([`ArtifactCache::prune`]).
//!
//! File layout: `{card sha-256}-{engine key}.cwasm` holding [`MAGIC`], the
//! 32-byte tag, then wasmtime's serialized component.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmtime::component::Component;
use wasmtime::Engine;
use zeroize::Zeroizing;

use crate::store::keyfile::open_to_others;

/// The label of the cache's MAC key, derived from the master key.
pub const KEY_LABEL: &str = "card-cache/hmac-sha256";
/// The first bytes of every artifact file.
const MAGIC: &[u8; 16] = b"cardhost-cwasm1\n";
const TAG_LEN: usize = 32;
const EXTENSION: &str = ".cwasm";
/// Larger files are not read (a compiled card is a few MiB).
const MAX_ARTIFACT_BYTES: u64 = 512 << 20;
/// Temporary files older than this are leftovers of a crash.
const STALE_TEMPORARY: Duration = Duration::from_secs(600);

/// The cache directory and the key that authenticates its artifacts.
pub struct ArtifactCache {
    dir: PathBuf,
    key: Zeroizing<[u8; 32]>,
    engine_key: String,
}

impl ArtifactCache {
    /// Open the cache in `dir` (created 0700 when missing) for `engine`'s
    /// artifacts, authenticated with `key`. Fails when the directory belongs
    /// to another user or cannot be made private.
    pub fn open(
        dir: &Path,
        key: Zeroizing<[u8; 32]>,
        engine: &Engine,
    ) -> anyhow::Result<ArtifactCache> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create the card cache {}", dir.display()))?;
        let meta = fs::metadata(dir)
            .with_context(|| format!("cannot inspect the card cache {}", dir.display()))?;
        anyhow::ensure!(
            meta.is_dir(),
            "the card cache {} is not a directory",
            dir.display()
        );
        let me = effective_uid();
        anyhow::ensure!(
            meta.uid() == me,
            "the card cache {} belongs to user {}, not to the user cardhost runs as ({me}): \
             point CARDHOST_CACHE_DIR at a directory of this user",
            dir.display(),
            meta.uid()
        );
        if open_to_others(&meta) {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).with_context(|| {
                format!(
                    "the card cache {} may be used by group or others and cannot be made \
                     private; run `chmod 700 {}`",
                    dir.display(),
                    dir.display()
                )
            })?;
            tracing::warn!(dir = %dir.display(), "the card cache was open to group or others: now 0700");
        }
        Ok(ArtifactCache {
            dir: dir.to_path_buf(),
            key,
            engine_key: engine_key(engine),
        })
    }

    /// The compiled card of hash `digest`, if an authentic artifact of it is
    /// cached. An artifact that is not authentic or does not load is removed.
    pub fn get(&self, engine: &Engine, digest: &str) -> Option<Component> {
        let path = self.path(digest);
        let bytes = match read_artifact(&path) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read a compiled card");
                return None;
            }
        };
        let Some(code) = self.verified(digest, &bytes) else {
            tracing::warn!(path = %path.display(), "a compiled card failed authentication: removed");
            remove(&path);
            return None;
        };
        // SAFETY: `code` is exactly what `put` serialized from a component
        // this engine compiled: the MAC, under a key only this host derives
        // from the master key, covers these bytes, the card's hash and the
        // engine key, and was checked on this in-memory copy (not on a file
        // that could change after the check). wasmtime still checks the
        // header and refuses an artifact of an incompatible engine.
        match unsafe { Component::deserialize(engine, code) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring an unusable compiled card");
                remove(&path);
                None
            }
        }
    }

    /// Cache `component`, the compiled card of hash `digest`: written to a
    /// temporary file, synced, renamed into place, the directory synced.
    pub fn put(&self, digest: &str, component: &Component) -> anyhow::Result<()> {
        let code = component.serialize()?;
        let tag = self.tag(digest, &code);
        let path = self.path(digest);
        let tmp = self.dir.join(format!(".{}.tmp", uuid::Uuid::new_v4()));
        let written = (|| -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(MAGIC)?;
            file.write_all(&tag)?;
            file.write_all(&code)?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        written.with_context(|| format!("cannot write the compiled card {}", path.display()))
    }

    /// Remove every artifact that is not this engine's artifact of a card in
    /// `keep` (hashes), and temporary files a crash left behind. Returns how
    /// many files were removed.
    pub fn prune(&self, keep: &BTreeSet<String>) -> usize {
        let wanted: BTreeSet<String> = keep.iter().map(|d| self.file_name(d)).collect();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let unused_artifact = name.ends_with(EXTENSION) && !wanted.contains(&name);
            let stale_temporary = name.starts_with('.')
                && name.ends_with(".tmp")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .map(|t| {
                        SystemTime::now()
                            .duration_since(t)
                            .is_ok_and(|age| age > STALE_TEMPORARY)
                    })
                    .unwrap_or(false);
            if unused_artifact || stale_temporary {
                remove(&entry.path());
                removed += 1;
            }
        }
        if removed > 0 {
            tracing::info!(removed, dir = %self.dir.display(), "pruned compiled cards no card uses");
        }
        removed
    }

    /// The artifact file of the card of hash `digest`.
    pub fn path(&self, digest: &str) -> PathBuf {
        self.dir.join(self.file_name(digest))
    }

    fn file_name(&self, digest: &str) -> String {
        format!("{digest}-{}{EXTENSION}", self.engine_key)
    }

    fn mac(&self, digest: &str) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_ref())
            .expect("HMAC takes a key of any length");
        mac.update(MAGIC);
        mac.update(digest.as_bytes());
        mac.update(b"\0");
        mac.update(self.engine_key.as_bytes());
        mac.update(b"\0");
        mac
    }

    fn tag(&self, digest: &str, code: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.mac(digest);
        mac.update(code);
        mac.finalize().into_bytes().into()
    }

    /// The compiled bytes of an artifact file whose tag is authentic.
    fn verified<'a>(&self, digest: &str, file: &'a [u8]) -> Option<&'a [u8]> {
        let rest = file.strip_prefix(MAGIC)?;
        if rest.len() < TAG_LEN {
            return None;
        }
        let (tag, code) = rest.split_at(TAG_LEN);
        let mut mac = self.mac(digest);
        mac.update(code);
        mac.verify_slice(tag).ok().map(|()| code)
    }
}

/// The bytes of a regular artifact file (symbolic links are not followed),
/// or `None` when there is none.
fn read_artifact(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() > MAX_ARTIFACT_BYTES {
        return Err(std::io::Error::other(
            "not a regular file of a plausible size",
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_ARTIFACT_BYTES).read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

fn remove(path: &Path) {
    if let Err(e) = fs::remove_file(path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(path = %path.display(), error = %e, "cannot remove a compiled card");
        }
    }
}

/// The engine's compatibility hash (the wasmtime version and every setting
/// that changes compiled code), short.
fn engine_key(engine: &Engine) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        Engine::new(&config).unwrap()
    }

    fn component(engine: &Engine) -> Component {
        // The smallest component: the header alone.
        Component::new(engine, b"\0asm\x0d\0\x01\0").unwrap()
    }

    #[test]
    fn round_trip_and_tampering() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        let engine = engine();
        let cache = ArtifactCache::open(&dir, Zeroizing::new([7; 32]), &engine).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let digest = "ab".repeat(32);
        assert!(cache.get(&engine, &digest).is_none());
        cache.put(&digest, &component(&engine)).unwrap();
        assert!(cache.get(&engine, &digest).is_some());

        // Another key does not accept it (and removes it).
        let other = ArtifactCache::open(&dir, Zeroizing::new([8; 32]), &engine).unwrap();
        assert!(other.get(&engine, &digest).is_none());
        assert!(!cache.path(&digest).exists());

        // An artifact copied under another card's name is refused.
        cache.put(&digest, &component(&engine)).unwrap();
        let moved = "cd".repeat(32);
        fs::copy(cache.path(&digest), cache.path(&moved)).unwrap();
        assert!(cache.get(&engine, &moved).is_none());

        // One flipped byte is refused.
        let mut bytes = fs::read(cache.path(&digest)).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        fs::write(cache.path(&digest), bytes).unwrap();
        assert!(cache.get(&engine, &digest).is_none());
    }

    #[test]
    fn a_loose_directory_is_tightened_and_prune_keeps_only_the_wanted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cache");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let engine = engine();
        let cache = ArtifactCache::open(&dir, Zeroizing::new([7; 32]), &engine).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let (a, b) = ("aa".repeat(32), "bb".repeat(32));
        cache.put(&a, &component(&engine)).unwrap();
        cache.put(&b, &component(&engine)).unwrap();
        fs::write(dir.join("notes.txt"), "kept").unwrap();
        fs::write(
            dir.join(format!("{a}-0000000000000000.cwasm")),
            "old engine",
        )
        .unwrap();
        assert_eq!(cache.prune(&BTreeSet::from([a.clone()])), 2);
        assert!(cache.path(&a).exists());
        assert!(!cache.path(&b).exists());
        assert!(dir.join("notes.txt").exists());
    }
}
