//! Which OAuth scopes a connection asks for, and whether it holds the scopes
//! a card needs.
//!
//! A connection asks for one of three things:
//! - the scopes a person chose when creating it (`requested_scopes`);
//! - else, when the connector's OAuth app is registered with Full
//!   permissions (org setting `full_permissions`, or the connector's env
//!   key), the full-access scope;
//! - else the union of the granular scopes its connector's installed cards
//!   need, worked out again at every (re)authorization, so that installing
//!   a card and clicking Reauthorize grants what the new card needs.
//!
//! Token connections (personal access tokens) act with the full access of
//! the person who made the token, so only OAuth connections are checked.

use std::collections::BTreeSet;

use super::Connections;
use crate::connectors::Connector;
use crate::error::{AppError, Kind};
use crate::store::{AuthMethod, Connection};

impl Connections {
    /// Whether the connector's OAuth app is registered with Full permissions:
    /// the org settings when saved, else the env key.
    pub fn full_permissions(&self, connector: &Connector) -> bool {
        match self.store().get_app_settings(&connector.id).ok().flatten() {
            Some(stored) => stored.full_permissions,
            None => self.inner.settings.app(connector).full_permissions,
        }
    }

    /// The granular scopes the installed cards of `connector` need, sorted.
    pub async fn cards_need(&self, connector: &Connector) -> Vec<String> {
        let mut needed = BTreeSet::new();
        for record in self.inner.catalogue.records().await {
            let of_connector = record
                .id
                .split_once('.')
                .is_some_and(|(c, _)| c == connector.id);
            if !of_connector {
                continue;
            }
            for scope in &record.manifest.scopes {
                if connector.full_access_scope() != Some(scope.as_str()) {
                    needed.insert(scope.clone());
                }
            }
        }
        needed.into_iter().collect()
    }

    /// What an authorization of `conn` (or of a new connection with
    /// `requested` scopes) asks the provider for.
    pub async fn scopes_to_request(
        &self,
        connector: &Connector,
        requested: Option<&[String]>,
    ) -> Vec<String> {
        if let Some(list) = requested {
            return list.to_vec();
        }
        if let (true, Some(full)) = (
            self.full_permissions(connector),
            connector.full_access_scope(),
        ) {
            return vec![full.to_string()];
        }
        let listed = connector
            .default_scopes()
            .map(|d| d.scopes.clone())
            .unwrap_or_default();
        if !connector.scopes_follow_cards() {
            return listed;
        }
        let needed = self.cards_need(connector).await;
        if needed.is_empty() {
            listed
        } else {
            needed
        }
    }

    /// Refuse a run of a card on a connection that was not granted every
    /// scope the card needs, before any provider call: 403 naming them.
    pub fn check_card_scopes(
        &self,
        conn: &Connection,
        connector: &Connector,
        card_id: &str,
        needed: &[String],
    ) -> Result<(), AppError> {
        if conn.auth != AuthMethod::OAuth {
            return Ok(());
        }
        let missing = connector.missing_scopes(needed, &conn.scopes);
        if missing.is_empty() {
            return Ok(());
        }
        let how = if conn.requested_scopes.is_some() {
            "This connection asks for the fixed list of scopes it was created with: add them \
             (PATCH /api/v1/connections/{id} with \"scopes\", or null to follow the installed \
             cards), then Reauthorize it."
        } else {
            "Reauthorize the connection: it asks for the scopes of every installed card."
        };
        let full_needed = connector
            .full_access_scope()
            .is_some_and(|f| missing.iter().any(|m| m == f));
        let extra = if full_needed {
            " This card needs full access: it runs only on a connection of an OAuth app \
             registered with full access (org setting full_permissions), or on a personal \
             access token connection."
        } else {
            ""
        };
        Err(AppError::new(
            Kind::Forbidden,
            "missing_scopes",
            format!(
                "card {card_id} needs the scope(s) {} that connection {:?} was not granted. {}{extra}",
                missing.join(", "),
                conn.nickname,
                how.replace("{id}", &conn.id),
            ),
        )
        .field("connection"))
    }
}
