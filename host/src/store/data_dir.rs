//! The data dir itself. It holds the sealed store, the master key and the API key, so only its owner may
//! use it: a missing dir is created with mode 0700, and an existing one that group or others may read,
//! write or enter is refused, as the key files are, with the `chmod` that fixes it. An existing dir that
//! is still empty (made by `mkdir` or as a mount point under a loose umask) is tightened to 0700
//! instead, since nothing in it was ever exposed.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use super::{io_context, StoreError};

/// Creates `dir` (and missing parents) with mode 0700, or checks an existing one as described above.
pub fn prepare(dir: &Path) -> Result<(), StoreError> {
    let meta = match fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io_context(e, "cannot create the data dir", dir))?;
            fs::metadata(dir).map_err(|e| io_context(e, "cannot inspect the data dir", dir))?
        }
        Err(e) => return Err(io_context(e, "cannot inspect the data dir", dir)),
    };
    if !meta.is_dir() {
        return Err(io_context(
            io::Error::other("it is not a directory"),
            "cannot use the data dir",
            dir,
        ));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return Ok(());
    }
    let empty = fs::read_dir(dir)
        .map_err(|e| io_context(e, "cannot list the data dir", dir))?
        .next()
        .is_none();
    if !empty {
        return Err(StoreError::DataDirPermissions {
            path: dir.to_path_buf(),
            mode,
        });
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| io_context(e, "cannot make the data dir private (chmod 700)", dir))?;
    tracing::info!(path = %dir.display(), from = format!("{mode:o}"), "made the empty data dir private (0700)");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_dir_and_its_parents_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("data");
        prepare(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&tmp.path().join("a")), 0o700);
        prepare(&dir).unwrap();
    }

    #[test]
    fn an_empty_loose_dir_is_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        prepare(tmp.path()).unwrap();
        assert_eq!(mode(tmp.path()), 0o700);
    }

    #[test]
    fn a_loose_dir_with_data_is_refused_with_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("master.key"), "x").unwrap();
        for loose in [0o750, 0o705, 0o770, 0o701] {
            fs::set_permissions(tmp.path(), fs::Permissions::from_mode(loose)).unwrap();
            let err = prepare(tmp.path()).unwrap_err();
            assert!(
                matches!(err, StoreError::DataDirPermissions { mode, .. } if mode == loose),
                "{err}"
            );
            assert!(
                err.to_string()
                    .contains(&format!("chmod 700 {}", tmp.path().display())),
                "{err}"
            );
            assert_eq!(mode(tmp.path()), loose, "left as it was");
        }
    }

    #[test]
    fn a_file_is_not_a_data_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, "x").unwrap();
        assert!(prepare(&file)
            .unwrap_err()
            .to_string()
            .contains("not a directory"));
    }
}
