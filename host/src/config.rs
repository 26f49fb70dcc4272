//! Settings from environment keys (and command-line flags, applied by
//! `main`), in one place. Every alias of each env key is accepted; the
//! first one set wins.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::connectors::{Connector, DefinitionError};
use crate::runtime::RuntimeConfig;
use crate::store::{keyfile, StoreError};

/// The host's own env keys. Each connector names the env keys of its
/// settings in its definition (`[settings]`).
pub mod keys {
    pub const DATA_DIR: &str = "CARDHOST_DATA_DIR";
    pub const LISTEN: &str = "CARDHOST_LISTEN";
    pub const PUBLIC_URL: &str = "CARDHOST_PUBLIC_URL";
    pub const API_KEY: &str = "CARDHOST_API_KEY";
    pub const MASTER_KEY: &str = "CARDHOST_MASTER_KEY";
    pub const RUN_TIMEOUT_SECS: &str = "CARDHOST_RUN_TIMEOUT_SECS";
    pub const MEMORY_LIMIT_MB: &str = "CARDHOST_MEMORY_LIMIT_MB";
    pub const MAX_CONCURRENT_RUNS: &str = "CARDHOST_MAX_CONCURRENT_RUNS";
    pub const REFRESH_MARGIN_SECS: &str = "CARDHOST_REFRESH_MARGIN_SECS";
    pub const CACHE_DIR: &str = "CARDHOST_CACHE_DIR";
    pub const CARD_LOAD_TIMEOUT_SECS: &str = "CARDHOST_CARD_LOAD_TIMEOUT_SECS";
    pub const RUN_RETENTION_COUNT: &str = "CARDHOST_RUN_RETENTION_COUNT";
    pub const RUN_RETENTION_DAYS: &str = "CARDHOST_RUN_RETENTION_DAYS";
    pub const MAX_CALLS_PER_RUN: &str = "CARDHOST_MAX_CALLS_PER_RUN";
    pub const STORE_CACHE_MB: &str = "CARDHOST_STORE_CACHE_MB";
}

/// The fewest characters an API key may have, from `CARDHOST_API_KEY` or the data dir's key file.
pub const MIN_API_KEY_LEN: usize = 32;

/// Where the API key of a host came from (see [`Settings::resolve_api_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiKeySource {
    /// `CARDHOST_API_KEY`.
    Env,
    /// The data dir's key file; `created` when this start made it.
    File { path: PathBuf, created: bool },
}

/// App-level credentials of one connector ("App Credentials"), from the env
/// keys its definition names.
#[derive(Clone, Default)]
pub struct AppCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<SecretString>,
    /// Overrides `{public_url}/oauth/callback`.
    pub redirect_uri: Option<String>,
    /// App-level personal access token, verified and shown in the org
    /// settings; never lent to a connection.
    pub personal_access_token: Option<SecretString>,
    pub default_workspace: Option<String>,
    /// The OAuth app is registered with Full permissions: connections ask
    /// for the full-access scope instead of their cards' granular scopes.
    pub full_permissions: bool,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field(
                "personal_access_token",
                &self.personal_access_token.as_ref().map(|_| "[redacted]"),
            )
            .field("default_workspace", &self.default_workspace)
            .field("full_permissions", &self.full_permissions)
            .finish()
    }
}

/// Everything the host is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Where browsers reach the host; the OAuth redirect URI derives from it.
    pub public_url: String,
    /// `CARDHOST_API_KEY`, or, after [`Settings::resolve_api_key`], the data dir's key file. The API
    /// and the console never run open: a host without a key refuses every attempt.
    pub api_key: Option<SecretString>,
    pub master_key: Option<SecretString>,
    pub runtime: RuntimeConfig,
    /// Refresh an OAuth token when it expires within this margin.
    pub refresh_margin: Duration,
    /// The built-in connectors, with env overrides of their URLs applied.
    pub connectors: Vec<Connector>,
    /// Where connector settings are read: installed connectors name their
    /// keys after the host started.
    pub env: Env,
    /// How much run history each flow keeps.
    pub retention: crate::store::Retention,
    /// Limits of the HTTP capability every run is held to.
    pub http: crate::capability::HttpLimits,
    /// How the store's database is opened: its page cache.
    pub store: crate::store::SledOptions,
}

/// A setting that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingError {
    pub key: String,
    pub message: String,
}

impl Settings {
    /// Settings from the process environment.
    pub fn from_env() -> Result<Settings, SettingError> {
        Settings::from_lookup(|k| std::env::var(k).ok())
    }

    /// Settings from any key lookup (tests pass a map).
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Settings, SettingError> {
        let env = Env(Arc::new(move |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        }));
        let get = |k: &str| env.get(k);
        let listen: SocketAddr = parse(
            keys::LISTEN,
            get(keys::LISTEN),
            "127.0.0.1:8080".parse().unwrap(),
        )?;
        let public_url = get(keys::PUBLIC_URL)
            .unwrap_or_else(|| format!("http://{listen}"))
            .trim_end_matches('/')
            .to_string();
        let defaults = RuntimeConfig::default();
        let runtime = RuntimeConfig {
            timeout: Duration::from_secs(parse(
                keys::RUN_TIMEOUT_SECS,
                get(keys::RUN_TIMEOUT_SECS),
                defaults.timeout.as_secs(),
            )?),
            memory_limit: parse(
                keys::MEMORY_LIMIT_MB,
                get(keys::MEMORY_LIMIT_MB),
                defaults.memory_limit >> 20,
            )? << 20,
            max_concurrent_runs: parse(
                keys::MAX_CONCURRENT_RUNS,
                get(keys::MAX_CONCURRENT_RUNS),
                defaults.max_concurrent_runs,
            )?,
            cache_dir: get(keys::CACHE_DIR).map(PathBuf::from),
            load_timeout: Duration::from_secs(parse(
                keys::CARD_LOAD_TIMEOUT_SECS,
                get(keys::CARD_LOAD_TIMEOUT_SECS),
                defaults.load_timeout.as_secs(),
            )?),
            ..defaults
        };
        let connectors = Connector::builtins(&|k| env.get(k)).map_err(setting_error)?;
        for connector in &connectors {
            check_app(&env, connector)?;
        }
        Ok(Settings {
            data_dir: get(keys::DATA_DIR)
                .unwrap_or_else(|| "./cardhost-data".into())
                .into(),
            listen,
            public_url,
            api_key: get(keys::API_KEY).map(api_key).transpose()?,
            master_key: get(keys::MASTER_KEY).map(SecretString::from),
            runtime,
            refresh_margin: Duration::from_secs(parse(
                keys::REFRESH_MARGIN_SECS,
                get(keys::REFRESH_MARGIN_SECS),
                300,
            )?),
            retention: crate::store::Retention {
                max_runs: parse(
                    keys::RUN_RETENTION_COUNT,
                    get(keys::RUN_RETENTION_COUNT),
                    1000,
                )?,
                max_age: Duration::from_secs(
                    parse::<u64>(keys::RUN_RETENTION_DAYS, get(keys::RUN_RETENTION_DAYS), 30)?
                        * 24
                        * 3600,
                ),
            },
            http: crate::capability::HttpLimits {
                max_calls_per_run: parse(
                    keys::MAX_CALLS_PER_RUN,
                    get(keys::MAX_CALLS_PER_RUN),
                    crate::capability::HttpLimits::default().max_calls_per_run,
                )?,
                ..crate::capability::HttpLimits::default()
            },
            store: crate::store::SledOptions {
                cache_capacity: store_cache_mb(get(keys::STORE_CACHE_MB))? << 20,
            },
            connectors,
            env,
        })
    }

    /// The API key: `CARDHOST_API_KEY` when set, else the data dir's key file, made with a new random
    /// key on the first start (which also makes the data dir, 0700). A file that others may read or
    /// that holds a key shorter than [`MIN_API_KEY_LEN`] is refused.
    pub fn resolve_api_key(&mut self) -> Result<ApiKeySource, StoreError> {
        if self.api_key.is_some() {
            return Ok(ApiKeySource::Env);
        }
        crate::store::data_dir::prepare(&self.data_dir)?;
        let (key, created) = keyfile::load_or_create_api_key(&self.data_dir)?;
        self.api_key = Some(key);
        Ok(ApiKeySource::File {
            path: keyfile::api_key_file_path(&self.data_dir),
            created,
        })
    }

    /// Refuse to serve beyond loopback unless `CARDHOST_API_KEY` is set: a host reachable from the
    /// network runs on a key its operator chose and handed out, not on a key file nobody has seen.
    /// Call it before [`Settings::resolve_api_key`].
    pub fn check_listen(&self) -> Result<(), SettingError> {
        if !self.listen.ip().is_loopback() && self.api_key.is_none() {
            return Err(SettingError {
                key: keys::API_KEY.to_string(),
                message: format!(
                    "refusing to listen on {} without an API key: set CARDHOST_API_KEY, or listen on 127.0.0.1",
                    self.listen
                ),
            });
        }
        Ok(())
    }

    /// The OAuth redirect URI of a connector's app: its env override, else
    /// `{public_url}/oauth/callback`.
    pub fn redirect_uri(&self, connector: &Connector) -> String {
        self.app(connector)
            .redirect_uri
            .unwrap_or_else(|| format!("{}/oauth/callback", self.public_url))
    }

    /// The app-level credentials of a connector, from the env keys its
    /// definition names. A malformed `full_permissions` reads as false (it
    /// was checked at start for the built-in connectors).
    pub fn app(&self, connector: &Connector) -> AppCredentials {
        let keys = &connector.definition.settings;
        let first = |ks: &[String]| ks.iter().find_map(|k| self.env.get(k));
        AppCredentials {
            client_id: first(&keys.client_id),
            client_secret: first(&keys.client_secret).map(SecretString::from),
            redirect_uri: first(&keys.redirect_uri),
            personal_access_token: first(&keys.access_token).map(SecretString::from),
            default_workspace: first(&keys.default_workspace),
            full_permissions: first(&keys.full_permissions)
                .and_then(|v| v.parse().ok())
                .unwrap_or(false),
        }
    }

    /// Check the env keys of a connector's app settings that must parse.
    pub fn check_app(&self, connector: &Connector) -> Result<(), SettingError> {
        check_app(&self.env, connector)
    }
}

/// A key lookup over the process environment (or a test's map): values
/// trimmed, empty ones absent.
#[derive(Clone)]
pub struct Env(Arc<LookupFn>);

/// A key lookup shared by the settings and every connector's.
type LookupFn = dyn Fn(&str) -> Option<String> + Send + Sync;

impl Env {
    /// The value of `key`, trimmed; `None` when unset or empty.
    pub fn get(&self, key: &str) -> Option<String> {
        (self.0)(key)
    }
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Env")
    }
}

fn check_app(env: &Env, connector: &Connector) -> Result<(), SettingError> {
    let keys = &connector.definition.settings.full_permissions;
    if let Some((key, value)) = keys.iter().find_map(|k| env.get(k).map(|v| (k, v))) {
        parse::<bool>(key, Some(value), false)?;
    }
    Ok(())
}

fn setting_error(e: DefinitionError) -> SettingError {
    SettingError {
        key: e.field,
        message: e.message,
    }
}

/// `CARDHOST_API_KEY`, refused when shorter than [`MIN_API_KEY_LEN`] (without showing it).
fn api_key(value: String) -> Result<SecretString, SettingError> {
    let len = value.chars().count();
    if len < MIN_API_KEY_LEN {
        return Err(SettingError {
            key: keys::API_KEY.to_string(),
            message: format!(
                "the API key is {len} characters long; use at least {MIN_API_KEY_LEN} (for example \
                 `openssl rand -hex 32`), or unset CARDHOST_API_KEY to have the host make one in its data dir"
            ),
        });
    }
    Ok(SecretString::from(value))
}

/// `CARDHOST_STORE_CACHE_MB`: at least 1 MiB (sled with no cache reads every record from disk),
/// at most 1 TiB.
fn store_cache_mb(value: Option<String>) -> Result<u64, SettingError> {
    let key = keys::STORE_CACHE_MB;
    let mb = parse(key, value, crate::store::sled_store::DEFAULT_CACHE_MB)?;
    if !(1..=1 << 20).contains(&mb) {
        return Err(SettingError {
            key: key.to_string(),
            message: format!("{mb} MiB is out of range: give from 1 to 1048576 (MiB)"),
        });
    }
    Ok(mb)
}

fn parse<T: std::str::FromStr>(
    key: &str,
    value: Option<String>,
    default: T,
) -> Result<T, SettingError> {
    match value {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| SettingError {
            key: key.to_string(),
            message: format!("{v:?} is not a valid value"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(move |k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        for c in &s.connectors {
            assert_eq!(s.redirect_uri(c), "http://127.0.0.1:8080/oauth/callback");
        }
        assert_eq!(s.data_dir, PathBuf::from("./cardhost-data"));
        assert_eq!(s.refresh_margin, Duration::from_secs(300));
        assert_eq!(s.store.cache_capacity, 32 << 20);
    }

    #[test]
    fn the_store_cache_is_set_in_mib_and_bounded() {
        let s = settings(&[("CARDHOST_STORE_CACHE_MB", "64")]).unwrap();
        assert_eq!(s.store.cache_capacity, 64 << 20);
        for bad in ["0", "-1", "lots", "1048577"] {
            let e = settings(&[("CARDHOST_STORE_CACHE_MB", bad)]).unwrap_err();
            assert_eq!(e.key, "CARDHOST_STORE_CACHE_MB", "{bad}");
        }
    }

    /// A built-in connector with two or more env keys for its token.
    fn connector_with_aliases(s: &Settings) -> Connector {
        s.connectors
            .iter()
            .find(|c| c.definition.settings.access_token.len() >= 2)
            .expect("a built-in connector has aliases")
            .clone()
    }

    #[test]
    fn every_alias_of_a_setting_is_read_in_order() {
        let c = connector_with_aliases(&settings(&[]).unwrap());
        let keys = c.definition.settings.access_token.clone();
        let s = settings(&[(keys[1].as_str(), "b"), (keys[0].as_str(), "a")]).unwrap();
        let token = s.app(&c).personal_access_token.unwrap();
        assert_eq!(token.expose_secret(), "a");
        let s = settings(&[(keys[1].as_str(), "b")]).unwrap();
        let token = s.app(&c).personal_access_token.unwrap();
        assert_eq!(token.expose_secret(), "b");
    }

    #[test]
    fn url_overrides_apply_and_bad_values_name_their_key() {
        let c = connector_with_aliases(&settings(&[]).unwrap());
        let key = c.definition.settings.api_base_url[0].clone();
        let s = settings(&[(key.as_str(), "http://127.0.0.1:9000/api")]).unwrap();
        let resolved = s.connectors.iter().find(|x| x.id == c.id).unwrap();
        assert_eq!(resolved.api_base.as_str(), "http://127.0.0.1:9000/api/");
        assert!(resolved.allowed_hosts.contains(&"127.0.0.1".to_string()));
        let e = settings(&[(key.as_str(), "not a url")]).unwrap_err();
        assert_eq!(e.key, key);
        let e = settings(&[("CARDHOST_LISTEN", "nope")]).unwrap_err();
        assert_eq!(e.key, "CARDHOST_LISTEN");
    }

    #[test]
    fn a_public_address_needs_an_api_key() {
        assert!(settings(&[]).unwrap().check_listen().is_ok());
        let e = settings(&[("CARDHOST_LISTEN", "0.0.0.0:8080")])
            .unwrap()
            .check_listen()
            .unwrap_err();
        assert_eq!(e.key, "CARDHOST_API_KEY");
        assert!(settings(&[
            ("CARDHOST_LISTEN", "0.0.0.0:8080"),
            ("CARDHOST_API_KEY", &"k".repeat(32))
        ])
        .unwrap()
        .check_listen()
        .is_ok());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let c = connector_with_aliases(&settings(&[]).unwrap());
        let keys = &c.definition.settings;
        let s = settings(&[
            (keys.access_token[0].as_str(), "very-secret-pat"),
            (keys.client_secret[0].as_str(), "shh-its-secret"),
        ])
        .unwrap();
        let text = format!("{s:?} {:?}", s.app(&c));
        assert!(
            !text.contains("very-secret-pat") && !text.contains("shh-its-secret"),
            "{text}"
        );
    }

    #[test]
    fn a_short_api_key_is_refused_without_showing_it() {
        let e = settings(&[("CARDHOST_API_KEY", "hunter2-hunter2-hunter2-hunter2")]).unwrap_err();
        assert_eq!(e.key, "CARDHOST_API_KEY");
        let text = e.to_string();
        assert!(
            text.contains("31 characters") && text.contains("at least 32"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(settings(&[("CARDHOST_API_KEY", &"k".repeat(32))]).is_ok());
    }

    #[test]
    fn without_an_env_key_the_data_dir_gets_a_key_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let dir_text = dir.display().to_string();
        let mut s = settings(&[("CARDHOST_DATA_DIR", &dir_text)]).unwrap();
        let path = crate::store::keyfile::api_key_file_path(&dir);
        assert_eq!(
            s.resolve_api_key().unwrap(),
            ApiKeySource::File {
                path: path.clone(),
                created: true
            }
        );
        let first = s.api_key.clone().unwrap();
        let mut again = settings(&[("CARDHOST_DATA_DIR", &dir_text)]).unwrap();
        assert_eq!(
            again.resolve_api_key().unwrap(),
            ApiKeySource::File {
                path,
                created: false
            }
        );
        assert_eq!(
            again.api_key.unwrap().expose_secret(),
            first.expose_secret()
        );
        let env_key = "e".repeat(40);
        let mut from_env = settings(&[
            ("CARDHOST_DATA_DIR", &dir_text),
            ("CARDHOST_API_KEY", &env_key),
        ])
        .unwrap();
        assert_eq!(from_env.resolve_api_key().unwrap(), ApiKeySource::Env);
        assert_eq!(from_env.api_key.unwrap().expose_secret(), env_key);
    }
}
