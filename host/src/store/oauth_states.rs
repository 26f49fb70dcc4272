//! Pending OAuth authorizations: the `oauth_states` tree, keyed by the SHA-256 of the `state` parameter
//! (so the data dir holds no usable state value), with the PKCE verifier sealed. A state can be taken
//! once; it is bound to an existing connection when it is put.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sled::Transactional;

use super::backend::{OAuthStateStore, StoreBase};
use super::crypto::{SealedFields, Sealer};
use super::model::{ConnectionId, OAuthState};
use super::{decode, encode, OrAbort, SledStore, StoreError};

/// The tree of pending states.
pub const TREE: &str = "oauth_states";

const PKCE_VERIFIER: &str = "pkce_verifier";

/// An OAuth state as stored: everything but the verifier in the clear.
#[derive(Serialize, Deserialize)]
struct StoredOAuthState {
    connection_id: ConnectionId,
    connector: String,
    redirect_uri: String,
    #[serde(default)]
    scopes: Vec<String>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    #[serde(default)]
    sealed: SealedFields,
}

/// The key of a state: SHA-256 of its value.
fn state_key(state: &str) -> [u8; 32] {
    Sha256::digest(state.as_bytes()).into()
}

/// The record id bound into the sealed verifier: the hex of the key.
fn record_id(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_state(bytes: &[u8]) -> Result<StoredOAuthState, StoreError> {
    decode(bytes, "an OAuth state")
}

#[async_trait]
impl OAuthStateStore for SledStore {
    async fn put_oauth_state(&self, state: &str, value: OAuthState) -> Result<(), StoreError> {
        if state.is_empty() {
            return Err(StoreError::Invalid(
                "an OAuth state must not be empty".into(),
            ));
        }
        let key = state_key(state);
        let bytes = encode(&self.seal_state(&key, value.clone())?)?;
        let trees = (&self.trees.connections, &self.trees.oauth_states);
        trees.transaction(|(connections, states)| {
            let conn = connections.get(value.connection_id.as_bytes())?;
            check_owner(conn.as_deref(), &value).or_abort()?;
            if states.get(key)?.is_some() {
                let id = "(state)".to_owned();
                return Err(StoreError::AlreadyExists {
                    what: "OAuth state",
                    id,
                })
                .or_abort();
            }
            states.insert(&key, bytes.as_slice())?;
            Ok(())
        })?;
        self.flush().await
    }

    async fn take_oauth_state(&self, state: &str) -> Result<Option<OAuthState>, StoreError> {
        let key = state_key(state);
        let Some(bytes) = self.trees.oauth_states.remove(key)? else {
            return Ok(None);
        };
        self.flush().await?;
        let stored = decode_state(&bytes)?;
        self.open_state(&key, stored).map(Some)
    }

    async fn purge_expired_oauth_states(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let removed = self.remove_states_where(|s| s.expires_at <= now)?;
        self.flush().await?;
        Ok(removed)
    }
}

impl SledStore {
    /// Removes the states of a connection (used when it is deleted); the caller flushes.
    pub(super) fn remove_oauth_states_of(&self, id: &str) -> Result<usize, StoreError> {
        self.remove_states_where(|s| s.connection_id == id)
    }

    /// Removes the states matching `doomed`, and any that cannot be read (they can never be used).
    fn remove_states_where(
        &self,
        doomed: impl Fn(&StoredOAuthState) -> bool,
    ) -> Result<usize, StoreError> {
        let mut removed = 0;
        for entry in self.trees.oauth_states.iter() {
            let (key, bytes) = entry?;
            let remove = match decode_state(&bytes) {
                Ok(stored) => doomed(&stored),
                Err(e) => {
                    tracing::warn!(error = %e, "removing an unreadable OAuth state");
                    true
                }
            };
            if remove && self.trees.oauth_states.remove(key)?.is_some() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    fn seal_state(
        &self,
        key: &[u8; 32],
        value: OAuthState,
    ) -> Result<StoredOAuthState, StoreError> {
        let id = record_id(key);
        let mut sealed = SealedFields::new();
        self.state_sealer(&id)
            .put(&mut sealed, PKCE_VERIFIER, Some(&value.pkce_verifier))?;
        Ok(StoredOAuthState {
            connection_id: value.connection_id,
            connector: value.connector,
            redirect_uri: value.redirect_uri,
            scopes: value.scopes,
            created_at: value.created_at,
            expires_at: value.expires_at,
            sealed,
        })
    }

    fn open_state(
        &self,
        key: &[u8; 32],
        stored: StoredOAuthState,
    ) -> Result<OAuthState, StoreError> {
        let id = record_id(key);
        let verifier = self.state_sealer(&id).open(&stored.sealed, PKCE_VERIFIER)?;
        let pkce_verifier = verifier
            .ok_or_else(|| StoreError::Corrupt("an OAuth state has no PKCE verifier".into()))?;
        Ok(OAuthState {
            connection_id: stored.connection_id,
            connector: stored.connector,
            redirect_uri: stored.redirect_uri,
            scopes: stored.scopes,
            pkce_verifier,
            created_at: stored.created_at,
            expires_at: stored.expires_at,
        })
    }

    fn state_sealer<'a>(&'a self, id: &'a str) -> Sealer<'a> {
        Sealer {
            key: &self.key,
            tree: TREE,
            record: id,
        }
    }
}

/// A state must belong to an existing connection of the same connector.
fn check_owner(conn: Option<&[u8]>, value: &OAuthState) -> Result<(), StoreError> {
    let id = &value.connection_id;
    let Some(bytes) = conn else {
        let id = id.clone();
        return Err(StoreError::NotFound {
            what: "connection",
            id,
        });
    };
    #[derive(Deserialize)]
    struct Owner {
        connector: String,
    }
    let owner: Owner = decode(bytes, &format!("connection '{id}'"))?;
    if owner.connector != value.connector {
        return Err(StoreError::Invalid(format!(
            "connection '{id}' belongs to {}, not {}",
            owner.connector, value.connector
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{conn, full_secrets, oauth_state, open_raw, open_store};
    use super::*;
    use secrecy::ExposeSecret;

    #[tokio::test]
    async fn a_state_is_single_use() {
        let (_dir, store) = open_store();
        let c = conn("OAuth");
        store
            .create_connection(c.clone(), full_secrets("s"))
            .await
            .unwrap();
        store
            .put_oauth_state("st-1", oauth_state(&c.id, 10))
            .await
            .unwrap();
        let taken = store.take_oauth_state("st-1").await.unwrap().unwrap();
        assert_eq!(taken.connection_id, c.id);
        assert_eq!(
            taken.pkce_verifier.expose_secret(),
            "verifier-for-test-0123456789"
        );
        assert!(store.take_oauth_state("st-1").await.unwrap().is_none());
        assert!(store.take_oauth_state("never-put").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn expired_states_are_returned_and_purged() {
        let (_dir, store) = open_store();
        let c = conn("Expiry");
        store
            .create_connection(c.clone(), Default::default())
            .await
            .unwrap();
        store
            .put_oauth_state("old-1", oauth_state(&c.id, -5))
            .await
            .unwrap();
        store
            .put_oauth_state("old-2", oauth_state(&c.id, -1))
            .await
            .unwrap();
        store
            .put_oauth_state("fresh", oauth_state(&c.id, 10))
            .await
            .unwrap();
        let expired = store.take_oauth_state("old-1").await.unwrap().unwrap();
        assert!(expired.expires_at < Utc::now());
        assert_eq!(
            store.purge_expired_oauth_states(Utc::now()).await.unwrap(),
            1
        );
        assert!(store.take_oauth_state("old-2").await.unwrap().is_none());
        assert!(store.take_oauth_state("fresh").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_state_needs_its_connection() {
        let (_dir, store) = open_store();
        let err = store
            .put_oauth_state("orphan", oauth_state("no-such-connection", 10))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        let c = conn("Mine");
        store
            .create_connection(c.clone(), Default::default())
            .await
            .unwrap();
        let mut wrong = oauth_state(&c.id, 10);
        wrong.connector = "slack".into();
        let err = store.put_oauth_state("x", wrong).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        store
            .put_oauth_state("dup", oauth_state(&c.id, 10))
            .await
            .unwrap();
        let err = store
            .put_oauth_state("dup", oauth_state(&c.id, 10))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
    }

    #[tokio::test]
    async fn deleting_a_connection_removes_its_states() {
        let (_dir, store) = open_store();
        let (a, b) = (conn("A"), conn("B"));
        store
            .create_connection(a.clone(), Default::default())
            .await
            .unwrap();
        store
            .create_connection(b.clone(), Default::default())
            .await
            .unwrap();
        store
            .put_oauth_state("a-1", oauth_state(&a.id, 10))
            .await
            .unwrap();
        store
            .put_oauth_state("a-2", oauth_state(&a.id, 10))
            .await
            .unwrap();
        store
            .put_oauth_state("b-1", oauth_state(&b.id, 10))
            .await
            .unwrap();
        store.delete_connection(&a.id).await.unwrap();
        assert!(store.take_oauth_state("a-1").await.unwrap().is_none());
        assert!(store.take_oauth_state("a-2").await.unwrap().is_none());
        assert!(store.take_oauth_state("b-1").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn the_state_value_is_not_stored_and_the_verifier_is_bound_to_it() {
        let (_dir, store, raw) = open_raw();
        let c = conn("Bound");
        store
            .create_connection(c.clone(), Default::default())
            .await
            .unwrap();
        store
            .put_oauth_state("state-one", oauth_state(&c.id, 10))
            .await
            .unwrap();
        store
            .put_oauth_state("state-two", oauth_state(&c.id, 10))
            .await
            .unwrap();
        let tree = &raw.trees.oauth_states;
        for entry in tree.iter() {
            let (key, value) = entry.unwrap();
            assert!(!String::from_utf8_lossy(&key).contains("state-"));
            assert!(!String::from_utf8_lossy(&value).contains("state-"));
        }
        // Swap the records of the two states: the verifiers no longer open.
        let (k1, k2) = (state_key("state-one"), state_key("state-two"));
        let (v1, v2) = (
            tree.get(k1).unwrap().unwrap(),
            tree.get(k2).unwrap().unwrap(),
        );
        tree.insert(k1, v2).unwrap();
        tree.insert(k2, v1).unwrap();
        assert!(matches!(
            store.take_oauth_state("state-one").await,
            Err(StoreError::Corrupt(_))
        ));
    }
}
