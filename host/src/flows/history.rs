//! Flows and their runs in sled: the current version of each flow, every
//! version kept, and runs kept newest first with a retention limit (count
//! and age per flow).
//!
//! One record that cannot be decoded never stops the host: starting,
//! listing, pruning and deleting skip it, log it once with its key and count
//! it (see [`crate::store::Damaged`], shown by `/healthz`). Deleting and pruning work from
//! the keys, so a damaged run is removed like any other.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::model::{Flow, FlowRun, RunStatus};
use crate::error::AppError;
use crate::store::Store;

const FLOWS: &str = "flows";
const FLOW_VERSIONS: &str = "flow_versions";
const RUNS: &str = "flow_runs";
const RUN_INDEX: &str = "flow_run_index";

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

/// The flows and runs of one store.
#[derive(Clone)]
pub struct History {
    store: Arc<Store>,
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(v).map_err(|e| AppError::internal("encoding a record failed", e))
}

fn sled_err(e: sled::Error) -> AppError {
    AppError::internal("the store failed", e)
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

impl History {
    /// The history kept in `store`.
    pub fn new(store: Arc<Store>) -> History {
        History { store }
    }

    fn tree(&self, name: &str) -> Result<sled::Tree, AppError> {
        Ok(self.store.tree(name)?)
    }

    /// Decode a record of `tree`, or note it as damaged.
    fn decode<T: DeserializeOwned>(&self, tree: &str, key: &[u8], bytes: &[u8]) -> Option<T> {
        match serde_json::from_slice(bytes) {
            Ok(v) => Some(v),
            Err(e) => {
                self.store.damaged().note(tree, key, &e);
                None
            }
        }
    }

    /// Decode one record asked for by key: a damaged one is an error.
    fn decode_one<T: DeserializeOwned>(
        &self,
        tree: &str,
        key: &[u8],
        bytes: &[u8],
    ) -> Result<T, AppError> {
        self.decode(tree, key, bytes).ok_or_else(|| {
            AppError::internal(
                "a stored record is damaged",
                format!("{tree} {}", String::from_utf8_lossy(key)),
            )
        })
    }

    /// Save a flow version (as the current one, and in the version history).
    pub async fn put_flow(&self, flow: &Flow) -> Result<(), AppError> {
        let bytes = encode(flow)?;
        self.tree(FLOWS)?
            .insert(flow.id.as_bytes(), bytes.clone())
            .map_err(sled_err)?;
        self.tree(FLOW_VERSIONS)?
            .insert(
                format!("{}/{:010}", flow.id, flow.version).as_bytes(),
                bytes,
            )
            .map_err(sled_err)?;
        Ok(self.store.flush().await?)
    }

    /// The current version of a flow.
    pub fn get_flow(&self, id: &str) -> Result<Option<Flow>, AppError> {
        self.tree(FLOWS)?
            .get(id.as_bytes())
            .map_err(sled_err)?
            .map(|b| self.decode_one(FLOWS, id.as_bytes(), &b))
            .transpose()
    }

    /// One version of a flow.
    pub fn get_flow_version(&self, id: &str, version: u32) -> Result<Option<Flow>, AppError> {
        let key = format!("{id}/{version:010}");
        self.tree(FLOW_VERSIONS)?
            .get(key.as_bytes())
            .map_err(sled_err)?
            .map(|b| self.decode_one(FLOW_VERSIONS, key.as_bytes(), &b))
            .transpose()
    }

    /// Every flow, current versions; damaged ones are skipped.
    pub fn list_flows(&self) -> Result<Vec<Flow>, AppError> {
        let mut flows = Vec::new();
        for item in self.tree(FLOWS)?.iter() {
            let (key, value) = item.map_err(sled_err)?;
            flows.extend(self.decode::<Flow>(FLOWS, &key, &value));
        }
        flows.sort_by_key(|f| f.created_at);
        Ok(flows)
    }

    /// Remove a flow, its versions and its runs, by key: nothing is decoded.
    pub async fn delete_flow(&self, id: &str) -> Result<bool, AppError> {
        let existed = self
            .tree(FLOWS)?
            .remove(id.as_bytes())
            .map_err(sled_err)?
            .is_some();
        self.store.damaged().forget(FLOWS, id.as_bytes());
        let prefix = format!("{id}/");
        let versions = self.tree(FLOW_VERSIONS)?;
        for key in versions.scan_prefix(prefix.as_bytes()).keys() {
            let key = key.map_err(sled_err)?;
            versions.remove(&key).map_err(sled_err)?;
            self.store.damaged().forget(FLOW_VERSIONS, &key);
        }
        let runs = self.tree(RUNS)?;
        for key in runs.scan_prefix(prefix.as_bytes()).keys() {
            self.remove_run(&runs, &key.map_err(sled_err)?)?;
        }
        self.store.flush().await?;
        Ok(existed)
    }

    /// Remove the run at `key` and its index entry.
    fn remove_run(&self, runs: &sled::Tree, key: &[u8]) -> Result<(), AppError> {
        if let Some(run_id) = run_id_of(key) {
            self.tree(RUN_INDEX)?
                .remove(run_id.as_bytes())
                .map_err(sled_err)?;
        }
        runs.remove(key).map_err(sled_err)?;
        self.store.damaged().forget(RUNS, key);
        Ok(())
    }

    /// Save a run (new or updated).
    pub async fn put_run(&self, run: &FlowRun) -> Result<(), AppError> {
        let key = run_key(&run.flow_id, run.started_at, &run.id);
        self.tree(RUNS)?
            .insert(&key, encode(run)?)
            .map_err(sled_err)?;
        self.tree(RUN_INDEX)?
            .insert(run.id.as_bytes(), key)
            .map_err(sled_err)?;
        Ok(self.store.flush().await?)
    }

    /// A run by id.
    pub fn get_run(&self, run_id: &str) -> Result<Option<FlowRun>, AppError> {
        let Some(key) = self
            .tree(RUN_INDEX)?
            .get(run_id.as_bytes())
            .map_err(sled_err)?
        else {
            return Ok(None);
        };
        self.tree(RUNS)?
            .get(&key)
            .map_err(sled_err)?
            .map(|b| self.decode_one(RUNS, &key, &b))
            .transpose()
    }

    /// A page of a flow's runs, newest first, starting after the run
    /// `after`; damaged runs are skipped.
    pub fn list_runs(
        &self,
        flow_id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<FlowRun>, Option<String>), AppError> {
        let runs = self.tree(RUNS)?;
        let prefix = format!("{flow_id}/");
        let start = match after {
            Some(run_id) => match self
                .tree(RUN_INDEX)?
                .get(run_id.as_bytes())
                .map_err(sled_err)?
            {
                Some(k) if k.starts_with(prefix.as_bytes()) => {
                    let mut k = k.to_vec();
                    k.push(0);
                    k
                }
                _ => {
                    return Err(AppError::invalid(
                        "after",
                        format!("no run {run_id:?} in this flow's history"),
                    ))
                }
            },
            None => prefix.clone().into_bytes(),
        };
        let mut page = Vec::new();
        let mut more = false;
        for item in runs.range(start..) {
            let (key, value) = item.map_err(sled_err)?;
            if !key.starts_with(prefix.as_bytes()) {
                break;
            }
            if page.len() == limit {
                more = true;
                break;
            }
            page.extend(self.decode::<FlowRun>(RUNS, &key, &value));
        }
        let next = if more {
            page.last().map(|r| r.id.clone())
        } else {
            None
        };
        Ok((page, next))
    }

    /// Drop a flow's runs beyond the retention limits. Position and age come
    /// from the keys; a damaged run counts as finished.
    pub async fn prune(&self, flow_id: &str, retention: &Retention) -> Result<usize, AppError> {
        let runs = self.tree(RUNS)?;
        let oldest = Utc::now()
            - chrono::Duration::from_std(retention.max_age).unwrap_or(chrono::Duration::MAX);
        let mut removed = 0;
        for (n, item) in runs
            .scan_prefix(format!("{flow_id}/").as_bytes())
            .enumerate()
        {
            let (key, value) = item.map_err(sled_err)?;
            let started_at = started_at_of(&key);
            let expired = n >= retention.max_runs || started_at.is_some_and(|at| at < oldest);
            if !expired {
                continue;
            }
            let running = self
                .decode::<FlowRun>(RUNS, &key, &value)
                .is_some_and(|r| r.status == RunStatus::Running);
            if !running {
                self.remove_run(&runs, &key)?;
                removed += 1;
            }
        }
        if removed > 0 {
            self.store.flush().await?;
        }
        Ok(removed)
    }

    /// Mark every run still `running` as `interrupted`: the host stopped
    /// under it. Damaged runs are skipped.
    pub async fn mark_interrupted(&self) -> Result<usize, AppError> {
        let runs = self.tree(RUNS)?;
        let mut marked = 0;
        for item in runs.iter() {
            let (key, value) = item.map_err(sled_err)?;
            let Some(mut run) = self.decode::<FlowRun>(RUNS, &key, &value) else {
                continue;
            };
            if run.status == RunStatus::Running {
                let now = Utc::now();
                run.status = RunStatus::Interrupted;
                run.ended_at = Some(now);
                run.duration_ms = Some((now - run.started_at).num_milliseconds() as f64);
                runs.insert(key, encode(&run)?).map_err(sled_err)?;
                marked += 1;
            }
        }
        if marked > 0 {
            self.store.flush().await?;
        }
        Ok(marked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_keys_give_back_their_time_and_id() {
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap();
        let key = run_key("flow-1", at, "run-9");
        assert_eq!(started_at_of(&key), Some(at));
        assert_eq!(run_id_of(&key), Some("run-9"));
        assert_eq!(started_at_of(b"flow-1/not-a-number/run"), None);
        assert_eq!(run_id_of(b"flow-1/not-a-number/run"), Some("run"));
    }
}
