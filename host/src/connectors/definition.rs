//! A connector package's definition: the declarative `connector.toml` that
//! says everything the host needs to know about one provider. The host reads
//! it; nothing under `host/src` knows a provider by name.
//!
//! The JSON Schema of this format is `schemas/json/connector.json`.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One provider, as a connector package describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorDefinition {
    /// Stable id: lowercase letters, digits and dashes. It prefixes the ids
    /// of the connector's cards (`github` for `github.read-user`).
    pub id: String,
    /// Name for people, e.g. `GitHub`.
    pub name: String,
    /// One sentence on what the connector reaches.
    pub description: String,
    /// The provider's developer documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    /// The provider's REST API.
    pub api: Api,
    /// How a connection authenticates.
    pub auth: Auth,
    /// The env keys of each setting, in order of precedence.
    #[serde(default)]
    pub settings: EnvKeys,
    /// The request that says whom a credential belongs to.
    pub whoami: WhoAmI,
    /// Where a connection's default workspace (or organisation) comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_workspace: Option<DefaultWorkspace>,
    /// How the provider says "slow down".
    #[serde(default)]
    pub rate_limit: RateLimit,
    /// How the provider delivers events to the host, for event cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Webhooks>,
}

/// The provider's REST API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// Base URL a card's relative path is joined to, e.g. `https://api.github.com`.
    pub base_url: String,
    /// Hosts a card may send requests to besides the base URL's own.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Headers the host sends with every request to the provider (an API
    /// version, for example). They replace a card's header of the same name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// The ways a connection of this connector can authenticate. At least one of
/// `oauth2` and `token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// OAuth 2.0 authorization-code flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<OAuth2>,
    /// A token a person pastes (a personal access token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenAuth>,
    /// An optional second token for admin APIs, held beside the connection's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Option<ServiceAccount>,
}

/// How a client authenticates to an OAuth endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` as form fields of the request body.
    RequestBody,
    /// HTTP Basic with `client_id:client_secret`.
    Basic,
}

/// OAuth 2.0 authorization-code flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// Authorization endpoint.
    pub authorize_url: String,
    /// Token endpoint.
    pub token_url: String,
    /// How a grant is revoked when a connection is deleted.
    pub revoke: Revoke,
    /// Send a PKCE S256 challenge (RFC 7636). Default true.
    #[serde(default = "yes")]
    pub pkce: bool,
    /// How the client authenticates to the token endpoint.
    pub client_auth: ClientAuth,
    /// Whether the provider issues refresh tokens. Without them a connection
    /// lives as long as its access token, and says so.
    #[serde(default = "yes")]
    pub refresh_tokens: bool,
    /// What separates scopes in the token response's `scope` (the request
    /// always uses a space, as RFC 6749 says). Default a space.
    #[serde(default = "space")]
    pub granted_scope_separator: String,
    /// Every scope the provider knows, with what it grants. Cards may only
    /// ask for these.
    pub scopes: BTreeMap<String, String>,
    /// Scopes that grant others (`user` grants `read:user`): a connection
    /// granted the key holds the listed scopes too.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub scope_implies: BTreeMap<String, Vec<String>>,
    /// The scope that grants everything, if the provider has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_access_scope: Option<String>,
    /// Which scopes a connection created without any asks for.
    pub default_scopes: DefaultScopes,
    /// Extra query parameters of the authorization URL.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub authorize_params: BTreeMap<String, String>,
    /// Where the token response says whom the token belongs to (JSON
    /// pointers into it). Absent: the host asks `whoami`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_account: Option<AccountPointers>,
    /// Provider error codes of the token endpoint that mean an RFC 6749
    /// code (`bad_verification_code = "invalid_grant"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub error_codes: BTreeMap<String, String>,
}

/// Which scopes a new connection asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultScopes {
    /// `cards`: the scopes the connector's installed cards need, worked out
    /// at every authorization; `list`: exactly `scopes`.
    pub from: ScopesFrom,
    /// Asked for when no installed card names a scope (or always, with `list`).
    pub scopes: Vec<String>,
}

/// See [`DefaultScopes::from`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopesFrom {
    Cards,
    List,
}

/// How a grant is revoked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Revoke {
    /// The endpoint; `{client_id}` is replaced by the app's client id.
    pub url: String,
    /// `POST` or `DELETE`.
    pub method: RevokeMethod,
    /// How the client authenticates.
    pub client_auth: ClientAuth,
    /// How the body is encoded.
    pub body: BodyEncoding,
    /// Which token is revoked.
    pub token: TokenKind,
    /// The body field that carries it.
    pub token_field: String,
    /// Add RFC 7009's `token_type_hint`.
    #[serde(default)]
    pub token_type_hint: bool,
}

/// HTTP method of a revocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RevokeMethod {
    Post,
    Delete,
}

/// A request body's encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// `application/json`.
    Json,
}

/// An OAuth token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    AccessToken,
    RefreshToken,
}

/// A token a person pastes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenAuth {
    /// What people call it, e.g. `Personal access token`.
    pub label: String,
    /// Where to make one and what it may do, for the person making a connection.
    pub description: String,
    /// The `Authorization` scheme it is sent with. Default `Bearer`.
    #[serde(default = "bearer")]
    pub scheme: String,
}

/// A service account token and the request that checks it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    /// What it is and what it unlocks, for people.
    pub description: String,
    /// A read the token must be allowed to make.
    pub check: Check,
}

/// A `GET` the host makes to check a credential. In query values `{email}`
/// is the connection owner's email, with `"` and `\` escaped by a backslash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Path under the API base.
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

/// The env keys of each setting. The first key that is set wins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvKeys {
    #[serde(default)]
    pub api_base_url: Vec<String>,
    #[serde(default)]
    pub authorize_url: Vec<String>,
    #[serde(default)]
    pub token_url: Vec<String>,
    #[serde(default)]
    pub revoke_url: Vec<String>,
    #[serde(default)]
    pub client_id: Vec<String>,
    #[serde(default)]
    pub client_secret: Vec<String>,
    #[serde(default)]
    pub redirect_uri: Vec<String>,
    /// The org-level personal access token.
    #[serde(default)]
    pub access_token: Vec<String>,
    #[serde(default)]
    pub default_workspace: Vec<String>,
    /// The OAuth app is registered with the full-access scope.
    #[serde(default)]
    pub full_permissions: Vec<String>,
}

impl EnvKeys {
    /// Every key with its setting's name.
    pub fn all(&self) -> [(&'static str, &[String]); 10] {
        [
            ("api_base_url", &self.api_base_url),
            ("authorize_url", &self.authorize_url),
            ("token_url", &self.token_url),
            ("revoke_url", &self.revoke_url),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("redirect_uri", &self.redirect_uri),
            ("access_token", &self.access_token),
            ("default_workspace", &self.default_workspace),
            ("full_permissions", &self.full_permissions),
        ]
    }

    /// The keys of a setting as people read them: `A` or `A (or B)`.
    pub fn describe(keys: &[String]) -> String {
        match keys {
            [] => "(no env key)".to_string(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} (or {})", rest.join(", ")),
        }
    }
}

/// Whom a credential belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhoAmI {
    /// Path under the API base, e.g. `/user`.
    pub path: String,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Where the account sits in the answer.
    pub account: AccountPointers,
}

/// JSON pointers (RFC 6901) to an account's fields. Each field takes the
/// first pointer that finds a non-empty string or a number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountPointers {
    /// The account's id at the provider.
    pub id: Vec<String>,
    /// Its name for people.
    pub name: Vec<String>,
    /// Its email, when the provider says.
    #[serde(default)]
    pub email: Vec<String>,
}

/// Where a default workspace comes from: a list in the `whoami` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefaultWorkspace {
    /// What the provider calls it, e.g. `workspace`.
    pub label: String,
    /// JSON pointer to the list in the `whoami` answer.
    pub list: String,
    /// JSON pointer to an item's id.
    pub id: String,
}

/// How the provider asks a client to slow down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Statuses that may mean "rate limited". A 429 always does; another
    /// only with `Retry-After` or the remaining header at 0.
    #[serde(default = "only_429")]
    pub statuses: Vec<u16>,
    /// Header with the requests left in the window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_header: Option<String>,
    /// Header with when the window resets, in Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_header: Option<String>,
    /// Wait when the answer says neither `Retry-After` nor a reset time.
    #[serde(default = "one")]
    pub default_wait_secs: u64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            statuses: only_429(),
            remaining_header: None,
            reset_header: None,
            default_wait_secs: 1,
        }
    }
}

fn yes() -> bool {
    true
}

fn space() -> String {
    " ".to_string()
}

fn bearer() -> String {
    "Bearer".to_string()
}

fn only_429() -> Vec<u16> {
    vec![429]
}

fn one() -> u64 {
    1
}

/// The provider's webhooks: how the host subscribes for an event trigger,
/// learns the secret deliveries are signed with, checks a delivery and
/// unsubscribes. An event card says what to subscribe to; this says how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhooks {
    /// Path under the API base that a subscription is POSTed to, e.g. `/webhooks`.
    pub create: String,
    /// The field the subscription is wrapped in (`data` for `{"data": {...}}`); none for a bare object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envelope: Option<String>,
    /// The subscription's field that takes the URL deliveries go to.
    #[serde(default = "target")]
    pub target_field: String,
    /// JSON pointer to the new webhook's id in the create answer.
    pub id: String,
    /// Path of one webhook, `{id}` replaced by its id: a GET that answers
    /// 404 means the provider dropped it (the host then subscribes again).
    pub get: String,
    /// Path a webhook is DELETEd at, `{id}` replaced by its id.
    pub delete: String,
    /// The header in which the provider sends the signing secret while the
    /// create request is in flight; the host echoes it to confirm (a
    /// handshake such as `X-Hook-Secret`).
    pub handshake_header: String,
    /// The header carrying a delivery's signature: HMAC-SHA256 of the raw
    /// body keyed with the secret, as lowercase hex.
    pub signature_header: String,
    /// JSON pointer to the list of events in a delivery. An empty list is a heartbeat.
    pub events: String,
}

fn target() -> String {
    "target".to_string()
}
