//! The storage traits: what the services ask of a store, one trait per area. [`SledStore`] (the
//! embedded default) implements them all; a second backend (say, a database shared by several hosts)
//! implements them too and is handed to [`Store::new`], without any service changing.
//!
//! The conventions every backend keeps:
//! - a method that changes something is `async` and returns only once the change is durable (sled:
//!   after [`StoreBase::flush`]); a read is synchronous;
//! - one call is one atomic change: a connection and its nickname index, a flow and its version, a
//!   run and its index entry, a card record and its component never disagree;
//! - a record that cannot be decoded never stops a listing, a prune or a delete: it is skipped, noted
//!   once in [`StoreBase::damaged`] (which `/healthz` counts) and deleted by key like any other;
//! - secrets are sealed (see [`super::crypto`]) before they leave the process;
//! - errors are [`StoreError`]s and never carry a secret.
//!
//! The traits are object safe: the services hold `Arc<dyn FlowStore>`, `Arc<dyn CardStore>` (or the
//! whole [`Store`]), so that neither they nor `App` are generic over the backend. That is why the
//! async methods go through `async_trait` (a boxed future per write, nothing next to a disk flush).
//!
//! [`SledStore`]: super::SledStore
//! [`Store::new`]: super::Store::new
//! [`Store`]: super::Store

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use zeroize::Zeroizing;

use super::crypto::KEY_LEN;
use super::model::{AppSettings, CardRecord, Connection, OAuthState, Secrets};
use super::{Damaged, StoreError};
use crate::connectors::ConnectorDefinition;
use crate::flows::model::{Flow, FlowRun};
use crate::triggers::model::{InboxEvent, TriggerState};

/// What every backend offers whatever it keeps.
#[async_trait]
pub trait StoreBase: Send + Sync {
    /// The data dir the host was started on (the key files live there).
    fn data_dir(&self) -> &Path;

    /// The records found damaged since the store was opened.
    fn damaged(&self) -> &Damaged;

    /// A 32-byte key for `label`'s own use (for example the MAC of the compiled-card cache), derived
    /// from the master key; the master key itself never leaves the store.
    fn derive_key(&self, label: &str) -> Zeroizing<[u8; KEY_LEN]>;

    /// Waits until everything written so far is durable.
    async fn flush(&self) -> Result<(), StoreError>;
}

/// A change to a connection, run inside [`ConnectionStore::update_connection`] (maybe more than once).
pub type ConnectionChange<'a> =
    dyn Fn(&mut Connection, &mut Secrets) -> Result<(), StoreError> + Send + Sync + 'a;

/// Connections, their secrets and the nickname index.
#[async_trait]
pub trait ConnectionStore: StoreBase {
    /// Stores a new connection and its secrets. Fails with `DuplicateNickname` (storing nothing) when
    /// the connector already has a connection of that nickname, ignoring case and surrounding spaces.
    async fn create_connection(&self, conn: Connection, secrets: Secrets)
        -> Result<(), StoreError>;

    /// The public record of a connection.
    fn get_connection(&self, id: &str) -> Result<Option<Connection>, StoreError>;

    /// The connection of `connector` with this nickname, ignoring case and surrounding spaces.
    fn find_connection(
        &self,
        connector: &str,
        nickname: &str,
    ) -> Result<Option<Connection>, StoreError>;

    /// All connections, oldest first; damaged ones are skipped.
    fn list_connections(&self) -> Result<Vec<Connection>, StoreError>;

    /// The unsealed secrets of a connection.
    fn get_secrets(&self, id: &str) -> Result<Option<Secrets>, StoreError>;

    /// Atomically reads, changes (with `change`) and writes a connection and its secrets. `change` may
    /// run more than once if another write races with it. The id, connector and creation time cannot
    /// change; a changed nickname is re-indexed (`DuplicateNickname` if taken, leaving everything as it
    /// was); `updated_at` and the `has_*` flags are set by the store. ([`super::Store`] takes any
    /// closure.)
    async fn update_connection(
        &self,
        id: &str,
        change: &ConnectionChange<'_>,
    ) -> Result<Connection, StoreError>;

    /// Records that a connection was just used, without touching its secrets.
    async fn touch_last_used(&self, id: &str) -> Result<(), StoreError>;

    /// Removes a connection with its secrets, its nickname and its pending OAuth states. Returns the
    /// removed record, or `None` if there was none.
    async fn delete_connection(&self, id: &str) -> Result<Option<Connection>, StoreError>;
}

/// Pending OAuth authorizations, keyed by their `state` (which the store never keeps in the clear).
#[async_trait]
pub trait OAuthStateStore: StoreBase {
    /// Stores a pending authorization under its `state` value. The connection must exist and belong to
    /// the same connector (`NotFound` / `Invalid` otherwise); a state already in use is `AlreadyExists`.
    async fn put_oauth_state(&self, state: &str, value: OAuthState) -> Result<(), StoreError>;

    /// Removes and returns the pending authorization of `state`: a second take gets `None`. An expired
    /// state is still returned; the caller checks `expires_at`.
    async fn take_oauth_state(&self, state: &str) -> Result<Option<OAuthState>, StoreError>;

    /// Removes the states that expired at or before `now`, and any that cannot be read; returns how
    /// many.
    async fn purge_expired_oauth_states(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;
}

/// App-level (organisation) settings per connector.
#[async_trait]
pub trait SettingsStore: StoreBase {
    /// The settings of `connector`, unsealed.
    fn get_app_settings(&self, connector: &str) -> Result<Option<AppSettings>, StoreError>;

    /// Replaces the settings of `settings.connector`; `updated_at` is set to now.
    async fn put_app_settings(&self, settings: AppSettings) -> Result<(), StoreError>;
}

/// Installed connector definitions (built-in ones ship in the binary).
#[async_trait]
pub trait ConnectorStore: StoreBase {
    /// Every installed connector definition. A record that does not decode
    /// is noted as damaged and left out.
    fn list_connector_definitions(&self) -> Result<Vec<ConnectorDefinition>, StoreError>;

    /// Stores (or replaces) an installed connector's definition.
    async fn put_connector_definition(
        &self,
        definition: &ConnectorDefinition,
    ) -> Result<(), StoreError>;

    /// Removes an installed connector's definition; whether it was there.
    async fn delete_connector_definition(&self, id: &str) -> Result<bool, StoreError>;
}

/// How many runs of a flow are kept, and for how long.
#[derive(Debug, Clone)]
pub struct Retention {
    pub max_runs: usize,
    pub max_age: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            max_runs: 1000,
            max_age: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// One page of a flow's runs, newest first.
#[derive(Debug, Clone, Default)]
pub struct RunPage {
    pub runs: Vec<FlowRun>,
    /// The run to pass as `after` for the next page, when there is one.
    pub next_after: Option<String>,
}

/// Flows (the current version of each, and every version) and their runs.
#[async_trait]
pub trait FlowStore: StoreBase {
    /// Saves a flow version, as the current one and in the version history.
    async fn put_flow(&self, flow: &Flow) -> Result<(), StoreError>;

    /// The current version of a flow. A damaged record is `Corrupt`.
    fn get_flow(&self, id: &str) -> Result<Option<Flow>, StoreError>;

    /// One version of a flow. A damaged record is `Corrupt`.
    fn get_flow_version(&self, id: &str, version: u32) -> Result<Option<Flow>, StoreError>;

    /// Every flow (current versions), oldest first; damaged ones are skipped.
    fn list_flows(&self) -> Result<Vec<Flow>, StoreError>;

    /// Removes a flow, its versions and its runs, by key (nothing is decoded, so damaged records go
    /// too). Whether the flow existed.
    async fn delete_flow(&self, id: &str) -> Result<bool, StoreError>;

    /// Saves a run, new or updated, and flushes it (concurrent flushes are shared).
    async fn put_run(&self, run: &FlowRun) -> Result<(), StoreError>;

    /// Writes a run, new or updated, without waiting for a flush: for a record a later
    /// [`FlowStore::put_run`] or [`StoreBase::flush`] makes durable (a run's progress between its
    /// start and its end). After a crash before that, the run is as last flushed, or absent.
    fn write_run(&self, run: &FlowRun) -> Result<(), StoreError>;

    /// A run by id. A damaged record is `Corrupt`.
    fn get_run(&self, run_id: &str) -> Result<Option<FlowRun>, StoreError>;

    /// Up to `limit` runs of a flow, newest first, starting after the run `after`; damaged runs are
    /// skipped. `None` when `after` is not a run of this flow.
    fn list_runs(
        &self,
        flow_id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Option<RunPage>, StoreError>;

    /// Drops a flow's runs beyond `retention` (position and age come from the keys; a run still
    /// `running` stays, a damaged one counts as finished). How many were dropped. Not flushed: a
    /// removal lost in a crash leaves a run the next prune drops.
    async fn prune(&self, flow_id: &str, retention: &Retention) -> Result<usize, StoreError>;

    /// Marks every run still `running` as `interrupted` (the host stopped under it); damaged runs are
    /// skipped. How many were marked.
    async fn mark_interrupted(&self) -> Result<usize, StoreError>;
}

/// The card catalogue: a record per card and the installed components, by hash.
#[async_trait]
pub trait CardStore: StoreBase {
    /// Every card record, by id; damaged ones are skipped.
    fn list_cards(&self) -> Result<Vec<CardRecord>, StoreError>;

    /// The component whose SHA-256 is `hash` (hex).
    fn get_component(&self, hash: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Saves a card record, with its component when given (built-in cards have none: they are inside
    /// the host binary), in one atomic change that also drops the component of the record it replaces
    /// when no other card uses it. Writers of one id are the caller's to order (the catalogue installs
    /// one card at a time).
    async fn put_card(
        &self,
        record: &CardRecord,
        component: Option<&[u8]>,
    ) -> Result<(), StoreError>;

    /// Removes a card record, with its component unless another card uses the same bytes. The removed
    /// record (`None` if there was none or it was damaged).
    async fn delete_card(&self, id: &str) -> Result<Option<CardRecord>, StoreError>;
}

/// Flow triggers (whether each is enabled, its secrets and subscription) and the inbox of provider
/// events acknowledged and not yet run.
#[async_trait]
pub trait TriggerStore: StoreBase {
    /// A flow's trigger state, secrets unsealed. A damaged record is `Corrupt`.
    fn get_trigger(&self, flow_id: &str) -> Result<Option<TriggerState>, StoreError>;

    /// Every trigger state; damaged ones are skipped.
    fn list_triggers(&self) -> Result<Vec<TriggerState>, StoreError>;

    /// Saves a flow's trigger state, with its subscription in the index.
    async fn put_trigger(&self, state: &TriggerState) -> Result<(), StoreError>;

    /// Removes a flow's trigger state and its subscription's index entry.
    async fn delete_trigger(&self, flow_id: &str) -> Result<(), StoreError>;

    /// The trigger whose subscription has this id.
    fn trigger_of_subscription(
        &self,
        subscription: &str,
    ) -> Result<Option<TriggerState>, StoreError>;

    /// Keeps the events whose key was not received before, durably, in one change; how many were new.
    async fn accept_events(&self, events: &[InboxEvent]) -> Result<usize, StoreError>;

    /// Up to `limit` events of the inbox, oldest first; one that cannot be decoded is noted and dropped.
    fn inbox(&self, limit: usize) -> Result<Vec<InboxEvent>, StoreError>;

    /// How many events wait in the inbox.
    fn inbox_len(&self) -> usize;

    /// Removes an event from the inbox (its key stays seen). Need not be durable at once: the caller
    /// makes taking an event twice harmless.
    async fn finish_event(&self, event: &InboxEvent) -> Result<(), StoreError>;

    /// Forgets the event keys first received before `before`; how many.
    async fn forget_seen_before(&self, before: DateTime<Utc>) -> Result<usize, StoreError>;
}

/// A whole backend: every area. The [`super::Store`] handle holds one.
pub trait Backend:
    ConnectionStore
    + OAuthStateStore
    + SettingsStore
    + ConnectorStore
    + FlowStore
    + CardStore
    + TriggerStore
{
}

impl<T> Backend for T where
    T: ConnectionStore
        + OAuthStateStore
        + SettingsStore
        + ConnectorStore
        + FlowStore
        + CardStore
        + TriggerStore
{
}
