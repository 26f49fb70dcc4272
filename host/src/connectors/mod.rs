//! Connectors: the SaaS providers the host can connect to, as data.
//!
//! A connector is a package: a declarative [`ConnectorDefinition`]
//! (`cards/<id>/connector.toml`) beside its cards. The built-in ones are
//! embedded at build time; more can be installed over REST. A definition is
//! checked ([`validate`]) and then resolved into a [`Connector`]: its URLs
//! parsed, with any env override of them applied (tests and newcomers point
//! a connector at a fake provider on loopback that way).

pub mod definition;
pub mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use url::Url;

use crate::store::Account;
pub use definition::ConnectorDefinition;
use definition::{AccountPointers, DefaultScopes, OAuth2, ScopesFrom};
pub use validate::{validate, DefinitionError};

/// One provider the host can connect to: a checked definition with its
/// URLs resolved.
#[derive(Debug, Clone)]
pub struct Connector {
    /// Stable id, the prefix of its cards' ids (`github` for `github.read-user`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Base of the provider's REST API, ending in `/`; a card's relative
    /// path is joined to it.
    pub api_base: Url,
    /// Hosts a card may send requests to (the API base's host is always one).
    pub allowed_hosts: Vec<String>,
    /// OAuth 2.0 endpoints, when the connector authorizes with OAuth.
    pub oauth: Option<OAuthEndpoints>,
    /// Scopes the provider knows; a card may only ask for these.
    pub known_scopes: Vec<String>,
    /// Whether the connector shipped with the host (else it was installed).
    pub builtin: bool,
    /// The definition it was made from.
    pub definition: Arc<ConnectorDefinition>,
}

/// A connector's OAuth endpoints, overrides applied.
#[derive(Debug, Clone)]
pub struct OAuthEndpoints {
    pub authorize_url: Url,
    pub token_url: Url,
    /// The revocation endpoint; `{client_id}` stands for the app's client id.
    pub revoke_url: String,
}

/// Where a connector's settings come from: a key lookup (the process
/// environment, or a map in tests).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Connector {
    /// Check a definition and resolve it, applying the env overrides of its
    /// URLs found through `lookup`.
    pub fn resolve(
        definition: ConnectorDefinition,
        lookup: Lookup<'_>,
        builtin: bool,
    ) -> Result<Connector, DefinitionError> {
        validate(&definition)?;
        let keys = &definition.settings;
        let setting = |keys: &[String], default: &str| -> (String, String) {
            keys.iter()
                .find_map(|k| lookup(k).map(|v| (k.clone(), v)))
                .unwrap_or_else(|| (String::new(), default.to_string()))
        };
        let (key, raw) = setting(&keys.api_base_url, &definition.api.base_url);
        let api_base = base_url(&raw).map_err(|m| overridden("api.base_url", &key, m))?;
        let mut allowed_hosts = definition.api.allowed_hosts.clone();
        if let Some(host) = api_base.host_str() {
            if !allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
                allowed_hosts.push(host.to_string());
            }
        }
        let oauth = match &definition.auth.oauth2 {
            None => None,
            Some(o) => {
                let (key, raw) = setting(&keys.authorize_url, &o.authorize_url);
                let authorize_url =
                    http_url(&raw).map_err(|m| overridden("auth.oauth2.authorize_url", &key, m))?;
                let (key, raw) = setting(&keys.token_url, &o.token_url);
                let token_url =
                    http_url(&raw).map_err(|m| overridden("auth.oauth2.token_url", &key, m))?;
                let (key, revoke_url) = setting(&keys.revoke_url, &o.revoke.url);
                http_url(&revoke_url.replace("{client_id}", "client"))
                    .map_err(|m| overridden("auth.oauth2.revoke.url", &key, m))?;
                Some(OAuthEndpoints {
                    authorize_url,
                    token_url,
                    revoke_url,
                })
            }
        };
        let known_scopes = definition
            .auth
            .oauth2
            .as_ref()
            .map(|o| o.scopes.keys().cloned().collect())
            .unwrap_or_default();
        Ok(Connector {
            id: definition.id.clone(),
            name: definition.name.clone(),
            api_base,
            allowed_hosts,
            oauth,
            known_scopes,
            builtin,
            definition: Arc::new(definition),
        })
    }

    /// The built-in connectors, with the env overrides found through `lookup`.
    pub fn builtins(lookup: Lookup<'_>) -> Result<Vec<Connector>, DefinitionError> {
        crate::runtime::builtin::BUILTIN_CONNECTORS
            .iter()
            .map(|b| {
                let definition = ConnectorDefinition::parse(b.definition)?;
                Connector::resolve(definition, lookup, true)
            })
            .collect()
    }

    /// The OAuth part of the definition, when the connector has one.
    pub fn oauth2(&self) -> Option<&OAuth2> {
        self.definition.auth.oauth2.as_ref()
    }

    /// What each known scope grants.
    pub fn scope_descriptions(&self) -> BTreeMap<String, String> {
        self.oauth2().map(|o| o.scopes.clone()).unwrap_or_default()
    }

    /// The scope that grants everything, if the provider has one.
    pub fn full_access_scope(&self) -> Option<&str> {
        self.oauth2().and_then(|o| o.full_access_scope.as_deref())
    }

    /// How a new connection's scopes are chosen.
    pub fn default_scopes(&self) -> Option<&DefaultScopes> {
        self.oauth2().map(|o| &o.default_scopes)
    }

    /// Whether the scopes of a new connection follow its installed cards.
    pub fn scopes_follow_cards(&self) -> bool {
        self.default_scopes()
            .is_some_and(|d| d.from == ScopesFrom::Cards)
    }

    /// Every scope `granted` holds: the scopes themselves and those they imply.
    fn holds(&self, granted: &[String]) -> BTreeSet<String> {
        let implies = self.oauth2().map(|o| &o.scope_implies);
        let mut held: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = granted.to_vec();
        while let Some(scope) = todo.pop() {
            if held.insert(scope.clone()) {
                if let Some(more) = implies.and_then(|i| i.get(&scope)) {
                    todo.extend(more.iter().cloned());
                }
            }
        }
        held
    }

    /// The scopes of `needed` that `granted` does not cover. The full-access
    /// scope covers every scope; a scope covers those the definition says it
    /// implies; otherwise each is needed by name.
    pub fn missing_scopes(&self, needed: &[String], granted: &[String]) -> Vec<String> {
        if let Some(full) = self.full_access_scope() {
            if granted.iter().any(|g| g == full) {
                return Vec::new();
            }
        }
        let held = self.holds(granted);
        needed
            .iter()
            .filter(|s| !held.contains(*s))
            .cloned()
            .collect()
    }

    /// Whether the API base is on loopback: only then may cards use plain http.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.api_base)
    }

    /// The env keys of a setting, as people read them (for messages).
    pub fn env_keys(&self, setting: &str) -> String {
        let keys = self
            .definition
            .settings
            .all()
            .into_iter()
            .find(|(name, _)| *name == setting)
            .map(|(_, keys)| keys.to_vec())
            .unwrap_or_default();
        definition::EnvKeys::describe(&keys)
    }
}

impl ConnectorDefinition {
    /// A definition from TOML, or JSON when the text is a JSON object.
    pub fn parse(text: &str) -> Result<ConnectorDefinition, DefinitionError> {
        if text.trim_start().starts_with('{') {
            let de = &mut serde_json::Deserializer::from_str(text);
            serde_path_to_error::deserialize(de).map_err(|e| {
                DefinitionError::new(
                    &e.path().to_string(),
                    format!("not a valid connector definition: {}", e.inner()),
                )
            })
        } else {
            toml::from_str(text).map_err(|e| {
                DefinitionError::new(
                    "definition",
                    format!("not a valid connector definition: {}", e.message()),
                )
            })
        }
    }
}

fn overridden(field: &str, key: &str, message: String) -> DefinitionError {
    if key.is_empty() {
        DefinitionError::new(field, message)
    } else {
        DefinitionError::env(key, message)
    }
}

/// An absolute http(s) URL with a host.
pub(crate) fn http_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|_| format!("not a valid absolute http(s) URL: {raw:?}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("not a valid absolute http(s) URL: {raw:?}"));
    }
    Ok(url)
}

/// An API base: an http(s) URL ending in `/`, so that joining a relative
/// path keeps its last segment.
fn base_url(raw: &str) -> Result<Url, String> {
    let mut url = http_url(raw)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("an API base has no query or fragment: {raw:?}"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The account the pointers find in `value`: each field from the first
/// pointer that finds a non-empty string (or, for the id, a number). `None`
/// without an id.
pub fn account_at(value: &serde_json::Value, pointers: &AccountPointers) -> Option<Account> {
    let first = |list: &[String], numbers: bool| {
        list.iter().find_map(|p| match value.pointer(p)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) if numbers => Some(n.to_string()),
            _ => None,
        })
    };
    Some(Account {
        id: first(&pointers.id, true)?,
        name: first(&pointers.name, false).unwrap_or_default(),
        email: first(&pointers.email, false),
    })
}

/// Whether a URL's host is a loopback address or `localhost`.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// The connectors this host knows, by id. Cheap to clone; clones share the
/// list, which grows when a connector is installed.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    connectors: Arc<RwLock<Vec<Arc<Connector>>>>,
}

impl Registry {
    /// A registry of the given connectors.
    pub fn new(connectors: Vec<Connector>) -> Registry {
        Registry {
            connectors: Arc::new(RwLock::new(connectors.into_iter().map(Arc::new).collect())),
        }
    }

    /// The connector with this id.
    pub fn get(&self, id: &str) -> Option<Arc<Connector>> {
        self.read().iter().find(|c| c.id == id).cloned()
    }

    /// Every connector, in the order they were added.
    pub fn all(&self) -> Vec<Arc<Connector>> {
        self.read().clone()
    }

    /// The ids of every connector.
    pub fn ids(&self) -> Vec<String> {
        self.read().iter().map(|c| c.id.clone()).collect()
    }

    /// The connector a card id belongs to (`github.read-user` → `github`).
    pub fn for_card(&self, card_id: &str) -> Option<Arc<Connector>> {
        card_id.split_once('.').and_then(|(c, _)| self.get(c))
    }

    /// Add a connector, or replace the one with its id.
    pub fn put(&self, connector: Connector) -> Arc<Connector> {
        let connector = Arc::new(connector);
        let mut list = self.connectors.write().expect("connector registry");
        match list.iter_mut().find(|c| c.id == connector.id) {
            Some(slot) => *slot = connector.clone(),
            None => list.push(connector.clone()),
        }
        connector
    }

    /// Remove a connector; whether it was there.
    pub fn remove(&self, id: &str) -> bool {
        let mut list = self.connectors.write().expect("connector registry");
        let before = list.len();
        list.retain(|c| c.id != id);
        list.len() != before
    }

    /// Check a card's manifest against its connector: the connector must
    /// exist and know every scope the card asks for.
    pub fn check_card(&self, card_id: &str, scopes: &[String]) -> Result<(), String> {
        let prefix = card_id.split_once('.').map_or(card_id, |(c, _)| c);
        let Some(connector) = self.get(prefix) else {
            return Err(format!(
                "card {card_id} belongs to connector {prefix:?}, which this host does not have \
                 (known: {}); install the connector first",
                self.ids().join(", ")
            ));
        };
        if let Some(unknown) = scopes.iter().find(|s| !connector.known_scopes.contains(s)) {
            return Err(format!(
                "card {card_id} asks for scope {unknown:?}, which is not in the {} connector's scope catalogue",
                connector.name
            ));
        }
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Connector>>> {
        self.connectors.read().expect("connector registry")
    }
}

#[cfg(test)]
pub(crate) mod tests;
