//! The cards this host can run, by id: the built-in ones, loaded at start.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::RwLock;

use super::builtin::BUILTIN_CARDS;
use super::{LoadError, LoadedCard, Runtime};

/// Loaded cards by id.
#[derive(Default)]
pub struct Catalogue {
    cards: RwLock<BTreeMap<String, Arc<LoadedCard>>>,
}

impl Catalogue {
    /// A catalogue holding the built-in cards, compiled and checked.
    pub async fn with_builtins(
        runtime: &Runtime,
        known_scopes: &[String],
    ) -> Result<Catalogue, LoadError> {
        let catalogue = Catalogue::default();
        for builtin in BUILTIN_CARDS {
            let card = runtime.load(builtin.wasm, known_scopes).await?;
            if card.manifest().id != builtin.id {
                return Err(LoadError::Manifest(format!(
                    "built-in card {} reports id {}",
                    builtin.id,
                    card.manifest().id
                )));
            }
            catalogue.insert(card).await;
        }
        Ok(catalogue)
    }

    /// Add or replace a card.
    pub async fn insert(&self, card: LoadedCard) -> Arc<LoadedCard> {
        let card = Arc::new(card);
        self.cards
            .write()
            .await
            .insert(card.manifest().id.clone(), card.clone());
        card
    }

    /// The card with this id.
    pub async fn get(&self, id: &str) -> Option<Arc<LoadedCard>> {
        self.cards.read().await.get(id).cloned()
    }

    /// Every card, by id.
    pub async fn all(&self) -> Vec<Arc<LoadedCard>> {
        self.cards.read().await.values().cloned().collect()
    }
}
