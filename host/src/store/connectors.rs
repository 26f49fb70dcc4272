//! Installed connector definitions: the `connectors` tree, keyed by
//! connector id, each the definition's JSON. Built-in connectors are not
//! stored: they ship in the binary.

use super::{decode, encode, Store, StoreError};
use crate::connectors::ConnectorDefinition;

/// The tree of installed connector definitions.
pub const TREE: &str = "connectors";

impl Store {
    /// Every installed connector definition, by id. A record that does not
    /// decode is noted as damaged and left out.
    pub fn list_connector_definitions(&self) -> Result<Vec<ConnectorDefinition>, StoreError> {
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

    /// Store (or replace) an installed connector's definition.
    pub async fn put_connector_definition(
        &self,
        definition: &ConnectorDefinition,
    ) -> Result<(), StoreError> {
        self.trees
            .connectors
            .insert(definition.id.as_bytes(), encode(definition)?)?;
        self.flush().await
    }

    /// Remove an installed connector's definition; whether it was there.
    pub async fn delete_connector_definition(&self, id: &str) -> Result<bool, StoreError> {
        let removed = self.trees.connectors.remove(id.as_bytes())?.is_some();
        self.damaged().forget(TREE, id.as_bytes());
        self.flush().await?;
        Ok(removed)
    }
}
