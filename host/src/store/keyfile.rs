//! The key files of a data dir, each mode 0600 and refused when group or others have any access to it.
//!
//! - The master key comes from `CARDHOST_MASTER_KEY` (its value is passed in by the caller), or else from
//!   `<data dir>/master.key`: 64 hex characters and a newline, created with a random key on the first
//!   start of an empty data dir.
//! - The API key comes from `CARDHOST_API_KEY` (read by [`crate::config`]), or else from
//!   `<data dir>/api.key`: 32 random bytes in base64url (43 characters) and a newline, created on the
//!   first start without `CARDHOST_API_KEY`, and refused when shorter than
//!   [`MIN_API_KEY_LEN`](crate::config::MIN_API_KEY_LEN) characters.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use secrecy::SecretString;
use zeroize::Zeroizing;

use super::crypto::MasterKey;
use super::{io_context, StoreError};
use crate::config::MIN_API_KEY_LEN;

/// The key file, relative to the data dir.
pub const KEY_FILE_NAME: &str = "master.key";
/// The API key file, relative to the data dir.
pub const API_KEY_FILE_NAME: &str = "api.key";

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
    let text = read_private(path, "the key file", || StoreError::KeyFilePermissions {
        path: path.to_path_buf(),
    })?;
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

/// The first 256 bytes of a file that only its owner may use; `loose` is the error when others may.
fn read_private(
    path: &Path,
    what: &str,
    loose: impl FnOnce() -> StoreError,
) -> Result<Zeroizing<String>, StoreError> {
    let file = File::open(path).map_err(|e| io_context(e, &format!("cannot open {what}"), path))?;
    let meta = file
        .metadata()
        .map_err(|e| io_context(e, &format!("cannot inspect {what}"), path))?;
    if open_to_others(&meta) {
        return Err(loose());
    }
    let mut text = Zeroizing::new(String::with_capacity(256));
    file.take(256)
        .read_to_string(&mut text)
        .map_err(|e| io_context(e, &format!("cannot read {what}"), path))?;
    Ok(text)
}

/// The API key file of a data dir.
pub fn api_key_file_path(dir: &Path) -> PathBuf {
    dir.join(API_KEY_FILE_NAME)
}

/// Reads an existing API key file: only its owner may use it, and the key (spaces around it ignored)
/// has at least [`MIN_API_KEY_LEN`] characters.
pub fn read_api_key_file(path: &Path) -> Result<SecretString, StoreError> {
    let text = read_private(path, "the API key file", || {
        StoreError::ApiKeyFilePermissions {
            path: path.to_path_buf(),
        }
    })?;
    let key = text.trim();
    let len = key.chars().count();
    if len < MIN_API_KEY_LEN {
        return Err(StoreError::ShortApiKey {
            path: path.to_path_buf(),
            len,
            min: MIN_API_KEY_LEN,
        });
    }
    Ok(SecretString::from(key.to_string()))
}

/// The API key of the data dir `dir` (which must exist): read from its file, or, when there is none, a
/// new random key written to a new file. The flag says whether it was created now.
///
/// The new file is written under a temporary name and linked into place, so a process starting at the
/// same moment either finds no file or the whole key, and never two different keys.
pub fn load_or_create_api_key(dir: &Path) -> Result<(SecretString, bool), StoreError> {
    let path = api_key_file_path(dir);
    match path.try_exists() {
        Ok(true) => return Ok((read_api_key_file(&path)?, false)),
        Ok(false) => {}
        Err(e) => return Err(io_context(e, "cannot look for the API key file", &path)),
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(bytes.as_mut());
    let key = Zeroizing::new(URL_SAFE_NO_PAD.encode(bytes.as_ref()));
    let mut suffix = [0u8; 8];
    OsRng.fill_bytes(&mut suffix);
    let temp = dir.join(format!(
        ".{API_KEY_FILE_NAME}.{}",
        URL_SAFE_NO_PAD.encode(suffix)
    ));
    let written = write_new(&temp, key.as_bytes()).and_then(|()| fs::hard_link(&temp, &path));
    let _ = fs::remove_file(&temp);
    match written {
        Ok(()) => {
            sync_parent(&path);
            tracing::info!(path = %path.display(), "created a new API key file");
            Ok((SecretString::from(key.to_string()), true))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok((read_api_key_file(&path)?, false))
        }
        Err(e) => Err(io_context(e, "cannot create the API key file", &path)),
    }
}

/// Writes `text` and a newline to a new 0600 file, synced.
fn write_new(path: &Path, text: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text)?;
    file.write_all(b"\n")?;
    file.sync_all()
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
    use secrecy::ExposeSecret;

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

    #[test]
    fn an_api_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (key, created) = load_or_create_api_key(dir.path()).unwrap();
        assert!(created);
        let path = api_key_file_path(dir.path());
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(key.expose_secret().len(), 43);
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{}\n", key.expose_secret())
        );
        let (again, created) = load_or_create_api_key(dir.path()).unwrap();
        assert!(!created);
        assert_eq!(again.expose_secret(), key.expose_secret());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, [API_KEY_FILE_NAME], "no temporary file is left");
    }

    #[test]
    fn an_api_key_file_that_is_loose_or_short_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = api_key_file_path(dir.path());
        load_or_create_api_key(dir.path()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let err = load_or_create_api_key(dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::ApiKeyFilePermissions { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
        fs::write(&path, format!("  {} \n", "k".repeat(31))).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = load_or_create_api_key(dir.path()).unwrap_err();
        assert!(
            matches!(err, StoreError::ShortApiKey { len: 31, .. }),
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("CARDHOST_API_KEY") && text.contains("32"),
            "{text}"
        );
        assert!(
            !text.contains("kkk"),
            "the key stays out of the error: {text}"
        );
    }
}
