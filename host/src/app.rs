//! The host's services wired together: settings, store, runtime, card
//! catalogue, connections, card runs and flows. [`App::with_store`] is the one
//! place where they are built and handed what each needs; the REST API, the
//! console and the CLI (through the REST router) all go through an [`App`].

use std::sync::Arc;
use std::time::Instant;

use crate::capability::HttpCapability;
use crate::cards::CardRunner;
use crate::config::Settings;
use crate::connections::Connections;
use crate::connectors::{Connector, Registry};
use crate::flows::{FlowTasks, Flows};
use crate::oauth::OAuthHttp;
use crate::runtime::catalogue::Catalogue;
use crate::runtime::Runtime;
use crate::store::Store;
use crate::triggers::Triggers;

/// Everything the host runs on.
#[derive(Clone)]
pub struct App {
    pub settings: Arc<Settings>,
    pub store: Arc<Store>,
    pub runtime: Arc<Runtime>,
    pub catalogue: Arc<Catalogue>,
    pub registry: Registry,
    pub connections: Connections,
    /// Runs a card on a connection.
    pub runner: CardRunner,
    /// Flows and their runs.
    pub flows: Flows,
    /// What starts flows: schedules, endpoints and provider events.
    pub triggers: Triggers,
}

/// The built-in connectors and those installed in the store. An installed
/// one that no longer resolves (its definition or an env override of it is
/// wrong) is left out and logged: its connections and cards wait for a fix.
fn connectors(settings: &Settings, store: &Store) -> anyhow::Result<Vec<Connector>> {
    let mut connectors = settings.connectors.clone();
    for definition in store.list_connector_definitions()? {
        let id = definition.id.clone();
        match Connector::resolve(definition, &|k| settings.env.get(k), false) {
            Ok(c) if connectors.iter().any(|b| b.id == c.id) => {
                tracing::warn!(connector = %id, "an installed connector has the id of a built-in one: the built-in one is used");
            }
            Ok(c) => connectors.push(c),
            Err(e) => {
                tracing::error!(connector = %id, error = %e, "an installed connector is unavailable")
            }
        }
    }
    Ok(connectors)
}

impl App {
    /// Open the store, start the runtime and load the built-in cards.
    pub async fn start(settings: Settings) -> anyhow::Result<App> {
        let master_key = settings
            .master_key
            .as_ref()
            .map(|k| secrecy::ExposeSecret::expose_secret(k).to_string());
        let store = Arc::new(Store::open_with(
            &settings.data_dir,
            master_key.as_deref(),
            &settings.store,
        )?);
        App::with_store(settings, store).await
    }

    /// Build the services over an open store.
    pub async fn with_store(mut settings: Settings, store: Arc<Store>) -> anyhow::Result<App> {
        if settings.runtime.cache_dir.is_none() {
            settings.runtime.cache_dir = Some(settings.data_dir.join("cache"));
        }
        let settings = Arc::new(settings);
        let registry = Registry::new(connectors(&settings, &store)?);
        let http = HttpCapability::new(settings.http.clone())?;
        let runtime = Arc::new(Runtime::new(settings.runtime.clone(), http.clone())?);
        let started = Instant::now();
        let catalogue =
            Arc::new(Catalogue::open(runtime.clone(), store.cards(), registry.clone()).await?);
        tracing::info!(
            cards = catalogue.all().await.len(),
            ms = started.elapsed().as_millis() as u64,
            "cards loaded"
        );
        let connections = Connections::new(
            store.clone(),
            settings.clone(),
            registry.clone(),
            http,
            OAuthHttp::new()?,
            catalogue.clone(),
        );
        let runner = CardRunner::new(
            registry.clone(),
            runtime.clone(),
            catalogue.clone(),
            connections.clone(),
        );
        let trigger_http = runtime.http().clone();
        let flows = Flows::new(
            store.flows(),
            runtime.clone(),
            connections.clone(),
            catalogue.clone(),
            runner.clone(),
            settings.retention.clone(),
            FlowTasks::default(),
        );
        let interrupted = flows.mark_interrupted().await?;
        if interrupted > 0 {
            tracing::warn!(
                runs = interrupted,
                "flow runs cut short by the last stop are marked interrupted"
            );
        }
        let triggers = Triggers::new(
            store.triggers(),
            flows.clone(),
            runner.clone(),
            connections.clone(),
            trigger_http,
            &settings.public_url,
        );
        Ok(App {
            settings,
            store,
            runtime,
            catalogue,
            registry,
            connections,
            runner,
            flows,
            triggers,
        })
    }

    /// Start the background work that needs the host serving: schedules,
    /// the runs of acknowledged events, and the reconciliation of event
    /// subscriptions (whose handshake reaches the host over HTTP).
    pub fn start_background(&self) {
        self.triggers.start_background();
    }

    /// Stop background work: triggers stop firing (acknowledged events stay
    /// in the inbox), flow runs in progress are aborted (and marked
    /// `interrupted` at the next start).
    pub async fn shutdown(&self) {
        self.triggers.shutdown().await;
        self.flows.shutdown().await;
    }
}
