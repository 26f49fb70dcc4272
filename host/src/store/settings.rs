//! App-level (organisation) settings per connector: the `app_settings` tree, keyed by connector name,
//! with the client secret and the app-level personal access token sealed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::backend::{SettingsStore, StoreBase};
use super::crypto::{SealedFields, Sealer};
use super::model::AppSettings;
use super::{decode, encode, SledStore, StoreError};

/// The tree of app settings.
pub const TREE: &str = "app_settings";

const CLIENT_SECRET: &str = "client_secret";
const PERSONAL_ACCESS_TOKEN: &str = "personal_access_token";

/// App settings as stored: everything but the secrets in the clear.
#[derive(Serialize, Deserialize)]
struct StoredAppSettings {
    connector: String,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    default_workspace: Option<String>,
    #[serde(default)]
    full_permissions: bool,
    updated_at: DateTime<Utc>,
    #[serde(default)]
    sealed: SealedFields,
}

#[async_trait]
impl SettingsStore for SledStore {
    fn get_app_settings(&self, connector: &str) -> Result<Option<AppSettings>, StoreError> {
        let Some(bytes) = self.trees.app_settings.get(connector.as_bytes())? else {
            return Ok(None);
        };
        let stored: StoredAppSettings = decode(&bytes, &format!("settings of '{connector}'"))?;
        if stored.connector != connector {
            return Err(StoreError::Corrupt(format!(
                "the settings stored for '{connector}' claim to be for '{}'",
                stored.connector
            )));
        }
        self.open_settings(stored).map(Some)
    }

    async fn put_app_settings(&self, s: AppSettings) -> Result<(), StoreError> {
        if s.connector.is_empty() {
            return Err(StoreError::Invalid("app settings need a connector".into()));
        }
        let stored = self.seal_settings(s)?;
        let bytes = encode(&stored)?;
        self.trees
            .app_settings
            .insert(stored.connector.as_bytes(), bytes)?;
        self.flush().await
    }
}

impl SledStore {
    fn settings_sealer<'a>(&'a self, connector: &'a str) -> Sealer<'a> {
        Sealer {
            key: &self.key,
            tree: TREE,
            record: connector,
        }
    }

    fn seal_settings(&self, s: AppSettings) -> Result<StoredAppSettings, StoreError> {
        let sealer = self.settings_sealer(&s.connector);
        let mut sealed = SealedFields::new();
        sealer.put(&mut sealed, CLIENT_SECRET, s.client_secret.as_ref())?;
        let pat = s.personal_access_token.as_ref();
        sealer.put(&mut sealed, PERSONAL_ACCESS_TOKEN, pat)?;
        Ok(StoredAppSettings {
            connector: s.connector.clone(),
            client_id: s.client_id,
            redirect_uri: s.redirect_uri,
            default_workspace: s.default_workspace,
            full_permissions: s.full_permissions,
            updated_at: Utc::now(),
            sealed,
        })
    }

    fn open_settings(&self, stored: StoredAppSettings) -> Result<AppSettings, StoreError> {
        let sealer = self.settings_sealer(&stored.connector);
        Ok(AppSettings {
            client_secret: sealer.open(&stored.sealed, CLIENT_SECRET)?,
            personal_access_token: sealer.open(&stored.sealed, PERSONAL_ACCESS_TOKEN)?,
            connector: stored.connector,
            client_id: stored.client_id,
            redirect_uri: stored.redirect_uri,
            default_workspace: stored.default_workspace,
            full_permissions: stored.full_permissions,
            updated_at: stored.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{open_raw, open_store, reveal};
    use super::*;

    fn settings(tag: &str) -> AppSettings {
        let mut s = AppSettings::new("example");
        s.client_id = Some("client-123".into());
        s.client_secret = Some(format!("{tag}-client-secret").into());
        s.personal_access_token = Some(format!("{tag}-pat").into());
        s.redirect_uri = Some("http://127.0.0.1:8080/oauth/callback".into());
        s.default_workspace = Some("42".into());
        s
    }

    #[tokio::test]
    async fn round_trip_and_replace() {
        let (_dir, store) = open_store();
        assert!(store.get_app_settings("example").unwrap().is_none());
        store.put_app_settings(settings("one")).await.unwrap();
        let got = store.get_app_settings("example").unwrap().unwrap();
        assert_eq!(got.client_id.as_deref(), Some("client-123"));
        assert_eq!(reveal(&got.client_secret), "one-client-secret");
        assert_eq!(reveal(&got.personal_access_token), "one-pat");
        assert_eq!(got.default_workspace.as_deref(), Some("42"));
        let mut next = settings("two");
        next.personal_access_token = None;
        store.put_app_settings(next).await.unwrap();
        let got = store.get_app_settings("example").unwrap().unwrap();
        assert_eq!(reveal(&got.client_secret), "two-client-secret");
        assert!(got.personal_access_token.is_none());
    }

    #[tokio::test]
    async fn secrets_are_bound_to_their_connector() {
        let (_dir, store, raw) = open_raw();
        store.put_app_settings(settings("s")).await.unwrap();
        let bytes = raw.trees.app_settings.get("example").unwrap().unwrap();
        raw.trees
            .app_settings
            .insert("copied", bytes.clone())
            .unwrap();
        let err = store.get_app_settings("copied").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
        let mut moved: StoredAppSettings = decode(&bytes, "test").unwrap();
        moved.connector = "slack".into();
        raw.trees
            .app_settings
            .insert("slack", encode(&moved).unwrap())
            .unwrap();
        let err = store.get_app_settings("slack").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
    }
}
