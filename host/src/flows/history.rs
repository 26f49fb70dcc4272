//! Flows and their runs in sled: the current version of each flow, every
//! version kept, and runs kept newest first with a retention limit (count
//! and age per flow).

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

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, AppError> {
    serde_json::to_vec(v).map_err(|e| AppError::internal("encoding a record failed", e))
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes).map_err(|e| AppError::internal("a stored record is damaged", e))
}

fn tree(store: &Store, name: &str) -> Result<sled::Tree, AppError> {
    Ok(store.tree(name)?)
}

fn sled_err(e: sled::Error) -> AppError {
    AppError::internal("the store failed", e)
}

/// Key of a run: newest first within its flow.
fn run_key(flow_id: &str, started_at: DateTime<Utc>, run_id: &str) -> Vec<u8> {
    let micros = started_at.timestamp_micros().max(0) as u64;
    format!("{flow_id}/{:020}/{run_id}", u64::MAX - micros).into_bytes()
}

/// Save a flow version (as the current one, and in the version history).
pub async fn put_flow(store: &Store, flow: &Flow) -> Result<(), AppError> {
    let bytes = encode(flow)?;
    tree(store, FLOWS)?
        .insert(flow.id.as_bytes(), bytes.clone())
        .map_err(sled_err)?;
    tree(store, FLOW_VERSIONS)?
        .insert(
            format!("{}/{:010}", flow.id, flow.version).as_bytes(),
            bytes,
        )
        .map_err(sled_err)?;
    Ok(store.flush().await?)
}

/// The current version of a flow.
pub fn get_flow(store: &Store, id: &str) -> Result<Option<Flow>, AppError> {
    tree(store, FLOWS)?
        .get(id.as_bytes())
        .map_err(sled_err)?
        .map(|b| decode(&b))
        .transpose()
}

/// One version of a flow.
pub fn get_flow_version(store: &Store, id: &str, version: u32) -> Result<Option<Flow>, AppError> {
    tree(store, FLOW_VERSIONS)?
        .get(format!("{id}/{version:010}").as_bytes())
        .map_err(sled_err)?
        .map(|b| decode(&b))
        .transpose()
}

/// Every flow, current versions.
pub fn list_flows(store: &Store) -> Result<Vec<Flow>, AppError> {
    let mut flows: Vec<Flow> = tree(store, FLOWS)?
        .iter()
        .values()
        .map(|v| decode(&v.map_err(sled_err)?))
        .collect::<Result<_, _>>()?;
    flows.sort_by_key(|f| f.created_at);
    Ok(flows)
}

/// Remove a flow, its versions and its runs.
pub async fn delete_flow(store: &Store, id: &str) -> Result<bool, AppError> {
    let existed = tree(store, FLOWS)?
        .remove(id.as_bytes())
        .map_err(sled_err)?
        .is_some();
    let prefix = format!("{id}/");
    let versions = tree(store, FLOW_VERSIONS)?;
    for key in versions.scan_prefix(prefix.as_bytes()).keys() {
        versions.remove(key.map_err(sled_err)?).map_err(sled_err)?;
    }
    let runs = tree(store, RUNS)?;
    let index = tree(store, RUN_INDEX)?;
    for item in runs.scan_prefix(prefix.as_bytes()) {
        let (key, value) = item.map_err(sled_err)?;
        let run: FlowRun = decode(&value)?;
        index.remove(run.id.as_bytes()).map_err(sled_err)?;
        runs.remove(key).map_err(sled_err)?;
    }
    store.flush().await?;
    Ok(existed)
}

/// Save a run (new or updated).
pub async fn put_run(store: &Store, run: &FlowRun) -> Result<(), AppError> {
    let key = run_key(&run.flow_id, run.started_at, &run.id);
    tree(store, RUNS)?
        .insert(&key, encode(run)?)
        .map_err(sled_err)?;
    tree(store, RUN_INDEX)?
        .insert(run.id.as_bytes(), key)
        .map_err(sled_err)?;
    Ok(store.flush().await?)
}

/// A run by id.
pub fn get_run(store: &Store, run_id: &str) -> Result<Option<FlowRun>, AppError> {
    let Some(key) = tree(store, RUN_INDEX)?
        .get(run_id.as_bytes())
        .map_err(sled_err)?
    else {
        return Ok(None);
    };
    tree(store, RUNS)?
        .get(key)
        .map_err(sled_err)?
        .map(|b| decode(&b))
        .transpose()
}

/// A page of a flow's runs, newest first, starting after the run `after`.
pub fn list_runs(
    store: &Store,
    flow_id: &str,
    limit: usize,
    after: Option<&str>,
) -> Result<(Vec<FlowRun>, Option<String>), AppError> {
    let runs = tree(store, RUNS)?;
    let prefix = format!("{flow_id}/");
    let start = match after {
        Some(run_id) => match tree(store, RUN_INDEX)?
            .get(run_id.as_bytes())
            .map_err(sled_err)?
        {
            Some(k) => {
                let mut k = k.to_vec();
                k.push(0);
                k
            }
            None => {
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
        page.push(decode::<FlowRun>(&value)?);
    }
    let next = if more {
        page.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok((page, next))
}

/// Drop a flow's runs beyond the retention limits.
pub async fn prune(store: &Store, flow_id: &str, retention: &Retention) -> Result<usize, AppError> {
    let runs = tree(store, RUNS)?;
    let index = tree(store, RUN_INDEX)?;
    let oldest =
        Utc::now() - chrono::Duration::from_std(retention.max_age).unwrap_or(chrono::Duration::MAX);
    let mut removed = 0;
    for (n, item) in runs
        .scan_prefix(format!("{flow_id}/").as_bytes())
        .enumerate()
    {
        let (key, value) = item.map_err(sled_err)?;
        let run: FlowRun = decode(&value)?;
        let finished = run.status != RunStatus::Running;
        if finished && (n >= retention.max_runs || run.started_at < oldest) {
            runs.remove(&key).map_err(sled_err)?;
            index.remove(run.id.as_bytes()).map_err(sled_err)?;
            removed += 1;
        }
    }
    if removed > 0 {
        store.flush().await?;
    }
    Ok(removed)
}

/// Mark every run still `running` as `interrupted`: the host stopped under it.
pub async fn mark_interrupted(store: &Store) -> Result<usize, AppError> {
    let runs = tree(store, RUNS)?;
    let mut marked = 0;
    for item in runs.iter() {
        let (key, value) = item.map_err(sled_err)?;
        let mut run: FlowRun = decode(&value)?;
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
        store.flush().await?;
    }
    Ok(marked)
}
