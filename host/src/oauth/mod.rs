//! OAuth 2.0 against a connector's endpoints (the `oauth2` crate): the
//! authorization-code flow with state and PKCE S256, the code exchange, token
//! refresh and revocation, with every failure sorted into an [`OAuthError`]
//! a person can act on.

mod http;

use chrono::{DateTime, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::connectors::definition::{BodyEncoding, ClientAuth, OAuth2, RevokeMethod, TokenKind};
use crate::connectors::{Connector, OAuthEndpoints};
use crate::error::{AppError, Kind};
use crate::store::model::Account;
pub use http::OAuthHttp;

/// The token response's fields beyond RFC 6749's, kept whole: a connector's
/// definition says where in them the account sits (`token_account`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderExtra(#[serde(default)] pub serde_json::Map<String, serde_json::Value>);

impl ExtraTokenFields for ProviderExtra {}

type TokenResp = StandardTokenResponse<ProviderExtra, BasicTokenType>;
type Client = oauth2::Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The app's credentials at one connector, with the redirect URI in use.
#[derive(Clone)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: SecretString,
    pub redirect_uri: String,
}

/// Tokens from an exchange or a refresh.
pub struct TokenSet {
    pub access_token: SecretString,
    /// Present after an exchange; a refresh keeps the old one when absent.
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Scopes granted, when the provider says.
    pub scopes: Option<Vec<String>>,
    /// Who the tokens belong to, when the provider says.
    pub account: Option<Account>,
}

/// Why an OAuth step failed; each says what to do.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum OAuthError {
    #[error("the connector has no OAuth app configured: set {keys}, or save them in the org settings (PUT /api/v1/settings/{{connector}})")]
    NotConfigured {
        /// The env keys of the client id and secret.
        keys: String,
    },
    #[error(
        "this connector does not authorize with OAuth: create the connection with a token instead"
    )]
    NotOAuth,
    #[error("the provider refused the app's client id or secret: check them in the org settings or the connector's env keys (GET /api/v1/connectors lists them)")]
    InvalidClient,
    #[error("the redirect URI {redirect_uri} does not match the one registered for the app: register exactly this URI in the provider's developer console, or set the connector's redirect URI (org settings or env key) or CARDHOST_PUBLIC_URL to the registered one")]
    RedirectUriMismatch { redirect_uri: String },
    #[error("the provider does not know the scope(s) asked for ({0}): ask only for scopes in the connector's catalogue (GET /api/v1/connectors), then authorize again")]
    InvalidScope(String),
    #[error(
        "the app registered at the provider may not ask for these scopes ({detail}): {advice}"
    )]
    ForbiddenScopes { detail: String, advice: String },
    #[error("access was not allowed: the person declined at the provider; authorize again and click Allow")]
    ConsentDenied,
    #[error(
        "the authorization is no longer valid ({0}): a person must authorize the connection again"
    )]
    InvalidGrant(String),
    #[error("the provider could not be reached ({0}); check the network and the connector's URL settings, then try again")]
    Unreachable(String),
    #[error("the provider failed to answer properly ({0}); try again later")]
    Provider(String),
}

impl OAuthError {
    /// A stable code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::NotConfigured { .. } => "oauth_not_configured",
            OAuthError::NotOAuth => "not_oauth",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::RedirectUriMismatch { .. } => "redirect_uri_mismatch",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::ForbiddenScopes { .. } => "forbidden_scopes",
            OAuthError::ConsentDenied => "consent_denied",
            OAuthError::InvalidGrant(_) => "needs_reauth",
            OAuthError::Unreachable(_) => "provider_unreachable",
            OAuthError::Provider(_) => "provider_error",
        }
    }

    /// Whether trying again later may work without a person.
    pub fn transient(&self) -> bool {
        matches!(self, OAuthError::Unreachable(_) | OAuthError::Provider(_))
    }
}

impl From<OAuthError> for AppError {
    fn from(e: OAuthError) -> AppError {
        use OAuthError as O;
        let kind = match &e {
            O::NotConfigured { .. }
            | O::NotOAuth
            | O::InvalidScope(_)
            | O::ForbiddenScopes { .. }
            | O::RedirectUriMismatch { .. }
            | O::InvalidClient
            | O::ConsentDenied
            | O::InvalidGrant(_) => Kind::Unprocessable,
            O::Unreachable(_) | O::Provider(_) => Kind::Provider,
        };
        AppError::new(kind, e.code(), e.to_string())
    }
}

/// A started authorization: the URL to send the person to, and what the
/// callback needs to finish it.
pub struct Authorization {
    pub url: String,
    pub state: String,
    /// The PKCE verifier; empty when the connector does not use PKCE.
    pub pkce_verifier: SecretString,
}

/// OAuth operations of one app at one connector.
pub struct OAuth {
    client: Client,
    connector: Arc<Connector>,
    endpoints: OAuthEndpoints,
    app: OAuthApp,
    http: OAuthHttp,
}

impl OAuth {
    /// An OAuth client for `app` at `connector`'s endpoints.
    pub fn new(
        connector: Arc<Connector>,
        app: OAuthApp,
        http: OAuthHttp,
    ) -> Result<OAuth, OAuthError> {
        let endpoints = connector.oauth.clone().ok_or(OAuthError::NotOAuth)?;
        let definition = connector.oauth2().ok_or(OAuthError::NotOAuth)?;
        let bad = |what: &str| OAuthError::Provider(format!("the {what} is not a valid URL"));
        let auth_type = match definition.client_auth {
            ClientAuth::RequestBody => AuthType::RequestBody,
            ClientAuth::Basic => AuthType::BasicAuth,
        };
        let client = oauth2::Client::new(ClientId::new(app.client_id.clone()))
            .set_auth_type(auth_type)
            .set_client_secret(ClientSecret::new(
                app.client_secret.expose_secret().to_string(),
            ))
            .set_auth_uri(AuthUrl::from_url(endpoints.authorize_url.clone()))
            .set_token_uri(TokenUrl::from_url(endpoints.token_url.clone()))
            .set_redirect_uri(
                RedirectUrl::new(app.redirect_uri.clone()).map_err(|_| bad("redirect URI"))?,
            );
        Ok(OAuth {
            client,
            connector,
            endpoints,
            app,
            http,
        })
    }

    fn definition(&self) -> &OAuth2 {
        self.connector
            .oauth2()
            .expect("checked when the client was made")
    }

    /// The URL that starts the authorization, with a fresh state (and PKCE
    /// S256 when the connector uses it).
    pub fn authorize(&self, scopes: &[String]) -> Authorization {
        let mut request = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())));
        for (name, value) in &self.definition().authorize_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let mut verifier = String::new();
        if self.definition().pkce {
            let (challenge, pkce) = PkceCodeChallenge::new_random_sha256();
            request = request.set_pkce_challenge(challenge);
            verifier = pkce.secret().clone();
        }
        let (url, state) = request.url();
        Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: SecretString::from(verifier),
        }
    }

    /// Exchange an authorization code (with the PKCE verifier of its state).
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<TokenSet, OAuthError> {
        let mut request = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()));
        if !verifier.expose_secret().is_empty() {
            request = request
                .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_string()));
        }
        let resp = request
            .request_async(&self.http)
            .await
            .map_err(|e| self.classify(e))?;
        Ok(self.token_set(resp))
    }

    /// Use a refresh token for a new access token.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenSet, OAuthError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_string());
        let resp = self
            .client
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await
            .map_err(|e| self.classify(e))?;
        Ok(self.token_set(resp))
    }

    /// Which token revoking a connection's grant needs, as the connector's
    /// definition says.
    pub fn revokes(&self) -> TokenKind {
        self.definition().revoke.token
    }

    /// Revoke a grant the way the connector's definition describes (a form
    /// POST of the refresh token, or a DELETE with HTTP Basic and a JSON
    /// body, ...). The `oauth2` crate insists on an https revocation URL,
    /// which would rule out a fake provider on loopback, so this is sent here.
    pub async fn revoke(&self, token: &SecretString) -> Result<(), OAuthError> {
        let spec = &self.definition().revoke;
        let raw = self
            .endpoints
            .revoke_url
            .replace("{client_id}", &url_segment(&self.app.client_id));
        let url = url::Url::parse(&raw)
            .map_err(|_| OAuthError::Provider("the revocation URL is not valid".into()))?;
        if url.scheme() != "https" && !crate::connectors::is_loopback_host(&url) {
            return Err(OAuthError::Provider(
                "the revocation URL must be https".into(),
            ));
        }
        let mut fields: Vec<(&str, &str)> =
            vec![(spec.token_field.as_str(), token.expose_secret())];
        if spec.token_type_hint {
            fields.push((
                "token_type_hint",
                match spec.token {
                    TokenKind::AccessToken => "access_token",
                    TokenKind::RefreshToken => "refresh_token",
                },
            ));
        }
        if spec.client_auth == ClientAuth::RequestBody {
            fields.push(("client_id", self.app.client_id.as_str()));
            fields.push(("client_secret", self.app.client_secret.expose_secret()));
        }
        let method = match spec.method {
            RevokeMethod::Post => reqwest::Method::POST,
            RevokeMethod::Delete => reqwest::Method::DELETE,
        };
        let mut request = self
            .http
            .client()
            .request(method, url)
            .header(reqwest::header::ACCEPT, "application/json");
        for (name, value) in &self.connector.definition.api.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if spec.client_auth == ClientAuth::Basic {
            request = request.basic_auth(
                &self.app.client_id,
                Some(self.app.client_secret.expose_secret()),
            );
        }
        request = match spec.body {
            BodyEncoding::Form => request.form(&fields),
            BodyEncoding::Json => {
                let body: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                    .collect();
                request.json(&body)
            }
        };
        let response = request
            .send()
            .await
            .map_err(|e| OAuthError::Unreachable(e.without_url().to_string()))?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            401 => Err(OAuthError::InvalidClient),
            status if status >= 500 => Err(OAuthError::Provider(format!(
                "the provider answered HTTP {status}"
            ))),
            status => Err(OAuthError::Provider(format!(
                "the provider refused the revocation (HTTP {status})"
            ))),
        }
    }

    /// The error a provider's redirect back to the callback carries.
    pub fn callback_error(&self, error: &str, description: Option<&str>) -> OAuthError {
        let code = self.rfc_code(error);
        match code {
            "access_denied" => OAuthError::ConsentDenied,
            "invalid_scope" => OAuthError::InvalidScope(description.unwrap_or(error).to_string()),
            "forbidden_scopes" => self.forbidden_scopes(description.unwrap_or(error)),
            "unauthorized_client" | "invalid_client" => OAuthError::InvalidClient,
            "redirect_uri_mismatch" => OAuthError::RedirectUriMismatch {
                redirect_uri: self.app.redirect_uri.clone(),
            },
            _ => OAuthError::Provider(format!(
                "{error}{}",
                description.map(|d| format!(": {d}")).unwrap_or_default()
            )),
        }
    }

    /// A provider's error code as RFC 6749 names it, through the
    /// definition's `error_codes`.
    fn rfc_code<'a>(&'a self, code: &'a str) -> &'a str {
        self.definition()
            .error_codes
            .get(code)
            .map(String::as_str)
            .unwrap_or(code)
    }

    /// `forbidden_scopes`: the app is registered with granular scopes and
    /// asked for the full-access scope, or for a scope it was not registered
    /// with. The advice says which setting to change, and where.
    fn forbidden_scopes(&self, description: &str) -> OAuthError {
        let asked_for_full = self.connector.full_access_scope().is_some_and(|full| {
            description.contains("default identity") || description.contains(&format!("'{full}'"))
        });
        let advice = if asked_for_full {
            format!(
                "the app is registered with granular scopes, not full access: turn off \
                 full_permissions in the org settings (PUT /api/v1/settings/{} with \
                 \"full_permissions\": false, or unset {}) so that connections ask for the \
                 scopes their cards need, then Reauthorize",
                self.connector.id,
                self.connector.env_keys("full_permissions")
            )
        } else {
            "register these scopes for the app in the provider's developer console (the app's \
             OAuth permission scopes), or choose full access there and turn on \
             full_permissions in the org settings, then Reauthorize"
                .to_string()
        };
        OAuthError::ForbiddenScopes {
            detail: description.to_string(),
            advice,
        }
    }

    fn classify<
        RE: std::error::Error + 'static,
        T: oauth2::ErrorResponseType + AsRef<str> + std::fmt::Display + 'static,
    >(
        &self,
        e: RequestTokenError<RE, oauth2::StandardErrorResponse<T>>,
    ) -> OAuthError {
        match e {
            RequestTokenError::ServerResponse(resp) => self.server_error(
                resp.error().as_ref(),
                resp.error_description().map(String::as_str),
            ),
            RequestTokenError::Request(err) => {
                let text = err.to_string();
                if text.starts_with(http::PROVIDER_STATUS) {
                    OAuthError::Provider(text)
                } else {
                    OAuthError::Unreachable(text)
                }
            }
            // Some providers answer a token error with HTTP 200: the body
            // is then an error response rather than a token.
            RequestTokenError::Parse(_, body) => match serde_json::from_slice::<ErrorBody>(&body) {
                Ok(err) => self.server_error(&err.error, err.error_description.as_deref()),
                Err(_) => OAuthError::Provider("the token response was not understood".into()),
            },
            RequestTokenError::Other(m) => OAuthError::Provider(m),
        }
    }

    fn server_error(&self, code: &str, description: Option<&str>) -> OAuthError {
        let description = description.unwrap_or_default().to_string();
        let rfc = self.rfc_code(code);
        if rfc == "redirect_uri_mismatch"
            || description.to_ascii_lowercase().contains("redirect_uri")
        {
            return OAuthError::RedirectUriMismatch {
                redirect_uri: self.app.redirect_uri.clone(),
            };
        }
        match rfc {
            "invalid_client" | "unauthorized_client" => OAuthError::InvalidClient,
            "invalid_grant" => OAuthError::InvalidGrant(if description.is_empty() {
                code.to_string()
            } else {
                description
            }),
            "invalid_scope" => OAuthError::InvalidScope(description),
            "forbidden_scopes" => self.forbidden_scopes(&description),
            _ => OAuthError::Provider(format!("{code}: {description}")),
        }
    }

    fn token_set(&self, resp: TokenResp) -> TokenSet {
        let expires_at = resp
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d);
        let extra = serde_json::Value::Object(resp.extra_fields().0.clone());
        let account = self
            .definition()
            .token_account
            .as_ref()
            .and_then(|pointers| crate::connectors::account_at(&extra, pointers));
        let separator = self.definition().granted_scope_separator.as_str();
        TokenSet {
            access_token: SecretString::from(resp.access_token().secret().clone()),
            refresh_token: resp
                .refresh_token()
                .map(|t| SecretString::from(t.secret().clone())),
            expires_at,
            scopes: resp.scopes().map(|s| {
                s.iter()
                    .flat_map(|x| x.split(separator))
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            }),
            account,
        }
    }
}

/// An RFC 6749 error body.
#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// A path segment with everything but unreserved characters escaped.
fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
