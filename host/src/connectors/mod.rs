//! Provider definitions as data: where a connector authorizes, exchanges and
//! revokes tokens, its API base, its scopes and the hosts a card may reach.
//!
//! Asana is the first connector. Every URL can be overridden from the
//! environment (see [`crate::config`]) so that tests and newcomers can point
//! the host at the fake Asana on loopback.

use url::Url;

/// One SaaS provider the host can connect to.
#[derive(Debug, Clone)]
pub struct Connector {
    /// Stable id, the prefix of its cards' ids (`asana` for `asana.read-user`).
    pub id: String,
    /// Human name.
    pub name: String,
    /// Base of the provider's REST API; a card's relative path is joined to it.
    pub api_base: Url,
    /// OAuth 2.0 authorization endpoint.
    pub authorize_url: Url,
    /// OAuth 2.0 token endpoint.
    pub token_url: Url,
    /// OAuth 2.0 revocation endpoint.
    pub revoke_url: Url,
    /// Scopes the provider knows; a card may only ask for these.
    pub known_scopes: Vec<String>,
    /// What each known scope grants, for people choosing them.
    pub scope_descriptions: std::collections::BTreeMap<String, String>,
    /// Scopes asked for when a connection is created without any and no
    /// installed card names one.
    pub default_scopes: Vec<String>,
    /// The scope that grants everything (Asana's Full permissions), if the
    /// provider has one.
    pub full_access_scope: Option<String>,
    /// Hosts a card may send requests to (the API base's host is always one).
    pub allowed_hosts: Vec<String>,
}

/// Asana's published endpoints.
pub mod asana {
    /// Connector id.
    pub const ID: &str = "asana";
    /// Production API base.
    pub const API_BASE: &str = "https://app.asana.com/api/1.0";
    /// Production authorization endpoint.
    pub const AUTHORIZE_URL: &str = "https://app.asana.com/-/oauth_authorize";
    /// Production token endpoint.
    pub const TOKEN_URL: &str = "https://app.asana.com/-/oauth_token";
    /// Production revocation endpoint.
    pub const REVOKE_URL: &str = "https://app.asana.com/-/oauth_revoke";
    /// Asana's OAuth scopes with what each grants: the `securitySchemes`
    /// list of Asana's OpenAPI description, plus the three that only its
    /// operations name (`workspaces.typeahead:read`, `goals:write`,
    /// `stories:delete`). `default` is Full permissions; the others are
    /// granular, `<resource>:<action>`, and `write` does not imply `read`.
    /// The test `every_scope_is_in_asana_openapi` keeps this list honest.
    pub const SCOPES: &[(&str, &str)] = &[
        ("default", "Provides access to all endpoints documented in our API reference. If no scopes are requested, this scope is assumed by default."),
        ("openid", "Provides access to OpenID Connect ID tokens and the OpenID Connect user info endpoint."),
        ("email", "Provides access to the user's email through the OpenID Connect user info endpoint."),
        ("profile", "Provides access to the user's name and profile photo through the OpenID Connect user info endpoint."),
        ("attachments:read", "View access to attachments"),
        ("attachments:write", "Create and modify access to attachments"),
        ("attachments:delete", "Delete access to attachments"),
        ("custom_fields:read", "View access to custom fields"),
        ("custom_fields:write", "Create and modify access to custom fields"),
        ("goals:read", "View access to goals"),
        ("jobs:read", "View access to jobs"),
        ("ooo_entries:read", "View access to OOO entries"),
        ("ooo_entries:write", "Create and modify access to OOO entries"),
        ("ooo_entries:delete", "Delete access to OOO entries"),
        ("tasks:read", "View access to tasks"),
        ("tasks:write", "Create and modify access to tasks"),
        ("tasks:delete", "Delete access to tasks"),
        ("task_custom_types:read", "View access to task custom types"),
        ("task_templates:read", "View access to task templates"),
        ("team_memberships:read", "View access to team memberships"),
        ("portfolios:read", "View access to portfolios"),
        ("portfolios:write", "Create and modify access to portfolios"),
        ("project_templates:read", "View access to project templates"),
        ("project_portfolio_settings:read", "View access to project portfolio settings"),
        ("project_portfolio_settings:write", "Create and modify access to project portfolio settings"),
        ("projects:delete", "Delete access to projects"),
        ("projects:read", "View access to projects"),
        ("projects:write", "Create and modify access to projects"),
        ("roles:read", "View access to roles"),
        ("roles:write", "Create and modify access to roles"),
        ("roles:delete", "Delete access to roles"),
        ("users:read", "View access to users"),
        ("teams:read", "View access to teams"),
        ("time_tracking_categories:read", "View access to time tracking categories"),
        ("time_tracking_categories:write", "Create and modify access to time tracking categories"),
        ("time_tracking_categories:delete", "Delete access to time tracking categories"),
        ("time_tracking_entries:read", "View access to time tracking entries"),
        ("timesheet_approval_statuses:read", "View access to timesheet approval statuses"),
        ("timesheet_approval_statuses:write", "Create and modify access to timesheet approval statuses"),
        ("stories:read", "View access to stories"),
        ("stories:write", "Create and modify access to stories"),
        ("tags:read", "View access to tags"),
        ("tags:write", "Create and modify access to tags"),
        ("webhooks:read", "View access to webhooks"),
        ("webhooks:write", "Create and modify access to webhooks"),
        ("webhooks:delete", "Delete access to webhooks"),
        ("workspaces:read", "View access to workspaces"),
        ("workspaces.typeahead:read", "Search access to the objects of a workspace through typeahead"),
        ("goals:write", "Create and modify access to goals"),
        ("stories:delete", "Delete access to stories"),
    ];

    /// Full permissions: every endpoint, for apps registered that way.
    pub const FULL_PERMISSIONS: &str = "default";
}

/// The URLs of one connector, before they are checked.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    /// API base.
    pub api_base: Option<String>,
    /// Authorization endpoint.
    pub authorize_url: Option<String>,
    /// Token endpoint.
    pub token_url: Option<String>,
    /// Revocation endpoint.
    pub revoke_url: Option<String>,
}

/// A connector URL that is not a valid absolute http(s) URL.
#[derive(Debug, thiserror::Error)]
#[error("{key} is not a valid absolute http(s) URL: {value:?}")]
pub struct BadUrl {
    /// The setting that held it.
    pub key: &'static str,
    /// What it held.
    pub value: String,
}

fn parse_url(key: &'static str, value: Option<&str>, default: &str) -> Result<Url, BadUrl> {
    let raw = value.unwrap_or(default);
    let bad = || BadUrl {
        key,
        value: raw.to_string(),
    };
    let mut url = Url::parse(raw).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    if key == "ASANA_API_BASE_URL" && !url.path().ends_with('/') {
        // A base ends with '/' so that joining a relative path keeps its last segment.
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

impl Connector {
    /// The Asana connector, with any endpoint overridden.
    pub fn asana(endpoints: &Endpoints) -> Result<Connector, BadUrl> {
        let api_base = parse_url(
            "ASANA_API_BASE_URL",
            endpoints.api_base.as_deref(),
            asana::API_BASE,
        )?;
        let authorize_url = parse_url(
            "ASANA_AUTHORIZATION_URL",
            endpoints.authorize_url.as_deref(),
            asana::AUTHORIZE_URL,
        )?;
        let token_url = parse_url(
            "ASANA_TOKEN_URL",
            endpoints.token_url.as_deref(),
            asana::TOKEN_URL,
        )?;
        let revoke_url = parse_url(
            "ASANA_REVOKE_URL",
            endpoints.revoke_url.as_deref(),
            asana::REVOKE_URL,
        )?;
        let mut allowed_hosts = vec!["app.asana.com".to_string()];
        if let Some(host) = api_base.host_str() {
            if !allowed_hosts.iter().any(|h| h == host) {
                allowed_hosts.push(host.to_string());
            }
        }
        Ok(Connector {
            id: asana::ID.to_string(),
            name: "Asana".to_string(),
            api_base,
            authorize_url,
            token_url,
            revoke_url,
            known_scopes: asana::SCOPES.iter().map(|(s, _)| s.to_string()).collect(),
            scope_descriptions: asana::SCOPES
                .iter()
                .map(|(s, d)| (s.to_string(), d.to_string()))
                .collect(),
            default_scopes: vec!["users:read".to_string()],
            full_access_scope: Some(asana::FULL_PERMISSIONS.to_string()),
            allowed_hosts,
        })
    }

    /// The scopes of `needed` that `granted` does not cover. The full-access
    /// scope covers every scope; otherwise each is needed by name (a `write`
    /// scope does not imply `read`).
    pub fn missing_scopes(&self, needed: &[String], granted: &[String]) -> Vec<String> {
        if let Some(full) = &self.full_access_scope {
            if granted.contains(full) {
                return Vec::new();
            }
        }
        needed
            .iter()
            .filter(|s| !granted.contains(s))
            .cloned()
            .collect()
    }

    /// Whether the API base is on loopback: only then may cards use plain http.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.api_base)
    }
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

/// The connectors this host knows, by id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    connectors: Vec<std::sync::Arc<Connector>>,
}

impl Registry {
    /// A registry of the given connectors.
    pub fn new(connectors: Vec<Connector>) -> Registry {
        Registry {
            connectors: connectors.into_iter().map(std::sync::Arc::new).collect(),
        }
    }

    /// The connector with this id.
    pub fn get(&self, id: &str) -> Option<std::sync::Arc<Connector>> {
        self.connectors.iter().find(|c| c.id == id).cloned()
    }

    /// Every connector.
    pub fn all(&self) -> &[std::sync::Arc<Connector>] {
        &self.connectors
    }

    /// The connector a card id belongs to (`asana.read-user` → `asana`).
    pub fn for_card(&self, card_id: &str) -> Option<std::sync::Arc<Connector>> {
        card_id.split_once('.').and_then(|(c, _)| self.get(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asana_defaults_are_https_on_app_asana_com() {
        let c = Connector::asana(&Endpoints::default()).unwrap();
        assert_eq!(c.api_base.as_str(), "https://app.asana.com/api/1.0/");
        assert_eq!(c.allowed_hosts, vec!["app.asana.com"]);
        assert!(!c.is_loopback());
    }

    #[test]
    fn override_adds_the_host_and_keeps_the_path() {
        let c = Connector::asana(&Endpoints {
            api_base: Some("http://127.0.0.1:9000/api/1.0".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.api_base.as_str(), "http://127.0.0.1:9000/api/1.0/");
        assert!(c.allowed_hosts.contains(&"127.0.0.1".to_string()));
        assert!(c.is_loopback());
    }

    #[test]
    fn a_bad_url_names_its_key() {
        let err = Connector::asana(&Endpoints {
            token_url: Some("ftp://x".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(err.key, "ASANA_TOKEN_URL");
    }
}
