//! Installed connector definitions: the `connectors` tree, keyed by
//! connector id, each the definition's JSON. Built-in connectors are not
//! stored: they ship in the binary.

use async_trait::async_trait;

use super::backend::{ConnectorStore, StoreBase};
use super::{decode, encode, SledStore, StoreError};
use crate::connectors::ConnectorDefinition;

/// The tree of installed connector definitions.
pub const TREE: &str = "connectors";

#[async_trait]
impl ConnectorStore for SledStore {
    fn list_connector_definitions(&self) -> Result<Vec<ConnectorDefinition>, StoreError> {
        let mut out = Vec::new();
        for item in self.trees.connectors.iter() {
            let (key, bytes) = item?;
            match decode::<ConnectorDefinition>(&bytes, "a connector definition") {
                Ok(d) => out.push(d),
                Err(e) => self.damaged().note(TREE, &key, &e),
            }
        }
        Ok(out)
    }

    async fn put_connector_definition(
        &self,
        definition: &ConnectorDefinition,
    ) -> Result<(), StoreError> {
        self.trees
            .connectors
            .insert(definition.id.as_bytes(), encode(definition)?)?;
        self.flush().await
    }

    async fn delete_connector_definition(&self, id: &str) -> Result<bool, StoreError> {
        let removed = self.trees.connectors.remove(id.as_bytes())?.is_some();
        self.damaged().forget(TREE, id.as_bytes());
        self.flush().await?;
        Ok(removed)
    }
}
