//! The host's implementation of what a card imports (the authorized HTTP
//! capability and the log function) and the conversions between the host's
//! types and a contract version's, written once for every version whose
//! `types`, `http` and `log` interfaces have the same shape.

/// Implements the card imports on [`RunState`](crate::runtime::state::RunState)
/// and the conversions of the shared types for the bindings module of one
/// contract version, invoked inside that module after its `bindgen!`.
macro_rules! card_imports {
    () => {
        use $crate::capability::{self, CredentialKind};
        use $crate::runtime::bindings::{GuestError, GuestManifest};
        use $crate::runtime::error::CardErrorKind;
        use $crate::runtime::state::RunState;

        pub use self::cardhost::card::http as wit_http;
        pub use self::cardhost::card::log as wit_log;
        pub use self::cardhost::card::types::{CardError, CardManifest, ErrorKind, RunContext};

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
                    wit_log::Level::Debug => $crate::runtime::LogLevel::Debug,
                    wit_log::Level::Info => $crate::runtime::LogLevel::Info,
                    wit_log::Level::Warn => $crate::runtime::LogLevel::Warn,
                    wit_log::Level::Error => $crate::runtime::LogLevel::Error,
                };
                self.log(level, message);
            }
        }

        impl self::cardhost::card::types::Host for RunState {}

        impl From<&$crate::runtime::RunContext> for RunContext {
            fn from(c: &$crate::runtime::RunContext) -> RunContext {
                RunContext {
                    connector: c.connector.clone(),
                    default_workspace: c.default_workspace.clone(),
                    has_service_account: c.has_service_account,
                }
            }
        }

        impl From<CardManifest> for GuestManifest {
            fn from(m: CardManifest) -> GuestManifest {
                GuestManifest {
                    id: m.id,
                    name: m.name,
                    description: m.description,
                    version: m.version,
                    input_schema: m.input_schema,
                    output_schema: m.output_schema,
                    scopes: m.scopes,
                    uses_service_account: m.uses_service_account,
                }
            }
        }

        impl From<CardError> for GuestError {
            fn from(e: CardError) -> GuestError {
                GuestError {
                    kind: match e.kind {
                        ErrorKind::InvalidInput => CardErrorKind::InvalidInput,
                        ErrorKind::NotFound => CardErrorKind::NotFound,
                        ErrorKind::Unauthorized => CardErrorKind::Unauthorized,
                        ErrorKind::Forbidden => CardErrorKind::Forbidden,
                        ErrorKind::RateLimited => CardErrorKind::RateLimited,
                        ErrorKind::Provider => CardErrorKind::Provider,
                        ErrorKind::Http => CardErrorKind::Http,
                        ErrorKind::Internal => CardErrorKind::Internal,
                    },
                    message: e.message,
                    field: e.field,
                }
            }
        }
    };
}

pub(super) use card_imports;
