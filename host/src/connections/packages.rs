//! Installing and removing connector packages: a definition checked like a
//! card (its own rules, then against the connectors already here), stored,
//! and added to the registry every service shares.

use std::sync::Arc;

use super::Connections;
use crate::connectors::{self, Connector, ConnectorDefinition};
use crate::error::{AppError, Kind};

/// What installing did.
#[derive(Debug, serde::Serialize)]
pub struct InstalledConnector {
    pub id: String,
    /// Whether an installed connector of this id was replaced.
    pub replaced: bool,
}

impl Connections {
    /// Install a connector from its definition (TOML, or JSON), or with
    /// `upgrade` replace an installed one of the same id. A built-in id, or
    /// an env key another connector already reads, is refused.
    pub async fn install_connector(
        &self,
        text: &str,
        upgrade: bool,
    ) -> Result<InstalledConnector, AppError> {
        let definition = ConnectorDefinition::parse(text)?;
        let settings = &self.inner.settings;
        let connector = Connector::resolve(definition, &|k| settings.env.get(k), false)?;
        settings
            .check_app(&connector)
            .map_err(|e| AppError::invalid(&e.key, e.message))?;
        let registry = &self.inner.registry;
        let existing = registry.get(&connector.id);
        match &existing {
            Some(c) if c.builtin => {
                return Err(AppError::new(
                    Kind::Conflict,
                    "builtin_connector",
                    format!("{} is a built-in connector: it cannot be replaced", c.id),
                )
                .field("id"))
            }
            Some(c) if !upgrade => {
                return Err(AppError::new(
                    Kind::Conflict,
                    "connector_exists",
                    format!(
                        "a connector {} is already installed: pass upgrade=true to replace it",
                        c.id
                    ),
                )
                .field("id"))
            }
            _ => {}
        }
        let ours = connectors::validate::env_key_set(&connector.definition);
        for other in registry.all().iter().filter(|c| c.id != connector.id) {
            if let Some(key) = connectors::validate::env_key_set(&other.definition)
                .intersection(&ours)
                .next()
            {
                return Err(AppError::invalid(
                    "settings",
                    format!(
                        "the env key {key} is already a setting of the {} connector",
                        other.id
                    ),
                ));
            }
        }
        self.store()
            .put_connector_definition(&connector.definition)
            .await?;
        let id = connector.id.clone();
        registry.put(connector);
        tracing::info!(connector = %id, replaced = existing.is_some(), "connector installed");
        Ok(InstalledConnector {
            id,
            replaced: existing.is_some(),
        })
    }

    /// Remove an installed connector. Refused (409, naming them) while
    /// connections or installed cards use it; a built-in one cannot go.
    pub async fn delete_connector(&self, id: &str) -> Result<(), AppError> {
        let connector = self.connector_or_404(id)?;
        if connector.builtin {
            return Err(AppError::new(
                Kind::Conflict,
                "builtin_connector",
                format!("{id} is a built-in connector: it cannot be removed"),
            ));
        }
        let connections: Vec<String> = self
            .list()?
            .into_iter()
            .filter(|c| c.connector == id)
            .map(|c| c.nickname)
            .collect();
        let cards: Vec<String> = self
            .inner
            .catalogue
            .records()
            .await
            .iter()
            .filter(|r| r.id.split_once('.').is_some_and(|(c, _)| c == id))
            .map(|r| r.id.clone())
            .collect();
        if !connections.is_empty() || !cards.is_empty() {
            return Err(AppError::new(
                Kind::Conflict,
                "connector_in_use",
                format!(
                    "connector {id} is in use (connections: {}; cards: {}): delete them first",
                    list_or_none(&connections),
                    list_or_none(&cards)
                ),
            ));
        }
        self.store().delete_connector_definition(id).await?;
        self.inner.registry.remove(id);
        tracing::info!(connector = %id, "connector removed");
        Ok(())
    }

    /// A connector by id, or a 404.
    pub fn connector_or_404(&self, id: &str) -> Result<Arc<Connector>, AppError> {
        self.inner.registry.get(id).ok_or_else(|| {
            AppError::new(
                Kind::NotFound,
                "unknown_connector",
                format!(
                    "no connector {id:?}; known: {}",
                    self.inner.registry.ids().join(", ")
                ),
            )
        })
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}
