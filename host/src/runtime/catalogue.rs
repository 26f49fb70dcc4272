//! The cards this host can run, by id: the built-in ones and the ones card
//! authors installed, kept in the store so that they survive restarts.
//!
//! The records and the installed components are kept through the store's
//! [`CardStore`] (see [`crate::store`] for the layout).
//!
//! The compiled cards are kept in an authenticated disk cache
//! ([`super::cache`]) keyed by the card's hash and the engine, so a card is
//! compiled once: at install (or at the first start for the built-in ones),
//! never again at a restart. Only cards that passed every install check are
//! written to it, and artifacts no card uses are pruned at start and after
//! an upgrade or a delete.
//!
//! An install is checked completely (within the compile bounds, a component
//! of a card contract version this host runs, importing only what the host
//! links, a manifest that answers in time and is valid, and a new id or, for
//! an upgrade, a new version) before anything is written; an upgrade is
//! persisted first and then swapped in, so runs keep using the old version
//! until the new one is ready, and a failed upgrade leaves the old one as it
//! was. An install is cancel-safe: a client that goes away drops the
//! instance, its run slot and the install lock at once (only a compile
//! already started finishes on its thread, holding the compile slot), and
//! once the checks passed, saving and serving happen in a task of their own
//! (holding the install lock) that a client going away cannot cut.
//!
//! At start a stored card that no longer loads (its manifest does not
//! answer in time, its component is missing, ...) does not stop the host: it
//! is logged and listed as unavailable with the reason, until it is
//! upgraded or deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use chrono::Utc;
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::Mutex;
use wasmtime::component::Component;

use super::builtin::BUILTIN_CARDS;
use super::cache::{self, ArtifactCache};
use super::{LoadError, LoadedCard, Runtime};
use crate::connectors::Registry;
use crate::error::{AppError, Kind};
pub use crate::store::CardRecord;
use crate::store::{CardStore, StoreError};

/// The largest component the catalogue installs.
pub const MAX_CARD_BYTES: usize = 16 << 20;
/// Installed cards loaded at once at start.
const LOADS_AT_ONCE: usize = 4;

/// The record of a card just loaded.
fn record_of(card: &LoadedCard, builtin: bool) -> CardRecord {
    CardRecord {
        id: card.manifest().id.clone(),
        version: card.manifest().version.clone(),
        hash: card.hash.clone(),
        builtin,
        installed_at: Utc::now(),
        manifest: card.manifest().clone(),
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
                LoadError::Link(_) | LoadError::Unlinked(_) => "unsupported_imports",
                LoadError::Manifest(_) => "invalid_manifest",
                LoadError::Timeout { .. } => "card_timeout",
                LoadError::TooComplex(_) => "compile_limit",
                LoadError::CompileBusy { .. } => "compile_busy",
                LoadError::CompileTimeout { .. } => "compile_timeout",
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
            InstallError::Load(LoadError::CompileBusy { .. }) => Kind::Unavailable,
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

/// Why a card was not deleted.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    #[error("no card {id:?}; GET /api/v1/cards lists them")]
    Unknown { id: String },
    #[error("{id} is a built-in card: built-in cards ship with the host and cannot be deleted")]
    Builtin { id: String },
    #[error("this catalogue has no store to delete cards from")]
    NotPersistent,
    #[error("the catalogue could not be saved: {0}")]
    Store(#[from] StoreError),
}

impl From<DeleteError> for AppError {
    fn from(e: DeleteError) -> AppError {
        match &e {
            DeleteError::Unknown { .. } => {
                AppError::new(Kind::NotFound, "unknown_card", e.to_string())
            }
            DeleteError::Builtin { .. } => {
                AppError::new(Kind::Conflict, "builtin_card", e.to_string())
            }
            DeleteError::NotPersistent | DeleteError::Store(_) => {
                AppError::internal("deleting a card failed", e)
            }
        }
    }
}

/// A card as the catalogue lists it.
#[derive(Debug, Clone)]
pub struct Listed {
    pub record: Arc<CardRecord>,
    /// Why the card cannot run now (it did not load at start), if it cannot.
    pub unavailable: Option<String>,
}

/// A card in the catalogue: its record, and the loaded card or why it did
/// not load.
#[derive(Clone)]
struct Entry {
    record: Arc<CardRecord>,
    card: Result<Arc<LoadedCard>, String>,
}

impl Entry {
    fn ready(card: LoadedCard, record: CardRecord) -> Entry {
        Entry {
            record: Arc::new(record),
            card: Ok(Arc::new(card)),
        }
    }

    fn listed(&self) -> Listed {
        Listed {
            record: self.record.clone(),
            unavailable: self.card.as_ref().err().cloned(),
        }
    }
}

/// Where a persistent catalogue keeps its cards.
struct Backing {
    runtime: Arc<Runtime>,
    store: Arc<dyn CardStore>,
    registry: Registry,
    cache: Option<Arc<ArtifactCache>>,
}

/// The cards in memory, by id.
type Cards = Arc<RwLock<BTreeMap<String, Entry>>>;

/// Loaded cards by id.
#[derive(Default)]
pub struct Catalogue {
    /// Never held across an await: an install or a delete changes the store
    /// and then this in a task of its own, which a cancel cannot cut.
    cards: Cards,
    backing: Option<Backing>,
    /// Installs and deletes one at a time (reads never wait for it).
    installing: Arc<Mutex<()>>,
}

impl Catalogue {
    /// A catalogue holding the built-in cards, compiled and checked, in
    /// memory only (nothing can be installed into it).
    pub async fn with_builtins(
        runtime: &Runtime,
        registry: &Registry,
    ) -> Result<Catalogue, LoadError> {
        let mut cards = BTreeMap::new();
        for builtin in BUILTIN_CARDS {
            let card = load_builtin(runtime, None, builtin, registry).await?;
            let record = record_of(&card, true);
            cards.insert(record.id.clone(), Entry::ready(card, record));
        }
        Ok(Catalogue {
            cards: Arc::new(RwLock::new(cards)),
            ..Catalogue::default()
        })
    }

    /// The catalogue kept in `store`: installs the built-in cards at the
    /// first start and upgrades those whose bytes changed (a new host), then
    /// loads the installed cards. A stored card that no longer loads is
    /// logged and listed as unavailable (its record stays); a built-in that
    /// does not load is an error. Artifacts no card uses are pruned.
    pub async fn open(
        runtime: Arc<Runtime>,
        store: Arc<dyn CardStore>,
        registry: Registry,
    ) -> anyhow::Result<Catalogue> {
        let cache = match &runtime.config().cache_dir {
            Some(dir) => Some(Arc::new(ArtifactCache::open(
                dir,
                store.derive_key(cache::KEY_LABEL),
                runtime.engine(),
            )?)),
            None => None,
        };
        let mut stored: BTreeMap<String, CardRecord> = store
            .list_cards()?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let mut entries = BTreeMap::new();
        for builtin in BUILTIN_CARDS {
            let card = load_builtin(&runtime, cache.as_deref(), builtin, &registry).await?;
            let record = match stored.remove(builtin.id) {
                Some(r) if r.builtin && r.hash == card.hash => r,
                previous => {
                    let record = record_of(&card, true);
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
                    // Drops the component of an installed card it replaces, unless another card uses it.
                    store.put_card(&record, None).await?;
                    record
                }
            };
            entries.insert(record.id.clone(), Entry::ready(card, record));
        }
        let mut installed = Vec::new();
        for (id, record) in stored {
            if record.builtin {
                tracing::info!(card = %id, "built-in card no longer shipped: removed");
                store.delete_card(&id).await?;
                continue;
            }
            installed.push((id, record));
        }
        let loads = futures::stream::iter(installed)
            .map(|(id, record)| {
                let (runtime, cache, store, registry) =
                    (&runtime, cache.as_deref(), &*store, &registry);
                async move {
                    let card = load_installed(runtime, cache, store, &id, &record, registry).await;
                    (id, record, card)
                }
            })
            .buffer_unordered(LOADS_AT_ONCE)
            .collect::<Vec<_>>()
            .await;
        for (id, record, card) in loads {
            let card = card.map(Arc::new).map_err(|why| {
                tracing::error!(card = %id, reason = %why, "an installed card is unavailable until it is upgraded or deleted");
                why
            });
            let record = Arc::new(record);
            entries.insert(id, Entry { record, card });
        }
        if let Some(cache) = &cache {
            cache.prune(&entries.values().map(|e| e.record.hash.clone()).collect());
        }
        Ok(Catalogue {
            cards: Arc::new(RwLock::new(entries)),
            backing: Some(Backing {
                runtime,
                store,
                registry,
                cache,
            }),
            installing: Arc::new(Mutex::new(())),
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
        let one_at_a_time = self.installing.clone().lock_owned().await;
        let bytes: Arc<[u8]> = bytes.into();
        let digest = super::hash(&bytes);
        let component = backing.runtime.compile(bytes.clone()).await?;
        let card = backing
            .runtime
            .load_component(component.clone(), digest)
            .await?;
        checked_against(&backing.registry, &card)?;
        let id = card.manifest().id.clone();
        if BUILTIN_CARDS.iter().any(|b| b.id == id) {
            return Err(InstallError::Builtin { id });
        }
        let previous = self.read().get(&id).map(|e| e.record.clone());
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
        let record = record_of(&card, false);
        let entry = Entry::ready(card, record.clone());
        let (store, cards, cache) = (
            backing.store.clone(),
            self.cards.clone(),
            backing.cache.clone(),
        );
        let from = previous.as_ref().map(|p| p.version.clone());
        // Every check passed: save, serve and cache the card in a task of its
        // own, which holds the install lock and which a cancel cannot cut.
        let saved = tokio::spawn(async move {
            let _one_at_a_time = one_at_a_time;
            store.put_card(&entry.record, Some(&bytes)).await?;
            let record = entry.record.clone();
            write(&cards).insert(record.id.clone(), entry);
            match &from {
                Some(from) => {
                    tracing::info!(card = %record.id, %from, to = %record.version, hash = %record.hash, "card upgraded")
                }
                None => {
                    tracing::info!(card = %record.id, version = %record.version, hash = %record.hash, "card installed")
                }
            }
            write_artifact(cache, &cards, &record.hash, component, from.is_some()).await;
            Ok::<_, StoreError>(())
        });
        saved.await.map_err(task_failed)??;
        Ok(Installed {
            card: record,
            upgraded_from: previous.map(|p| p.version.clone()),
        })
    }

    /// Delete an installed card: its record, its component (unless another
    /// card has the same bytes) and its compiled artifact. Built-in cards
    /// cannot be deleted. Runs already going on finish with the card they
    /// started with. Whether flows still use the card is for the caller to
    /// check (see `api::cards::delete`).
    pub async fn delete(&self, id: &str) -> Result<Arc<CardRecord>, DeleteError> {
        let backing = self.backing.as_ref().ok_or(DeleteError::NotPersistent)?;
        let one_at_a_time = self.installing.clone().lock_owned().await;
        let record = self
            .read()
            .get(id)
            .map(|e| e.record.clone())
            .ok_or_else(|| DeleteError::Unknown { id: id.into() })?;
        if record.builtin {
            return Err(DeleteError::Builtin { id: id.into() });
        }
        let (store, cards, cache) = (
            backing.store.clone(),
            self.cards.clone(),
            backing.cache.clone(),
        );
        let id = id.to_string();
        let version = record.version.clone();
        // Like an install: the store and the memory change together.
        let deleted = tokio::spawn(async move {
            let _one_at_a_time = one_at_a_time;
            store.delete_card(&id).await?;
            write(&cards).remove(&id);
            tracing::info!(card = %id, %version, "card deleted");
            if let Some(cache) = cache {
                let keep = hashes(&cards);
                let pruned = tokio::task::spawn_blocking(move || cache.prune(&keep)).await;
                if let Err(e) = pruned {
                    tracing::warn!(error = %e, "pruning the card cache stopped");
                }
            }
            Ok::<_, StoreError>(())
        });
        deleted.await.map_err(task_failed)??;
        Ok(record)
    }

    /// Add or replace a card in memory (not persisted).
    pub async fn insert(&self, card: LoadedCard) -> Arc<LoadedCard> {
        let record = record_of(&card, false);
        let entry = Entry::ready(card, record.clone());
        let card = entry.card.clone().expect("a ready entry");
        self.write().insert(record.id, entry);
        card
    }

    /// The card with this id, if it can run.
    pub async fn get(&self, id: &str) -> Option<Arc<LoadedCard>> {
        self.read().get(id).and_then(|e| e.card.clone().ok())
    }

    /// Every card that can run, by id.
    pub async fn all(&self) -> Vec<Arc<LoadedCard>> {
        self.read()
            .values()
            .filter_map(|e| e.card.clone().ok())
            .collect()
    }

    /// Why the card with this id cannot run, if it is in the catalogue but
    /// did not load.
    pub async fn unavailable(&self, id: &str) -> Option<String> {
        self.read().get(id).and_then(|e| e.card.clone().err())
    }

    /// The record of the card with this id.
    pub async fn record(&self, id: &str) -> Option<Arc<CardRecord>> {
        self.read().get(id).map(|e| e.record.clone())
    }

    /// Every card's record, by id (unavailable cards included).
    pub async fn records(&self) -> Vec<Arc<CardRecord>> {
        self.read().values().map(|e| e.record.clone()).collect()
    }

    /// Every card, by id, with whether it can run.
    pub async fn list(&self) -> Vec<Listed> {
        self.read().values().map(Entry::listed).collect()
    }

    /// One card, with whether it can run.
    pub async fn listed(&self, id: &str) -> Option<Listed> {
        self.read().get(id).map(Entry::listed)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Entry>> {
        self.cards
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>> {
        write(&self.cards)
    }
}

fn write(cards: &Cards) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, Entry>> {
    cards
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The component hashes of the cards in memory.
fn hashes(cards: &Cards) -> BTreeSet<String> {
    cards
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .values()
        .map(|e| e.record.hash.clone())
        .collect()
}

/// The task that saved (or deleted) a card did not finish: it panicked.
fn task_failed(e: tokio::task::JoinError) -> StoreError {
    StoreError::Io(std::io::Error::other(format!(
        "saving the catalogue stopped: {e}"
    )))
}

/// Cache the compiled card just installed (and, after an upgrade, prune the
/// artifact it replaced) on a blocking thread. A failure is logged: the card
/// is compiled again at the next start.
async fn write_artifact(
    cache: Option<Arc<ArtifactCache>>,
    cards: &Cards,
    digest: &str,
    component: Component,
    prune: bool,
) {
    let Some(cache) = cache else {
        return;
    };
    let keep = prune.then(|| hashes(cards));
    let digest = digest.to_string();
    let written = tokio::task::spawn_blocking(move || {
        if let Err(e) = cache.put(&digest, &component) {
            tracing::warn!(card_hash = %digest, error = %format!("{e:#}"), "could not cache a compiled card");
        }
        if let Some(keep) = keep {
            cache.prune(&keep);
        }
    })
    .await;
    if let Err(e) = written {
        tracing::warn!(error = %e, "caching a compiled card stopped");
    }
}

/// Load a card, from the cache when it holds an authentic artifact of it,
/// else compiled; a card compiled here is cached once it loaded.
async fn load_cached(
    runtime: &Runtime,
    cache: Option<&ArtifactCache>,
    bytes: &[u8],
    registry: &Registry,
) -> Result<LoadedCard, LoadError> {
    let digest = super::hash(bytes);
    let cached = cache.and_then(|c| c.get(runtime.engine(), &digest));
    let fresh = cached.is_none();
    let component = match cached {
        Some(component) => component,
        None => runtime.compile(Arc::from(bytes)).await?,
    };
    let card = runtime
        .load_component(component.clone(), digest.clone())
        .await?;
    checked_against(registry, &card)?;
    if let (true, Some(cache)) = (fresh, cache) {
        if let Err(e) = cache.put(&digest, &component) {
            tracing::warn!(card_hash = %digest, error = %format!("{e:#}"), "could not cache a compiled card");
        }
    }
    Ok(card)
}

/// Check a loaded card against its connector: the connector exists and
/// knows every scope the card asks for.
fn checked_against(registry: &Registry, card: &LoadedCard) -> Result<(), LoadError> {
    let manifest = card.manifest();
    registry
        .check_card(&manifest.id, &manifest.scopes)
        .map_err(LoadError::Manifest)
}

/// Load a built-in card and check that it is the card it says it is.
async fn load_builtin(
    runtime: &Runtime,
    cache: Option<&ArtifactCache>,
    builtin: &super::builtin::BuiltinCard,
    registry: &Registry,
) -> Result<LoadedCard, LoadError> {
    let card = load_cached(runtime, cache, builtin.wasm, registry).await?;
    if card.manifest().id != builtin.id {
        return Err(LoadError::Manifest(format!(
            "built-in card {} reports id {}",
            builtin.id,
            card.manifest().id
        )));
    }
    Ok(card)
}

/// Load an installed card at start; why it cannot run when it does not load.
async fn load_installed(
    runtime: &Runtime,
    cache: Option<&ArtifactCache>,
    store: &dyn CardStore,
    id: &str,
    record: &CardRecord,
    registry: &Registry,
) -> Result<LoadedCard, String> {
    let bytes = match store.get_component(&record.hash) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err("its component is missing from the store; install it again".into()),
        Err(e) => return Err(format!("its component cannot be read: {e}")),
    };
    let card = load_cached(runtime, cache, &bytes, registry)
        .await
        .map_err(|e| format!("it no longer loads: {e}"))?;
    if card.manifest().id != id {
        return Err(format!(
            "its component reports another id, {}",
            card.manifest().id
        ));
    }
    Ok(card)
}
