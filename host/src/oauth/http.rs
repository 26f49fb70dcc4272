//! The HTTP client the OAuth calls use: never follows a redirect, and turns a
//! provider's 5xx into a transient error instead of a parse failure.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::{AsyncHttpClient, HttpRequest, HttpResponse};

/// Prefix of the error text of a provider's 5xx answer.
pub(super) const PROVIDER_STATUS: &str = "the provider answered HTTP";

/// An HTTP client for token endpoints.
#[derive(Clone)]
pub struct OAuthHttp {
    client: reqwest::Client,
}

/// A failed OAuth HTTP call.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OAuthHttpError(String);

impl OAuthHttp {
    /// A client with no redirects and a 15 s timeout.
    pub fn new() -> anyhow::Result<OAuthHttp> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("cardhost/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()?;
        Ok(OAuthHttp { client })
    }

    /// The underlying client (for the host's own checks of the provider).
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = OAuthHttpError;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
                .map_err(|_| OAuthHttpError("bad method".into()))?;
            let url = parts.uri.to_string();
            let mut builder = self.client.request(method, &url).body(body);
            for (name, value) in parts.headers.iter() {
                builder = builder.header(name.as_str(), value.as_bytes());
            }
            let response = builder.send().await.map_err(|e| {
                let host = e
                    .url()
                    .and_then(|u| u.host_str())
                    .unwrap_or("the provider")
                    .to_string();
                if e.is_timeout() {
                    OAuthHttpError(format!("{host} did not answer in time"))
                } else {
                    OAuthHttpError(format!("could not connect to {host}"))
                }
            })?;
            let status = response.status().as_u16();
            if status >= 500 {
                return Err(OAuthHttpError(format!("{PROVIDER_STATUS} {status}")));
            }
            let mut out = oauth2::http::Response::builder().status(status);
            for (name, value) in response.headers().iter() {
                out = out.header(name.as_str(), value.as_bytes());
            }
            let bytes = response
                .bytes()
                .await
                .map_err(|_| OAuthHttpError("the provider's answer broke off".into()))?;
            out.body(bytes.to_vec())
                .map_err(|_| OAuthHttpError("the provider's answer was malformed".into()))
        })
    }
}
