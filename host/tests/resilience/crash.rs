//! Crash rounds: clients write connections, flows, flow updates and flow
//! runs to a `cardhost serve` child at the same time; the child is killed
//! with SIGKILL at a random moment and started again on the same data dir.
//! Every write the API acknowledged (2xx) must be there afterwards, whole:
//! checked in the stopped data dir (no flow version, nickname or run index
//! entry without its record; secrets unsealed with the master key to the
//! tokens the client sent; every flow version present) and through the
//! restarted host (each connection's tokens proven at the fake Asana by its
//! `test` endpoint, flows at their acknowledged version, runs `interrupted`
//! or finished, `damaged_records` 0).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cardhost_tests::fake_asana::{seed as asana, FakeAsana};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::child::{master_key, Serve};

/// Clients writing at the same time.
const CLIENTS: u64 = 4;

/// A connection some client asked for: its tokens, and its id once the API
/// acknowledged it.
struct ConnAttempt {
    token: String,
    service_account_token: String,
    id: Option<String>,
}

/// A flow the API acknowledged: its acknowledged version, and the version
/// an update in flight would give it.
struct FlowState {
    acked: u32,
    pending: Option<u32>,
}

/// What the clients asked for and what the API acknowledged.
#[derive(Default)]
struct Ledger {
    /// By nickname.
    connections: HashMap<String, ConnAttempt>,
    /// Ids of the acknowledged connections.
    acked_connections: Vec<String>,
    /// By flow id.
    flows: HashMap<String, FlowState>,
    /// Ids of the acknowledged flows.
    flow_ids: Vec<String>,
    /// (flow id, run id) of each acknowledged run, with whether a restart
    /// already showed it ended.
    runs: Vec<(String, String, bool)>,
    acknowledged: u64,
    /// Flows a run was asked of since the last check.
    run_flows: HashSet<String>,
    /// Acknowledged flow updates.
    flow_updates: u64,
    /// Acknowledged runs a restart found `interrupted`.
    interrupted: u64,
}

/// A random element of `items`, if any.
fn pick(items: &[String], rng: &mut StdRng) -> Option<String> {
    (!items.is_empty()).then(|| items[rng.gen_range(0..items.len())].clone())
}

type Shared = Arc<Mutex<Ledger>>;

/// When a round's SIGKILL comes: at a random moment (sent by the test), or
/// the instant the API acknowledged a chosen write (sent by the client that
/// got the answer), when a write whose flush was skipped would be lost.
struct Kill {
    pid: u32,
    at_ack: Option<u64>,
    acks: AtomicU64,
}

impl Kill {
    fn on_ack(&self) {
        let n = self.acks.fetch_add(1, Ordering::SeqCst) + 1;
        if self.at_ack == Some(n) {
            sigkill(self.pid);
        }
    }
}

/// SIGKILL `pid`, a child of this process not reaped yet.
fn sigkill(pid: u32) {
    // SAFETY: kill(2) with a pid and a signal number; no memory involved.
    let rc = unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    assert_eq!(rc, 0, "SIGKILL reaches the child");
}

/// One client's connection to the child.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    /// Status and JSON body, or `None` when the host went away mid-request
    /// (the write is then not acknowledged).
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Option<(u16, Value)> {
        let r = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base))
            .bearer_auth(crate::child::API_KEY)
            .json(body)
            .send()
            .await
            .ok()?;
        let status = r.status().as_u16();
        let bytes = r.bytes().await.ok()?;
        Some((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }
}

/// A flow of one card step on `connection`.
fn flow_definition(name: &str, connection: &str) -> Value {
    json!({
        "name": name,
        "steps": [{"id": "me", "card": "asana.read-user", "connection": connection,
                   "input": {"user": "me"}}]
    })
}

/// One client: writes until the host goes away. Panics on an answer that
/// is neither a success nor the host going away.
async fn client(
    api: Api,
    fake: Arc<FakeAsana>,
    ledger: Shared,
    kill: Arc<Kill>,
    seed: u64,
    round: u64,
    id: u64,
) {
    let mut rng = StdRng::seed_from_u64(seed ^ (round << 16) ^ id);
    let mut own_flows: Vec<String> = Vec::new();
    for k in 0.. {
        let op = rng.gen_range(0..10);
        let (connection, flow) = {
            let l = ledger.lock().unwrap();
            (
                pick(&l.acked_connections, &mut rng),
                pick(&l.flow_ids, &mut rng),
            )
        };
        let Some(conn) = connection.filter(|_| op >= 3) else {
            let nickname = format!("r{round}-c{id}-{k}");
            let token = format!("resilience-pat-{seed}-{round}-{id}-{k}");
            let sat = format!("resilience-sat-{seed}-{round}-{id}-{k}");
            fake.add_personal_access_token(&token, asana::ME_GID);
            fake.add_service_account_token(&sat);
            ledger.lock().unwrap().connections.insert(
                nickname.clone(),
                ConnAttempt {
                    token: token.clone(),
                    service_account_token: sat.clone(),
                    id: None,
                },
            );
            let body = json!({"connector": "asana", "nickname": nickname,
                              "access_token": token, "service_account_token": sat});
            let Some((status, body)) = api.send(reqwest::Method::POST, "/connections", &body).await
            else {
                return;
            };
            assert_eq!(status, 201, "create connection: {body}");
            let conn_id = body["connection"]["id"]
                .as_str()
                .or(body["id"].as_str())
                .unwrap_or_else(|| panic!("a created connection has an id: {body}"))
                .to_string();
            let mut l = ledger.lock().unwrap();
            l.connections.get_mut(&nickname).unwrap().id = Some(conn_id.clone());
            l.acked_connections.push(conn_id);
            l.acknowledged += 1;
            kill.on_ack();
            continue;
        };
        let Some(flow_id) = flow.filter(|_| op >= 5) else {
            let def = flow_definition(&format!("r{round} c{id} #{k}"), &conn);
            let Some((status, body)) = api.send(reqwest::Method::POST, "/flows", &def).await else {
                return;
            };
            assert_eq!(status, 201, "create flow: {body}");
            let flow_id = body["id"].as_str().expect("a flow id").to_string();
            let version = body["version"].as_u64().expect("a flow version") as u32;
            let mut l = ledger.lock().unwrap();
            l.flow_ids.push(flow_id.clone());
            l.flows.insert(
                flow_id.clone(),
                FlowState {
                    acked: version,
                    pending: None,
                },
            );
            l.acknowledged += 1;
            kill.on_ack();
            own_flows.push(flow_id);
            continue;
        };
        if op < 7 && !own_flows.is_empty() {
            let flow_id = own_flows[rng.gen_range(0..own_flows.len())].clone();
            let def = flow_definition(&format!("r{round} c{id} #{k} (updated)"), &conn);
            {
                let mut l = ledger.lock().unwrap();
                let f = l.flows.get_mut(&flow_id).unwrap();
                f.pending = Some(f.acked + 1);
            }
            let path = format!("/flows/{flow_id}");
            let Some((status, body)) = api.send(reqwest::Method::PUT, &path, &def).await else {
                return;
            };
            assert_eq!(status, 200, "update flow: {body}");
            let version = body["version"].as_u64().expect("a flow version") as u32;
            let mut l = ledger.lock().unwrap();
            let f = l.flows.get_mut(&flow_id).unwrap();
            assert_eq!(
                Some(version),
                f.pending,
                "an update adds one to the version"
            );
            *f = FlowState {
                acked: version,
                pending: None,
            };
            l.acknowledged += 1;
            l.flow_updates += 1;
            kill.on_ack();
        } else {
            let path = format!("/flows/{flow_id}/runs");
            ledger.lock().unwrap().run_flows.insert(flow_id.clone());
            let req = json!({"input": {}, "wait": false});
            let Some((status, body)) = api.send(reqwest::Method::POST, &path, &req).await else {
                return;
            };
            assert_eq!(status, 202, "start a run: {body}");
            let run_id = body["run_id"].as_str().expect("a run id").to_string();
            let mut l = ledger.lock().unwrap();
            l.runs.push((flow_id.clone(), run_id, false));
            l.acknowledged += 1;
            kill.on_ack();
        }
    }
}

/// The records of the stopped data dir that point at others, read raw from
/// sled (the layout in `cardhost::store`'s doc): no flow version without
/// its flow, no nickname without its connection, no run index entry
/// without its run. Returns what is wrong.
fn check_references(dir: &std::path::Path) -> Vec<String> {
    use cardhost::store::{connections, flows};
    let mut broken = Vec::new();
    let db = sled::open(dir.join(cardhost::store::DB_DIR_NAME)).expect("the sled database opens");
    let tree = |name: &str| db.open_tree(name).expect("a tree");
    let (flow_tree, versions) = (tree(flows::FLOWS_TREE), tree(flows::VERSIONS_TREE));
    for key in versions.iter().keys() {
        let key = key.expect("a version key");
        let id = key.rsplit(|b| *b == b'/').nth(1).unwrap_or_default();
        if !flow_tree.contains_key(id).expect("a read") {
            broken.push(format!(
                "a version without its flow: {}",
                String::from_utf8_lossy(&key)
            ));
        }
    }
    let (conn_tree, nicknames) = (tree(connections::TREE), tree(connections::NICKNAME_TREE));
    for entry in nicknames.iter() {
        let (nickname, id) = entry.expect("a nickname entry");
        if !conn_tree.contains_key(&id).expect("a read") {
            broken.push(format!(
                "a nickname without its connection: {}",
                String::from_utf8_lossy(&nickname)
            ));
        }
    }
    let (runs, index) = (tree(flows::RUNS_TREE), tree(flows::RUN_INDEX_TREE));
    for entry in index.iter() {
        let (run_id, key) = entry.expect("a run index entry");
        if !runs.contains_key(&key).expect("a read") {
            broken.push(format!(
                "a run index entry without its run: {}",
                String::from_utf8_lossy(&run_id)
            ));
        }
    }
    broken
}

/// Check the stopped data dir: it opens, every connection has its secrets
/// and they unseal to the tokens its client sent, every flow has all its
/// versions, every acknowledged write is there. Returns what is wrong.
fn check_stopped_store(dir: &std::path::Path, ledger: &Ledger) -> Vec<String> {
    let mut lost = check_references(dir);
    let store = cardhost::store::Store::open(dir, Some(&master_key()))
        .unwrap_or_else(|e| panic!("the store of the killed host opens: {e}"));
    let stored = store.list_connections().expect("connections list");
    let ids: HashSet<&str> = stored.iter().map(|c| c.id.as_str()).collect();
    for conn in &stored {
        let Some(attempt) = ledger.connections.get(&conn.nickname) else {
            lost.push(format!("connection {} was never asked for", conn.nickname));
            continue;
        };
        match store.get_secrets(&conn.id) {
            Ok(Some(s)) => {
                let token = s
                    .access_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_string());
                let sat = s
                    .service_account_token
                    .as_ref()
                    .map(|t| t.expose_secret().to_string());
                if token.as_deref() != Some(attempt.token.as_str())
                    || sat.as_deref() != Some(attempt.service_account_token.as_str())
                {
                    lost.push(format!(
                        "connection {} has other secrets than its own",
                        conn.nickname
                    ));
                }
            }
            other => lost.push(format!(
                "connection {} without its secrets: {other:?}",
                conn.nickname
            )),
        }
    }
    for (nickname, attempt) in &ledger.connections {
        if let Some(id) = &attempt.id {
            if !ids.contains(id.as_str()) {
                lost.push(format!("acknowledged connection {nickname} ({id}) is gone"));
            }
        }
    }
    for flow in store.list_flows().expect("flows list") {
        for v in 1..=flow.version {
            if !matches!(store.get_flow_version(&flow.id, v), Ok(Some(_))) {
                lost.push(format!("flow {} lacks its version {v}", flow.id));
            }
        }
    }
    for (id, state) in &ledger.flows {
        match store.get_flow(id) {
            Ok(Some(f)) if f.version == state.acked || Some(f.version) == state.pending => {}
            other => lost.push(format!(
                "acknowledged flow {id} v{} is not there as written: {:?}",
                state.acked,
                other.map(|f| f.map(|f| f.version))
            )),
        }
    }
    for (flow_id, run_id, _) in &ledger.runs {
        if !matches!(store.get_run(run_id), Ok(Some(_))) {
            lost.push(format!(
                "acknowledged run {run_id} of flow {flow_id} is gone"
            ));
        }
    }
    lost
}

/// Check the restarted host: healthy with nothing damaged, every new
/// connection's token and service account token proven at the fake, every
/// flow at its acknowledged version, no run left `running`. Returns what
/// is wrong.
async fn check_restarted(
    serve: &Serve,
    fake: &FakeAsana,
    ledger: &mut Ledger,
    tested: &mut HashSet<String>,
) -> Vec<String> {
    let mut lost = Vec::new();
    let health = serve.healthz().await;
    if health["damaged_records"] != 0 {
        lost.push(format!("damaged records after a restart: {health}"));
    }
    let (status, list) = serve.get("/connections").await;
    assert_eq!(status, 200, "{list}");
    let listed: Vec<(String, String)> = list["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["nickname"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (id, nickname) in &listed {
        if tested.contains(id) {
            continue;
        }
        let Some(attempt) = ledger.connections.get(nickname) else {
            lost.push(format!("connection {nickname} was never asked for"));
            continue;
        };
        fake.clear_requests();
        let (status, health) = serve
            .post(&format!("/connections/{id}/test"), &json!({}))
            .await;
        let bearer = format!("Bearer {}", attempt.token);
        let sent = fake.requests().iter().any(|r| {
            r.path.ends_with("/users/me") && r.header("authorization") == Some(bearer.as_str())
        });
        if status != 200 || health["ok"] != true || health["service_account"]["ok"] != true || !sent
        {
            lost.push(format!(
                "connection {nickname} does not work after a restart ({status}): {health}"
            ));
        }
        tested.insert(id.clone());
    }
    let listed_ids: HashSet<&str> = listed.iter().map(|(id, _)| id.as_str()).collect();
    for (nickname, attempt) in &ledger.connections {
        if let Some(id) = &attempt.id {
            if !listed_ids.contains(id.as_str()) {
                lost.push(format!("acknowledged connection {nickname} is not listed"));
            }
        }
    }
    let (status, list) = serve.get("/flows").await;
    assert_eq!(status, 200, "{list}");
    let versions: HashMap<&str, u32> = list["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap(),
                f["version"].as_u64().unwrap() as u32,
            )
        })
        .collect();
    for (id, state) in ledger.flows.iter_mut() {
        let version = versions.get(id.as_str()).copied();
        if version != Some(state.acked) && version != state.pending {
            lost.push(format!(
                "acknowledged flow {id} v{}: {version:?}",
                state.acked
            ));
            continue;
        }
        // An update in flight at the kill may have landed unacknowledged.
        *state = FlowState {
            acked: version.unwrap(),
            pending: None,
        };
    }
    // Runs started since the last check, acknowledged or not.
    for id in std::mem::take(&mut ledger.run_flows) {
        let (status, runs) = serve.get(&format!("/flows/{id}/runs?limit=100")).await;
        assert_eq!(status, 200, "{runs}");
        for run in runs["data"].as_array().expect("runs") {
            if run["status"] == "running" {
                lost.push(format!("run {} of flow {id} is stuck running", run["id"]));
            }
        }
    }
    let interrupted = &mut ledger.interrupted;
    for (flow_id, run_id, ended) in ledger.runs.iter_mut().filter(|r| !r.2) {
        let (status, run) = serve.get(&format!("/flows/{flow_id}/runs/{run_id}")).await;
        match run["status"].as_str() {
            Some("interrupted") if status == 200 => {
                *ended = true;
                *interrupted += 1;
            }
            Some("succeeded" | "failed") if status == 200 => *ended = true,
            _ => lost.push(format!("acknowledged run {run_id}: {status} {run}")),
        }
    }
    lost
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_rounds_lose_no_acknowledged_write() {
    let rounds = crate::env_number("CARDHOST_RESILIENCE_ROUNDS", 20);
    let seed = crate::seed("crash_rounds_lose_no_acknowledged_write");
    let mut rng = StdRng::seed_from_u64(seed);
    let fake = Arc::new(FakeAsana::start().await);
    let env = crate::child::asana_env(&fake);
    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let ledger: Shared = Arc::default();
    let mut tested = HashSet::new();
    let started = Instant::now();
    let mut serve = Serve::start(&data, &env).await;
    for round in 0..rounds {
        let api = Api {
            client: serve.client.clone(),
            base: serve.base.clone(),
        };
        // Odd rounds: the instant the API acknowledged a write; even: at a random moment.
        let kill = Arc::new(Kill {
            pid: serve.pid(),
            at_ack: (round % 2 == 1).then(|| rng.gen_range(1..200)),
            acks: AtomicU64::new(0),
        });
        let kill_after = Duration::from_millis(rng.gen_range(50..1500));
        let when = match kill.at_ack {
            Some(n) => format!("at acknowledged write {n}"),
            None => format!("after {kill_after:?}"),
        };
        let clients: Vec<_> = (0..CLIENTS)
            .map(|id| {
                let (api, fake, ledger, kill) =
                    (api.clone(), fake.clone(), ledger.clone(), kill.clone());
                tokio::spawn(client(api, fake, ledger, kill, seed, round, id))
            })
            .collect();
        if kill.at_ack.is_none() {
            tokio::time::sleep(kill_after).await;
            sigkill(kill.pid);
        }
        for c in clients {
            c.await.expect("a client ends when its host goes away");
        }
        serve.reap();
        let lost = check_stopped_store(&data, &ledger.lock().unwrap());
        assert!(lost.is_empty(), "round {round}, killed {when}: {lost:#?}");
        serve = Serve::start(&data, &env).await;
        let lost = {
            let mut l = std::mem::take(&mut *ledger.lock().unwrap());
            let lost = check_restarted(&serve, &fake, &mut l, &mut tested).await;
            *ledger.lock().unwrap() = l;
            lost
        };
        assert!(
            lost.is_empty(),
            "round {round}, killed {when}: {lost:#?}\n{}",
            serve.stderr_text()
        );
    }
    let l = ledger.lock().unwrap();
    eprintln!(
        "crash rounds: {rounds} rounds in {:.1} s; writes acknowledged: {} ({} connections, {} flows \
         created, {} flow updates, {} runs started: {} of them interrupted by a kill); writes lost: 0",
        started.elapsed().as_secs_f64(),
        l.acknowledged,
        l.acked_connections.len(),
        l.flows.len(),
        l.flow_updates,
        l.runs.len(),
        l.interrupted,
    );
}
