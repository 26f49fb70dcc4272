//! The store: everything cardhost keeps on disk, in one sled database inside the data dir.
//!
//! Layout of a data dir (`CARDHOST_DATA_DIR`, default `./cardhost-data`, mode 0700: see [`data_dir`]):
//!
//! ```text
//! <data dir>/master.key   the master key as 64 hex characters (mode 0600), unless CARDHOST_MASTER_KEY is set
//! <data dir>/api.key      the API key, 32 random bytes in base64url (mode 0600), unless CARDHOST_API_KEY is set
//! <data dir>/db/          the sled database, with these trees:
//!   meta          "schema_version" -> u32 big-endian; "key_check" -> sealed canary
//!   connections   <connection id> -> JSON of `Connection` plus `"sealed": {field: base64(nonce||ciphertext)}`
//!   nicknames     <connector> \0 <lowercase(trim(nickname))> -> <connection id>
//!   oauth_states  sha256(<state>) -> JSON of `OAuthState` without its verifier, plus `"sealed"`
//!   app_settings  <connector> -> JSON of `AppSettings` without its secrets, plus `"sealed"`
//!   connectors    <connector> -> JSON of an installed `ConnectorDefinition` (built-in ones ship in the binary)
//! ```
//!
//! Every secret is sealed (see [`crypto`]) before it reaches sled, so a raw grep of the data dir never finds
//! a token. Every async method that changes something returns only after sled has flushed the change
//! (through [`Store::flush`]).
//! Other modules get their own trees through [`Store::tree`].

pub mod connections;
pub mod connectors;
pub mod crypto;
pub mod damaged;
pub mod data_dir;
pub mod keyfile;
pub mod migrations;
pub mod model;
pub mod oauth_states;
pub mod settings;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};

pub use crypto::{MasterKey, Sealed};
pub use damaged::Damaged;
pub use model::{
    Account, AppSettings, AuthMethod, Connection, ConnectionId, ConnectionStatus, OAuthState,
    Secrets,
};

/// The data dir used when `CARDHOST_DATA_DIR` is not set.
pub const DEFAULT_DATA_DIR: &str = "./cardhost-data";
/// The sled database, relative to the data dir.
pub const DB_DIR_NAME: &str = "db";

const META_TREE: &str = "meta";
const KEY_CHECK: &[u8] = b"key_check";
const KEY_CHECK_PLAINTEXT: &[u8] = b"cardhost master key check";
/// Trees owned by this module; [`Store::tree`] refuses to hand them out.
const RESERVED_TREES: &[&str] = &[
    META_TREE,
    connections::TREE,
    connections::NICKNAME_TREE,
    oauth_states::TREE,
    settings::TREE,
    connectors::TREE,
];

/// Everything that can go wrong in the store. No message ever contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} '{id}' was not found")]
    NotFound { what: &'static str, id: String },
    #[error("{what} '{id}' already exists")]
    AlreadyExists { what: &'static str, id: String },
    #[error(
        "a {connector} connection with the nickname '{nickname}' already exists \
         (nicknames are unique per connector, ignoring case and surrounding spaces)"
    )]
    DuplicateNickname { connector: String, nickname: String },
    #[error(
        "the data dir {} is in use by another process (probably a running `cardhost serve`); \
         use that server's REST API, or stop the server and try again",
        path.display()
    )]
    Locked { path: PathBuf },
    #[error(
        "the master key does not match the one this data dir was sealed with; set \
         CARDHOST_MASTER_KEY to the original key or restore the original master.key file \
         (or start over with an empty data dir)"
    )]
    WrongMasterKey,
    #[error("bad master key: {0}")]
    BadMasterKey(String),
    #[error(
        "this data dir holds sealed data but has no master key: set CARDHOST_MASTER_KEY to the key \
         it was sealed with or restore the key file {}",
        path.display()
    )]
    MissingMasterKey { path: PathBuf },
    #[error(
        "the master key file {} may be read or written by group or others; run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    KeyFilePermissions { path: PathBuf },
    #[error(
        "the data dir {} may be read or written by group or others (mode {mode:o}); run `chmod 700 {}`",
        path.display(),
        path.display()
    )]
    DataDirPermissions { path: PathBuf, mode: u32 },
    #[error(
        "the API key file {} may be read or written by group or others; run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    ApiKeyFilePermissions { path: PathBuf },
    #[error(
        "the API key in {} is {len} characters long, but an API key (this file or CARDHOST_API_KEY) needs \
         at least {min}: delete the file to have a new key made at the next start, or set CARDHOST_API_KEY \
         to a key of {min} characters or more",
        path.display()
    )]
    ShortApiKey {
        path: PathBuf,
        len: usize,
        min: usize,
    },
    #[error(
        "the data dir has schema version {found}, but this cardhost only knows versions up to \
         {supported}; use a newer cardhost (downgrades are not supported)"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("the store holds damaged data: {0}")]
    Corrupt(String),
    #[error("I/O error in the data dir: {0}")]
    Io(#[from] io::Error),
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
}

impl From<TransactionError<StoreError>> for StoreError {
    fn from(e: TransactionError<StoreError>) -> Self {
        match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => StoreError::Sled(e),
        }
    }
}

/// Inside a sled transaction closure: turn a `StoreError` into an abort of the transaction.
pub(crate) trait OrAbort<T> {
    fn or_abort(self) -> Result<T, ConflictableTransactionError<StoreError>>;
}

impl<T> OrAbort<T> for Result<T, StoreError> {
    fn or_abort(self) -> Result<T, ConflictableTransactionError<StoreError>> {
        self.map_err(ConflictableTransactionError::Abort)
    }
}

/// The trees this module owns.
#[derive(Clone)]
struct Trees {
    meta: sled::Tree,
    connections: sled::Tree,
    nicknames: sled::Tree,
    oauth_states: sled::Tree,
    app_settings: sled::Tree,
    connectors: sled::Tree,
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
        })
    }
}

/// The open store. Cheap to clone: clones share the database and the key.
#[derive(Clone)]
pub struct Store {
    dir: PathBuf,
    db: sled::Db,
    key: Arc<MasterKey>,
    trees: Trees,
    damaged: Arc<Damaged>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the data dir `dir`: takes sled's lock, loads or creates the master key,
    /// checks it against the sealed canary, and runs pending migrations.
    ///
    /// `master_key` is the value of `CARDHOST_MASTER_KEY` if set (64 hex characters or base64 of 32
    /// bytes); without it the key comes from `<dir>/master.key`, created on first start.
    pub fn open(dir: &Path, master_key: Option<&str>) -> Result<Store, StoreError> {
        let env_key = master_key.map(keyfile::parse_env_key).transpose()?;
        data_dir::prepare(dir)?;
        let db = open_db(dir)?;
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
        let key = Arc::new(key);
        let dir = dir.to_path_buf();
        Ok(Store {
            dir,
            db,
            key,
            trees,
            damaged: Arc::new(Damaged::default()),
        })
    }

    /// The records found damaged since the store was opened.
    pub fn damaged(&self) -> &Damaged {
        &self.damaged
    }

    /// The data dir this store was opened on.
    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    /// A tree for another module (cards catalogue, flows, runs). Values are stored as given: seal secrets
    /// with [`crypto`] first. The trees of this module are refused. Flush with [`Store::flush`], never
    /// with sled's `flush_async` (see there).
    pub fn tree(&self, name: &str) -> Result<sled::Tree, StoreError> {
        if name.is_empty() || name.starts_with("__sled") || RESERVED_TREES.contains(&name) {
            return Err(StoreError::Invalid(format!(
                "the tree name '{name}' is reserved by the store"
            )));
        }
        Ok(self.db.open_tree(name)?)
    }

    /// A 32-byte key for `label`'s own use (for example the MAC of the
    /// compiled-card cache), derived from the master key with HKDF-SHA256;
    /// the master key itself never leaves the store.
    pub fn derive_key(&self, label: &str) -> zeroize::Zeroizing<[u8; crypto::KEY_LEN]> {
        self.key.derive(label)
    }

    /// Waits until everything written so far is on disk.
    ///
    /// This runs sled's blocking `flush` on tokio's blocking pool instead of awaiting `flush_async`: in
    /// sled 0.34.7 `flush_async` runs on sled's own small IO pool, and seven or more concurrent calls
    /// occupy all of its threads waiting for a log write that is queued on that same pool: a deadlock
    /// (see the test `concurrent_updates_lose_nothing`). Other modules should flush through here too.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let db = self.db.clone();
        let flushed = tokio::task::spawn_blocking(move || db.flush()).await;
        let flushed =
            flushed.map_err(|e| io::Error::other(format!("the flush task failed: {e}")))?;
        flushed?;
        Ok(())
    }
}

/// How long opening waits for a lock that is being let go: sled's own
/// threads release it a moment after the last handle in this process drops.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

/// Opens sled in `<dir>/db`, mapping "another process holds the lock" to
/// [`StoreError::Locked`] once [`LOCK_GRACE`] has passed.
fn open_db(dir: &Path) -> Result<sled::Db, StoreError> {
    let deadline = std::time::Instant::now() + LOCK_GRACE;
    loop {
        match sled::Config::new().path(dir.join(DB_DIR_NAME)).open() {
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

/// An IO error with what we were doing and where.
pub(crate) fn io_context(e: io::Error, doing: &str, path: &Path) -> StoreError {
    StoreError::Io(io::Error::new(
        e.kind(),
        format!("{doing} {}: {e}", path.display()),
    ))
}

/// JSON encoding of a record for sled.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

/// JSON decoding of a record from sled; `what` names it in the error.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

#[cfg(test)]
pub(crate) mod tests;
