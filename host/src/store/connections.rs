//! Connections: the `connections` tree (id -> record JSON with its secrets sealed in a `sealed` object)
//! and the `nicknames` index (`connector \0 lowercase(trim(nickname))` -> id), always changed together in
//! one sled transaction so the two never disagree.

use async_trait::async_trait;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use sled::Transactional;

use super::backend::{ConnectionChange, ConnectionStore, StoreBase};
use super::crypto::{SealedFields, Sealer};
use super::model::{Connection, Secrets};
use super::{decode, encode, OrAbort, SledStore, StoreError};

/// The records.
pub const TREE: &str = "connections";
/// The nickname index.
pub const NICKNAME_TREE: &str = "nicknames";

const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";
const SERVICE_ACCOUNT_TOKEN: &str = "service_account_token";

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// A connection as stored: the public record plus its sealed secrets.
#[derive(Serialize, Deserialize)]
struct StoredConnection {
    #[serde(flatten)]
    conn: Connection,
    #[serde(default)]
    sealed: SealedFields,
}

/// The index key of a nickname: case-insensitive and trimmed, per connector.
pub fn nickname_key(connector: &str, nickname: &str) -> Vec<u8> {
    let mut key = connector.as_bytes().to_vec();
    key.push(0);
    key.extend_from_slice(nickname.trim().to_lowercase().as_bytes());
    key
}

/// Trims the nickname and refuses records that cannot be stored.
fn normalise(conn: &mut Connection) -> Result<(), StoreError> {
    conn.nickname = conn.nickname.trim().to_owned();
    let invalid = |why: &str| Err(StoreError::Invalid(why.to_owned()));
    if conn.id.is_empty() || conn.id.contains('\0') {
        return invalid("a connection id must be non-empty and contain no NUL");
    }
    if conn.connector.is_empty() || conn.connector.contains('\0') {
        return invalid("a connector name must be non-empty and contain no NUL");
    }
    if conn.nickname.is_empty() {
        return invalid("a connection needs a nickname");
    }
    Ok(())
}

/// The flags that mirror which secrets exist.
fn sync_flags(conn: &mut Connection, secrets: &Secrets) {
    conn.has_refresh_token = secrets.refresh_token.is_some();
    conn.has_service_account_token = secrets.service_account_token.is_some();
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        what: "connection",
        id: id.to_owned(),
    }
}

fn duplicate(conn: &Connection) -> StoreError {
    StoreError::DuplicateNickname {
        connector: conn.connector.clone(),
        nickname: conn.nickname.clone(),
    }
}

#[async_trait]
impl ConnectionStore for SledStore {
    async fn create_connection(
        &self,
        mut conn: Connection,
        secrets: Secrets,
    ) -> Result<(), StoreError> {
        normalise(&mut conn)?;
        sync_flags(&mut conn, &secrets);
        let bytes = encode(&self.seal_connection(conn.clone(), &secrets)?)?;
        let index_key = nickname_key(&conn.connector, &conn.nickname);
        let trees = (&self.trees.connections, &self.trees.nicknames);
        trees.transaction(|(records, index)| {
            if records.get(conn.id.as_bytes())?.is_some() {
                return Err(StoreError::AlreadyExists {
                    what: "connection",
                    id: conn.id.clone(),
                })
                .or_abort();
            }
            if index.get(&index_key)?.is_some() {
                return Err(duplicate(&conn)).or_abort();
            }
            records.insert(conn.id.as_bytes(), bytes.as_slice())?;
            index.insert(index_key.as_slice(), conn.id.as_bytes())?;
            Ok(())
        })?;
        self.flush().await
    }

    fn get_connection(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        let stored = self.trees.connections.get(id.as_bytes())?;
        stored
            .map(|bytes| decode_stored(&bytes, id).map(|s| s.conn))
            .transpose()
    }

    fn find_connection(
        &self,
        connector: &str,
        nickname: &str,
    ) -> Result<Option<Connection>, StoreError> {
        let key = nickname_key(connector, nickname);
        let Some(id) = self.trees.nicknames.get(key)? else {
            return Ok(None);
        };
        let id = String::from_utf8_lossy(&id).into_owned();
        match self.get_connection(&id)? {
            Some(conn) => Ok(Some(conn)),
            None => Err(StoreError::Corrupt(format!(
                "the nickname index points at the missing connection '{id}'"
            ))),
        }
    }

    fn list_connections(&self) -> Result<Vec<Connection>, StoreError> {
        let mut all = Vec::new();
        for entry in self.trees.connections.iter() {
            let (id, bytes) = entry?;
            match decode_stored(&bytes, &String::from_utf8_lossy(&id)) {
                Ok(stored) => all.push(stored.conn),
                Err(e) => self.damaged.note(TREE, &id, &e),
            }
        }
        all.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(all)
    }

    fn get_secrets(&self, id: &str) -> Result<Option<Secrets>, StoreError> {
        let stored = self.trees.connections.get(id.as_bytes())?;
        stored
            .map(|bytes| self.open_secrets(&decode_stored(&bytes, id)?))
            .transpose()
    }

    async fn update_connection(
        &self,
        id: &str,
        change: &ConnectionChange<'_>,
    ) -> Result<Connection, StoreError> {
        let trees = (&self.trees.connections, &self.trees.nicknames);
        let updated = trees.transaction(|(records, index)| {
            let old = read_tx(records, id)?;
            let mut conn = old.conn.clone();
            let mut secrets = self.open_secrets(&old).or_abort()?;
            change(&mut conn, &mut secrets).or_abort()?;
            self.check_update(&old.conn, &mut conn, &secrets)
                .or_abort()?;
            reindex(index, &old.conn, &conn)?;
            let new = self.seal_connection(conn, &secrets).or_abort()?;
            records.insert(id.as_bytes(), encode(&new).or_abort()?)?;
            Ok(new.conn)
        })?;
        self.flush().await?;
        Ok(updated)
    }

    /// Does not re-seal the secrets.
    async fn touch_last_used(&self, id: &str) -> Result<(), StoreError> {
        self.trees.connections.transaction(|records| {
            let mut stored = read_tx(records, id)?;
            stored.conn.last_used_at = Some(Utc::now());
            records.insert(id.as_bytes(), encode(&stored).or_abort()?)?;
            Ok(())
        })?;
        self.flush().await
    }

    async fn delete_connection(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        let trees = (&self.trees.connections, &self.trees.nicknames);
        let removed = trees.transaction(|(records, index)| {
            let Some(bytes) = records.remove(id.as_bytes())? else {
                return Ok(None);
            };
            let stored = decode_stored(&bytes, id).or_abort()?;
            let key = nickname_key(&stored.conn.connector, &stored.conn.nickname);
            if index.get(&key)?.as_deref() == Some(id.as_bytes()) {
                index.remove(key)?;
            }
            Ok(Some(stored.conn))
        })?;
        // After the record is gone no new state can be put for it, so this sweep misses none.
        self.remove_oauth_states_of(id)?;
        self.flush().await?;
        Ok(removed)
    }
}

impl SledStore {
    /// Refuses changes to what cannot change, normalises, and sets what the store owns.
    fn check_update(
        &self,
        old: &Connection,
        conn: &mut Connection,
        secrets: &Secrets,
    ) -> Result<(), StoreError> {
        if conn.id != old.id || conn.connector != old.connector {
            return Err(StoreError::Invalid(
                "the id and connector of a connection cannot change".into(),
            ));
        }
        normalise(conn)?;
        sync_flags(conn, secrets);
        conn.created_at = old.created_at;
        conn.updated_at = Utc::now();
        Ok(())
    }

    fn sealer<'a>(&'a self, id: &'a str) -> Sealer<'a> {
        Sealer {
            key: &self.key,
            tree: TREE,
            record: id,
        }
    }

    /// The stored form of a connection: its secrets sealed for its id.
    fn seal_connection(
        &self,
        conn: Connection,
        secrets: &Secrets,
    ) -> Result<StoredConnection, StoreError> {
        let sealer = self.sealer(&conn.id);
        let mut sealed = SealedFields::new();
        sealer.put(&mut sealed, ACCESS_TOKEN, secrets.access_token.as_ref())?;
        sealer.put(&mut sealed, REFRESH_TOKEN, secrets.refresh_token.as_ref())?;
        let sat = secrets.service_account_token.as_ref();
        sealer.put(&mut sealed, SERVICE_ACCOUNT_TOKEN, sat)?;
        Ok(StoredConnection { conn, sealed })
    }

    fn open_secrets(&self, stored: &StoredConnection) -> Result<Secrets, StoreError> {
        let sealer = self.sealer(&stored.conn.id);
        Ok(Secrets {
            access_token: sealer.open(&stored.sealed, ACCESS_TOKEN)?,
            refresh_token: sealer.open(&stored.sealed, REFRESH_TOKEN)?,
            service_account_token: sealer.open(&stored.sealed, SERVICE_ACCOUNT_TOKEN)?,
        })
    }
}

/// Decodes the record stored under `id`, refusing one that claims another id (moved records).
fn decode_stored(bytes: &[u8], id: &str) -> Result<StoredConnection, StoreError> {
    let stored: StoredConnection = decode(bytes, &format!("connection '{id}'"))?;
    if stored.conn.id != id {
        return Err(StoreError::Corrupt(format!(
            "the record stored as connection '{id}' claims the id '{}'",
            stored.conn.id
        )));
    }
    Ok(stored)
}

/// Reads a record inside a transaction; `NotFound` aborts it.
fn read_tx(records: &TransactionalTree, id: &str) -> TxResult<StoredConnection> {
    let bytes = records.get(id.as_bytes())?;
    let bytes = bytes.ok_or_else(|| not_found(id)).or_abort()?;
    decode_stored(&bytes, id).or_abort()
}

/// Moves the index entry when the nickname changed (not just its case or spacing).
fn reindex(index: &TransactionalTree, old: &Connection, new: &Connection) -> TxResult<()> {
    let old_key = nickname_key(&old.connector, &old.nickname);
    let new_key = nickname_key(&new.connector, &new.nickname);
    if old_key == new_key {
        return Ok(());
    }
    if let Some(owner) = index.get(&new_key)? {
        if owner.as_ref() != new.id.as_bytes() {
            return Err(duplicate(new)).or_abort();
        }
    }
    index.remove(old_key)?;
    index.insert(new_key, new.id.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{conn, full_secrets, open_raw, open_store, reveal};
    use super::*;
    use crate::store::crypto::Sealed;

    #[tokio::test]
    async fn a_damaged_connection_is_left_out_of_the_list_and_counted_once() {
        let (_dir, store, raw) = open_raw();
        store
            .create_connection(conn("Fine"), Secrets::default())
            .await
            .unwrap();
        raw.trees
            .connections
            .insert("damaged", &b"{\"id\": 1"[..])
            .unwrap();
        for _ in 0..3 {
            let listed = store.list_connections().unwrap();
            assert_eq!(listed.len(), 1);
            assert_eq!(listed[0].nickname, "Fine");
        }
        assert_eq!(store.damaged().count(), 1);
    }

    #[tokio::test]
    async fn round_trip_with_all_secrets() {
        let (_dir, store) = open_store();
        let c = conn("Work");
        store
            .create_connection(c.clone(), full_secrets("rt"))
            .await
            .unwrap();
        let got = store.get_connection(&c.id).unwrap().unwrap();
        assert!(got.has_refresh_token && got.has_service_account_token);
        assert_eq!(got.nickname, "Work");
        let secrets = store.get_secrets(&c.id).unwrap().unwrap();
        assert_eq!(reveal(&secrets.access_token), "rt-access");
        assert_eq!(reveal(&secrets.refresh_token), "rt-refresh");
        assert_eq!(reveal(&secrets.service_account_token), "rt-service");
        assert!(store.get_secrets("missing").unwrap().is_none());
    }

    #[tokio::test]
    async fn flags_follow_the_secrets_not_the_caller() {
        let (_dir, store) = open_store();
        let mut c = conn("Flags");
        c.has_refresh_token = true;
        c.has_service_account_token = true;
        store
            .create_connection(c.clone(), Secrets::default())
            .await
            .unwrap();
        let got = store.get_connection(&c.id).unwrap().unwrap();
        assert!(!got.has_refresh_token && !got.has_service_account_token);
        let got = store
            .update_connection(&c.id, |_, s| {
                s.refresh_token = Some("r".into());
                Ok(())
            })
            .await
            .unwrap();
        assert!(got.has_refresh_token && !got.has_service_account_token);
    }

    #[tokio::test]
    async fn duplicate_nickname_is_refused_and_nothing_stored() {
        let (_dir, store) = open_store();
        store
            .create_connection(conn("Team Example"), Secrets::default())
            .await
            .unwrap();
        let dup = conn("  team EXAMPLE ");
        let err = store
            .create_connection(dup.clone(), full_secrets("dup"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::DuplicateNickname { .. }), "{err}");
        assert!(store.get_connection(&dup.id).unwrap().is_none());
        assert_eq!(store.list_connections().unwrap().len(), 1);
        let mut other_connector = conn("Team Example");
        other_connector.connector = "slack".into();
        store
            .create_connection(other_connector, Secrets::default())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn nickname_is_trimmed_and_found_case_insensitively() {
        let (_dir, store) = open_store();
        let c = conn("  Ops  ");
        store
            .create_connection(c.clone(), Secrets::default())
            .await
            .unwrap();
        let found = store.find_connection("example", " OPS").unwrap().unwrap();
        assert_eq!(
            (found.id.as_str(), found.nickname.as_str()),
            (c.id.as_str(), "Ops")
        );
        assert!(store.find_connection("slack", "ops").unwrap().is_none());
        let err = store
            .create_connection(conn("   "), Secrets::default())
            .await;
        assert!(matches!(err, Err(StoreError::Invalid(_))));
    }

    #[tokio::test]
    async fn rename_to_a_taken_nickname_changes_nothing() {
        let (_dir, store) = open_store();
        let a = conn("Alpha");
        store
            .create_connection(a.clone(), full_secrets("a"))
            .await
            .unwrap();
        store
            .create_connection(conn("Beta"), Secrets::default())
            .await
            .unwrap();
        let before = store.get_connection(&a.id).unwrap().unwrap();
        let err = store
            .update_connection(&a.id, |c, s| {
                c.nickname = "BETA".into();
                s.access_token = None;
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::DuplicateNickname { .. }), "{err}");
        assert_eq!(store.get_connection(&a.id).unwrap().unwrap(), before);
        let secrets = store.get_secrets(&a.id).unwrap().unwrap();
        assert_eq!(reveal(&secrets.access_token), "a-access");
        assert_eq!(
            store
                .find_connection("example", "alpha")
                .unwrap()
                .unwrap()
                .id,
            a.id
        );
    }

    #[tokio::test]
    async fn rename_frees_the_old_nickname() {
        let (_dir, store) = open_store();
        let a = conn("Old");
        store
            .create_connection(a.clone(), Secrets::default())
            .await
            .unwrap();
        let renamed = store
            .update_connection(&a.id, |c, _| {
                c.nickname = " New ".into();
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(renamed.nickname, "New");
        assert!(renamed.updated_at >= a.updated_at);
        assert!(store.find_connection("example", "old").unwrap().is_none());
        assert_eq!(
            store.find_connection("example", "new").unwrap().unwrap().id,
            a.id
        );
        store
            .create_connection(conn("old"), Secrets::default())
            .await
            .unwrap();
        // A change of case only keeps the same index entry.
        store
            .update_connection(&a.id, |c, _| {
                c.nickname = "NEW".into();
                Ok(())
            })
            .await
            .unwrap();
        assert_eq!(
            store
                .find_connection("example", "new")
                .unwrap()
                .unwrap()
                .nickname,
            "NEW"
        );
    }

    #[tokio::test]
    async fn update_refuses_changing_identity_and_missing_ids() {
        let (_dir, store) = open_store();
        let a = conn("Fixed");
        store
            .create_connection(a.clone(), Secrets::default())
            .await
            .unwrap();
        let err = store
            .update_connection(&a.id, |c, _| {
                c.connector = "slack".into();
                Ok(())
            })
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        let err = store
            .update_connection("nope", |_, _| Ok(()))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        let err = store.touch_last_used("nope").await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    }

    #[tokio::test]
    async fn touch_keeps_the_sealed_secrets_as_they_are() {
        let (_dir, store, raw) = open_raw();
        let a = conn("Touch");
        store
            .create_connection(a.clone(), full_secrets("t"))
            .await
            .unwrap();
        let read = |raw: &SledStore| {
            let bytes = raw.trees.connections.get(a.id.as_bytes()).unwrap().unwrap();
            decode_stored(&bytes, &a.id).unwrap()
        };
        let before = read(&raw);
        store.touch_last_used(&a.id).await.unwrap();
        let after = read(&raw);
        assert_eq!(before.sealed, after.sealed);
        assert!(after.conn.last_used_at.is_some());
        assert_eq!(after.conn.updated_at, before.conn.updated_at);
    }

    #[tokio::test]
    async fn delete_frees_the_nickname_and_removes_secrets() {
        let (_dir, store) = open_store();
        let a = conn("Gone");
        store
            .create_connection(a.clone(), full_secrets("g"))
            .await
            .unwrap();
        let removed = store.delete_connection(&a.id).await.unwrap().unwrap();
        assert_eq!(removed.id, a.id);
        assert!(store.get_connection(&a.id).unwrap().is_none());
        assert!(store.get_secrets(&a.id).unwrap().is_none());
        assert!(store.find_connection("example", "gone").unwrap().is_none());
        assert!(store.delete_connection(&a.id).await.unwrap().is_none());
        store
            .create_connection(conn("GONE"), Secrets::default())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn list_is_sorted_by_creation() {
        let (_dir, store) = open_store();
        let mut ids = Vec::new();
        for (i, name) in ["c", "a", "b"].iter().enumerate() {
            let mut c = conn(name);
            c.created_at = Utc::now() - chrono::Duration::minutes(10 - i as i64);
            ids.push(c.id.clone());
            store
                .create_connection(c, Secrets::default())
                .await
                .unwrap();
        }
        let listed: Vec<_> = store
            .list_connections()
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(listed, ids);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_updates_lose_nothing() {
        let (_dir, store) = open_store();
        let a = conn("Busy");
        store
            .create_connection(a.clone(), Secrets::default())
            .await
            .unwrap();
        let tasks: Vec<_> = (0..48)
            .map(|i| {
                let (store, id) = (store.clone(), a.id.clone());
                tokio::spawn(async move {
                    let scope = format!("scope-{i}");
                    store
                        .update_connection(&id, move |c, _| {
                            c.scopes.push(scope.clone());
                            Ok(())
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(
            store.get_connection(&a.id).unwrap().unwrap().scopes.len(),
            48
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_creates_of_one_nickname_store_one() {
        let (_dir, store, raw) = open_raw();
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let store = store.clone();
                let nickname = if i % 2 == 0 { "Race" } else { " race " };
                tokio::spawn(async move {
                    store
                        .create_connection(conn(nickname), Secrets::default())
                        .await
                })
            })
            .collect();
        let mut ok = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => ok += 1,
                Err(StoreError::DuplicateNickname { .. }) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(ok, 1);
        assert_eq!(store.list_connections().unwrap().len(), 1);
        assert_eq!(raw.trees.nicknames.len(), 1);
    }

    #[tokio::test]
    async fn a_sealed_value_moved_to_another_record_or_field_does_not_open() {
        let (_dir, store, raw) = open_raw();
        let (a, b) = (conn("A"), conn("B"));
        store
            .create_connection(a.clone(), full_secrets("a"))
            .await
            .unwrap();
        store
            .create_connection(b.clone(), full_secrets("b"))
            .await
            .unwrap();
        let tree = &raw.trees.connections;
        let read = |id: &str| decode_stored(&tree.get(id).unwrap().unwrap(), id).unwrap();
        let stolen: Sealed = read(&a.id).sealed[ACCESS_TOKEN].clone();
        // Into another record, same field.
        let mut victim = read(&b.id);
        victim.sealed.insert(ACCESS_TOKEN.into(), stolen.clone());
        tree.insert(b.id.as_bytes(), encode(&victim).unwrap())
            .unwrap();
        let err = store.get_secrets(&b.id).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
        assert!(!err.to_string().contains("a-access"));
        // Into another field of the same record.
        let mut same = read(&a.id);
        same.sealed.insert(SERVICE_ACCOUNT_TOKEN.into(), stolen);
        tree.insert(a.id.as_bytes(), encode(&same).unwrap())
            .unwrap();
        assert!(matches!(
            store.get_secrets(&a.id),
            Err(StoreError::Corrupt(_))
        ));
    }
}
