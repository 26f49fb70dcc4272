//! The embedded backend: one sled database in `<data dir>/db`, with the trees listed in [`super`].
//! This file opens it (lock, master key, migrations) and flushes it; each area's trait is implemented
//! beside its records: [`super::connections`], [`super::oauth_states`], [`super::settings`],
//! [`super::flows`] and [`super::cards`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use zeroize::Zeroizing;

use super::backend::StoreBase;
use super::crypto::{self, MasterKey, Sealed, KEY_LEN};
use super::group_flush::GroupFlush;
use super::{
    cards, connections, connectors, data_dir, flows, keyfile, migrations, oauth_states, settings,
    triggers,
};
use super::{Damaged, StoreError, DB_DIR_NAME};

pub(super) const META_TREE: &str = "meta";
const KEY_CHECK: &[u8] = b"key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"cardhost master key check";

/// Every tree of the database.
#[derive(Clone)]
pub(super) struct Trees {
    pub meta: sled::Tree,
    pub connections: sled::Tree,
    pub nicknames: sled::Tree,
    pub oauth_states: sled::Tree,
    pub app_settings: sled::Tree,
    pub connectors: sled::Tree,
    pub flows: sled::Tree,
    pub flow_versions: sled::Tree,
    pub flow_runs: sled::Tree,
    pub flow_run_index: sled::Tree,
    pub cards: sled::Tree,
    pub card_wasm: sled::Tree,
    pub triggers: sled::Tree,
    pub subscriptions: sled::Tree,
    pub event_inbox: sled::Tree,
    pub events_seen: sled::Tree,
}

impl Trees {
    fn open(db: &sled::Db) -> Result<Trees, StoreError> {
        Ok(Trees {
            meta: db.open_tree(META_TREE)?,
            connections: db.open_tree(connections::TREE)?,
            nicknames: db.open_tree(connections::NICKNAME_TREE)?,
            oauth_states: db.open_tree(oauth_states::TREE)?,
            app_settings: db.open_tree(settings::TREE)?,
            connectors: db.open_tree(connectors::TREE)?,
            flows: db.open_tree(flows::FLOWS_TREE)?,
            flow_versions: db.open_tree(flows::VERSIONS_TREE)?,
            flow_runs: db.open_tree(flows::RUNS_TREE)?,
            flow_run_index: db.open_tree(flows::RUN_INDEX_TREE)?,
            cards: db.open_tree(cards::TREE)?,
            card_wasm: db.open_tree(cards::WASM_TREE)?,
            triggers: db.open_tree(triggers::TREE)?,
            subscriptions: db.open_tree(triggers::SUBSCRIPTIONS_TREE)?,
            event_inbox: db.open_tree(triggers::INBOX_TREE)?,
            events_seen: db.open_tree(triggers::SEEN_TREE)?,
        })
    }
}

/// How sled is opened: the settings of the store (`CARDHOST_STORE_CACHE_MB`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SledOptions {
    /// The most bytes of records sled keeps decoded in memory (its page cache). Records beyond it
    /// are read again from the data dir (and so from the OS page cache) when asked for.
    pub cache_capacity: u64,
}

impl SledOptions {
    /// The default page cache, [`DEFAULT_CACHE_MB`].
    pub const DEFAULT: SledOptions = SledOptions {
        cache_capacity: DEFAULT_CACHE_MB << 20,
    };
}

impl Default for SledOptions {
    fn default() -> Self {
        SledOptions::DEFAULT
    }
}

/// sled's own default page cache is 1 GiB: sled would keep up to that much of the run history it
/// wrote or read decoded in memory. 32 MiB holds what a host reads all the time (connections, flows,
/// the card catalogue) and the run history of about ten busy flows at the default retention (1,000
/// runs of 2 to 3 KB each). Pruning reads the whole history of a flow after each of its runs, so a
/// cache smaller than the busy histories reads them from disk again and again (measured: with two
/// flows keeping 5,000 runs of 3 KB, the same 20,000 runs took a third longer with a 16 MiB cache
/// than with 1 GiB). A host with more busy flows or a longer retention raises it.
pub const DEFAULT_CACHE_MB: u64 = 32;

/// The sled store of a data dir. Share it behind an `Arc` (see [`super::Store`]).
pub struct SledStore {
    pub(super) dir: PathBuf,
    pub(super) db: sled::Db,
    pub(super) key: MasterKey,
    pub(super) trees: Trees,
    pub(super) damaged: Damaged,
    flushes: GroupFlush,
    pub(super) run_counts: flows::RunCounts,
}

impl fmt::Debug for SledStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl SledStore {
    /// Opens (creating if needed) the data dir `dir`: takes sled's lock, loads or creates the master key,
    /// checks it against the sealed canary, and runs pending migrations.
    ///
    /// `master_key` is the value of `CARDHOST_MASTER_KEY` if set (64 hex characters or base64 of 32
    /// bytes); without it the key comes from `<dir>/master.key`, created on first start.
    pub fn open(dir: &Path, master_key: Option<&str>) -> Result<SledStore, StoreError> {
        SledStore::open_with(dir, master_key, &SledOptions::DEFAULT)
    }

    /// [`SledStore::open`] with sled opened as `options` say.
    pub fn open_with(
        dir: &Path,
        master_key: Option<&str>,
        options: &SledOptions,
    ) -> Result<SledStore, StoreError> {
        let env_key = master_key.map(keyfile::parse_env_key).transpose()?;
        data_dir::prepare(dir)?;
        let db = open_db(dir, options)?;
        let trees = Trees::open(&db)?;
        migrations::ensure_supported(&trees.meta)?;
        let fresh = trees.meta.get(KEY_CHECK)?.is_none();
        let key = match env_key {
            Some(key) => key,
            None => keyfile::load_or_create(dir, fresh)?,
        };
        check_key(&trees.meta, &key, fresh)?;
        migrations::run(&db, &trees.meta, &key)?;
        db.flush()?;
        Ok(SledStore {
            dir: dir.to_path_buf(),
            db,
            key,
            trees,
            damaged: Damaged::default(),
            flushes: GroupFlush::default(),
            run_counts: flows::RunCounts::default(),
        })
    }

    /// Decodes a record of `tree` met while going through many: a damaged one is noted and skipped.
    pub(super) fn decode_or_note<T: serde::de::DeserializeOwned>(
        &self,
        tree: &str,
        key: &[u8],
        bytes: &[u8],
    ) -> Option<T> {
        match serde_json::from_slice(bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                self.damaged.note(tree, key, &e);
                None
            }
        }
    }

    /// Decodes one record asked for by key: a damaged one is noted, and `Corrupt`.
    pub(super) fn decode_one<T: serde::de::DeserializeOwned>(
        &self,
        tree: &str,
        key: &[u8],
        bytes: &[u8],
    ) -> Result<T, StoreError> {
        self.decode_or_note(tree, key, bytes).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "the record {tree} '{}' cannot be decoded",
                String::from_utf8_lossy(key)
            ))
        })
    }
}

#[async_trait]
impl StoreBase for SledStore {
    fn data_dir(&self) -> &Path {
        &self.dir
    }

    fn damaged(&self) -> &Damaged {
        &self.damaged
    }

    fn derive_key(&self, label: &str) -> Zeroizing<[u8; KEY_LEN]> {
        self.key.derive(label)
    }

    /// Concurrent callers share one flush (see [`GroupFlush`]).
    async fn flush(&self) -> Result<(), StoreError> {
        self.flushes.flush(&self.db).await
    }
}

/// How long opening waits for a lock that is being let go: sled's own
/// threads release it a moment after the last handle in this process drops.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

/// Opens sled in `<dir>/db` as `options` say, mapping "another process holds the lock" to
/// [`StoreError::Locked`] once [`LOCK_GRACE`] has passed.
fn open_db(dir: &Path, options: &SledOptions) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + LOCK_GRACE;
    let config = sled::Config::new()
        .path(dir.join(DB_DIR_NAME))
        .cache_capacity(options.cache_capacity);
    loop {
        match config.open() {
            Ok(db) => return Ok(db),
            Err(e) if is_lock_error(&e) => {
                if std::time::Instant::now() >= deadline {
                    return Err(StoreError::Locked {
                        path: dir.to_path_buf(),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(e) => return Err(StoreError::Sled(e)),
        }
    }
}

/// sled 0.34 reports a held lock as an `Other` IO error "could not acquire lock on ...".
fn is_lock_error(e: &sled::Error) -> bool {
    match e {
        sled::Error::Io(io) => {
            io.kind() == io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock")
        }
        _ => false,
    }
}

/// On a fresh data dir seals a canary under `key`; otherwise opens the canary to prove `key` is the one
/// the data dir was sealed with.
fn check_key(meta: &sled::Tree, key: &MasterKey, fresh: bool) -> Result<(), StoreError> {
    let slot = crypto::Slot::new(META_TREE, "key_check", "canary");
    if fresh {
        let sealed = crypto::seal(key, slot, KEY_CHECK_PLAINTEXT)?;
        meta.insert(KEY_CHECK, sealed.as_str().as_bytes())?;
        return Ok(());
    }
    let stored = meta.get(KEY_CHECK)?.unwrap_or_default();
    let sealed = Sealed::from_stored(&stored)
        .ok_or_else(|| StoreError::Corrupt("the master key check is not valid text".into()))?;
    match crypto::unseal(key, slot, &sealed) {
        Ok(plain) if plain.as_slice() == KEY_CHECK_PLAINTEXT => Ok(()),
        Ok(_) | Err(crypto::CryptoError::Rejected) => Err(StoreError::WrongMasterKey),
        Err(e) => Err(StoreError::Corrupt(format!("the master key check: {e}"))),
    }
}
