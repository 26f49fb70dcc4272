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

use crate::connectors::Connector;
use crate::store::model::Account;
pub use http::OAuthHttp;

/// Asana adds the account the token belongs to as `data` in the token response.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProviderExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<ProviderAccount>,
}

/// The `data` of Asana's token response.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProviderAccount {
    #[serde(default)]
    pub gid: Option<String>,
    #[serde(default)]
    pub id: Option<serde_json::Value>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

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
    #[error("the connector has no OAuth app configured: set ASANA_CLIENT_ID and ASANA_CLIENT_SECRET, or save them in the org settings")]
    NotConfigured,
    #[error("the provider refused the app's client id or secret: check ASANA_CLIENT_ID and ASANA_CLIENT_SECRET (or the org settings)")]
    InvalidClient,
    #[error("the redirect URI {redirect_uri} does not match the one registered for the app: register exactly this URI in the provider's developer console, or set ASANA_REDIRECT_URI / CARDHOST_PUBLIC_URL to the registered one")]
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
    #[error("the provider could not be reached ({0}); check the network and the ASANA_* URLs, then try again")]
    Unreachable(String),
    #[error("the provider failed to answer properly ({0}); try again later")]
    Provider(String),
}

impl OAuthError {
    /// A stable code for APIs.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::NotConfigured => "oauth_not_configured",
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

    /// The error a provider's redirect back to the callback carries.
    pub fn from_callback(error: &str, description: Option<&str>) -> OAuthError {
        match error {
            "access_denied" => OAuthError::ConsentDenied,
            "invalid_scope" => OAuthError::InvalidScope(description.unwrap_or(error).to_string()),
            "forbidden_scopes" => OAuthError::forbidden_scopes(description.unwrap_or(error)),
            "unauthorized_client" | "invalid_client" => OAuthError::InvalidClient,
            other => OAuthError::Provider(format!(
                "{other}{}",
                description.map(|d| format!(": {d}")).unwrap_or_default()
            )),
        }
    }
}

impl OAuthError {
    /// `forbidden_scopes`: the app is registered with granular scopes and
    /// asked for `default` (Full permissions), or for a scope it was not
    /// registered with. The advice says which setting to change, and where.
    pub fn forbidden_scopes(description: &str) -> OAuthError {
        let full = crate::connectors::asana::FULL_PERMISSIONS;
        let asked_for_full =
            description.contains("default identity") || description.contains(&format!("'{full}'"));
        let advice = if asked_for_full {
            "the app is registered with granular scopes, not Full permissions: turn off \
                 full_permissions in the org settings (PUT /api/v1/settings/{connector} with \
                 \"full_permissions\": false, or unset ASANA_FULL_PERMISSIONS) so that connections \
                 ask for the scopes their cards need, then Reauthorize"
                .to_string()
        } else {
            "register these scopes for the app in the provider's developer console (the app's \
             OAuth permission scopes), or choose Full permissions there and turn on \
             full_permissions in the org settings, then Reauthorize"
                .to_string()
        };
        OAuthError::ForbiddenScopes {
            detail: description.to_string(),
            advice,
        }
    }
}

/// A started authorization: the URL to send the person to, and what the
/// callback needs to finish it.
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub pkce_verifier: SecretString,
}

/// OAuth operations of one app at one connector.
pub struct OAuth {
    client: Client,
    revoke_url: url::Url,
    app: OAuthApp,
    http: OAuthHttp,
}

impl OAuth {
    /// An OAuth client for `app` at `connector`'s endpoints.
    pub fn new(connector: &Connector, app: OAuthApp, http: OAuthHttp) -> Result<OAuth, OAuthError> {
        let bad = |what: &str| OAuthError::Provider(format!("the {what} is not a valid URL"));
        // Asana documents client_id and client_secret as required form fields
        // of the token request (code exchange and refresh), not HTTP Basic.
        let client = oauth2::Client::new(ClientId::new(app.client_id.clone()))
            .set_auth_type(AuthType::RequestBody)
            .set_client_secret(ClientSecret::new(
                app.client_secret.expose_secret().to_string(),
            ))
            .set_auth_uri(AuthUrl::from_url(connector.authorize_url.clone()))
            .set_token_uri(TokenUrl::from_url(connector.token_url.clone()))
            .set_redirect_uri(
                RedirectUrl::new(app.redirect_uri.clone()).map_err(|_| bad("redirect URI"))?,
            );
        Ok(OAuth {
            client,
            revoke_url: connector.revoke_url.clone(),
            app,
            http,
        })
    }

    /// The URL that starts the authorization, with a fresh state and PKCE S256.
    pub fn authorize(&self, scopes: &[String]) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.iter().map(|s| Scope::new(s.clone())))
            .set_pkce_challenge(challenge)
            .url();
        Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            pkce_verifier: SecretString::from(verifier.secret().clone()),
        }
    }

    /// Exchange an authorization code (with the PKCE verifier of its state).
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &SecretString,
    ) -> Result<TokenSet, OAuthError> {
        let resp = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| self.classify(e))?;
        Ok(token_set(resp))
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
        Ok(token_set(resp))
    }

    /// Revoke a refresh token (and with it the access tokens it issued),
    /// as Asana documents it: a form POST of the token with the client
    /// credentials. (The `oauth2` crate insists on an https revocation URL,
    /// which would rule out the fake provider on loopback.)
    pub async fn revoke(&self, refresh_token: &SecretString) -> Result<(), OAuthError> {
        let url = &self.revoke_url;
        if url.scheme() != "https" && !crate::connectors::is_loopback_host(url) {
            return Err(OAuthError::Provider(
                "the revocation URL must be https".into(),
            ));
        }
        let form = [
            ("token", refresh_token.expose_secret()),
            ("token_type_hint", "refresh_token"),
            ("client_id", self.app.client_id.as_str()),
            ("client_secret", self.app.client_secret.expose_secret()),
        ];
        let response = self
            .http
            .client()
            .post(url.clone())
            .form(&form)
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

    fn classify<
        RE: std::error::Error + 'static,
        T: oauth2::ErrorResponseType + AsRef<str> + std::fmt::Display + 'static,
    >(
        &self,
        e: RequestTokenError<RE, oauth2::StandardErrorResponse<T>>,
    ) -> OAuthError {
        match e {
            RequestTokenError::ServerResponse(resp) => {
                let code = resp.error().as_ref().to_string();
                let description = resp.error_description().cloned().unwrap_or_default();
                if description.to_ascii_lowercase().contains("redirect_uri") {
                    return OAuthError::RedirectUriMismatch {
                        redirect_uri: self.app.redirect_uri.clone(),
                    };
                }
                match code.as_str() {
                    "invalid_client" | "unauthorized_client" => OAuthError::InvalidClient,
                    "invalid_grant" => OAuthError::InvalidGrant(if description.is_empty() {
                        code
                    } else {
                        description
                    }),
                    "invalid_scope" => OAuthError::InvalidScope(description),
                    "forbidden_scopes" => OAuthError::forbidden_scopes(&description),
                    _ => OAuthError::Provider(format!("{code}: {description}")),
                }
            }
            RequestTokenError::Request(err) => {
                let text = err.to_string();
                if text.starts_with(http::PROVIDER_STATUS) {
                    OAuthError::Provider(text)
                } else {
                    OAuthError::Unreachable(text)
                }
            }
            RequestTokenError::Parse(_, _) => {
                OAuthError::Provider("the token response was not understood".into())
            }
            RequestTokenError::Other(m) => OAuthError::Provider(m),
        }
    }
}

fn token_set(resp: TokenResp) -> TokenSet {
    let expires_at = resp
        .expires_in()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .map(|d| Utc::now() + d);
    let account = resp.extra_fields().data.as_ref().and_then(|d| {
        let gid = d.gid.clone().or_else(|| {
            d.id.as_ref()
                .map(|v| v.to_string().trim_matches('"').to_string())
        })?;
        Some(Account {
            gid,
            name: d.name.clone().unwrap_or_default(),
            email: d.email.clone(),
        })
    });
    TokenSet {
        access_token: SecretString::from(resp.access_token().secret().clone()),
        refresh_token: resp
            .refresh_token()
            .map(|t| SecretString::from(t.secret().clone())),
        expires_at,
        scopes: resp
            .scopes()
            .map(|s| s.iter().map(|x| x.to_string()).collect()),
        account,
    }
}
