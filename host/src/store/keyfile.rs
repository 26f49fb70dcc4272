//! Where the master key comes from: `CARDHOST_MASTER_KEY` (its value is passed in by the caller), or else
//! the key file `<data dir>/master.key`: 64 hex characters and a newline, mode 0600, created with a random
//! key on the first start of an empty data dir and refused when group or others have any access to it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::crypto::MasterKey;
use super::{io_context, StoreError};

/// The key file, relative to the data dir.
pub const KEY_FILE_NAME: &str = "master.key";

/// The key file of a data dir.
pub fn key_file_path(dir: &Path) -> PathBuf {
    dir.join(KEY_FILE_NAME)
}

/// Parses the value of `CARDHOST_MASTER_KEY`.
pub fn parse_env_key(text: &str) -> Result<MasterKey, StoreError> {
    MasterKey::parse(text).map_err(|why| {
        StoreError::BadMasterKey(format!("CARDHOST_MASTER_KEY is not usable: {why}"))
    })
}

/// Reads the key file; when it is missing, creates it if `may_create` (an empty data dir) or else fails
/// with [`StoreError::MissingMasterKey`] (a new key could not open what is already sealed).
pub fn load_or_create(dir: &Path, may_create: bool) -> Result<MasterKey, StoreError> {
    let path = key_file_path(dir);
    match path.try_exists() {
        Ok(true) => read_key_file(&path),
        Ok(false) if may_create => create_key_file(&path),
        Ok(false) => Err(StoreError::MissingMasterKey { path }),
        Err(e) => Err(io_context(e, "cannot look for the key file", &path)),
    }
}

/// Reads an existing key file after checking that only its owner may use it.
pub fn read_key_file(path: &Path) -> Result<MasterKey, StoreError> {
    let file = File::open(path).map_err(|e| io_context(e, "cannot open the key file", path))?;
    let meta = file
        .metadata()
        .map_err(|e| io_context(e, "cannot inspect the key file", path))?;
    if open_to_others(&meta) {
        return Err(StoreError::KeyFilePermissions {
            path: path.to_path_buf(),
        });
    }
    let mut text = Zeroizing::new(String::with_capacity(256));
    file.take(256)
        .read_to_string(&mut text)
        .map_err(|e| io_context(e, "cannot read the key file", path))?;
    MasterKey::parse(&text).map_err(|why| {
        StoreError::BadMasterKey(format!(
            "the key file {} is not usable: {why}",
            path.display()
        ))
    })
}

/// Whether group or others have any access to a file or directory: the key
/// file is refused then, and so is the compiled-card cache unless it can be
/// tightened.
pub(crate) fn open_to_others(meta: &std::fs::Metadata) -> bool {
    meta.permissions().mode() & 0o077 != 0
}

/// Creates a new key file with a random key; never overwrites an existing file.
pub fn create_key_file(path: &Path) -> Result<MasterKey, StoreError> {
    let (key, hex) = MasterKey::generate();
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_context(e, "cannot create the key file", path))?;
    let write = file
        .write_all(hex.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all());
    write.map_err(|e| io_context(e, "cannot write the key file", path))?;
    sync_parent(path);
    tracing::info!(path = %path.display(), "created a new master key file");
    Ok(key)
}

/// Makes the new directory entry durable; best effort.
fn sync_parent(path: &Path) {
    if let Some(parent) = path.parent() {
        if let Err(e) = File::open(parent).and_then(|dir| dir.sync_all()) {
            tracing::warn!(error = %e, "could not sync the data dir after creating the key file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn creates_a_0600_file_and_reads_it_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_file_path(dir.path());
        load_or_create(dir.path(), true).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        load_or_create(dir.path(), false).unwrap();
        assert!(
            create_key_file(&path).is_err(),
            "never overwrites a key file"
        );
    }

    #[test]
    fn refuses_a_key_file_others_can_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_file_path(dir.path());
        create_key_file(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = load_or_create(dir.path(), false).unwrap_err();
        assert!(
            matches!(err, StoreError::KeyFilePermissions { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"));
    }

    #[test]
    fn missing_key_file_is_created_only_when_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_or_create(dir.path(), false).unwrap_err();
        assert!(matches!(err, StoreError::MissingMasterKey { .. }), "{err}");
        assert!(!key_file_path(dir.path()).exists());
    }

    #[test]
    fn a_garbled_key_file_is_a_bad_master_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = key_file_path(dir.path());
        fs::write(&path, "not a key\n").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = load_or_create(dir.path(), false).unwrap_err();
        assert!(matches!(err, StoreError::BadMasterKey(_)), "{err}");
    }

    #[test]
    fn a_malformed_env_key_is_a_bad_master_key() {
        let err = parse_env_key("definitely-not-a-key").unwrap_err();
        assert!(matches!(err, StoreError::BadMasterKey(_)), "{err}");
        assert!(err.to_string().contains("CARDHOST_MASTER_KEY"));
        assert!(!err.to_string().contains("definitely-not-a-key"));
    }
}
