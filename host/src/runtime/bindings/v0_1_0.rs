//! Host-side bindings of contract 0.1.0 (`schemas/wit/since_v0.1.0/`) and the
//! host's implementation of the two things a card imports: the authorized
//! HTTP capability and the log function.

use crate::capability::{self, CredentialKind};
use crate::runtime::state::RunState;

wasmtime::component::bindgen!({
    path: "../schemas/wit/since_v0.1.0",
    world: "card-world",
    imports: { default: async },
    exports: { default: async },
});

pub use self::cardhost::card::http as wit_http;
pub use self::cardhost::card::log as wit_log;
pub use self::cardhost::card::types::{CardError, ErrorKind, RunContext};

impl wit_http::Host for RunState {
    async fn send(
        &mut self,
        req: wit_http::Request,
    ) -> Result<wit_http::Response, wit_http::HttpError> {
        answer(self.send(request(req)).await)
    }

    async fn send_all(
        &mut self,
        reqs: Vec<wit_http::Request>,
    ) -> Vec<Result<wit_http::Response, wit_http::HttpError>> {
        let requests = reqs.into_iter().map(request).collect();
        self.send_all(requests)
            .await
            .into_iter()
            .map(answer)
            .collect()
    }
}

/// A card's request as the capability takes it.
fn request(req: wit_http::Request) -> capability::Request {
    capability::Request {
        method: match req.method {
            wit_http::Method::Get => capability::Method::Get,
            wit_http::Method::Post => capability::Method::Post,
            wit_http::Method::Put => capability::Method::Put,
            wit_http::Method::Patch => capability::Method::Patch,
            wit_http::Method::Delete => capability::Method::Delete,
        },
        url: req.url,
        query: req.query,
        headers: req.headers,
        body: req.body,
        credential: match req.credential {
            wit_http::Credential::Connection => CredentialKind::Connection,
            wit_http::Credential::ServiceAccount => CredentialKind::ServiceAccount,
            wit_http::Credential::None => CredentialKind::None,
        },
    }
}

/// The capability's answer as the card receives it.
fn answer(
    result: Result<capability::Response, capability::HttpError>,
) -> Result<wit_http::Response, wit_http::HttpError> {
    match result {
        Ok(r) => Ok(wit_http::Response {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }),
        Err(e) => Err(match e {
            capability::HttpError::Denied(m) => wit_http::HttpError::Denied(m),
            capability::HttpError::NoCredential(m) => wit_http::HttpError::NoCredential(m),
            capability::HttpError::NeedsReauth(m) => wit_http::HttpError::NeedsReauth(m),
            capability::HttpError::Timeout => wit_http::HttpError::Timeout,
            capability::HttpError::TooLarge(n) => wit_http::HttpError::TooLarge(n),
            capability::HttpError::Transport(m) => wit_http::HttpError::Transport(m),
        }),
    }
}

impl wit_log::Host for RunState {
    async fn log(&mut self, level: wit_log::Level, message: String) {
        let level = match level {
            wit_log::Level::Debug => crate::runtime::LogLevel::Debug,
            wit_log::Level::Info => crate::runtime::LogLevel::Info,
            wit_log::Level::Warn => crate::runtime::LogLevel::Warn,
            wit_log::Level::Error => crate::runtime::LogLevel::Error,
        };
        self.log(level, message);
    }
}

impl self::cardhost::card::types::Host for RunState {}
