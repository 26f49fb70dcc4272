//! Flow triggers and the events they received, in sled:
//! - `triggers`: flow id -> [`TriggerState`] JSON, its secrets sealed in a `sealed` object;
//! - `subscriptions`: subscription id -> flow id, to find the trigger a delivery is for;
//! - `event_inbox`: `{received µs:020}/{event key}` -> [`InboxEvent`], the events acknowledged to the
//!   provider and not yet turned into a run, oldest first;
//! - `events_seen`: event key -> when it was first received, so that an event delivered again is
//!   acknowledged without being kept twice.
//!
//! A trigger and its subscription index change in one transaction; so do an event's inbox entry and
//! its seen mark.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use super::backend::{StoreBase, TriggerStore};
use super::crypto::{SealedFields, Sealer};
use super::{decode, encode, SledStore, StoreError};
use crate::triggers::model::{InboxEvent, TriggerState};

/// The triggers.
pub const TREE: &str = "triggers";
/// Subscription id -> flow id.
pub const SUBSCRIPTIONS_TREE: &str = "subscriptions";
/// Events acknowledged and not yet run.
pub const INBOX_TREE: &str = "event_inbox";
/// Event keys already received.
pub const SEEN_TREE: &str = "events_seen";

const ENDPOINT_SECRET: &str = "endpoint_secret";
const SUBSCRIPTION_SECRET: &str = "subscription_secret";

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// A trigger as stored.
#[derive(Serialize, Deserialize)]
struct StoredTrigger {
    #[serde(flatten)]
    state: TriggerState,
    #[serde(default)]
    sealed: SealedFields,
}

/// The inbox key of an event: oldest first.
fn inbox_key(event: &InboxEvent) -> Vec<u8> {
    let micros = event.received_at.timestamp_micros().max(0);
    format!("{micros:020}/{}", event.key).into_bytes()
}

impl SledStore {
    fn trigger_sealer<'a>(&'a self, flow_id: &'a str) -> Sealer<'a> {
        Sealer {
            key: &self.key,
            tree: TREE,
            record: flow_id,
        }
    }

    fn seal_trigger(&self, state: &TriggerState) -> Result<StoredTrigger, StoreError> {
        let sealer = self.trigger_sealer(&state.flow_id);
        let mut sealed = SealedFields::new();
        let secret = |s: &Option<String>| s.clone().map(SecretString::from);
        sealer.put(
            &mut sealed,
            ENDPOINT_SECRET,
            secret(&state.endpoint_secret).as_ref(),
        )?;
        let sub_secret = state.subscription.as_ref().and_then(|s| secret(&s.secret));
        sealer.put(&mut sealed, SUBSCRIPTION_SECRET, sub_secret.as_ref())?;
        Ok(StoredTrigger {
            state: state.clone(),
            sealed,
        })
    }

    fn open_trigger(&self, bytes: &[u8]) -> Result<TriggerState, StoreError> {
        let stored: StoredTrigger = decode(bytes, "a trigger")?;
        let mut state = stored.state;
        let sealer = self.trigger_sealer(&state.flow_id);
        let open = |field| -> Result<Option<String>, StoreError> {
            Ok(sealer
                .open(&stored.sealed, field)?
                .map(|s| s.expose_secret().to_string()))
        };
        state.endpoint_secret = open(ENDPOINT_SECRET)?;
        if let Some(sub) = state.subscription.as_mut() {
            sub.secret = open(SUBSCRIPTION_SECRET)?;
        }
        Ok(state)
    }

    fn read_trigger(&self, flow_id: &[u8], bytes: &[u8]) -> Option<TriggerState> {
        match self.open_trigger(bytes) {
            Ok(state) => Some(state),
            Err(e) => {
                self.damaged().note(TREE, flow_id, &e);
                None
            }
        }
    }
}

#[async_trait]
impl TriggerStore for SledStore {
    fn get_trigger(&self, flow_id: &str) -> Result<Option<TriggerState>, StoreError> {
        self.trees
            .triggers
            .get(flow_id.as_bytes())?
            .map(|b| self.open_trigger(&b))
            .transpose()
    }

    fn list_triggers(&self) -> Result<Vec<TriggerState>, StoreError> {
        let mut all = Vec::new();
        for item in self.trees.triggers.iter() {
            let (key, bytes) = item?;
            all.extend(self.read_trigger(&key, &bytes));
        }
        Ok(all)
    }

    async fn put_trigger(&self, state: &TriggerState) -> Result<(), StoreError> {
        let bytes = encode(&self.seal_trigger(state)?)?;
        let flow_id = state.flow_id.as_bytes();
        let new_sub = state.subscription.as_ref().map(|s| s.id.clone());
        let old_sub = match self.trees.triggers.get(flow_id)? {
            Some(old) => decode::<StoredTrigger>(&old, "a trigger")
                .ok()
                .and_then(|s| s.state.subscription.map(|s| s.id)),
            None => None,
        };
        (&self.trees.triggers, &self.trees.subscriptions).transaction(|(triggers, subs)| {
            triggers.insert(flow_id, bytes.as_slice())?;
            if let Some(old) = old_sub.as_ref().filter(|o| Some(*o) != new_sub.as_ref()) {
                subs.remove(old.as_bytes())?;
            }
            if let Some(new) = &new_sub {
                subs.insert(new.as_bytes(), flow_id)?;
            }
            TxResult::Ok(())
        })?;
        self.flush().await
    }

    async fn delete_trigger(&self, flow_id: &str) -> Result<(), StoreError> {
        let sub = match self.trees.triggers.get(flow_id.as_bytes())? {
            Some(old) => decode::<StoredTrigger>(&old, "a trigger")
                .ok()
                .and_then(|s| s.state.subscription.map(|s| s.id)),
            None => None,
        };
        (&self.trees.triggers, &self.trees.subscriptions).transaction(|(triggers, subs)| {
            triggers.remove(flow_id.as_bytes())?;
            if let Some(sub) = &sub {
                subs.remove(sub.as_bytes())?;
            }
            TxResult::Ok(())
        })?;
        self.damaged().forget(TREE, flow_id.as_bytes());
        self.flush().await
    }

    fn trigger_of_subscription(
        &self,
        subscription: &str,
    ) -> Result<Option<TriggerState>, StoreError> {
        let Some(flow_id) = self.trees.subscriptions.get(subscription.as_bytes())? else {
            return Ok(None);
        };
        self.get_trigger(&String::from_utf8_lossy(&flow_id))
    }

    async fn accept_events(&self, events: &[InboxEvent]) -> Result<usize, StoreError> {
        let encoded = events
            .iter()
            .map(|e| Ok((inbox_key(e), encode(e)?, encode(&e.received_at)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let fresh =
            (&self.trees.event_inbox, &self.trees.events_seen).transaction(|(inbox, seen)| {
                let mut fresh = 0;
                for ((key, bytes, at), event) in encoded.iter().zip(events) {
                    if seen.get(event.key.as_bytes())?.is_some() {
                        continue;
                    }
                    seen.insert(event.key.as_bytes(), at.as_slice())?;
                    inbox.insert(key.as_slice(), bytes.as_slice())?;
                    fresh += 1;
                }
                TxResult::Ok(fresh)
            })?;
        self.flush().await?;
        Ok(fresh)
    }

    fn inbox(&self, limit: usize) -> Result<Vec<InboxEvent>, StoreError> {
        let mut out = Vec::new();
        for item in self.trees.event_inbox.iter() {
            if out.len() >= limit {
                break;
            }
            let (key, bytes) = item?;
            match decode::<InboxEvent>(&bytes, "an event") {
                Ok(e) => out.push(e),
                Err(e) => {
                    self.damaged().note(INBOX_TREE, &key, &e);
                    self.trees.event_inbox.remove(&key)?;
                }
            }
        }
        Ok(out)
    }

    fn inbox_len(&self) -> usize {
        self.trees.event_inbox.len()
    }

    /// Not flushed on its own: an event finished just before a crash may be
    /// taken again, which the run id derived from its key makes harmless.
    async fn finish_event(&self, event: &InboxEvent) -> Result<(), StoreError> {
        self.trees.event_inbox.remove(inbox_key(event))?;
        Ok(())
    }

    async fn forget_seen_before(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let mut forgotten = 0;
        for item in self.trees.events_seen.iter() {
            let (key, bytes) = item?;
            let at: Option<DateTime<Utc>> = decode(&bytes, "a seen mark").ok();
            if at.is_none_or(|at| at < before) {
                self.trees.events_seen.remove(&key)?;
                forgotten += 1;
            }
        }
        if forgotten > 0 {
            self.flush().await?;
        }
        Ok(forgotten)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use serde_json::json;

    use super::super::tests::{assert_no_file_contains, open_store, reopen};
    use super::*;
    use crate::triggers::model::Subscription;

    fn event(key: &str, flow: &str, seconds_ago: i64) -> InboxEvent {
        InboxEvent {
            key: key.into(),
            flow_id: flow.into(),
            subscription: "sub".into(),
            received_at: Utc::now() - Duration::seconds(seconds_ago),
            event: json!({"action": "added", "key": key}),
        }
    }

    fn state(flow: &str, sub: &str) -> TriggerState {
        TriggerState {
            flow_id: flow.into(),
            enabled: true,
            enabled_at: Some(Utc::now()),
            endpoint_secret: Some("endpoint-secret-abc123".into()),
            secret_created_at: Some(Utc::now()),
            subscription: Some(Subscription {
                id: sub.into(),
                connection: "conn".into(),
                provider_id: Some("1200".into()),
                request: json!({"resource": "42"}),
                target: format!("https://cards.example.com/hooks/events/{sub}"),
                created_at: Utc::now(),
                secret: Some("hook-secret-xyz789".into()),
            }),
            last_fire: None,
        }
    }

    #[tokio::test]
    async fn secrets_are_sealed_and_come_back_after_reopen() {
        let (dir, store) = open_store();
        let kept = state("f1", "s1");
        store.put_trigger(&kept).await.unwrap();
        drop(store);
        assert_no_file_contains(
            dir.path(),
            &["endpoint-secret-abc123".into(), "hook-secret-xyz789".into()],
            "cards.example.com/hooks/events/s1",
        );
        let store = reopen(dir.path());
        let back = store.get_trigger("f1").unwrap().unwrap();
        assert_eq!(back, kept);
        let by_sub = store.trigger_of_subscription("s1").unwrap().unwrap();
        assert_eq!(
            by_sub.subscription.unwrap().secret.as_deref(),
            Some("hook-secret-xyz789")
        );
    }

    #[tokio::test]
    async fn a_new_subscription_replaces_the_old_one_in_the_index() {
        let (_dir, store) = open_store();
        store.put_trigger(&state("f1", "s1")).await.unwrap();
        store.put_trigger(&state("f1", "s2")).await.unwrap();
        assert!(store.trigger_of_subscription("s1").unwrap().is_none());
        assert!(store.trigger_of_subscription("s2").unwrap().is_some());
        store.delete_trigger("f1").await.unwrap();
        assert!(store.trigger_of_subscription("s2").unwrap().is_none());
        assert!(store.get_trigger("f1").unwrap().is_none());
    }

    #[tokio::test]
    async fn an_event_is_kept_once_and_the_inbox_is_oldest_first() {
        let (dir, store) = open_store();
        let batch = [event("b", "f", 5), event("a", "f", 10), event("b", "f", 5)];
        assert_eq!(store.accept_events(&batch).await.unwrap(), 2);
        assert_eq!(store.accept_events(&[event("a", "f", 1)]).await.unwrap(), 0);
        let keys: Vec<String> = store
            .inbox(10)
            .unwrap()
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["a", "b"]);
        let first = store.inbox(1).unwrap().remove(0);
        store.finish_event(&first).await.unwrap();
        assert_eq!(store.inbox_len(), 1);
        drop(store);
        let store = reopen(dir.path());
        assert_eq!(store.inbox(10).unwrap()[0].key, "b");
        assert_eq!(store.accept_events(&[event("a", "f", 0)]).await.unwrap(), 0);
        assert_eq!(
            store
                .forget_seen_before(Utc::now() + Duration::seconds(1))
                .await
                .unwrap(),
            2
        );
        assert_eq!(store.accept_events(&[event("a", "f", 0)]).await.unwrap(), 1);
    }
}
