//! Flows and their runs in sled: the current version of each flow (`flows`), every version kept
//! (`flow_versions`), runs kept newest first within their flow (`flow_runs`) and an index from run id to
//! run key (`flow_run_index`).
//!
//! One record that cannot be decoded never stops the host: starting, listing, pruning and deleting
//! skip it, note it once (see [`super::Damaged`]) and go on. Deleting and pruning work from the keys,
//! so a damaged run is removed like any other.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sled::Transactional;

use super::backend::{FlowStore, Retention, RunPage, StoreBase};
use super::{encode, SledStore, StoreError};
use crate::flows::model::{Flow, FlowRun, RunStatus};

/// The current version of each flow.
pub const FLOWS_TREE: &str = "flows";
/// Every version of each flow.
pub const VERSIONS_TREE: &str = "flow_versions";
/// The runs.
pub const RUNS_TREE: &str = "flow_runs";
/// Run id -> run key.
pub const RUN_INDEX_TREE: &str = "flow_run_index";

/// Key of a flow version.
fn version_key(flow_id: &str, version: u32) -> Vec<u8> {
    format!("{flow_id}/{version:010}").into_bytes()
}

/// Key of a run: newest first within its flow.
fn run_key(flow_id: &str, started_at: DateTime<Utc>, run_id: &str) -> Vec<u8> {
    let micros = started_at.timestamp_micros().max(0) as u64;
    format!("{flow_id}/{:020}/{run_id}", u64::MAX - micros).into_bytes()
}

/// The run id a run key ends with.
fn run_id_of(key: &[u8]) -> Option<&str> {
    std::str::from_utf8(key).ok()?.rsplit('/').next()
}

/// When the run a key names started.
fn started_at_of(key: &[u8]) -> Option<DateTime<Utc>> {
    let text = std::str::from_utf8(key).ok()?;
    let inverted: u64 = text.rsplit('/').nth(1)?.parse().ok()?;
    DateTime::from_timestamp_micros(i64::try_from(u64::MAX - inverted).ok()?)
}

/// The prefix of every key of a flow's versions and runs.
fn flow_prefix(flow_id: &str) -> Vec<u8> {
    format!("{flow_id}/").into_bytes()
}

#[async_trait]
impl FlowStore for SledStore {
    async fn put_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        let bytes = encode(flow)?;
        let version = version_key(&flow.id, flow.version);
        (&self.trees.flows, &self.trees.flow_versions).transaction(|(flows, versions)| {
            flows.insert(flow.id.as_bytes(), bytes.as_slice())?;
            versions.insert(version.as_slice(), bytes.as_slice())?;
            Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(())
        })?;
        self.flush().await
    }

    fn get_flow(&self, id: &str) -> Result<Option<Flow>, StoreError> {
        self.trees
            .flows
            .get(id.as_bytes())?
            .map(|b| self.decode_one(FLOWS_TREE, id.as_bytes(), &b))
            .transpose()
    }

    fn get_flow_version(&self, id: &str, version: u32) -> Result<Option<Flow>, StoreError> {
        let key = version_key(id, version);
        self.trees
            .flow_versions
            .get(&key)?
            .map(|b| self.decode_one(VERSIONS_TREE, &key, &b))
            .transpose()
    }

    fn list_flows(&self) -> Result<Vec<Flow>, StoreError> {
        let mut flows = Vec::new();
        for item in self.trees.flows.iter() {
            let (key, value) = item?;
            flows.extend(self.decode_or_note::<Flow>(FLOWS_TREE, &key, &value));
        }
        flows.sort_by_key(|f| f.created_at);
        Ok(flows)
    }

    async fn delete_flow(&self, id: &str) -> Result<bool, StoreError> {
        let existed = self.trees.flows.remove(id.as_bytes())?.is_some();
        self.damaged.forget(FLOWS_TREE, id.as_bytes());
        let prefix = flow_prefix(id);
        for key in self.trees.flow_versions.scan_prefix(&prefix).keys() {
            let key = key?;
            self.trees.flow_versions.remove(&key)?;
            self.damaged.forget(VERSIONS_TREE, &key);
        }
        {
            let mut counts = self.run_counts.lock();
            for key in self.trees.flow_runs.scan_prefix(&prefix).keys() {
                self.remove_run_uncounted(&key?)?;
            }
            counts.remove(id);
        }
        self.flush().await?;
        Ok(existed)
    }

    async fn put_run(&self, run: &FlowRun) -> Result<(), StoreError> {
        self.write_run(run)?;
        self.flush().await
    }

    fn write_run(&self, run: &FlowRun) -> Result<(), StoreError> {
        let key = run_key(&run.flow_id, run.started_at, &run.id);
        let bytes = encode(run)?;
        // Under the counts' lock, so that a prune never sees a run its count misses.
        let mut counts = self.run_counts.lock();
        if self.trees.flow_run_index.get(run.id.as_bytes())?.as_deref() == Some(key.as_slice()) {
            // An update: the index already names this key, so a plain insert does; a sled
            // transaction costs more (its concurrency control, a batch marker in the log).
            self.trees
                .flow_runs
                .insert(key.as_slice(), bytes.as_slice())?;
            return Ok(());
        }
        let new =
            (&self.trees.flow_runs, &self.trees.flow_run_index).transaction(|(runs, index)| {
                runs.insert(key.as_slice(), bytes.as_slice())?;
                let before = index.insert(run.id.as_bytes(), key.as_slice())?;
                Ok::<_, sled::transaction::ConflictableTransactionError<StoreError>>(
                    before.is_none(),
                )
            })?;
        if let (true, Some(n)) = (new, counts.get_mut(&run.flow_id)) {
            *n += 1;
        }
        Ok(())
    }

    fn get_run(&self, run_id: &str) -> Result<Option<FlowRun>, StoreError> {
        let Some(key) = self.trees.flow_run_index.get(run_id.as_bytes())? else {
            return Ok(None);
        };
        self.trees
            .flow_runs
            .get(&key)?
            .map(|b| self.decode_one(RUNS_TREE, &key, &b))
            .transpose()
    }

    fn list_runs(
        &self,
        flow_id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Option<RunPage>, StoreError> {
        let prefix = flow_prefix(flow_id);
        let start = match after {
            Some(run_id) => match self.trees.flow_run_index.get(run_id.as_bytes())? {
                Some(k) if k.starts_with(&prefix) => {
                    let mut k = k.to_vec();
                    k.push(0);
                    k
                }
                _ => return Ok(None),
            },
            None => prefix.clone(),
        };
        let mut page = RunPage::default();
        let mut more = false;
        for item in self.trees.flow_runs.range(start..) {
            let (key, value) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            if page.runs.len() == limit {
                more = true;
                break;
            }
            page.runs
                .extend(self.decode_or_note::<FlowRun>(RUNS_TREE, &key, &value));
        }
        if more {
            page.next_after = page.runs.last().map(|r| r.id.clone());
        }
        Ok(Some(page))
    }

    async fn prune(&self, flow_id: &str, retention: &Retention) -> Result<usize, StoreError> {
        let oldest = Utc::now()
            - chrono::Duration::from_std(retention.max_age).unwrap_or(chrono::Duration::MAX);
        let prefix = flow_prefix(flow_id);
        let mut counts = self.run_counts.lock();
        let total = match counts.get(flow_id) {
            Some(n) => *n,
            None => self.trees.flow_runs.scan_prefix(&prefix).count(),
        };
        // Runs are newest first: walk them from the oldest, which is `total - 1` from the newest,
        // while they are past the count or past their age.
        let over = total.saturating_sub(retention.max_runs);
        let mut removed = 0;
        for (j, item) in self.trees.flow_runs.scan_prefix(&prefix).rev().enumerate() {
            let (key, value) = item?;
            let too_old = started_at_of(&key).is_some_and(|at| at < oldest);
            if j >= over && !too_old {
                break;
            }
            let running = self
                .decode_or_note::<FlowRun>(RUNS_TREE, &key, &value)
                .is_some_and(|r| r.status == RunStatus::Running);
            if !running {
                self.remove_run_uncounted(&key)?;
                removed += 1;
            }
        }
        counts.insert(flow_id.to_string(), total - removed);
        Ok(removed)
    }

    async fn mark_interrupted(&self) -> Result<usize, StoreError> {
        let mut marked = 0;
        for item in self.trees.flow_runs.iter() {
            let (key, value) = item?;
            let Some(mut run) = self.decode_or_note::<FlowRun>(RUNS_TREE, &key, &value) else {
                continue;
            };
            if run.status == RunStatus::Running {
                let now = Utc::now();
                run.status = RunStatus::Interrupted;
                run.ended_at = Some(now);
                run.duration_ms = Some((now - run.started_at).num_milliseconds() as f64);
                self.trees.flow_runs.insert(key, encode(&run)?)?;
                marked += 1;
            }
        }
        if marked > 0 {
            self.flush().await?;
        }
        Ok(marked)
    }
}

/// How many runs each flow has, for the flows pruned since the start, so that a prune walks only
/// the runs it drops (from the oldest end) instead of every run. Exact: set by a prune and
/// followed by every new run under the same lock; a flow not yet pruned has no entry, and its
/// first prune counts its runs.
#[derive(Default)]
pub(super) struct RunCounts(std::sync::Mutex<std::collections::HashMap<String, usize>>);

impl RunCounts {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, usize>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl SledStore {
    /// Removes the run at `key` and its index entry, by key, without counting it (the caller
    /// recounts, or forgets the flow's count); the caller flushes.
    fn remove_run_uncounted(&self, key: &[u8]) -> Result<(), StoreError> {
        if let Some(run_id) = run_id_of(key) {
            self.trees.flow_run_index.remove(run_id.as_bytes())?;
        }
        self.trees.flow_runs.remove(key)?;
        self.damaged.forget(RUNS_TREE, key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{flow, open_raw};
    use super::*;

    fn run(flow: &Flow, minutes_ago: i64, status: RunStatus) -> FlowRun {
        FlowRun {
            id: uuid::Uuid::new_v4().to_string(),
            flow_id: flow.id.clone(),
            flow_version: flow.version,
            status,
            started_at: Utc::now() - chrono::Duration::minutes(minutes_ago),
            ended_at: None,
            duration_ms: None,
            trigger: None,
            input: serde_json::json!({}),
            steps: Vec::new(),
            error: None,
            output: None,
        }
    }

    #[test]
    fn run_keys_give_back_their_time_and_id() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let key = run_key("flow-1", at, "run-9");
        assert_eq!(started_at_of(&key), Some(at));
        assert_eq!(run_id_of(&key), Some("run-9"));
        assert_eq!(started_at_of(b"flow-1/not-a-number/run"), None);
        assert_eq!(run_id_of(b"flow-1/not-a-number/run"), Some("run"));
    }

    #[tokio::test]
    async fn versions_are_kept_and_the_current_one_is_the_last_put() {
        let (_dir, store, raw) = open_raw();
        let mut f = flow("Versions");
        store.put_flow(&f).await.unwrap();
        f.version = 2;
        f.definition.name = "Versions, again".into();
        store.put_flow(&f).await.unwrap();
        assert_eq!(store.get_flow(&f.id).unwrap().unwrap(), f);
        let v1 = store.get_flow_version(&f.id, 1).unwrap().unwrap();
        assert_eq!(v1.definition.name, "Versions");
        assert!(store.get_flow_version(&f.id, 3).unwrap().is_none());
        assert!(store.get_flow("missing").unwrap().is_none());
        // The layout of earlier hosts: the keys, and the JSON of the record as it is.
        let key = format!("{}/0000000002", f.id);
        let stored = raw.trees.flow_versions.get(key).unwrap().unwrap();
        assert_eq!(stored.as_ref(), serde_json::to_vec(&f).unwrap().as_slice());
    }

    #[tokio::test]
    async fn damaged_flows_and_runs_are_skipped_counted_and_deleted_by_key() {
        let (_dir, store, raw) = open_raw();
        let f = flow("Fine");
        store.put_flow(&f).await.unwrap();
        let fine = run(&f, 1, RunStatus::Succeeded);
        store.put_run(&fine).await.unwrap();
        raw.trees
            .flows
            .insert("broken", &b"{\"id\": ["[..])
            .unwrap();
        let damaged_key = format!("{}/{:020}/damaged-run", f.id, 1);
        raw.trees
            .flow_runs
            .insert(damaged_key.as_bytes(), &b"not json"[..])
            .unwrap();
        raw.trees
            .flow_run_index
            .insert("damaged-run", damaged_key.as_bytes())
            .unwrap();
        for _ in 0..2 {
            assert_eq!(store.list_flows().unwrap().len(), 1);
            let page = store.list_runs(&f.id, 10, None).unwrap().unwrap();
            assert_eq!(page.runs.len(), 1);
            assert_eq!(page.runs[0].id, fine.id);
        }
        assert_eq!(store.damaged().count(), 2);
        let err = store.get_run("damaged-run").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
        assert!(matches!(
            store.get_flow("broken"),
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(store.mark_interrupted().await.unwrap(), 0);

        assert!(store.delete_flow(&f.id).await.unwrap());
        assert_eq!(raw.trees.flow_runs.len(), 0);
        assert_eq!(raw.trees.flow_run_index.len(), 0);
        assert_eq!(raw.trees.flow_versions.len(), 0);
        assert_eq!(store.damaged().count(), 1, "only the broken flow is left");
        assert!(store.delete_flow("broken").await.unwrap());
        assert_eq!(store.damaged().count(), 0);
        assert!(!store.delete_flow("broken").await.unwrap());
    }

    #[tokio::test]
    async fn runs_page_newest_first() {
        let (_dir, store, _raw) = open_raw();
        let (f, other) = (flow("Paged"), flow("Other"));
        let runs: Vec<FlowRun> = (0..5)
            .map(|i| run(&f, 10 - i, RunStatus::Succeeded))
            .collect();
        for r in &runs {
            store.put_run(r).await.unwrap();
        }
        store
            .put_run(&run(&other, 0, RunStatus::Succeeded))
            .await
            .unwrap();
        let page = store.list_runs(&f.id, 2, None).unwrap().unwrap();
        let ids: Vec<_> = page.runs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, [runs[4].id.as_str(), runs[3].id.as_str()]);
        let after = page.next_after.unwrap();
        let page = store.list_runs(&f.id, 2, Some(&after)).unwrap().unwrap();
        assert_eq!(page.runs[0].id, runs[2].id);
        let page = store
            .list_runs(&f.id, 2, page.next_after.as_deref())
            .unwrap()
            .unwrap();
        assert_eq!(page.runs.len(), 1);
        assert!(page.next_after.is_none());
        assert!(store.list_runs(&f.id, 2, Some("nope")).unwrap().is_none());
        let foreign = store.list_runs(&other.id, 1, None).unwrap().unwrap();
        let foreign = &foreign.runs[0].id;
        assert!(store.list_runs(&f.id, 2, Some(foreign)).unwrap().is_none());
    }

    #[tokio::test]
    async fn prune_keeps_the_newest_and_the_running_and_drops_the_old() {
        let (_dir, store, raw) = open_raw();
        let f = flow("Pruned");
        let old_running = run(&f, 60 * 24 * 40, RunStatus::Running);
        let old = run(&f, 60 * 24 * 40, RunStatus::Failed);
        let recent: Vec<FlowRun> = (0..4)
            .map(|i| run(&f, 10 - i, RunStatus::Succeeded))
            .collect();
        for r in recent.iter().chain([&old, &old_running]) {
            store.put_run(r).await.unwrap();
        }
        let damaged_key = format!("{}/{:020}/damaged-run", f.id, u64::MAX - 1);
        raw.trees
            .flow_runs
            .insert(damaged_key.as_bytes(), &b"not json"[..])
            .unwrap();
        let retention = Retention {
            max_runs: 3,
            max_age: std::time::Duration::from_secs(30 * 24 * 3600),
        };
        // Beyond the count: the oldest recent one, the old one and the damaged one; the running one stays.
        assert_eq!(store.prune(&f.id, &retention).await.unwrap(), 3);
        let page = store.list_runs(&f.id, 10, None).unwrap().unwrap();
        let kept: Vec<&str> = page.runs.iter().map(|r| r.id.as_str()).collect();
        let newest = [&recent[3], &recent[2], &recent[1], &old_running];
        assert_eq!(kept, newest.map(|r| r.id.as_str()));
        assert!(store.get_run(&old.id).unwrap().is_none());
        assert_eq!(store.damaged().count(), 0, "the damaged run went by key");
        assert_eq!(store.prune(&f.id, &retention).await.unwrap(), 0);
        assert_eq!(store.mark_interrupted().await.unwrap(), 1);
        let interrupted = store.get_run(&old_running.id).unwrap().unwrap();
        assert_eq!(interrupted.status, RunStatus::Interrupted);
        assert!(interrupted.ended_at.is_some());
        assert_eq!(store.prune(&f.id, &retention).await.unwrap(), 1);
    }

    /// After a first prune the store counts a flow's runs: new runs count once (an update of a run
    /// does not count again), and the count still drops runs past the limit or past their age.
    #[tokio::test]
    async fn prunes_after_the_first_follow_the_count_and_the_oldest_age() {
        let (_dir, store, _raw) = open_raw();
        let f = flow("Counted");
        let retention = Retention {
            max_runs: 3,
            max_age: std::time::Duration::from_secs(3600),
        };
        let ids = |store: &super::super::Store| -> Vec<String> {
            let page = store.list_runs(&f.id, 10, None).unwrap().unwrap();
            page.runs.into_iter().map(|r| r.id).collect()
        };
        let mut first = run(&f, 10, RunStatus::Running);
        store.put_run(&first).await.unwrap();
        assert_eq!(store.prune(&f.id, &retention).await.unwrap(), 0);
        first.status = RunStatus::Succeeded;
        store.put_run(&first).await.unwrap();
        let later: Vec<FlowRun> = (0..3)
            .map(|i| run(&f, 9 - i, RunStatus::Succeeded))
            .collect();
        for (i, r) in later.iter().enumerate() {
            store.put_run(r).await.unwrap();
            let dropped = store.prune(&f.id, &retention).await.unwrap();
            assert_eq!(
                dropped,
                usize::from(i == 2),
                "run {i}: only the fourth run overflows"
            );
        }
        assert_eq!(
            ids(&store),
            later.iter().rev().map(|r| r.id.clone()).collect::<Vec<_>>()
        );
        // Within the count, but the oldest is past its age.
        let stale = Retention {
            max_runs: 3,
            max_age: std::time::Duration::from_secs(8 * 60 + 30),
        };
        assert_eq!(store.prune(&f.id, &stale).await.unwrap(), 1);
        assert_eq!(ids(&store).len(), 2);
        store.delete_flow(&f.id).await.unwrap();
        store
            .put_run(&run(&f, 1, RunStatus::Succeeded))
            .await
            .unwrap();
        assert_eq!(store.prune(&f.id, &retention).await.unwrap(), 0);
        assert_eq!(ids(&store).len(), 1, "a deleted flow's count went with it");
    }
}
