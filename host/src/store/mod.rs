//! The store: everything cardhost keeps, behind the storage traits of [`backend`] (one per area:
//! connections, OAuth states, app settings, flows and runs, cards, triggers and their events). The services reach it through a
//! [`Store`] handle or the trait of their area (`Arc<dyn FlowStore>`, `Arc<dyn CardStore>`); the
//! embedded default is [`SledStore`], one sled database inside the data dir.
//!
//! Layout of a data dir (`CARDHOST_DATA_DIR`, default `./cardhost-data`, mode 0700: see [`data_dir`]):
//!
//! ```text
//! <data dir>/master.key   the master key as 64 hex characters (mode 0600), unless CARDHOST_MASTER_KEY is set
//! <data dir>/api.key      the API key, 32 random bytes in base64url (mode 0600), unless CARDHOST_API_KEY is set
//! <data dir>/cache/       compiled cards (see `runtime::cache`), unless CARDHOST_CACHE_DIR is set
//! <data dir>/db/          the sled database, with these trees:
//!   meta            "schema_version" -> u32 big-endian; "key_check" -> sealed canary
//!   connections     <connection id> -> JSON of `Connection` plus `"sealed": {field: base64(nonce||ciphertext)}`
//!   nicknames       <connector> \0 <lowercase(trim(nickname))> -> <connection id>
//!   oauth_states    sha256(<state>) -> JSON of `OAuthState` without its verifier, plus `"sealed"`
//!   app_settings    <connector> -> JSON of `AppSettings` without its secrets, plus `"sealed"`
//!   connectors      <connector> -> JSON of an installed `ConnectorDefinition` (built-in ones ship in the binary)
//!   flows           <flow id> -> JSON of the current `Flow`
//!   flow_versions   <flow id>/<version, 10 digits> -> JSON of that `Flow` version
//!   flow_runs       <flow id>/<u64::MAX - start in µs, 20 digits>/<run id> -> JSON of `FlowRun` (newest first)
//!   flow_run_index  <run id> -> its key in flow_runs
//!   cards           <card id> -> JSON of `CardRecord` {id, version, hash, builtin, installed_at, manifest}
//!   card_wasm       <sha-256 hex of a component> -> the component bytes (installed cards only: the
//!                   built-in ones are inside the host binary)
//!   triggers        <flow id> -> JSON of `TriggerState` without its secrets, plus `"sealed"`
//!   subscriptions   <subscription id> -> <flow id>
//!   event_inbox     <received µs, 20 digits>/<event key> -> JSON of `InboxEvent` (acknowledged, not yet run)
//!   events_seen     <event key> -> when it was first received (an event delivered again is not kept twice)
//! ```
//!
//! sled is opened with the settings' [`SledOptions`]: its page cache is bounded by `CARDHOST_STORE_CACHE_MB`
//! (32 MiB; sled's own default is 1 GiB). Once at its steady size, sled's log keeps ten to eighteen times the
//! bytes of its live records on disk (see the soak test in `host/tests/resilience/soak.rs`).
//!
//! Every secret is sealed (see [`crypto`]) before it reaches sled, so a raw grep of the data dir never finds
//! a token. Every method that changes something is async and returns only after sled has flushed the
//! change (see [`StoreBase::flush`], where concurrent callers share one flush), but for the few
//! whose docs say a later flush covers them (a run's progress, pruning, an event marked done); a record that cannot be decoded is skipped by listings, noted in
//! [`Damaged`] and deleted by key like any other.

pub mod backend;
pub mod cards;
pub mod connections;
pub mod connectors;
pub mod crypto;
pub mod damaged;
pub mod data_dir;
pub mod flows;
mod group_flush;
pub mod keyfile;
pub mod migrations;
pub mod model;
pub mod oauth_states;
pub mod settings;
pub mod sled_store;
pub mod triggers;

use std::fmt;
use std::io;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError};

pub use backend::{
    Backend, CardStore, ConnectionStore, ConnectorStore, FlowStore, OAuthStateStore, Retention,
    RunPage, SettingsStore, StoreBase, TriggerStore,
};
pub use crypto::{MasterKey, Sealed};
pub use damaged::Damaged;
pub use model::{
    Account, AppSettings, AuthMethod, CardRecord, Connection, ConnectionId, ConnectionStatus,
    OAuthState, Secrets,
};
pub use sled_store::{SledOptions, SledStore};

use crate::error::{AppError, Kind};

/// The data dir used when `CARDHOST_DATA_DIR` is not set.
pub const DEFAULT_DATA_DIR: &str = "./cardhost-data";
/// The sled database, relative to the data dir.
pub const DB_DIR_NAME: &str = "db";

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

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::NotFound { what, id } => AppError::not_found(what, &id),
            StoreError::DuplicateNickname { connector, nickname } => AppError::new(
                Kind::Conflict,
                "duplicate_nickname",
                format!("a {connector} connection named {nickname:?} already exists; choose another nickname"),
            )
            .field("nickname"),
            StoreError::AlreadyExists { what, id } => AppError::new(
                Kind::Conflict,
                "already_exists",
                format!("{what} {id:?} already exists"),
            ),
            StoreError::Invalid(m) => AppError::new(Kind::BadRequest, "invalid_input", m),
            StoreError::Locked { .. } => {
                AppError::new(Kind::Unavailable, "store_locked", e.to_string())
            }
            other => AppError::internal("the store failed", other),
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

/// The store as the host holds it: a cheap-to-clone handle on a backend, which it derefs to (so
/// `store.get_connection(..)` calls the backend). [`App::with_store`](crate::app::App::with_store)
/// hands each service the store, or the trait of its area.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("data_dir", &self.backend.data_dir())
            .finish_non_exhaustive()
    }
}

impl Deref for Store {
    type Target = dyn Backend;

    fn deref(&self) -> &Self::Target {
        &*self.backend
    }
}

impl Store {
    /// Opens (creating if needed) the embedded store of the data dir `dir`: see [`SledStore::open`].
    pub fn open(dir: &Path, master_key: Option<&str>) -> Result<Store, StoreError> {
        Store::open_with(dir, master_key, &SledOptions::DEFAULT)
    }

    /// [`Store::open`] with sled opened as `options` say (the settings' [`SledOptions`]).
    pub fn open_with(
        dir: &Path,
        master_key: Option<&str>,
        options: &SledOptions,
    ) -> Result<Store, StoreError> {
        Ok(Store::new(Arc::new(SledStore::open_with(
            dir, master_key, options,
        )?)))
    }

    /// A handle on another backend.
    pub fn new(backend: Arc<dyn Backend>) -> Store {
        Store { backend }
    }

    /// The flows and runs, for the flows service.
    pub fn flows(&self) -> Arc<dyn FlowStore> {
        self.backend.clone()
    }

    /// The card records and components, for the catalogue.
    pub fn cards(&self) -> Arc<dyn CardStore> {
        self.backend.clone()
    }

    /// Triggers and the event inbox, for the triggers service.
    pub fn triggers(&self) -> Arc<dyn TriggerStore> {
        self.backend.clone()
    }

    /// [`ConnectionStore::update_connection`] with any closure.
    pub async fn update_connection<F>(&self, id: &str, change: F) -> Result<Connection, StoreError>
    where
        F: Fn(&mut Connection, &mut Secrets) -> Result<(), StoreError> + Send + Sync,
    {
        self.backend.update_connection(id, &change).await
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
