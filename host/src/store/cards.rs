//! The card catalogue in sled: a record per card (`cards`, by id) and the components of installed
//! cards (`card_wasm`, by the SHA-256 of their bytes, so two cards of the same bytes share one). A
//! record and its component are written and dropped in one transaction.

use async_trait::async_trait;
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use super::backend::{CardStore, StoreBase};
use super::model::CardRecord;
use super::{encode, SledStore, StoreError};

/// The card records.
pub const TREE: &str = "cards";
/// The installed components, by hash.
pub const WASM_TREE: &str = "card_wasm";

type TxResult = Result<(), ConflictableTransactionError<StoreError>>;

#[async_trait]
impl CardStore for SledStore {
    fn list_cards(&self) -> Result<Vec<CardRecord>, StoreError> {
        let mut cards = Vec::new();
        for item in self.trees.cards.iter() {
            let (key, value) = item?;
            let Some(record) = self.decode_or_note::<CardRecord>(TREE, &key, &value) else {
                continue;
            };
            if record.id.as_bytes() != key.as_ref() {
                let claim = format!("the record claims the id '{}'", record.id);
                self.damaged.note(TREE, &key, &claim);
                continue;
            }
            cards.push(record);
        }
        Ok(cards)
    }

    fn get_component(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .trees
            .card_wasm
            .get(hash.as_bytes())?
            .map(|b| b.to_vec()))
    }

    async fn put_card(
        &self,
        record: &CardRecord,
        component: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let encoded = encode(record)?;
        let replaced = self.hash_of(&record.id);
        let drop_old = match replaced {
            Some(old) if old != record.hash && !self.hash_in_use(&old, &record.id)? => Some(old),
            _ => None,
        };
        (&self.trees.cards, &self.trees.card_wasm).transaction(|(cards, wasm)| {
            if let Some(bytes) = component {
                wasm.insert(record.hash.as_bytes(), bytes)?;
            }
            if let Some(old) = &drop_old {
                wasm.remove(old.as_bytes())?;
            }
            cards.insert(record.id.as_bytes(), encoded.as_slice())?;
            TxResult::Ok(())
        })?;
        self.damaged.forget(TREE, record.id.as_bytes());
        self.flush().await
    }

    async fn delete_card(&self, id: &str) -> Result<Option<CardRecord>, StoreError> {
        let Some(bytes) = self.trees.cards.get(id.as_bytes())? else {
            return Ok(None);
        };
        let record = self.decode_or_note::<CardRecord>(TREE, id.as_bytes(), &bytes);
        let drop_wasm = match &record {
            Some(r) if !self.hash_in_use(&r.hash, id)? => Some(r.hash.clone()),
            _ => None,
        };
        (&self.trees.cards, &self.trees.card_wasm).transaction(|(cards, wasm)| {
            cards.remove(id.as_bytes())?;
            if let Some(hash) = &drop_wasm {
                wasm.remove(hash.as_bytes())?;
            }
            TxResult::Ok(())
        })?;
        self.damaged.forget(TREE, id.as_bytes());
        self.flush().await?;
        Ok(record)
    }
}

impl SledStore {
    /// The component hash of the card stored as `id`, if its record can be read.
    fn hash_of(&self, id: &str) -> Option<String> {
        let bytes = self.trees.cards.get(id.as_bytes()).ok()??;
        serde_json::from_slice::<CardRecord>(&bytes)
            .ok()
            .map(|r| r.hash)
    }

    /// Whether a card other than `except` uses the component `hash` (damaged records use none).
    fn hash_in_use(&self, hash: &str, except: &str) -> Result<bool, StoreError> {
        for item in self.trees.cards.iter() {
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::open_raw;
    use super::*;
    use crate::runtime::Manifest;

    fn record(id: &str, hash: &str) -> CardRecord {
        let manifest: Manifest = serde_json::from_value(serde_json::json!({
            "id": id,
            "name": id,
            "version": "1.0.0",
            "description": "a card of the store's tests",
            "scopes": [],
            "input_schema": {"type": "object"},
            "output_schema": {"type": "object"},
            "uses_service_account": false,
        }))
        .expect("a manifest");
        CardRecord {
            id: id.into(),
            version: manifest.version.clone(),
            hash: hash.into(),
            builtin: false,
            installed_at: chrono::Utc::now(),
            manifest,
        }
    }

    #[tokio::test]
    async fn a_component_is_kept_while_a_card_uses_it() {
        let (_dir, store, raw) = open_raw();
        store
            .put_card(&record("a.one", "h1"), Some(b"one"))
            .await
            .unwrap();
        store
            .put_card(&record("a.same", "h1"), Some(b"one"))
            .await
            .unwrap();
        assert_eq!(store.get_component("h1").unwrap().unwrap(), b"one");
        // An upgrade replaces the component; the other card still holds the old bytes.
        store
            .put_card(&record("a.one", "h2"), Some(b"two"))
            .await
            .unwrap();
        assert!(store.get_component("h1").unwrap().is_some());
        let removed = store.delete_card("a.same").await.unwrap().unwrap();
        assert_eq!(removed.hash, "h1");
        assert!(store.get_component("h1").unwrap().is_none());
        assert_eq!(raw.trees.card_wasm.len(), 1);
        // An upgrade of a card no other card shares drops its old component.
        store
            .put_card(&record("a.one", "h3"), Some(b"three"))
            .await
            .unwrap();
        assert!(store.get_component("h2").unwrap().is_none());
        let ids: Vec<_> = store
            .list_cards()
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.hash))
            .collect();
        assert_eq!(ids, [("a.one".to_string(), "h3".to_string())]);
        assert!(store.delete_card("a.one").await.unwrap().is_some());
        assert_eq!(raw.trees.card_wasm.len(), 0);
        assert!(store.delete_card("a.one").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn damaged_card_records_are_skipped_counted_and_deleted_by_key() {
        let (_dir, store, raw) = open_raw();
        store
            .put_card(&record("a.fine", "h1"), Some(b"fine"))
            .await
            .unwrap();
        raw.trees.cards.insert("a.broken", &b"{\"id\""[..]).unwrap();
        let moved = encode(&record("a.elsewhere", "h1")).unwrap();
        raw.trees.cards.insert("a.moved", moved).unwrap();
        for _ in 0..2 {
            let listed = store.list_cards().unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(listed[0].id, "a.fine");
        }
        assert_eq!(store.damaged().count(), 2);
        assert!(store.delete_card("a.broken").await.unwrap().is_none());
        assert_eq!(store.damaged().count(), 1);
        assert!(raw.trees.cards.get("a.broken").unwrap().is_none());
        // A damaged record holds no component: the fine card's stays.
        assert!(store.get_component("h1").unwrap().is_some());
    }
}
