//! The cards this host can run, by id: the built-in ones and the ones card
//! authors installed, kept in the store so that they survive restarts.
//!
//! Layout in the store (see [`crate::store`]):
//!
//! ```text
//! cards      <card id> -> JSON of `CardRecord` {id, version, hash, builtin, installed_at, manifest}
//! card_wasm  <sha-256 hex of the component> -> the component bytes (installed cards only:
//!            the built-in ones are inside the host binary)
//! ```
//!
//! Every card goes through [`Runtime::load`], whose disk cache keeps the
//! compiled artifact keyed by the card's hash and the engine, so a card is
//! compiled once: at install (or at the first start for the built-in ones),
//! never again at a restart.
//!
//! An install is checked completely (a component, of the card contract
//! version this host runs, linkable, with a valid manifest and a new id or,
//! for an upgrade, a new version) before anything is written; an upgrade is
//! persisted first and then swapped in, so runs keep using the old version
//! until the new one is ready, and a failed upgrade leaves the old one as it
//! was.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use tokio::sync::{Mutex, RwLock};

use super::builtin::BUILTIN_CARDS;
use super::{LoadError, LoadedCard, Manifest, Runtime};
use crate::error::{AppError, Kind};
use crate::store::{Store, StoreError};

/// The store tree of card records.
pub const CARDS_TREE: &str = "cards";
/// The store tree of installed components, by hash.
pub const WASM_TREE: &str = "card_wasm";
/// The largest component the catalogue installs.
pub const MAX_CARD_BYTES: usize = 16 << 20;

/// What the catalogue keeps about a card.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CardRecord {
    pub id: String,
    /// The card's own version (as its manifest says).
    pub version: String,
    /// SHA-256 of the component bytes, hex.
    pub hash: String,
    /// Shipped inside the host binary (upgraded with the host, not by hand).
    pub builtin: bool,
    pub installed_at: DateTime<Utc>,
    pub manifest: Manifest,
}

impl CardRecord {
    fn new(card: &LoadedCard, builtin: bool) -> CardRecord {
        CardRecord {
            id: card.manifest().id.clone(),
            version: card.manifest().version.clone(),
            hash: card.hash.clone(),
            builtin,
            installed_at: Utc::now(),
            manifest: card.manifest().clone(),
        }
    }
}

/// The outcome of an install.
#[derive(Debug, Clone, Serialize)]
pub struct Installed {
    pub card: CardRecord,
    /// The version this install replaced (an upgrade), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgraded_from: Option<String>,
}

/// Why a component was not installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("the component is {size} bytes; the largest card this host installs is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error(
        "this is a core WebAssembly module, not a component: build the card for \
         wasm32-wasip2 (or wrap the module with `wasm-tools component new`)"
    )]
    CoreModule,
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(
        "card {id} is already installed (version {version}); to replace it, install a \
         different version with ?upgrade=true (cardhost cards install --upgrade)"
    )]
    Duplicate { id: String, version: String },
    #[error(
        "card {id} version {version} is already installed; an upgrade needs a different version"
    )]
    SameVersion { id: String, version: String },
    #[error("{id} is a built-in card: built-in cards are upgraded with the host, not installed")]
    Builtin { id: String },
    #[error("this catalogue has no store to install cards into")]
    NotPersistent,
    #[error("the catalogue could not be saved: {0}")]
    Store(#[from] StoreError),
}

impl InstallError {
    /// A stable code for APIs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            InstallError::TooLarge { .. } => "card_too_large",
            InstallError::CoreModule => "invalid_component",
            InstallError::Load(e) => match e {
                LoadError::Invalid(_) => "invalid_component",
                LoadError::UnsupportedWorld { .. } => "unsupported_world",
                LoadError::NotACard => "not_a_card",
                LoadError::Link(_) => "unsupported_imports",
                LoadError::Manifest(_) => "invalid_manifest",
            },
            InstallError::Duplicate { .. } => "duplicate_card",
            InstallError::SameVersion { .. } => "duplicate_version",
            InstallError::Builtin { .. } => "builtin_card",
            InstallError::NotPersistent | InstallError::Store(_) => "internal",
        }
    }

    /// The kind of failure, which decides the HTTP status.
    pub fn kind(&self) -> Kind {
        match self {
            InstallError::TooLarge { .. } => Kind::TooLarge,
            InstallError::CoreModule | InstallError::Load(LoadError::Invalid(_)) => {
                Kind::BadRequest
            }
            InstallError::Load(_) => Kind::Unprocessable,
            InstallError::Duplicate { .. }
            | InstallError::SameVersion { .. }
            | InstallError::Builtin { .. } => Kind::Conflict,
            InstallError::NotPersistent | InstallError::Store(_) => Kind::Internal,
        }
    }
}

impl From<InstallError> for AppError {
    fn from(e: InstallError) -> AppError {
        match e.kind() {
            Kind::Internal => AppError::internal("installing a card failed", e),
            kind => AppError::new(kind, e.code(), e.to_string()),
        }
    }
}

/// A card in the catalogue: loaded, with its record.
#[derive(Clone)]
struct Entry {
    card: Arc<LoadedCard>,
    record: Arc<CardRecord>,
}

/// Where a persistent catalogue keeps its cards.
struct Backing {
    runtime: Arc<Runtime>,
    store: Arc<Store>,
    known_scopes: Vec<String>,
    cards: sled::Tree,
    wasm: sled::Tree,
}

/// Loaded cards by id.
#[derive(Default)]
pub struct Catalogue {
    cards: RwLock<BTreeMap<String, Entry>>,
    backing: Option<Backing>,
    /// Installs one at a time (reads never wait for it).
    installing: Mutex<()>,
}

impl Catalogue {
    /// A catalogue holding the built-in cards, compiled and checked, in
    /// memory only (nothing can be installed into it).
    pub async fn with_builtins(
        runtime: &Runtime,
        known_scopes: &[String],
    ) -> Result<Catalogue, LoadError> {
        let catalogue = Catalogue::default();
        {
            let mut cards = catalogue.cards.write().await;
            for builtin in BUILTIN_CARDS {
                let card = load_builtin(runtime, builtin, known_scopes).await?;
                let record = CardRecord::new(&card, true);
                cards.insert(
                    record.id.clone(),
                    Entry {
                        card: Arc::new(card),
                        record: Arc::new(record),
                    },
                );
            }
        }
        Ok(catalogue)
    }

    /// The catalogue kept in `store`: installs the built-in cards at the
    /// first start and upgrades those whose bytes changed (a new host), then
    /// loads the installed cards. A stored card that no longer loads is
    /// logged and left out (its record stays); a built-in that does not load
    /// is an error.
    pub async fn open(
        runtime: Arc<Runtime>,
        store: Arc<Store>,
        known_scopes: Vec<String>,
    ) -> anyhow::Result<Catalogue> {
        let cards_tree = store.tree(CARDS_TREE)?;
        let wasm_tree = store.tree(WASM_TREE)?;
        let mut stored: BTreeMap<String, CardRecord> = BTreeMap::new();
        for item in cards_tree.iter() {
            let (key, value) = item?;
            let id = String::from_utf8_lossy(&key).to_string();
            match serde_json::from_slice::<CardRecord>(&value) {
                Ok(record) => {
                    stored.insert(id, record);
                }
                Err(e) => tracing::error!(card = %id, error = %e, "ignoring a damaged card record"),
            }
        }
        let mut entries = BTreeMap::new();
        let mut changed = false;
        for builtin in BUILTIN_CARDS {
            let card = load_builtin(&runtime, builtin, &known_scopes).await?;
            let record = match stored.remove(builtin.id) {
                Some(r) if r.builtin && r.hash == card.hash => r,
                previous => {
                    let record = CardRecord::new(&card, true);
                    match &previous {
                        None => {
                            tracing::info!(card = %record.id, version = %record.version, "built-in card installed")
                        }
                        Some(p) if p.builtin => tracing::info!(
                            card = %record.id, from = %p.version, to = %record.version,
                            "built-in card upgraded"
                        ),
                        Some(p) => tracing::warn!(
                            card = %record.id, replaced = %p.version,
                            "an installed card had the id of a built-in card: the built-in one replaces it"
                        ),
                    }
                    let wasm_to_drop =
                        previous.filter(|p| !p.builtin).map(|p| p.hash).filter(|h| {
                            !stored.values().any(|r| &r.hash == h)
                                && !entries.values().any(|e: &Entry| &e.record.hash == h)
                        });
                    save(
                        &cards_tree,
                        &wasm_tree,
                        &record,
                        None,
                        wasm_to_drop.as_deref(),
                    )?;
                    changed = true;
                    record
                }
            };
            entries.insert(
                record.id.clone(),
                Entry {
                    card: Arc::new(card),
                    record: Arc::new(record),
                },
            );
        }
        for (id, record) in stored {
            if record.builtin {
                tracing::info!(card = %id, "built-in card no longer shipped: removed");
                cards_tree.remove(id.as_bytes())?;
                changed = true;
                continue;
            }
            let Some(bytes) = wasm_tree.get(record.hash.as_bytes())? else {
                tracing::error!(card = %id, hash = %record.hash, "the installed card's component is missing from the store; install it again");
                continue;
            };
            match runtime.load(&bytes, &known_scopes).await {
                Ok(card) if card.manifest().id == id => {
                    entries.insert(
                        id,
                        Entry {
                            card: Arc::new(card),
                            record: Arc::new(record),
                        },
                    );
                }
                Ok(card) => {
                    tracing::error!(card = %id, reports = %card.manifest().id, "an installed card reports another id; left out")
                }
                Err(e) => {
                    tracing::error!(card = %id, error = %e, "an installed card no longer loads; left out")
                }
            }
        }
        if changed {
            store.flush().await?;
        }
        Ok(Catalogue {
            cards: RwLock::new(entries),
            backing: Some(Backing {
                runtime,
                store,
                known_scopes,
                cards: cards_tree,
                wasm: wasm_tree,
            }),
            installing: Mutex::new(()),
        })
    }

    /// Check a component and install it, persisted, or (with `upgrade`)
    /// replace the installed card of its id by this different version. The
    /// card already installed keeps serving until the new one is loaded,
    /// checked and saved; then it is swapped in at once.
    pub async fn install(&self, bytes: Vec<u8>, upgrade: bool) -> Result<Installed, InstallError> {
        let backing = self.backing.as_ref().ok_or(InstallError::NotPersistent)?;
        if bytes.len() > MAX_CARD_BYTES {
            return Err(InstallError::TooLarge {
                size: bytes.len(),
                limit: MAX_CARD_BYTES,
            });
        }
        if bytes.starts_with(b"\0asm\x01\0\0\0") {
            return Err(InstallError::CoreModule);
        }
        let _one_at_a_time = self.installing.lock().await;
        let bytes = Arc::new(bytes);
        let card =
            load_off_the_executor(&backing.runtime, bytes.clone(), &backing.known_scopes).await?;
        let id = card.manifest().id.clone();
        if BUILTIN_CARDS.iter().any(|b| b.id == id) {
            return Err(InstallError::Builtin { id });
        }
        let previous = self.cards.read().await.get(&id).map(|e| e.record.clone());
        if let Some(p) = &previous {
            if !upgrade {
                return Err(InstallError::Duplicate {
                    id,
                    version: p.version.clone(),
                });
            }
            if p.version == card.manifest().version {
                return Err(InstallError::SameVersion {
                    id,
                    version: p.version.clone(),
                });
            }
        }
        let record = CardRecord::new(&card, false);
        let old_hash = previous
            .as_ref()
            .map(|p| p.hash.clone())
            .filter(|h| h != &record.hash);
        let drop_old = match old_hash {
            Some(h) if !hash_in_use(&backing.cards, &h, &id)? => Some(h),
            _ => None,
        };
        save(
            &backing.cards,
            &backing.wasm,
            &record,
            Some(&bytes),
            drop_old.as_deref(),
        )?;
        backing.store.flush().await?;
        let entry = Entry {
            card: Arc::new(card),
            record: Arc::new(record.clone()),
        };
        self.cards.write().await.insert(id.clone(), entry);
        match &previous {
            Some(p) => {
                tracing::info!(card = %id, from = %p.version, to = %record.version, hash = %record.hash, "card upgraded")
            }
            None => {
                tracing::info!(card = %id, version = %record.version, hash = %record.hash, "card installed")
            }
        }
        Ok(Installed {
            card: record,
            upgraded_from: previous.map(|p| p.version.clone()),
        })
    }

    /// Add or replace a card in memory (not persisted).
    pub async fn insert(&self, card: LoadedCard) -> Arc<LoadedCard> {
        let record = Arc::new(CardRecord::new(&card, false));
        let card = Arc::new(card);
        self.cards.write().await.insert(
            record.id.clone(),
            Entry {
                card: card.clone(),
                record,
            },
        );
        card
    }

    /// The card with this id.
    pub async fn get(&self, id: &str) -> Option<Arc<LoadedCard>> {
        self.cards.read().await.get(id).map(|e| e.card.clone())
    }

    /// Every card, by id.
    pub async fn all(&self) -> Vec<Arc<LoadedCard>> {
        self.cards
            .read()
            .await
            .values()
            .map(|e| e.card.clone())
            .collect()
    }

    /// The record of the card with this id.
    pub async fn record(&self, id: &str) -> Option<Arc<CardRecord>> {
        self.cards.read().await.get(id).map(|e| e.record.clone())
    }

    /// Every card's record, by id.
    pub async fn records(&self) -> Vec<Arc<CardRecord>> {
        self.cards
            .read()
            .await
            .values()
            .map(|e| e.record.clone())
            .collect()
    }
}

/// Load a built-in card and check that it is the card it says it is.
async fn load_builtin(
    runtime: &Runtime,
    builtin: &super::builtin::BuiltinCard,
    known_scopes: &[String],
) -> Result<LoadedCard, LoadError> {
    let card = runtime.load(builtin.wasm, known_scopes).await?;
    if card.manifest().id != builtin.id {
        return Err(LoadError::Manifest(format!(
            "built-in card {} reports id {}",
            builtin.id,
            card.manifest().id
        )));
    }
    Ok(card)
}

/// Compile and load on a blocking thread: compiling a large component takes
/// long enough to stall the other requests an executor thread serves.
async fn load_off_the_executor(
    runtime: &Arc<Runtime>,
    bytes: Arc<Vec<u8>>,
    known_scopes: &[String],
) -> Result<LoadedCard, LoadError> {
    let runtime = runtime.clone();
    let scopes = known_scopes.to_vec();
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(runtime.load(&bytes, &scopes)))
        .await
        .map_err(|e| LoadError::Invalid(format!("loading the component stopped: {e}")))?
}

/// Whether a card other than `except` uses the component `hash`.
fn hash_in_use(cards: &sled::Tree, hash: &str, except: &str) -> Result<bool, StoreError> {
    for item in cards.iter() {
        let (key, value) = item?;
        if key.as_ref() == except.as_bytes() {
            continue;
        }
        if let Ok(r) = serde_json::from_slice::<CardRecord>(&value) {
            if r.hash == hash {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Write a record (and its component, and drop a component no card uses any
/// more) in one transaction.
fn save(
    cards: &sled::Tree,
    wasm: &sled::Tree,
    record: &CardRecord,
    bytes: Option<&[u8]>,
    drop_wasm: Option<&str>,
) -> Result<(), StoreError> {
    let encoded = crate::store::encode(record)?;
    (cards, wasm)
        .transaction(|(cards, wasm)| {
            if let Some(bytes) = bytes {
                wasm.insert(record.hash.as_bytes(), bytes)?;
            }
            if let Some(old) = drop_wasm {
                wasm.remove(old.as_bytes())?;
            }
            cards.insert(record.id.as_bytes(), encoded.as_slice())?;
            Ok::<_, ConflictableTransactionError<StoreError>>(())
        })
        .map_err(|e: TransactionError<StoreError>| StoreError::from(e))
}
