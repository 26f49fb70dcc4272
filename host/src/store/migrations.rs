//! Schema versions of the data dir and the migrations between them.
//!
//! `meta/schema_version` holds the version as a big-endian u32 (absent on a new data dir, read as 0).
//! [`run`] applies, in order, every migration newer than the stored version, recording each version as
//! soon as its migration is done and flushed; a migration must therefore be safe to run again if the
//! process dies half way. A data dir newer than [`CURRENT_SCHEMA_VERSION`] is refused, untouched.
//! To change the layout: add a function here, append it to [`MIGRATIONS`] and bump the version.

use super::crypto::MasterKey;
use super::StoreError;

/// The version this code writes and understands.
pub const CURRENT_SCHEMA_VERSION: u32 = 1;
/// The key of the version in the `meta` tree.
pub const SCHEMA_VERSION_KEY: &[u8] = b"schema_version";

/// What a migration may use.
pub struct MigrationContext<'a> {
    pub db: &'a sled::Db,
    pub key: &'a MasterKey,
}

/// One step: brings a data dir at `version - 1` to `version`.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub run: fn(&MigrationContext<'_>) -> Result<(), StoreError>,
}

/// Every migration, in order, contiguous from 1 to [`CURRENT_SCHEMA_VERSION`].
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "baseline",
    run: baseline,
}];

/// Version 1: the first layout. The trees are created on open, so there is nothing to do.
fn baseline(_ctx: &MigrationContext<'_>) -> Result<(), StoreError> {
    Ok(())
}

/// The stored version; 0 for a new data dir.
pub fn read_version(meta: &sled::Tree) -> Result<u32, StoreError> {
    let Some(bytes) = meta.get(SCHEMA_VERSION_KEY)? else {
        return Ok(0);
    };
    let bytes: [u8; 4] = bytes.as_ref().try_into().map_err(|_| {
        StoreError::Corrupt(format!(
            "the schema version has {} bytes, not 4",
            bytes.len()
        ))
    })?;
    Ok(u32::from_be_bytes(bytes))
}

/// Records `version` as the stored version.
pub fn write_version(meta: &sled::Tree, version: u32) -> Result<(), StoreError> {
    meta.insert(SCHEMA_VERSION_KEY, &version.to_be_bytes())?;
    Ok(())
}

/// Refuses a data dir written by a newer cardhost; returns the stored version.
pub fn ensure_supported(meta: &sled::Tree) -> Result<u32, StoreError> {
    let found = read_version(meta)?;
    if found > CURRENT_SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: CURRENT_SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Brings the data dir to [`CURRENT_SCHEMA_VERSION`]; returns the version it started at.
pub fn run(db: &sled::Db, meta: &sled::Tree, key: &MasterKey) -> Result<u32, StoreError> {
    let found = ensure_supported(meta)?;
    let ctx = MigrationContext { db, key };
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migrating the data dir"
        );
        (migration.run)(&ctx)?;
        write_version(meta, migration.version)?;
        db.flush()?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{open_raw, reopen_raw};
    use super::*;
    use crate::store::Store;

    #[test]
    fn registry_is_contiguous_and_ends_at_current() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as u32 + 1, "migration '{}'", m.name);
        }
        assert_eq!(MIGRATIONS.last().unwrap().version, CURRENT_SCHEMA_VERSION);
    }

    #[test]
    fn a_new_data_dir_is_at_the_current_version() {
        let (_dir, _store, raw) = open_raw();
        assert_eq!(
            read_version(&raw.trees.meta).unwrap(),
            CURRENT_SCHEMA_VERSION
        );
    }

    #[test]
    fn an_older_data_dir_is_migrated() {
        let (dir, store, raw) = open_raw();
        write_version(&raw.trees.meta, 0).unwrap();
        drop((store, raw));
        let raw = reopen_raw(dir.path());
        assert_eq!(
            read_version(&raw.trees.meta).unwrap(),
            CURRENT_SCHEMA_VERSION
        );
    }

    #[test]
    fn a_newer_data_dir_is_refused() {
        let (dir, store, raw) = open_raw();
        write_version(&raw.trees.meta, CURRENT_SCHEMA_VERSION + 1).unwrap();
        raw.db.flush().unwrap();
        drop((store, raw));
        let err = Store::open(dir.path(), None).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found, supported }
                if found == CURRENT_SCHEMA_VERSION + 1 && supported == CURRENT_SCHEMA_VERSION),
            "{err}"
        );
        assert!(err.to_string().contains("newer cardhost"), "{err}");
    }
}
